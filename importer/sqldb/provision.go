package sqldb

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"userimport/importer"
)

var userCols = []string{"id", "upn", "upn_key", "display_name", "first_name", "last_name", "job_title", "department",
	"office_number", "office_phone", "mobile_phone", "fax", "alternate_email", "address", "city", "state", "postal_code",
	"country", "usage_location", "employee_id", "employee_id_key", "blocked", "password_hash", "password_set_at",
	"must_change_password", "source", "created_at", "updated_at"}

// Provision writes the work items. It tries them all in one transaction;
// if that fails on a conflict (another importer took a user name or
// employee ID meanwhile), it writes them one by one so that only the
// conflicting rows fail.
func (d *DB) Provision(ctx context.Context, batchID, actor string, work []importer.Work) ([]importer.Result, error) {
	err := d.inTx(ctx, func(tx *sqlx.Tx) error { return d.provision(ctx, tx, batchID, actor, work, true) })
	if err == nil {
		return provisioned(work, nil), nil
	}
	if !errors.Is(err, errUnique) && importer.ErrorCode(err) != importer.ECONFLICT {
		return nil, err
	}
	failed := map[int]string{}
	for i := range work {
		one := work[i : i+1]
		err := d.inTx(ctx, func(tx *sqlx.Tx) error { return d.provision(ctx, tx, batchID, actor, one, true) })
		if err == nil {
			continue
		}
		if !errors.Is(err, errUnique) && importer.ErrorCode(err) != importer.ECONFLICT {
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
	for _, w := range work {
		p := w.Plan
		u := &p.User
		rowNums = append(rowNums, p.Row)
		var empID, empKey any
		if u.EmployeeID != "" {
			empID, empKey = u.EmployeeID, strings.ToLower(u.EmployeeID)
		}
		switch p.Action {
		case importer.ActionCreate:
			var hash, setAt any
			if w.Hash != "" {
				hash, setAt = w.Hash, now
			}
			users = append(users, []any{u.ID, u.UserPrincipalName, strings.ToLower(u.UserPrincipalName), u.DisplayName,
				u.FirstName, u.LastName, u.JobTitle, u.Department, u.OfficeNumber, u.OfficePhone, u.MobilePhone, u.Fax,
				u.AlternateEmail, u.Address, u.City, u.State, u.PostalCode, u.Country, u.UsageLocation, empID, empKey,
				p.Blocked, hash, setAt, u.MustChangePassword && w.Hash != "", u.Source, now, now})
			audits = append(audits, []any{now, actor, "user create", u.UserPrincipalName, "", batchID})
		case importer.ActionUpdate:
			// Only the columns the row changes: an edit made meanwhile to
			// any other column stays.
			set, args := updateSet(p, empID, empKey)
			res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET `+set+`updated_at = ? WHERE id = ? AND deleted_at IS NULL`),
				append(args, now, u.ID)...)
			if err != nil {
				return mapErr(fmt.Errorf("update user: %w", err))
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return importer.Errorf(importer.ECONFLICT, "User Name: the user was deleted while the import ran (%q)", u.UserPrincipalName)
			}
			audits = append(audits, []any{now, actor, "user update", u.UserPrincipalName, strings.Join(p.Changed, ", "), batchID})
			for _, l := range p.Disable {
				id, err := productID(l.SKU)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE license_assignments SET disabled_plans = ? WHERE user_id = ? AND product_id = ?`),
					strings.Join(l.DisabledPlans, ";"), u.ID, id); err != nil {
					return mapErr(fmt.Errorf("update disabled apps: %w", err))
				}
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
	if err := d.insertRows(ctx, tx, "users", userCols, users); err != nil {
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
	q, args, err := d.inList(`UPDATE batch_rows SET state = 'done',
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
		return fmt.Errorf("journal: %d of %d rows were no longer staged: the batch is being run by another process", n, len(rowNums))
	}
	return nil
}

// updateSet returns the SET clause (ending in ", ") and its arguments for
// the columns an update plan changes.
func updateSet(p *importer.Planned, empID, empKey any) (string, []any) {
	u := &p.User
	var b strings.Builder
	var args []any
	set := func(col string, v any) {
		b.WriteString(col + " = ?, ")
		args = append(args, v)
	}
	for _, name := range p.Changed {
		switch name {
		case importer.ColDisplayName.String():
			set("display_name", u.DisplayName)
		case importer.ColFirstName.String():
			set("first_name", u.FirstName)
		case importer.ColLastName.String():
			set("last_name", u.LastName)
		case importer.ColJobTitle.String():
			set("job_title", u.JobTitle)
		case importer.ColDepartment.String():
			set("department", u.Department)
		case importer.ColOfficeNumber.String():
			set("office_number", u.OfficeNumber)
		case importer.ColOfficePhone.String():
			set("office_phone", u.OfficePhone)
		case importer.ColMobilePhone.String():
			set("mobile_phone", u.MobilePhone)
		case importer.ColFax.String():
			set("fax", u.Fax)
		case importer.ColAlternateEmail.String():
			set("alternate_email", u.AlternateEmail)
		case importer.ColAddress.String():
			set("address", u.Address)
		case importer.ColCity.String():
			set("city", u.City)
		case importer.ColState.String():
			set("state", u.State)
		case importer.ColPostalCode.String():
			set("postal_code", u.PostalCode)
		case importer.ColCountry.String():
			set("country", u.Country)
		case importer.ColUsageLocation.String():
			set("usage_location", u.UsageLocation)
		case importer.ColEmployeeID.String():
			set("employee_id", empID)
			set("employee_id_key", empKey)
		case importer.ColBlockSignIn.String():
			set("blocked", p.Blocked)
		}
	}
	return b.String(), args
}

// failRow records a row that could not be written and releases the seats
// staged for it.
func (d *DB) failRow(ctx context.Context, tx *sqlx.Tx, batchID string, p *importer.Planned, msg string) error {
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE batch_rows SET state = 'done', outcome = 'Failed', license_status = ?,
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
