package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"userimport/importer"
)

// Provision writes the work items. It tries them all in one transaction;
// if that fails on a conflict (another importer took a user name or
// employee ID meanwhile), it writes them one by one so that only the
// conflicting rows fail.
func (d *DB) Provision(ctx context.Context, batchID, actor string, work []importer.Work) ([]importer.Result, error) {
	err := d.inTx(ctx, func(tx *sqlx.Tx) error { return d.provision(ctx, tx, batchID, actor, work, true) })
	if err == nil {
		return provisioned(work, nil), nil
	}
	if !rowFailure(err) {
		return nil, err
	}
	failed := map[int]string{}
	for i := range work {
		one := work[i : i+1]
		err := d.inTx(ctx, func(tx *sqlx.Tx) error { return d.provision(ctx, tx, batchID, actor, one, true) })
		if err == nil {
			continue
		}
		if !rowFailure(err) {
			return nil, err
		}
		msg := importer.ErrorMessage(err)
		if errors.Is(err, errUnique) {
			msg = "User Name or Employee ID: already taken by a user created meanwhile"
		}
		if err := d.inTx(ctx, func(tx *sqlx.Tx) error { return d.failRow(ctx, tx, batchID, work[i].Plan, msg) }); err != nil {
			return nil, err
		}
		failed[i] = msg
	}
	return provisioned(work, failed), nil
}

// rowFailure says whether err, of writing several rows at once, may be
// one row's alone (a user name taken meanwhile, a right the acting admin
// lost for one of them): the rows are then written one by one.
func rowFailure(err error) bool {
	switch importer.ErrorCode(err) {
	case importer.ECONFLICT, importer.EFORBIDDEN:
		return true
	}
	return errors.Is(err, errUnique)
}

// checkRights checks, in the writing transaction, that the acting admin
// as the directory holds them now may do every plan of work
// (importer.WriteRights): EFORBIDDEN for the first that it may not.
func (d *DB) checkRights(ctx context.Context, tx *sqlx.Tx, actor string, work []importer.Work) error {
	a := importer.User{UserPrincipalName: actor}
	err := tx.QueryRowxContext(ctx, tx.Rebind(`SELECT id, deleted_at IS NOT NULL FROM users WHERE upn_key = ?`), strings.ToLower(actor)).Scan(&a.ID, &a.Deleted)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		a.ID, a.Deleted = "", true
	case err != nil:
		return fmt.Errorf("read the acting admin: %w", err)
	}
	// The roles of the acting admin and of the users updated, in one query.
	var ids []string
	if a.ID != "" {
		ids = append(ids, a.ID)
	}
	for _, w := range work {
		if w.Plan.Action == importer.ActionUpdate && w.Plan.User.ID != "" {
			ids = append(ids, w.Plan.User.ID)
		}
	}
	roles := map[string][]importer.Role{}
	if len(ids) > 0 {
		if roles, err = d.roles(ctx, tx, d.byKeys("user_id"), ids); err != nil {
			return err
		}
	}
	a.Roles = roles[a.ID]
	for _, w := range work {
		var target *importer.User
		if w.Plan.Action == importer.ActionUpdate {
			target = &importer.User{UserPrincipalName: w.Plan.User.UserPrincipalName, Roles: roles[w.Plan.User.ID]}
		}
		if msg := importer.WriteRights(a, w.Plan, target); msg != "" {
			return importer.Errorf(importer.EFORBIDDEN, "%s", msg)
		}
	}
	return nil
}

func provisioned(work []importer.Work, failed map[int]string) []importer.Result {
	rs := make([]importer.Result, len(work))
	for i, w := range work {
		if msg, ok := failed[i]; ok {
			rs[i] = w.Plan.Result(importer.Failed)
			rs[i].Message = msg
			continue
		}
		rs[i] = w.Plan.Result(w.Plan.Outcome())
	}
	return rs
}

