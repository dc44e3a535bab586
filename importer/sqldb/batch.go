package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"

	"userimport/importer"
)

const batchColumns = `id, file_name, file_sha256, mode, options, source, acting_admin, state, results_name,
	notice_name, started_at, owner, heartbeat_at, recipient`

func scanBatch(row interface{ Scan(...any) error }) (*importer.Batch, error) {
	var b importer.Batch
	var started, heartbeat int64
	if err := row.Scan(&b.ID, &b.File, &b.SHA256, &b.Mode, &b.Options, &b.Source, &b.ActingAdmin, &b.State,
		&b.ResultsName, &b.NoticeName, &started, &b.Owner, &heartbeat, &b.Recipient); err != nil {
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
			acting_admin, state, started_at, owner, heartbeat_at, recipient) VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)`),
			b.ID, b.File, b.SHA256, b.Mode, b.Options, b.Source, b.ActingAdmin, b.Started.UnixMicro(), b.Owner, d.now(), b.Recipient); err != nil {
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
			WHERE id = ? AND state IN ('queued', 'running', 'interrupted', 'held') AND (owner = '' OR heartbeat_at < ?)`),
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
		// A held feed file that was pushed: its HR system sees it will not be applied.
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE feed_files SET state = 'rejected', message = ? WHERE batch_id = ? AND state = 'held'`),
			reason, batchID); err != nil {
			return fmt.Errorf("cancel batch: %w", err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batches SET
			rows_total = (SELECT COUNT(*) FROM batch_rows WHERE batch_id = ?),
			created = (SELECT COUNT(*) FROM batch_rows WHERE batch_id = ? AND outcome = 'Created'),
			updated = (SELECT COUNT(*) FROM batch_rows WHERE batch_id = ? AND outcome = 'Updated'),
			unchanged = (SELECT COUNT(*) FROM batch_rows WHERE batch_id = ? AND outcome = 'Unchanged'),
			failed = (SELECT COUNT(*) FROM batch_rows WHERE batch_id = ? AND outcome = 'Failed'),
			licenses_assigned = (SELECT COALESCE(SUM(licenses_assigned), 0) FROM batch_rows WHERE batch_id = ?),
			licenses_pending = (SELECT COALESCE(SUM(licenses_pending), 0) FROM batch_rows WHERE batch_id = ?)
			WHERE id = ?`), batchID, batchID, batchID, batchID, batchID, batchID, batchID, batchID); err != nil {
			return fmt.Errorf("cancel batch: %w", err)
		}
		return d.audit(ctx, tx, actor, "import cancel", batchID, reason, batchID)
	})
	return n, err
}

