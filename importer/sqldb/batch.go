package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"userimport/importer"
)

const batchColumns = `id, file_name, file_sha256, mode, options, source, acting_admin, state, results_name,
	notice_name, started_at, owner, heartbeat_at`

func scanBatch(row interface{ Scan(...any) error }) (*importer.Batch, error) {
	var b importer.Batch
	var started, heartbeat int64
	if err := row.Scan(&b.ID, &b.File, &b.SHA256, &b.Mode, &b.Options, &b.Source, &b.ActingAdmin, &b.State,
		&b.ResultsName, &b.NoticeName, &started, &b.Owner, &heartbeat); err != nil {
		return nil, err
	}
	b.Started = time.UnixMicro(started)
	b.Heartbeat = time.UnixMicro(heartbeat)
	return &b, nil
}

// ResumableBatch returns the newest unfinished batch of the file, or nil.
func (d *DB) ResumableBatch(ctx context.Context, sha256, mode string) (*importer.Batch, error) {
	b, err := scanBatch(d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT `+batchColumns+` FROM batches
		WHERE file_sha256 = ? AND mode = ? AND state IN ('running', 'interrupted')
		ORDER BY started_at DESC LIMIT 1`), sha256, mode))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find unfinished batch: %w", err)
	}
	return b, nil
}

// ClaimBatch gives the batch's lease to run, with actor as its acting
// admin from now on, if no other live run holds it: the lease is free, its
// holder is dead (known to the caller; "" for none), or its holder last
// renewed it before staleBefore. It is one conditional UPDATE, so of two
// runs claiming at once exactly one wins.
func (d *DB) ClaimBatch(ctx context.Context, batchID, run, actor, dead string, staleBefore time.Time) (bool, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE batches SET owner = ?, heartbeat_at = ?, state = 'running', acting_admin = ?
		WHERE id = ? AND state IN ('running', 'interrupted') AND (owner = '' OR owner = ? OR heartbeat_at < ?)`),
		run, d.now(), actor, batchID, dead, staleBefore.UnixMicro())
	if err != nil {
		return false, fmt.Errorf("claim batch: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Heartbeat renews run's lease of the batch and reports whether run still
// holds it (false: another run took it over).
func (d *DB) Heartbeat(ctx context.Context, batchID, run string) (bool, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE batches SET heartbeat_at = ? WHERE id = ? AND owner = ?`), d.now(), batchID, run)
	if err != nil {
		return false, fmt.Errorf("batch heartbeat: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// CreateBatch records a new, running batch, leased to b.Owner.
func (d *DB) CreateBatch(ctx context.Context, b *importer.Batch) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO batches (id, file_name, file_sha256, mode, options, source,
			acting_admin, state, started_at, owner, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)`),
			b.ID, b.File, b.SHA256, b.Mode, b.Options, b.Source, b.ActingAdmin, b.Started.UnixMicro(), b.Owner, d.now()); err != nil {
			return fmt.Errorf("create batch: %w", err)
		}
		return d.audit(ctx, tx, b.ActingAdmin, "import start", b.File, b.Options, b.ID)
	})
}

// SetOutputNames records the file names of the batch's results workbook
// and credentials notice in its output folder; an empty name leaves that
// one as it is.
func (d *DB) SetOutputNames(ctx context.Context, batchID, results, notice string) error {
	if _, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE batches SET
		results_name = CASE WHEN ? = '' THEN results_name ELSE ? END,
		notice_name = CASE WHEN ? = '' THEN notice_name ELSE ? END WHERE id = ?`),
		results, results, notice, notice, batchID); err != nil {
		return fmt.Errorf("record output names: %w", err)
	}
	return nil
}

// StaleBatches returns the unfinished batches of the file name and mode
// whose file had other bytes than sha256 and whose lease is free or was
// last renewed before staleBefore: they can never be resumed.
func (d *DB) StaleBatches(ctx context.Context, file, mode, sha256 string, staleBefore time.Time) ([]importer.Batch, error) {
	rows, err := d.db.QueryxContext(ctx, d.db.Rebind(`SELECT `+batchColumns+` FROM batches
		WHERE file_name = ? AND mode = ? AND file_sha256 <> ? AND state IN ('running', 'interrupted')
		AND (owner = '' OR heartbeat_at < ?) ORDER BY started_at`), file, mode, sha256, staleBefore.UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("find stale batches: %w", err)
	}
	defer rows.Close()
	var out []importer.Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, fmt.Errorf("find stale batches: %w", err)
		}
		out = append(out, *b)
	}
	return out, rows.Err()
}

// FailStaged fails staged rows of the batch, each with its message, and
// gives back the seats reserved for them (to pending assignments, oldest
// first), in one transaction. Rows no longer staged are left alone.
func (d *DB) FailStaged(ctx context.Context, batchID string, messages map[int]string) error {
	if len(messages) == 0 {
		return nil
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		return d.failStaged(ctx, tx, batchID, func(row int) (string, bool) {
			m, ok := messages[row]
			return m, ok
		})
	})
}

// CancelBatch ends an unfinished batch that no live run holds: its staged
// rows fail with reason and give back their seats at once, and the batch
// is cancelled. It returns how many rows it failed.
func (d *DB) CancelBatch(ctx context.Context, batchID, actor, reason string, staleBefore time.Time) (int, error) {
	var n int
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batches SET state = 'cancelled', owner = '', finished_at = ?
			WHERE id = ? AND state IN ('running', 'interrupted') AND (owner = '' OR heartbeat_at < ?)`),
			d.now(), batchID, staleBefore.UnixMicro())
		if err != nil {
			return fmt.Errorf("cancel batch: %w", err)
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return importer.Errorf(importer.ECONFLICT, "batch %s is finished or being run right now; it was not cancelled", batchID)
		}
		if err := d.failStaged(ctx, tx, batchID, func(int) (string, bool) { n++; return reason, true }); err != nil {
			return err
		}
		return d.audit(ctx, tx, actor, "import cancel", batchID, reason, batchID)
	})
	return n, err
}

