package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/sync/errgroup"

	"userimport/importer"
)

// ScanRows records rows of a feed's file under scanID, in bulk.
func (d *DB) ScanRows(ctx context.Context, scanID string, rows []importer.ScanRow) error {
	if len(rows) == 0 {
		return nil
	}
	vals := make([][]any, len(rows))
	for i, r := range rows {
		vals[i] = []any{scanID, r.EmpKey, r.Leaver, r.StartsAt}
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		return d.insertRows(ctx, tx, "feed_rows", []string{"scan_id", "emp_key", "leaver", "starts_at"}, vals)
	})
}

// DropScan forgets a scan's rows.
func (d *DB) DropScan(ctx context.Context, scanID string) error {
	if _, err := d.db.ExecContext(ctx, d.db.Rebind(`DELETE FROM feed_rows WHERE scan_id = ?`), scanID); err != nil {
		return fmt.Errorf("drop scan: %w", err)
	}
	return nil
}

// leaverWhere selects, in users AS u, the leavers of a feed (source ?) for
// a scan (scan ?): its active users whose employee ID is not among the
// scan's rows that are no leavers. protect adds the rule that keeps a
// Global admin from an acting admin who is none.
func leaverWhere(protect bool) string {
	// A user without an employee ID matches no row (= NULL is never
	// true), and so is a leaver: no OR for it, which would keep
	// PostgreSQL from planning NOT EXISTS as one (hash) anti-join, and make
	// it probe the scan once per user.
	w := `u.source = ? AND u.deleted_at IS NULL AND u.feed_left_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM feed_rows r
			WHERE r.scan_id = ? AND r.emp_key = u.employee_id_key AND r.leaver = FALSE)`
	if protect {
		w += ` AND NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id AND ur.role = '` + string(importer.GlobalAdmin) + `')`
	}
	return w
}

// Leavers returns the feed's leavers for the scan, by user name, and the
// number of the feed's active users: one set-based statement over the
// feed's users and the scan's rows.
func (d *DB) Leavers(ctx context.Context, source, scanID string) ([]importer.Leaver, int, error) {
	if d.dialect == Postgres {
		// The scan's rows arrived a moment ago: without statistics the
		// planner guesses their number, and the set-based statements over
		// them and the users pick slow plans. Its sizes are what matter,
		// which a small sample tells (a third of the time of the default).
		err := d.inTx(ctx, func(tx *sqlx.Tx) error {
			_, err := tx.ExecContext(ctx, `SET LOCAL default_statistics_target = 10; ANALYZE feed_rows`)
			return err
		})
		if err != nil {
			return nil, 0, fmt.Errorf("analyze scan: %w", err)
		}
	}
	// Two reads of their own: the count runs beside the leavers.
	var ls []importer.Leaver
	var n int
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { ls, err = d.leavers(gctx, d.db, source, scanID, false); return err })
	g.Go(func() (err error) { n, err = d.FeedUsers(gctx, source); return err })
	if err := g.Wait(); err != nil {
		return nil, 0, err
	}
	return ls, n, nil
}

func (d *DB) leavers(ctx context.Context, q sqlx.QueryerContext, source, scanID string, protect bool) ([]importer.Leaver, error) {
	rows, err := q.QueryContext(ctx, d.db.Rebind(`SELECT u.id, u.upn, u.display_name, COALESCE(u.employee_id, ''),
		CASE WHEN u.employee_id_key IS NOT NULL AND EXISTS (SELECT 1 FROM feed_rows r WHERE r.scan_id = ? AND r.emp_key = u.employee_id_key)
			THEN 1 ELSE 0 END
		FROM users u WHERE `+leaverWhere(protect)+` ORDER BY u.upn_key`), scanID, source, scanID)
	if err != nil {
		return nil, fmt.Errorf("find leavers: %w", err)
	}
	defer rows.Close()
	var out []importer.Leaver
	for rows.Next() {
		var l importer.Leaver
		var byStatus int
		if err := rows.Scan(&l.UserID, &l.UserName, &l.DisplayName, &l.EmployeeID, &byStatus); err != nil {
			return nil, fmt.Errorf("find leavers: %w", err)
		}
		l.ByStatus = byStatus == 1
		out = append(out, l)
	}
	return out, rows.Err()
}

