package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"userimport/importer"
)

// ChunkQueue inserts the jobs that provision chunks of a batch's staged
// rows, in a transaction of the directory, so that the jobs exist exactly
// when the rows are staged (package jobs implements it with River).
type ChunkQueue interface {
	EnqueueChunks(ctx context.Context, tx *sql.Tx, batchID string, chunks [][]int) error
}

// SetQueue makes StageChunks and Requeue insert their jobs through q. Call
// it before the directory is used by more than one goroutine.
func (d *DB) SetQueue(q ChunkQueue) { d.queue = q }

// HasQueue reports whether a job queue is set.
func (d *DB) HasQueue() bool { return d.queue != nil }

// StageChunks is Stage, and in the same transaction the jobs that
// provision the rows, one per chunk of row numbers, and the sealed
// passwords (by row) that the staging process gave.
func (d *DB) StageChunks(ctx context.Context, batchID string, rows []importer.JournalRow, chunks [][]int, sealed map[int]string) error {
	if d.queue == nil {
		return fmt.Errorf("stage chunks: no job queue")
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := d.stage(ctx, tx, batchID, rows, false); err != nil {
			return err
		}
		seals := make([][]any, 0, len(sealed))
		for row, s := range sealed {
			seals = append(seals, []any{batchID, int64(row), s})
		}
		if _, err := d.updateFrom(ctx, tx, "batch_rows", []column{{"batch_id", "text"}, {"row_number", "bigint"}, {"sealed", "text"}},
			seals, "sealed = t.sealed", "batch_rows.batch_id = t.batch_id AND batch_rows.row_number = t.row_number"); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		if len(chunks) == 0 {
			return nil
		}
		return d.queue.EnqueueChunks(ctx, tx.Tx, batchID, chunks)
	})
}

// Requeue inserts jobs for every staged row of the batch, chunks of size
// rows, and returns how many rows it queued: a resumed batch's rows get
// jobs again whatever became of the old ones (a job that runs after its
// rows were written does nothing).
func (d *DB) Requeue(ctx context.Context, batchID string, size int) (int, error) {
	if d.queue == nil {
		return 0, fmt.Errorf("requeue: no job queue")
	}
	var n int
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var rows []int
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT row_number FROM batch_rows
			WHERE batch_id = ? AND state = 'staged' ORDER BY row_number`), batchID); err != nil {
			return fmt.Errorf("read journal: %w", err)
		}
		n = len(rows)
		var chunks [][]int
		for len(rows) > 0 {
			k := min(size, len(rows))
			chunks = append(chunks, rows[:k:k])
			rows = rows[k:]
		}
		if len(chunks) == 0 {
			return nil
		}
		return d.queue.EnqueueChunks(ctx, tx.Tx, batchID, chunks)
	})
	return n, err
}

// StagedPlans returns the plans of the rows among rows that are still
// staged, in row order, with the batch's recipient (to seal passwords to)
// and its acting admin.
func (d *DB) StagedPlans(ctx context.Context, batchID string, rows []int) (plans []*importer.Planned, recipient, actor string, err error) {
	if err := d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT recipient, acting_admin FROM batches WHERE id = ?`), batchID).
		Scan(&recipient, &actor); err != nil {
		return nil, "", "", fmt.Errorf("read batch: %w", err)
	}
	if len(rows) == 0 {
		return nil, recipient, actor, nil
	}
	q, args, err := d.inList(`SELECT row_number, payload FROM batch_rows
		WHERE batch_id = ? AND state = 'staged' AND row_number IN (?) ORDER BY row_number`, batchID, rows)
	if err != nil {
		return nil, "", "", err
	}
	var staged []struct {
		Row     int    `db:"row_number"`
		Payload string `db:"payload"`
	}
	if err := d.db.SelectContext(ctx, &staged, q, args...); err != nil {
		return nil, "", "", fmt.Errorf("read journal: %w", err)
	}
	for _, s := range staged {
		p := new(importer.Planned)
		if err := json.Unmarshal([]byte(s.Payload), p); err != nil {
			return nil, "", "", fmt.Errorf("read journal row %d: %w", s.Row, err)
		}
		plans = append(plans, p)
	}
	return plans, recipient, actor, nil
}

// Staged returns how many rows of the batch are staged, and the first of
// them (0 when none).
func (d *DB) Staged(ctx context.Context, batchID string) (n, first int, err error) {
	var min sql.NullInt64
	if err := d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT COUNT(*), MIN(row_number) FROM batch_rows
		WHERE batch_id = ? AND state = 'staged'`), batchID).Scan(&n, &min); err != nil {
		return 0, 0, fmt.Errorf("read journal: %w", err)
	}
	return n, int(min.Int64), nil
}

// sealedPage is how many sealed passwords SealedPasswords reads at once.
const sealedPage = 1000

// SealedPasswords calls fn, in row order, for the first done rows of the
// batch that hold a sealed password (at most a thousand: memory stays
// flat however many a batch holds), with each user's name and must-change
// flag; the caller forgets them (ForgetSealed) and asks again for the next.
func (d *DB) SealedPasswords(ctx context.Context, batchID string, fn func(row int, upn string, mustChange bool, sealed string) error) error {
	var rows []struct {
		Row        int    `db:"row_number"`
		UPN        string `db:"upn"`
		MustChange bool   `db:"must_change_password"`
		Sealed     string `db:"sealed"`
	}
	if err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT b.row_number, u.upn, u.must_change_password, b.sealed
		FROM batch_rows b JOIN users u ON u.id = b.user_id
		WHERE b.batch_id = ? AND b.state = 'done' AND b.sealed <> '' ORDER BY b.row_number LIMIT ?`), batchID, sealedPage); err != nil {
		return fmt.Errorf("read sealed passwords: %w", err)
	}
	for _, r := range rows {
		if err := fn(r.Row, r.UPN, r.MustChange, r.Sealed); err != nil {
			return err
		}
	}
	return nil
}

// ForgetSealed deletes the sealed passwords of the batch's rows: their
// lines are on disk in the notice, or they can never be opened.
func (d *DB) ForgetSealed(ctx context.Context, batchID string, rows []int) error {
	if len(rows) == 0 {
		return nil
	}
	for len(rows) > 0 {
		k := min(len(rows), sealedPage)
		q, args, err := d.inList(`UPDATE batch_rows SET sealed = ''
			WHERE batch_id = ? AND row_number IN (?)`, batchID, rows[:k])
		if err != nil {
			return err
		}
		if _, err := d.db.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("forget sealed passwords: %w", err)
		}
		rows = rows[k:]
	}
	return nil
}

// SetRecipient records the age recipient the batch's passwords are sealed
// to.
func (d *DB) SetRecipient(ctx context.Context, batchID, recipient string) error {
	if _, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE batches SET recipient = ? WHERE id = ?`), recipient, batchID); err != nil {
		return fmt.Errorf("record the batch's key: %w", err)
	}
	return nil
}

// sealRows stores the sealed passwords of work in the journal, in the
// transaction that writes their users.
func (d *DB) sealRows(ctx context.Context, tx *sqlx.Tx, batchID string, work []importer.Work) error {
	for _, w := range work {
		if w.Sealed == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batch_rows SET sealed = ? WHERE batch_id = ? AND row_number = ?`),
			w.Sealed, batchID, w.Plan.Row); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
	}
	return nil
}