// failStaged fails the staged rows of the batch that msg picks.
func (d *DB) failStaged(ctx context.Context, tx *sqlx.Tx, batchID string, msg func(row int) (string, bool)) error {
	var staged []struct {
		Row     int    `db:"row_number"`
		Payload string `db:"payload"`
	}
	if err := tx.SelectContext(ctx, &staged, tx.Rebind(`SELECT row_number, payload FROM batch_rows
		WHERE batch_id = ? AND state = 'staged' ORDER BY row_number`), batchID); err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	for _, s := range staged {
		m, ok := msg(s.Row)
		if !ok {
			continue
		}
		var p importer.Planned
		if err := json.Unmarshal([]byte(s.Payload), &p); err != nil {
			return fmt.Errorf("read journal row %d: %w", s.Row, err)
		}
		if err := d.failRow(ctx, tx, batchID, &p, m); err != nil {
			return err
		}
	}
	return nil
}

// BatchCounts returns the outcome counts of the batch's done rows.
func (d *DB) BatchCounts(ctx context.Context, batchID string) (importer.Counts, error) {
	var c importer.Counts
	err := d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT COUNT(*),
		COALESCE(SUM(CASE WHEN outcome = 'Created' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN outcome = 'Updated' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN outcome = 'Unchanged' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN outcome = 'Failed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(licenses_assigned), 0), COALESCE(SUM(licenses_pending), 0)
		FROM batch_rows WHERE batch_id = ? AND state = 'done'`), batchID).
		Scan(&c.Rows, &c.Created, &c.Updated, &c.Unchanged, &c.Failed, &c.LicensesAssigned, &c.LicensesPending)
	if err != nil {
		return c, fmt.Errorf("count results: %w", err)
	}
	return c, nil
}

// FinishBatch records the end state (importer.BatchDone or
// BatchInterrupted), with its counts, of a batch whose lease run holds,
// and frees the lease.
func (d *DB) FinishBatch(ctx context.Context, batchID, run, state string) (importer.Counts, error) {
	c, err := d.BatchCounts(ctx, batchID)
	if err != nil {
		return c, err
	}
	err = d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batches SET state = ?, finished_at = ?, rows_total = ?,
			created = ?, updated = ?, unchanged = ?, failed = ?, owner = '' WHERE id = ? AND owner = ?`),
			state, d.now(), c.Rows, c.Created, c.Updated, c.Unchanged, c.Failed, batchID, run)
		if err != nil {
			return fmt.Errorf("finish batch: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return importer.Errorf(importer.ECONFLICT, "batch %s was taken over by another run; that run finishes it", batchID)
		}
		var file, actor string
		if err := tx.QueryRowxContext(ctx, tx.Rebind(`SELECT file_name, acting_admin FROM batches WHERE id = ?`), batchID).Scan(&file, &actor); err != nil {
			return fmt.Errorf("finish batch: %w", err)
		}
		return d.audit(ctx, tx, actor, "import "+state, file, fmt.Sprintf("%d rows: %d created, %d updated, %d unchanged, %d failed",
			c.Rows, c.Created, c.Updated, c.Unchanged, c.Failed), batchID)
	})
	return c, err
}

var _ importer.Directory = (*DB)(nil)