// DisableLeavers blocks the sign-in of the feed's leavers for the scan and
// marks them left at now; with deleteNow it also soft-deletes them, which
// frees their seats for pending assignments, oldest first. The acting
// admin's roles are read in the same transaction: one who may not change
// users disables nobody (EFORBIDDEN), and only a Global admin's feed
// disables a Global admin. It returns the leavers.
func (d *DB) DisableLeavers(ctx context.Context, actor, source, scanID, batchID string, now time.Time, deleteNow bool) ([]importer.Leaver, error) {
	var out []importer.Leaver
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		a, err := d.user(ctx, tx, actor)
		if err != nil {
			return err
		}
		if err := importer.Authorize(a, importer.ManageFeeds()); err != nil {
			return err
		}
		ls, err := d.leavers(ctx, tx, source, scanID, !a.HasRole(importer.GlobalAdmin))
		if err != nil || len(ls) == 0 {
			return err
		}
		ids := make([]string, len(ls))
		for i, l := range ls {
			ids[i] = l.UserID
		}
		t := now.UnixMicro()
		q, args, err := d.expandIn(`UPDATE users SET blocked = TRUE, feed_left_at = ?, updated_at = ? WHERE id IN (?)`, t, t, ids)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
			return fmt.Errorf("disable leavers: %w", err)
		}
		if deleteNow {
			if err := d.deleteUsers(ctx, tx, ids, t); err != nil {
				return err
			}
		}
		names := make([]string, len(ls))
		for i, l := range ls {
			names[i] = l.UserName
		}
		action := "feed disable"
		if deleteNow {
			action = "feed delete"
		}
		out = ls
		return d.audit(ctx, tx, actor, action, strings.Join(names, ", "), source+": not in the file, or a leaver in it", batchID)
	})
	return out, err
}

// deleteUsers soft-deletes the users ids at t in a few statements: their
// assigned seats are freed, product by product, and go to pending
// assignments, oldest first.
func (d *DB) deleteUsers(ctx context.Context, tx *sqlx.Tx, ids []string, t int64) error {
	if len(ids) == 0 {
		return nil
	}
	q, args, err := d.expandIn(`SELECT product_id, COUNT(*) FROM license_assignments WHERE status = 'assigned' AND user_id IN (?) GROUP BY product_id ORDER BY product_id`, ids)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, tx.Rebind(q), args...)
	if err != nil {
		return fmt.Errorf("count seats of deleted users: %w", err)
	}
	freed := map[int64]int{}
	var products []int64
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return fmt.Errorf("count seats of deleted users: %w", err)
		}
		freed[id] = n
		products = append(products, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("count seats of deleted users: %w", err)
	}
	for _, id := range products { // in id order, as every seat change locks them
		if _, err := tx.ExecContext(ctx, tx.Rebind(`SELECT id FROM products WHERE id = ?`+d.forUpdate()), id); err != nil {
			return fmt.Errorf("lock product: %w", err)
		}
	}
	q, args, err = d.expandIn(`UPDATE license_assignments SET status = 'suspended', assigned_at = NULL WHERE user_id IN (?)`, ids)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
		return fmt.Errorf("suspend licenses: %w", err)
	}
	q, args, err = d.expandIn(`UPDATE users SET deleted_at = ?, updated_at = ? WHERE deleted_at IS NULL AND id IN (?)`, t, t, ids)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
		return fmt.Errorf("delete users: %w", err)
	}
	for _, id := range products {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE products SET assigned = assigned - ? WHERE id = ?`), freed[id], id); err != nil {
			return mapErr(fmt.Errorf("free seats: %w", err))
		}
		if _, err := d.fillPending(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}

// Rehire brings back the feed's users whose employee IDs are rows of the
// scan that are no leavers and who left (blocked by the feed, or deleted):
// sign-in allowed again, and a deleted one restored with its licenses,
// assigned where a seat is free, else pending. It returns the lower-cased
// employee IDs of those it brought back. With dryRun it only finds them:
// among them the leavers of elsewhere that Adopt, for real, would have
// made the feed's users first (those not deleted).
func (d *DB) Rehire(ctx context.Context, actor, source, scanID, batchID string, now time.Time, dryRun bool) (map[string]bool, error) {
	out := map[string]bool{}
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		rows, err := tx.QueryContext(ctx, tx.Rebind(`SELECT u.id, u.upn, u.employee_id_key, u.deleted_at IS NOT NULL FROM users u
			WHERE (u.source = ? OR (? AND u.deleted_at IS NULL)) AND (u.feed_left_at IS NOT NULL OR u.deleted_at IS NOT NULL)
			AND EXISTS (SELECT 1 FROM feed_rows r WHERE r.scan_id = ? AND r.emp_key = u.employee_id_key AND r.leaver = FALSE)
			ORDER BY u.upn_key`), source, dryRun, scanID)
		if err != nil {
			return fmt.Errorf("find rehires: %w", err)
		}
		type back struct {
			id, upn, emp string
			deleted      bool
		}
		var bs []back
		for rows.Next() {
			var b back
			if err := rows.Scan(&b.id, &b.upn, &b.emp, &b.deleted); err != nil {
				rows.Close()
				return fmt.Errorf("find rehires: %w", err)
			}
			bs = append(bs, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, b := range bs {
			out[b.emp] = true
		}
		if dryRun || len(bs) == 0 {
			return nil
		}
		a, err := d.user(ctx, tx, actor)
		if err != nil {
			return err
		}
		if err := importer.Authorize(a, importer.ManageFeeds()); err != nil {
			return err
		}
		t := now.UnixMicro()
		var names []string
		for _, b := range bs {
			if b.deleted {
				if err := d.restoreLicenses(ctx, tx, b.id, t); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET blocked = FALSE, feed_left_at = NULL, deleted_at = NULL, updated_at = ?
				WHERE id = ?`), t, b.id); err != nil {
				return fmt.Errorf("rehire: %w", err)
			}
			names = append(names, b.upn)
		}
		return d.audit(ctx, tx, actor, "feed rehire", strings.Join(names, ", "), source, batchID)
	})
	return out, err
}