// provision writes the work items; journal says whether to mark their
// staged journal rows done.
func (d *DB) provision(ctx context.Context, tx *sqlx.Tx, batchID, actor string, work []importer.Work, journal bool) error {
	if err := d.checkRights(ctx, tx, actor, work); err != nil {
		return err
	}
	now := d.now()
	var users, assigns, roles, audits [][]any
	var rowNums []int
	products := map[string]int64{}
	productID := func(sku string) (int64, error) {
		if id, ok := products[sku]; ok {
			return id, nil
		}
		var id int64
		if err := tx.GetContext(ctx, &id, tx.Rebind(`SELECT id FROM products WHERE sku = ?`), sku); err != nil {
			return 0, fmt.Errorf("product %s: %w", sku, err)
		}
		products[sku] = id
		return id, nil
	}
	var updates []*importer.Planned
	var disables [][]any
	keys := newChangeKeys()
	for _, w := range work {
		p := w.Plan
		u := &p.User
		rowNums = append(rowNums, p.Row)
		switch p.Action {
		case importer.ActionCreate:
			users = append(users, insertValues(u, p.Blocked, w.Hash, u.Source, now))
			audits = append(audits, []any{now, actor, "user create", u.UserPrincipalName, "", batchID})
		case importer.ActionUpdate:
			updates = append(updates, p)
			var names []string
			for _, c := range keys.columns(p) {
				names = append(names, c.String())
			}
			audits = append(audits, []any{now, actor, "user update", u.UserPrincipalName, strings.Join(names, ", "), batchID})
			for _, l := range p.Disable {
				id, err := productID(l.SKU)
				if err != nil {
					return err
				}
				disables = append(disables, []any{u.ID, id, strings.Join(l.DisabledPlans, ";")})
			}
		}
		for _, l := range p.Licenses {
			id, err := productID(l.SKU)
			if err != nil {
				return err
			}
			var at any
			if l.Status == importer.LicenseAssigned {
				at = now
			}
			assigns = append(assigns, []any{u.ID, id, l.Status, strings.Join(l.DisabledPlans, ";"), p.RequestedAt, p.Row, at})
		}
		for _, r := range p.Roles {
			roles = append(roles, []any{u.ID, string(r)})
		}
	}
	if err := d.updateUsers(ctx, tx, updates, keys, now); err != nil {
		return err
	}
	if _, err := d.updateFrom(ctx, tx, "license_assignments",
		[]column{{"user_id", "text"}, {"product_id", "bigint"}, {"disabled_plans", "text"}}, disables,
		"disabled_plans = t.disabled_plans",
		"license_assignments.user_id = t.user_id AND license_assignments.product_id = t.product_id"); err != nil {
		return fmt.Errorf("update disabled apps: %w", err)
	}
	if err := d.insertRows(ctx, tx, "users", insertColumns(), users); err != nil {
		return err
	}
	if err := d.insertRows(ctx, tx, "license_assignments",
		[]string{"user_id", "product_id", "status", "disabled_plans", "requested_at", "queue_pos", "assigned_at"}, assigns); err != nil {
		return err
	}
	if err := d.insertRows(ctx, tx, "user_roles", []string{"user_id", "role"}, roles); err != nil {
		return err
	}
	if err := d.insertRows(ctx, tx, "audit_log", []string{"at", "actor", "action", "target", "detail", "batch_id"}, audits); err != nil {
		return err
	}
	if !journal {
		return nil
	}
	// A written row keeps no plan: it held the user as planned (and, for a
	// password from the file, its hash), which the directory now has.
	q, args, err := d.inList(`UPDATE batch_rows SET state = 'done', payload = '',
		outcome = CASE action WHEN 'create' THEN 'Created' ELSE 'Updated' END
		WHERE batch_id = ? AND state = 'staged' AND row_number IN (?)`, batchID, rowNums)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(rowNums)) {
		// Another process wrote some of these rows: this one must not.
		return fmt.Errorf("journal: %d of %d rows: the batch is being run by another process: %w", n, len(rowNums), importer.ErrNotStaged)
	}
	return d.sealRows(ctx, tx, batchID, work)
}

// updatable is a users column that an update plan may change: its name,
// its PostgreSQL type, the expression that SETs it from the plan's value
// (sent as t.NAME), the bit of changedMask that says a plan changes it, and
// the plan's value.
type updatable struct {
	name, pgType, expr string
	bit                int64
	value              func(p *importer.Planned) any
}

// Bits of changedMask: profile[i] is maskProfile << i.
const (
	maskEmployeeID int64 = 1 << iota
	maskBlocked
	maskProfile
)

// updatables returns every column an update plan may change.
func updatables() []updatable {
	us := make([]updatable, 0, len(profile)+3)
	for i, c := range profile {
		us = append(us, updatable{c.name, "text", "t." + c.name, maskProfile << i,
			func(p *importer.Planned) any { return *c.field(&p.User) }})
	}
	return append(us,
		updatable{"employee_id", "text", "NULLIF(t.employee_id, '')", maskEmployeeID,
			func(p *importer.Planned) any { return p.User.EmployeeID }},
		updatable{"employee_id_key", "text", "NULLIF(t.employee_id_key, '')", maskEmployeeID,
			func(p *importer.Planned) any { return strings.ToLower(p.User.EmployeeID) }},
		updatable{"blocked", "boolean", "t.blocked", maskBlocked,
			func(p *importer.Planned) any { return p.Blocked }})
}

