package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"userimport/importer"
)

// Journal calls fn for every journaled row in row order: plan is nil for a
// done row, the staged plan for one that is not.
func (d *DB) Journal(ctx context.Context, batchID string, fn func(row int, plan *importer.Planned) error) error {
	rows, err := d.db.QueryContext(ctx, d.db.Rebind(`SELECT row_number, state, payload FROM batch_rows
		WHERE batch_id = ? ORDER BY row_number`), batchID)
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n int
		var state, payload string
		if err := rows.Scan(&n, &state, &payload); err != nil {
			return fmt.Errorf("read journal: %w", err)
		}
		var p *importer.Planned
		if state == "staged" {
			p = new(importer.Planned)
			if err := json.Unmarshal([]byte(payload), p); err != nil {
				return fmt.Errorf("read journal row %d: %w", n, err)
			}
		}
		if err := fn(n, p); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Unnoticed calls fn for each user the batch created with a password that
// is not yet known to be in the notice and is not kept sealed either: a
// password nobody can know any more.
func (d *DB) Unnoticed(ctx context.Context, batchID string, fn func(row int, upn string, mustChange bool) error) error {
	type row struct {
		Row        int    `db:"row_number"`
		UPN        string `db:"upn"`
		MustChange bool   `db:"must_change_password"`
	}
	var rows []row
	if err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT b.row_number, u.upn, u.must_change_password FROM batch_rows b
		JOIN users u ON u.id = b.user_id
		WHERE b.batch_id = ? AND b.state = 'done' AND b.outcome = 'Created' AND b.notice_needed AND NOT b.noticed
		AND b.sealed = ''
		ORDER BY b.row_number`), batchID); err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	for _, r := range rows {
		if err := fn(r.Row, r.UPN, r.MustChange); err != nil {
			return err
		}
	}
	return nil
}

// MarkNoticed records that the passwords of these rows' users are on disk
// in the notice.
func (d *DB) MarkNoticed(ctx context.Context, batchID string, rows []int) error {
	if len(rows) == 0 {
		return nil
	}
	for len(rows) > 0 {
		k := min(len(rows), 1000)
		q, args, err := d.inList(`UPDATE batch_rows SET noticed = TRUE
			WHERE batch_id = ? AND state = 'done' AND notice_needed AND row_number IN (?)`, batchID, rows[:k])
		if err != nil {
			return err
		}
		if _, err := d.db.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		rows = rows[k:]
	}
	return nil
}

// maxDecoded bounds the license lists Results keeps decoded.
const maxDecoded = 256

// Results calls fn with the result of each done row numbered first to last
// (last 0: to the end), in row order, streaming.
func (d *DB) Results(ctx context.Context, batchID string, first, last int, fn func(importer.Result) error) error {
	if last <= 0 {
		last = 1<<31 - 1
	}
	rows, err := d.db.QueryContext(ctx, d.db.Rebind(`SELECT row_number, user_name, display_name, outcome, license_status,
		licenses, message, user_id FROM batch_rows WHERE batch_id = ? AND state = 'done' AND row_number BETWEEN ? AND ?
		ORDER BY row_number`), batchID, first, last)
	if err != nil {
		return fmt.Errorf("read results: %w", err)
	}
	defer rows.Close()
	// Most rows of a batch hold one of a few license lists: each is
	// decoded once, and every row gets its own copy.
	decoded := map[string][]importer.LicenseResult{}
	for rows.Next() {
		var r importer.Result
		var outcome, licenses string
		if err := rows.Scan(&r.Row, &r.UserName, &r.DisplayName, &outcome, &r.LicenseStatus, &licenses, &r.Message, &r.UserID); err != nil {
			return fmt.Errorf("read results: %w", err)
		}
		r.Outcome = importer.Outcome(outcome)
		if licenses != "" {
			ls, ok := decoded[licenses]
			if !ok {
				if err := json.Unmarshal([]byte(licenses), &ls); err != nil {
					return fmt.Errorf("read results: row %d: %w", r.Row, err)
				}
				if len(decoded) == maxDecoded {
					clear(decoded)
				}
				decoded[licenses] = ls
			}
			r.Licenses = slices.Clone(ls)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}