// restoreLicenses puts back a deleted user's suspended licenses: assigned
// where a seat is free, else pending (behind those waiting already).
func (d *DB) restoreLicenses(ctx context.Context, tx *sqlx.Tx, userID string, t int64) error {
	var pids []int64
	if err := tx.SelectContext(ctx, &pids, tx.Rebind(`SELECT product_id FROM license_assignments WHERE user_id = ? AND status = 'suspended' ORDER BY product_id`), userID); err != nil {
		return fmt.Errorf("restore licenses: %w", err)
	}
	for _, pid := range pids {
		var seats, assigned int
		if err := tx.QueryRowxContext(ctx, tx.Rebind(`SELECT seats, assigned FROM products WHERE id = ?`+d.forUpdate()), pid).Scan(&seats, &assigned); err != nil {
			return fmt.Errorf("lock product: %w", err)
		}
		status, at := importer.LicensePending, any(nil)
		if assigned < seats {
			status, at = importer.LicenseAssigned, t
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE products SET assigned = assigned + 1 WHERE id = ?`), pid); err != nil {
				return mapErr(fmt.Errorf("take seat: %w", err))
			}
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE license_assignments SET status = ?, requested_at = ?, queue_pos = 0, assigned_at = ?
			WHERE user_id = ? AND product_id = ?`), status, t, at, userID, pid); err != nil {
			return fmt.Errorf("restore license: %w", err)
		}
	}
	return nil
}