// changeKeys finds the columns that plans change (Planned.Changed) as
// Planned.ChangedColumns does, by key or, in journals written before keys,
// by display name, without building every column's key again for each
// row: 100,000 rows of an upsert spent a tenth of their time there.
type changeKeys map[string]importer.Column

func newChangeKeys() changeKeys {
	k := changeKeys{}
	for _, c := range importer.Columns() {
		k[c.String()] = c
	}
	for _, c := range importer.Columns() {
		k[c.Key()] = c
	}
	return k
}

// columns returns the columns p changes, in its order.
func (k changeKeys) columns(p *importer.Planned) []importer.Column {
	cs := make([]importer.Column, 0, len(p.Changed))
	for _, s := range p.Changed {
		if c, ok := k[s]; ok {
			cs = append(cs, c)
		}
	}
	return cs
}

// changedMask returns the bits of the columns cols.
func changedMask(cols []importer.Column) int64 {
	var mask int64
	for _, col := range cols {
		for i, c := range profile {
			if col == c.col {
				mask |= maskProfile << i
			}
		}
		switch col {
		case importer.ColEmployeeID:
			mask |= maskEmployeeID
		case importer.ColBlockSignIn:
			mask |= maskBlocked
		}
	}
	return mask
}

// updateUsers writes the update plans in bulk: one statement that sends and
// sets only the columns some plan changes. Of these, each row writes only
// those its plan changes; any other keeps what the directory holds when the
// statement runs, so that an edit made meanwhile to it stays. A user
// deleted meanwhile is ECONFLICT.
func (d *DB) updateUsers(ctx context.Context, tx *sqlx.Tx, plans []*importer.Planned, keys changeKeys, now int64) error {
	if len(plans) == 0 {
		return nil
	}
	masks := make([]int64, len(plans))
	var union int64
	for i, p := range plans {
		masks[i] = changedMask(keys.columns(p))
		union |= masks[i]
	}
	cols := []column{{"id", "text"}, {"mask", "bigint"}}
	var set strings.Builder
	var used []updatable
	for _, u := range updatables() {
		if union&u.bit == 0 {
			continue
		}
		used = append(used, u)
		cols = append(cols, column{u.name, u.pgType})
		fmt.Fprintf(&set, "%s = CASE WHEN (t.mask & %d) <> 0 THEN %s ELSE users.%s END, ", u.name, u.bit, u.expr, u.name)
	}
	fmt.Fprintf(&set, "updated_at = %d", now)
	rows := make([][]any, len(plans))
	for i, p := range plans {
		r := []any{p.User.ID, masks[i]}
		for _, u := range used {
			r = append(r, u.value(p))
		}
		rows[i] = r
	}
	n, err := d.updateFrom(ctx, tx, "users", cols, rows, set.String(), "users.id = t.id AND users.deleted_at IS NULL")
	if err != nil {
		return fmt.Errorf("update users: %w", err)
	}
	if n < int64(len(rows)) {
		if len(plans) == 1 {
			return importer.Errorf(importer.ECONFLICT, "User Name: the user was deleted while the import ran (%q)", plans[0].User.UserPrincipalName)
		}
		return importer.Errorf(importer.ECONFLICT, "User Name: %d of %d users were deleted while the import ran", int64(len(rows))-n, len(rows))
	}
	return nil
}

// failRow records a row that could not be written and releases the seats
// staged for it.
func (d *DB) failRow(ctx context.Context, tx *sqlx.Tx, batchID string, p *importer.Planned, msg string) error {
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batch_rows SET state = 'done', payload = '', outcome = 'Failed', license_status = ?,
		licenses = '', message = ?, user_id = '', licenses_assigned = 0, licenses_pending = 0, notice_needed = FALSE
		WHERE batch_id = ? AND row_number = ? AND state = 'staged'`), importer.StatusNone, msg, batchID, p.Row)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("journal: row %d was no longer staged: the batch is being run by another process", p.Row)
	}
	skus := []string{}
	for _, l := range p.Licenses {
		if l.Status == importer.LicenseAssigned {
			skus = append(skus, l.SKU)
		}
	}
	sort.Strings(skus)
	for _, sku := range skus {
		id, _, _, err := d.lockProduct(ctx, tx, sku)
		if err != nil {
			return err
		}
		if err := d.releaseSeat(ctx, tx, id); err != nil {
			return err
		}
	}
	return nil
}