// failStaged fails the staged rows of the batch that msg picks.
func (d *DB) failStaged(ctx context.Context, tx *sqlx.Tx, batchID string, msg func(row int) (string, bool)) error {
	// One pass over the staged rows (streamed: only their numbers and the
	// seats they hold are kept), then the rows fail in bulk, one statement
	// per message and chunk, and each product gives its seats back at once.
	rows, err := tx.QueryxContext(ctx, tx.Rebind(`SELECT row_number, payload FROM batch_rows
		WHERE batch_id = ? AND state = 'staged' ORDER BY row_number`), batchID)
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	byMsg := map[string][]int{}
	seats := map[string]int{}
	for rows.Next() {
		var n int
		var payload string
		if err := rows.Scan(&n, &payload); err != nil {
			rows.Close()
			return fmt.Errorf("read journal: %w", err)
		}
		m, ok := msg(n)
		if !ok {
			continue
		}
		var p struct {
			Licenses []importer.PlannedLicense `json:"licenses"`
		}
		if err := json.Unmarshal([]byte(payload), &p); err != nil {
			rows.Close()
			return fmt.Errorf("read journal row %d: %w", n, err)
		}
		for _, l := range p.Licenses {
			if l.Status == importer.LicenseAssigned {
				seats[l.SKU]++
			}
		}
		byMsg[m] = append(byMsg[m], n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	for m, nums := range byMsg {
		for len(nums) > 0 {
			k := min(len(nums), 1000)
			q, args, err := d.inList(`UPDATE batch_rows SET state = 'done', payload = '', outcome = 'Failed', license_status = ?,
				licenses = '', message = ?, user_id = '', licenses_assigned = 0, licenses_pending = 0, notice_needed = FALSE
				WHERE batch_id = ? AND state = 'staged' AND row_number IN (?)`, importer.StatusNone, m, batchID, nums[:k])
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return fmt.Errorf("journal: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil || n != int64(k) {
				return fmt.Errorf("journal: %d of %d rows: the batch is being run by another process: %w", n, k, importer.ErrNotStaged)
			}
			nums = nums[k:]
		}
	}
	skus := make([]string, 0, len(seats))
	for sku := range seats {
		skus = append(skus, sku)
	}
	sort.Strings(skus) // products locked in SKU order, as staging does
	for _, sku := range skus {
		id, _, _, err := d.lockProduct(ctx, tx, sku)
		if err != nil {
			return err
		}
		if err := d.releaseSeats(ctx, tx, id, seats[sku]); err != nil {
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
func (d *DB) FinishBatch(ctx context.Context, batchID, run, state string, counted *importer.Counts) (importer.Counts, error) {
	var c importer.Counts
	if counted != nil {
		c = *counted
	} else {
		var err error
		if c, err = d.BatchCounts(ctx, batchID); err != nil {
			return c, err
		}
	}
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batches SET state = ?, finished_at = ?, rows_total = ?,
			created = ?, updated = ?, unchanged = ?, failed = ?, licenses_assigned = ?, licenses_pending = ?, owner = ''
			WHERE id = ? AND owner = ?`),
			state, d.now(), c.Rows, c.Created, c.Updated, c.Unchanged, c.Failed, c.LicensesAssigned, c.LicensesPending, batchID, run)
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

const batchInfoColumns = `b.id, b.file_name, b.file_sha256, b.mode, b.dry_run, b.source, b.acting_admin, b.state,
	b.created, b.updated, b.unchanged, b.failed, b.disabled, b.deleted, b.restored, b.licenses_assigned, b.licenses_pending,
	b.rows_total, b.started_at, b.finished_at, b.results_name, b.notice_name`

func scanBatchInfo(row interface{ Scan(...any) error }) (importer.BatchInfo, error) {
	var b importer.BatchInfo
	var started int64
	var finished sql.NullInt64
	err := row.Scan(&b.ID, &b.File, &b.SHA256, &b.Mode, &b.DryRun, &b.Source, &b.ActingAdmin, &b.State,
		&b.Created, &b.Updated, &b.Unchanged, &b.Failed, &b.Disabled, &b.Deleted, &b.Restored,
		&b.LicensesAssigned, &b.LicensesPending, &b.Rows, &started, &finished, &b.ResultsName, &b.NoticeName)
	b.StartedAt = time.UnixMicro(started)
	b.FinishedAt = nullTime(finished)
	b.Done = b.Rows
	return b, err
}

// liveCounts fills in the counts of a batch that has not ended from its
// journal.
func (d *DB) liveCounts(ctx context.Context, b *importer.BatchInfo) error {
	switch b.State {
	case importer.BatchDone, importer.BatchCancelled, importer.BatchFailed, importer.BatchPreview:
		return nil
	}
	var rows int
	err := d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT COUNT(*) FROM batch_rows WHERE batch_id = ?`), b.ID).Scan(&rows)
	if err != nil {
		return fmt.Errorf("count batch rows: %w", err)
	}
	c, err := d.BatchCounts(ctx, b.ID)
	if err != nil {
		return err
	}
	b.Rows, b.Done = rows, c.Rows
	b.Created, b.Updated, b.Unchanged, b.Failed = c.Created, c.Updated, c.Unchanged, c.Failed
	b.LicensesAssigned, b.LicensesPending = c.LicensesAssigned, c.LicensesPending
	return nil
}

// Batch returns one batch; ENOTFOUND when there is none with that ID.
func (d *DB) Batch(ctx context.Context, id string) (importer.BatchInfo, error) {
	b, err := scanBatchInfo(d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT `+batchInfoColumns+` FROM batches b WHERE b.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return b, importer.Errorf(importer.ENOTFOUND, "no batch %s: see `userimport batch list`", id)
	}
	if err != nil {
		return b, fmt.Errorf("read batch: %w", err)
	}
	return b, d.liveCounts(ctx, &b)
}

// Batches lists the batches, newest first: those not yet ended and the
// last 50 others, or with all every one.
func (d *DB) Batches(ctx context.Context, all bool) ([]importer.BatchInfo, error) {
	if all {
		return d.listBatches(ctx, "")
	}
	return d.listBatches(ctx, `WHERE b.state NOT IN ('done', 'cancelled', 'failed', 'preview')
		OR b.id IN (SELECT id FROM batches WHERE state IN ('done', 'cancelled', 'failed') ORDER BY started_at DESC LIMIT 50)`)
}

// FeedBatches returns the batches of source (a feed's) that are held, and
// its latest recent others, newest first. A held batch that was approved
// is not among them: the batch that applied it is.
func (d *DB) FeedBatches(ctx context.Context, source string, recent int) ([]importer.BatchInfo, error) {
	return d.listBatches(ctx, `WHERE b.source = ? AND (b.state = 'held' OR b.id IN
		(SELECT id FROM batches WHERE source = ? AND state NOT IN ('held', 'preview')
			AND id NOT IN (SELECT batch_id FROM feed_holds WHERE applied_as <> '')
			ORDER BY started_at DESC LIMIT ?))`, source, source, recent)
}

// listBatches returns the batches where says, newest first.
func (d *DB) listBatches(ctx context.Context, where string, args ...any) ([]importer.BatchInfo, error) {
	rows, err := d.db.QueryxContext(ctx, d.db.Rebind(`SELECT `+batchInfoColumns+` FROM batches b `+where+` ORDER BY b.started_at DESC, b.id`), args...)
	if err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	var out []importer.BatchInfo
	for rows.Next() {
		b, err := scanBatchInfo(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list batches: %w", err)
		}
		out = append(out, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list batches: %w", err)
	}
	for i := range out {
		if err := d.liveCounts(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SavePreview records a dry run as batch b.ID in state preview with its
// counts, replacing the batch's earlier preview (options changed and
// previewed again). A batch that has started is not touched (ECONFLICT).
func (d *DB) SavePreview(ctx context.Context, b *importer.Batch, s importer.Summary) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		var state string
		err := tx.QueryRowxContext(ctx, tx.Rebind(`SELECT state FROM batches WHERE id = ?`+d.forUpdate()), b.ID).Scan(&state)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO batches (id, file_name, file_sha256, mode, options, source,
				acting_admin, state, started_at, dry_run) VALUES (?, ?, ?, ?, ?, ?, ?, 'preview', ?, TRUE)`),
				b.ID, b.File, b.SHA256, b.Mode, b.Options, b.Source, b.ActingAdmin, b.Started.UnixMicro()); err != nil {
				return fmt.Errorf("record preview: %w", err)
			}
		case err != nil:
			return fmt.Errorf("record preview: %w", err)
		case state != importer.BatchPreview:
			return importer.Errorf(importer.ECONFLICT, "batch %s is %s, no preview any more", b.ID, state)
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE batches SET file_name = ?, file_sha256 = ?, mode = ?, options = ?,
			acting_admin = ?, results_name = ?, rows_total = ?, created = ?, updated = ?, unchanged = ?, failed = ?,
			licenses_assigned = ?, licenses_pending = ?, started_at = ?, finished_at = ? WHERE id = ?`),
			b.File, b.SHA256, b.Mode, b.Options, b.ActingAdmin, b.ResultsName, s.Rows, s.Created, s.Updated, s.Unchanged,
			s.Failed, s.LicensesAssigned, s.LicensesPending, s.Started.UnixMicro(), s.Finished.UnixMicro(), b.ID)
		if err != nil {
			return fmt.Errorf("record preview: %w", err)
		}
		return nil
	})
}

// AdoptBatch turns the preview batch b.ID into a running batch leased to
// b.Owner, for the file and options of b; ECONFLICT when it is no preview.
func (d *DB) AdoptBatch(ctx context.Context, b *importer.Batch) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batches SET state = 'running', dry_run = FALSE, file_name = ?,
			file_sha256 = ?, mode = ?, options = ?, source = ?, acting_admin = ?, owner = ?, heartbeat_at = ?, results_name = '', recipient = ?,
			rows_total = 0, created = 0, updated = 0, unchanged = 0, failed = 0, licenses_assigned = 0, licenses_pending = 0,
			started_at = ?, finished_at = NULL WHERE id = ? AND state = 'preview'`),
			b.File, b.SHA256, b.Mode, b.Options, b.Source, b.ActingAdmin, b.Owner, d.now(), b.Recipient, b.Started.UnixMicro(), b.ID)
		if err != nil {
			return fmt.Errorf("start batch: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return importer.Errorf(importer.ECONFLICT, "batch %s is no preview: it was started already", b.ID)
		}
		return d.audit(ctx, tx, b.ActingAdmin, "import start", b.File, b.Options, b.ID)
	})
}

var _ importer.Directory = (*DB)(nil)
var _ importer.BatchStore = (*DB)(nil)