// Adopt makes the users (not deleted) whose employee IDs are rows of the
// scan, and who came from elsewhere (by hand, another feed), users of the
// feed. It returns their lower-cased employee IDs with the source they had.
// With dryRun it only finds them.
func (d *DB) Adopt(ctx context.Context, actor, source, scanID, batchID string, dryRun bool) (map[string]string, error) {
	out := map[string]string{}
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		// source < ? OR source > ?, not <>: users from elsewhere are
		// few, and the index on source finds them, which <> would not.
		const where = ` FROM users u WHERE (u.source < ? OR u.source > ?) AND u.deleted_at IS NULL AND u.employee_id_key IS NOT NULL
			AND EXISTS (SELECT 1 FROM feed_rows r WHERE r.scan_id = ? AND r.emp_key = u.employee_id_key AND r.leaver = FALSE)`
		rows, err := tx.QueryContext(ctx, tx.Rebind(`SELECT u.employee_id_key, u.source, u.upn`+where+` ORDER BY u.upn_key`), source, source, scanID)
		if err != nil {
			return fmt.Errorf("find users to adopt: %w", err)
		}
		var names []string
		for rows.Next() {
			var emp, src, upn string
			if err := rows.Scan(&emp, &src, &upn); err != nil {
				rows.Close()
				return fmt.Errorf("find users to adopt: %w", err)
			}
			out[emp] = src
			names = append(names, upn)
		}
		rows.Close()
		if err := rows.Err(); err != nil || dryRun || len(out) == 0 {
			return err
		}
		a, err := d.user(ctx, tx, actor)
		if err != nil {
			return err
		}
		if err := importer.Authorize(a, importer.ManageFeeds()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET source = ? WHERE id IN (SELECT u.id`+where+`)`), source, source, source, scanID); err != nil {
			return fmt.Errorf("adopt users: %w", err)
		}
		return d.audit(ctx, tx, actor, "feed adopt", strings.Join(names, ", "), source, batchID)
	})
	return out, err
}

// ByEmployeeID returns the users (deleted ones too) whose lower-cased
// employee IDs are keys, by that key, with their roles and licenses: one
// query for the users, one for their licenses, and one for the roles of
// those that have any (the first query tells which: few users have roles).
func (d *DB) ByEmployeeID(ctx context.Context, keys []string) (map[string]importer.EmployeeUser, error) {
	out := make(map[string]importer.EmployeeUser, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	q, args, err := d.inList(`SELECT u.feed_left_at IS NOT NULL, EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id), `+
		userColumns()+` FROM `+d.byKeys("employee_id_key")("users", "u"), keys)
	if err != nil {
		return nil, err
	}
	rows, err := d.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("look up employee IDs: %w", err)
	}
	defer rows.Close()
	byID := make(map[string]*importer.User, len(keys))
	ids := make([]string, 0, len(keys))
	var roled []string // the IDs of those that have roles
	for rows.Next() {
		var left, hasRoles bool
		u := new(importer.User)
		if err := scanUserInto(rows, u, &left, &hasRoles); err != nil {
			return nil, fmt.Errorf("look up employee IDs: %w", err)
		}
		if byID[u.ID] != nil {
			continue // a key given twice
		}
		byID[u.ID] = u
		ids = append(ids, u.ID)
		if hasRoles {
			roled = append(roled, u.ID)
		}
		out[strings.ToLower(u.EmployeeID)] = importer.EmployeeUser{User: u, Left: left}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("look up employee IDs: %w", err)
	}
	rows.Close()
	if len(roled) > 0 {
		if err := d.attachRoles(ctx, d.db, byID, d.byKeys("user_id"), roled); err != nil {
			return nil, err
		}
	}
	if len(ids) > 0 {
		if err := d.attachLicenses(ctx, d.db, byID, d.byKeys("user_id"), ids); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// TakenUPNs returns which of the lower-cased user names upnKeys belong to
// a user, deleted ones included: one query.
func (d *DB) TakenUPNs(ctx context.Context, upnKeys []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(upnKeys) == 0 {
		return out, nil
	}
	q, args, err := d.inList(`SELECT u.upn_key FROM `+d.byKeys("upn_key")("users", "u"), upnKeys)
	if err != nil {
		return nil, err
	}
	var ks []string
	if err := d.db.SelectContext(ctx, &ks, q, args...); err != nil {
		return nil, fmt.Errorf("look up user names: %w", err)
	}
	for _, k := range ks {
		out[k] = true
	}
	return out, nil
}

// SetStartDates records, for the feed's users created blocked since since
// whose rows in the scan start after now, the start date on which
// housekeeping enables them.
func (d *DB) SetStartDates(ctx context.Context, source, scanID string, since, now time.Time) error {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE users SET starts_at = (SELECT MAX(r.starts_at) FROM feed_rows r
			WHERE r.scan_id = ? AND r.emp_key = users.employee_id_key)
		WHERE source = ? AND blocked = TRUE AND created_at >= ? AND deleted_at IS NULL
		AND EXISTS (SELECT 1 FROM feed_rows r WHERE r.scan_id = ? AND r.emp_key = users.employee_id_key AND r.starts_at > ?)`),
		scanID, source, since.UnixMicro(), scanID, now.UnixMicro())
	if err != nil {
		return fmt.Errorf("record start dates: %w", err)
	}
	return nil
}

