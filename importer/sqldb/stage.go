package sqldb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/jmoiron/sqlx"

	"userimport/importer"
)

var journalCols = []string{"batch_id", "row_number", "state", "action", "user_name", "display_name", "outcome",
	"license_status", "licenses", "message", "user_id", "payload", "licenses_assigned", "licenses_pending", "notice_needed"}

// Stage writes rows to the journal and gives each product's free seats to
// the rows' licenses in row order, all in one transaction. Products are
// locked in SKU order, so that two importers never deadlock.
func (d *DB) Stage(ctx context.Context, batchID string, rows []importer.JournalRow) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := d.stage(ctx, tx, batchID, rows, false)
		return err
	})
}

// StageAndProvision does Stage and Provision in one transaction, for rows
// that need no password hashing: the rows are journaled as done, with no
// plan kept for resuming. It returns the rows' results as journaled, in
// row order. If the transaction meets a conflict, it falls back to Stage
// and Provision, which fail only the conflicting rows, and returns no
// results: the journal has them.
func (d *DB) StageAndProvision(ctx context.Context, batchID, actor string, rows []importer.JournalRow) ([]importer.Result, error) {
	var work []importer.Work
	for _, jr := range rows {
		if jr.Plan != nil {
			work = append(work, importer.Work{Plan: jr.Plan})
		}
	}
	var results []importer.Result
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		rs, err := d.stage(ctx, tx, batchID, rows, true)
		if err != nil {
			return err
		}
		results = rs
		return d.provision(ctx, tx, batchID, actor, work, false)
	})
	if err == nil {
		return results, nil
	}
	if !errors.Is(err, errUnique) && importer.ErrorCode(err) != importer.ECONFLICT {
		return nil, err
	}
	for _, w := range work {
		for i := range w.Plan.Licenses {
			w.Plan.Licenses[i].Status = ""
		}
	}
	if err := d.Stage(ctx, batchID, rows); err != nil {
		return nil, err
	}
	_, err = d.Provision(ctx, batchID, actor, work)
	return nil, err
}

// stage reserves seats for rows in row order and journals them: planned
// rows as staged with their plan, or, when done is set (they are written
// in the same transaction), as done; then it returns the results it
// journaled, in row order.
func (d *DB) stage(ctx context.Context, tx *sqlx.Tx, batchID string, rows []importer.JournalRow, done bool) ([]importer.Result, error) {
	if err := d.reserveSeats(ctx, tx, rows); err != nil {
		return nil, err
	}
	vals := make([][]any, 0, len(rows))
	var results []importer.Result
	if done {
		results = make([]importer.Result, 0, len(rows))
	}
	for _, jr := range rows {
		if jr.Plan == nil {
			r := jr.Result
			licenses, err := licensesJSON(r.Licenses)
			if err != nil {
				return nil, fmt.Errorf("journal row %d: %w", jr.Row, err)
			}
			vals = append(vals, []any{batchID, jr.Row, "done", "", r.UserName, r.DisplayName, string(r.Outcome),
				r.LicenseStatus, licenses, r.Message, r.UserID, "", 0, 0, false})
			if done {
				res := *r
				res.Row = jr.Row
				results = append(results, res)
			}
			continue
		}
		p := jr.Plan
		outcome := p.Outcome()
		r := p.Result(outcome)
		state, written, payload := "staged", "", ""
		if done {
			state, written = "done", string(outcome)
			res := r
			res.Row = jr.Row
			results = append(results, res)
		} else {
			b, err := json.Marshal(p)
			if err != nil {
				return nil, fmt.Errorf("journal row %d: %w", jr.Row, err)
			}
			payload = string(b)
		}
		licenses, err := licensesJSON(r.Licenses)
		if err != nil {
			return nil, fmt.Errorf("journal row %d: %w", jr.Row, err)
		}
		assigned, pending := p.NewLicenses()
		vals = append(vals, []any{batchID, jr.Row, state, p.Action, r.UserName, r.DisplayName, written,
			r.LicenseStatus, licenses, r.Message, r.UserID, payload, assigned, pending,
			p.Action == importer.ActionCreate && p.NeedsPassword})
	}
	return results, d.insertRows(ctx, tx, "batch_rows", journalCols, vals)
}

// reserveSeats gives each product's free seats to the rows' licenses in
// row order, setting each PlannedLicense's Status, and counts them taken.
func (d *DB) reserveSeats(ctx context.Context, tx *sqlx.Tx, rows []importer.JournalRow) error {
	wants := map[string][]*importer.PlannedLicense{}
	for _, jr := range rows {
		if jr.Plan == nil {
			continue
		}
		for i := range jr.Plan.Licenses {
			l := &jr.Plan.Licenses[i]
			wants[l.SKU] = append(wants[l.SKU], l)
		}
	}
	skus := make([]string, 0, len(wants))
	for sku := range wants {
		skus = append(skus, sku)
	}
	sort.Strings(skus)
	for _, sku := range skus {
		id, seats, assigned, err := d.lockProduct(ctx, tx, sku)
		if err != nil {
			return err
		}
		grant := min(max(seats-assigned, 0), len(wants[sku]))
		for i, l := range wants[sku] {
			l.Status = importer.LicensePending
			if i < grant {
				l.Status = importer.LicenseAssigned
			}
		}
		if grant > 0 {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE products SET assigned = assigned + ? WHERE id = ?`), grant, id); err != nil {
				return mapErr(fmt.Errorf("reserve seats: %w", err))
			}
		}
	}
	return nil
}

// licensesJSON is how the journal keeps a row's licenses: "" for none.
func licensesJSON(ls []importer.LicenseResult) (string, error) {
	if len(ls) == 0 {
		return "", nil
	}
	b, err := json.Marshal(ls)
	return string(b), err
}
