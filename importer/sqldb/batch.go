package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"userimport/importer"
)

// ResumableBatch returns the newest unfinished batch of the file, or nil.
func (d *DB) ResumableBatch(ctx context.Context, sha256, mode string) (*importer.Batch, error) {
	var b importer.Batch
	var started, heartbeat int64
	err := d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT id, file_name, file_sha256, mode, options, acting_admin,
		notice_path, started_at, owner, heartbeat_at FROM batches
		WHERE file_sha256 = ? AND mode = ? AND state IN ('running', 'interrupted')
		ORDER BY started_at DESC LIMIT 1`), sha256, mode).
		Scan(&b.ID, &b.File, &b.SHA256, &b.Mode, &b.Options, &b.ActingAdmin, &b.NoticePath, &started, &b.Owner, &heartbeat)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find unfinished batch: %w", err)
	}
	b.Started = time.UnixMicro(started)
	b.Heartbeat = time.UnixMicro(heartbeat)
	return &b, nil
}

// ClaimBatch makes owner the batch's owner if it is still oldOwner's.
func (d *DB) ClaimBatch(ctx context.Context, batchID, oldOwner, owner string) (bool, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE batches SET owner = ?, heartbeat_at = ?, state = 'running'
		WHERE id = ? AND owner = ?`), owner, d.now(), batchID, oldOwner)
	if err != nil {
		return false, fmt.Errorf("claim batch: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Heartbeat records that the batch's owner is alive.
func (d *DB) Heartbeat(ctx context.Context, batchID string) error {
	if _, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE batches SET heartbeat_at = ? WHERE id = ?`), d.now(), batchID); err != nil {
		return fmt.Errorf("batch heartbeat: %w", err)
	}
	return nil
}

// CreateBatch records a new, running batch.
func (d *DB) CreateBatch(ctx context.Context, b *importer.Batch) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO batches (id, file_name, file_sha256, mode, options,
			acting_admin, state, started_at, owner, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)`),
			b.ID, b.File, b.SHA256, b.Mode, b.Options, b.ActingAdmin, b.Started.UnixMicro(), b.Owner, d.now()); err != nil {
			return fmt.Errorf("create batch: %w", err)
		}
		return d.audit(ctx, tx, b.ActingAdmin, "import start", b.File, b.Options, b.ID)
	})
}

// SetNoticePath records where the batch's credentials notice is.
func (d *DB) SetNoticePath(ctx context.Context, batchID, path string) error {
	if _, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE batches SET notice_path = ? WHERE id = ?`), path, batchID); err != nil {
		return fmt.Errorf("record notice path: %w", err)
	}
	return nil
}

// FinishBatch records the batch's end state and returns its counts.
func (d *DB) FinishBatch(ctx context.Context, batchID, state string) (importer.Counts, error) {
	var c importer.Counts
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.QueryRowxContext(ctx, tx.Rebind(`SELECT COUNT(*),
			COALESCE(SUM(CASE WHEN outcome = 'Created' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN outcome = 'Updated' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN outcome = 'Unchanged' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN outcome = 'Failed' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(licenses_assigned), 0), COALESCE(SUM(licenses_pending), 0)
			FROM batch_rows WHERE batch_id = ? AND state = 'done'`), batchID).
			Scan(&c.Rows, &c.Created, &c.Updated, &c.Unchanged, &c.Failed, &c.LicensesAssigned, &c.LicensesPending)
		if err != nil {
			return fmt.Errorf("count results: %w", err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batches SET state = ?, finished_at = ?, rows_total = ?,
			created = ?, updated = ?, unchanged = ?, failed = ? WHERE id = ?`),
			state, d.now(), c.Rows, c.Created, c.Updated, c.Unchanged, c.Failed, batchID); err != nil {
			return fmt.Errorf("finish batch: %w", err)
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