// HoldBatch records a held feed batch: its batch row (state held, nothing
// written; what it would disable is the hold's, not the batch's Disabled)
// and what approving it needs.
func (d *DB) HoldBatch(ctx context.Context, b importer.Batch, h importer.Hold) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO batches (id, file_name, file_sha256, mode, options, source, acting_admin,
			state, started_at, rows_total) VALUES (?, ?, ?, ?, ?, ?, ?, 'held', ?, ?)`),
			b.ID, b.File, b.SHA256, b.Mode, b.Options, b.Source, b.ActingAdmin, b.Started.UnixMicro(), h.Rows); err != nil {
			return fmt.Errorf("hold batch: %w", err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO feed_holds (batch_id, feed, path, file_name, rows_total, leavers, active, reason)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), b.ID, h.Feed, h.Path, h.FileName, h.Rows, h.Leavers, h.Active, h.Reason); err != nil {
			return fmt.Errorf("hold batch: %w", err)
		}
		return d.audit(ctx, tx, b.ActingAdmin, "feed hold", h.Feed, h.Reason, b.ID)
	})
}

// HeldBatch returns the hold of a batch in state held; ENOTFOUND when the
// batch does not exist, ECONFLICT when it is not held.
func (d *DB) HeldBatch(ctx context.Context, batchID string) (importer.Hold, error) {
	var h importer.Hold
	var state string
	var at int64
	err := d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT state, file_sha256, started_at FROM batches WHERE id = ?`), batchID).Scan(&state, &h.SHA256, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return h, importer.Errorf(importer.ENOTFOUND, "no batch %s: see `userimport batch list`", batchID)
	}
	if err != nil {
		return h, fmt.Errorf("find batch: %w", err)
	}
	err = d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT feed, path, file_name, rows_total, leavers, active, reason FROM feed_holds WHERE batch_id = ?`), batchID).
		Scan(&h.Feed, &h.Path, &h.FileName, &h.Rows, &h.Leavers, &h.Active, &h.Reason)
	if errors.Is(err, sql.ErrNoRows) || state != importer.BatchHeld {
		return h, importer.Errorf(importer.ECONFLICT, "batch %s is %s, not held: only a held feed batch is approved", batchID, state)
	}
	h.BatchID, h.At = batchID, time.UnixMicro(at).UTC()
	return h, err
}

// ClaimHeld gives held batch batchID to run, the approval about to apply
// it, unless another approval holds it and renewed its claim (Heartbeat)
// since staleBefore: of two approving at once, in any processes, one wins.
// A claimed batch cannot be cancelled (CancelBatch).
func (d *DB) ClaimHeld(ctx context.Context, batchID, run string, staleBefore time.Time) (bool, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE batches SET owner = ?, heartbeat_at = ?
		WHERE id = ? AND state = 'held' AND (owner = '' OR heartbeat_at < ?)`), run, d.now(), batchID, staleBefore.UnixMicro())
	if err != nil {
		return false, fmt.Errorf("claim held batch: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseHeld gives up run's claim of a held batch whose approval failed:
// it is held again, to be approved or cancelled.
func (d *DB) ReleaseHeld(ctx context.Context, batchID, run string) error {
	if _, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE batches SET owner = '' WHERE id = ? AND state = 'held' AND owner = ?`), batchID, run); err != nil {
		return fmt.Errorf("release held batch: %w", err)
	}
	return nil
}

// EndHold ends a held batch that was approved and applied as the batch
// appliedAs (a cancelled one ends by CancelBatch). Of two approvals ending
// it at once, one does; the other gets ECONFLICT.
func (d *DB) EndHold(ctx context.Context, actor, batchID, appliedAs string, at time.Time) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batches SET state = 'done', finished_at = ?, owner = '' WHERE id = ? AND state = 'held'`), at.UnixMicro(), batchID)
		if err != nil {
			return fmt.Errorf("end hold: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return importer.Errorf(importer.ECONFLICT, "batch %s is no longer held", batchID)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE feed_holds SET applied_as = ? WHERE batch_id = ?`), appliedAs, batchID); err != nil {
			return fmt.Errorf("end hold: %w", err)
		}
		// The file's HR system sees it applied, by the new batch.
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE feed_files SET state = 'done', batch_id = ?, message = ? WHERE batch_id = ? AND state = 'held'`),
			appliedAs, "approved by "+actor, batchID); err != nil {
			return fmt.Errorf("end hold: %w", err)
		}
		return d.audit(ctx, tx, actor, "batch approve", batchID, appliedAs, batchID)
	})
}

// SetSyncCounts records a feed batch's leaver and rehire counts.
func (d *DB) SetSyncCounts(ctx context.Context, batchID string, disabled, deleted, restored int) error {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE batches SET disabled = ?, deleted = ?, restored = ? WHERE id = ?`), disabled, deleted, restored, batchID)
	if err != nil {
		return fmt.Errorf("record sync counts: %w", err)
	}
	return nil
}

// Housekeep does the daily chores for the whole directory at now: it
// deletes the feeds' leavers disabled longer than their feed's
// --delete-after days (their seats go to pending assignments, oldest
// first), enables future starters whose start has come, purges users
// deleted more than importer.RestoreWindow ago, ends the web sessions that
// ended unused, and forgets passwords no notice took within
// importer.NoticeLifetime. Each chore is a few set-based statements.
func (d *DB) Housekeep(ctx context.Context, now time.Time) (importer.Chores, error) {
	var c importer.Chores
	feeds, err := d.Feeds(ctx)
	if err != nil {
		return c, err
	}
	t := now.UnixMicro()
	err = d.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, f := range feeds {
			cutoff := now.Add(-time.Duration(f.DeleteAfter) * 24 * time.Hour).UnixMicro()
			var ids, names []string
			rows, err := tx.QueryContext(ctx, tx.Rebind(`SELECT id, upn FROM users WHERE source = ? AND deleted_at IS NULL
				AND feed_left_at IS NOT NULL AND feed_left_at <= ? ORDER BY upn_key`), f.Source(), cutoff)
			if err != nil {
				return fmt.Errorf("find leavers to delete: %w", err)
			}
			for rows.Next() {
				var id, upn string
				if err := rows.Scan(&id, &upn); err != nil {
					rows.Close()
					return err
				}
				ids, names = append(ids, id), append(names, upn)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if len(ids) == 0 {
				continue
			}
			if err := d.deleteUsers(ctx, tx, ids, t); err != nil {
				return err
			}
			c.Deleted += len(ids)
			if err := d.audit(ctx, tx, "system", "feed delete", strings.Join(names, ", "),
				fmt.Sprintf("%s: left more than %d days ago", f.Source(), f.DeleteAfter), ""); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET blocked = FALSE, starts_at = NULL, updated_at = ?
			WHERE starts_at IS NOT NULL AND starts_at <= ? AND deleted_at IS NULL AND feed_left_at IS NULL`), t, t)
		if err != nil {
			return fmt.Errorf("enable starters: %w", err)
		}
		n, _ := res.RowsAffected()
		c.Enabled = int(n)
		var purged []string
		cut := now.Add(-importer.RestoreWindow).UnixMicro()
		if err := tx.SelectContext(ctx, &purged, tx.Rebind(`SELECT upn FROM users WHERE deleted_at IS NOT NULL AND deleted_at < ?`), cut); err != nil {
			return fmt.Errorf("find expired users: %w", err)
		}
		if len(purged) > 0 {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM users WHERE deleted_at IS NOT NULL AND deleted_at < ?`), cut); err != nil {
				return fmt.Errorf("purge users: %w", err)
			}
			sort.Strings(purged)
			if err := d.audit(ctx, tx, "system", "user purge", strings.Join(purged, ", "), "deleted more than 30 days ago", ""); err != nil {
				return err
			}
		}
		c.Purged = len(purged)
		if c.Sessions, err = endStaleSessions(ctx, tx, now.Add(-importer.SessionIdle), now.Add(-importer.SessionAbsolute)); err != nil {
			return err
		}
		return d.expireSealed(ctx, tx, now, &c)
	})
	return c, err
}

// expireSealed forgets the sealed passwords of the batches started more
// than importer.NoticeLifetime ago that no run is working on, and says in
// the audit log, batch by batch, how many users need a new password.
func (d *DB) expireSealed(ctx context.Context, tx *sqlx.Tx, now time.Time, c *importer.Chores) error {
	var stale []struct {
		ID string `db:"batch_id"`
		N  int    `db:"n"`
	}
	if err := tx.SelectContext(ctx, &stale, tx.Rebind(`SELECT r.batch_id, COUNT(*) AS n FROM batch_rows r JOIN batches b ON b.id = r.batch_id
		WHERE r.sealed <> '' AND b.started_at < ? AND (b.state <> 'running' OR COALESCE(b.heartbeat_at, 0) < ?)
		GROUP BY r.batch_id ORDER BY r.batch_id`), now.Add(-importer.NoticeLifetime).UnixMicro(), now.Add(-importer.NoticeLifetime).UnixMicro()); err != nil {
		return fmt.Errorf("find expired passwords: %w", err)
	}
	for _, b := range stale {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batch_rows SET sealed = '' WHERE batch_id = ? AND sealed <> ''`), b.ID); err != nil {
			return fmt.Errorf("forget expired passwords: %w", err)
		}
		if err := d.audit(ctx, tx, "system", "notice expire", b.ID,
			fmt.Sprintf("%d passwords no credentials notice took in %d days were forgotten: give those users new ones (user set-password)",
				b.N, int(importer.NoticeLifetime.Hours()/24)), b.ID); err != nil {
			return err
		}
		c.Unsealed += b.N
	}
	return nil
}
