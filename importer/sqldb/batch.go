package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"userimport/importer"
)

// maxParams keeps a multi-row statement under both backends' limits on
// bound parameters (SQLite 32766, PostgreSQL 65535).
const maxParams = 30000

// insertRows inserts rows into table in bulk: with COPY on PostgreSQL, and
// on SQLite in as few multi-row statements as the parameter limit allows;
// never one round trip per row.
func (d *DB) insertRows(ctx context.Context, tx *sqlx.Tx, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if d.dialect == Postgres {
		return copyRows(ctx, tx, table, cols, rows)
	}
	per := maxParams / len(cols)
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for len(rows) > 0 {
		n := min(per, len(rows))
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, n*len(cols))
		for i, r := range rows[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(one)
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(b.String()), args...); err != nil {
			return mapErr(fmt.Errorf("insert into %s: %w", table, err))
		}
		rows = rows[n:]
	}
	return nil
}

// inList expands each "IN (?)" of q for a list argument (expandIn) and
// rebinds q's placeholders for the backend.
func (d *DB) inList(q string, args ...any) (string, []any, error) {
	q, args, err := d.expandIn(q, args...)
	return d.db.Rebind(q), args, err
}

// expandIn expands each "IN (?)" of q for a list argument: into one array
// parameter (= ANY) on PostgreSQL, whose planner then sees one parameter
// instead of hundreds, and into placeholders on SQLite. The result still
// has ? placeholders.
func (d *DB) expandIn(q string, args ...any) (string, []any, error) {
	if d.dialect != Postgres {
		return sqlx.In(q, args...)
	}
	q = strings.ReplaceAll(q, "IN (?)", "= ANY(?)")
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case []string:
			out[i] = pq.Array(v)
		case []int:
			ints := make([]int64, len(v))
			for j, n := range v {
				ints[j] = int64(n)
			}
			out[i] = pq.Array(ints)
		default:
			out[i] = a
		}
	}
	return q, out, nil
}

// copyRows sends rows through COPY … FROM STDIN (lib/pq buffers them and
// sends them in a few large messages).
func copyRows(ctx context.Context, tx *sqlx.Tx, table string, cols []string, rows [][]any) error {
	stmt, err := tx.PrepareContext(ctx, "COPY "+table+" ("+strings.Join(cols, ", ")+") FROM STDIN")
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			return mapErr(fmt.Errorf("copy into %s: %w", table, err))
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return mapErr(fmt.Errorf("copy into %s: %w", table, err))
	}
	return nil
}

// Lookup returns the users named by upnKeys (lower-cased user names),
// deleted ones included, with roles and licenses, and the owners of the
// lower-cased employee IDs empKeys. Two or three queries, whatever the
// number of keys.
func (d *DB) Lookup(ctx context.Context, upnKeys, empKeys []string) (map[string]*importer.User, map[string]string, error) {
	users := map[string]*importer.User{}
	owners := map[string]string{}
	if len(upnKeys) > 0 {
		q, args, err := d.inList(`SELECT `+userColumns+` FROM `+d.byKeys("upn_key")("users", "users"), upnKeys)
		if err != nil {
			return nil, nil, err
		}
		var rows []userRow
		if err := d.db.SelectContext(ctx, &rows, q, args...); err != nil {
			return nil, nil, fmt.Errorf("look up users: %w", err)
		}
		byID := make(map[string]*importer.User, len(rows))
		for i := range rows {
			u := rows[i].user()
			users[strings.ToLower(u.UserPrincipalName)] = &u
			byID[u.ID] = &u
		}
		if len(byID) > 0 {
			if err := d.attachIDs(ctx, byID); err != nil {
				return nil, nil, err
			}
		}
	}
	if len(empKeys) > 0 {
		q, args, err := d.inList(`SELECT employee_id_key, upn_key FROM `+d.byKeys("employee_id_key")("users", "users"), empKeys)
		if err != nil {
			return nil, nil, err
		}
		rows, err := d.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, nil, fmt.Errorf("look up employee IDs: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var emp, upn string
			if err := rows.Scan(&emp, &upn); err != nil {
				return nil, nil, fmt.Errorf("look up employee IDs: %w", err)
			}
			owners[emp] = upn
		}
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("look up employee IDs: %w", err)
		}
	}
	return users, owners, nil
}

// attachIDs loads roles and licenses of the users in byID, by ID list.
func (d *DB) attachIDs(ctx context.Context, byID map[string]*importer.User) error {
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	return d.attach(ctx, d.db, byID, d.byKeys("user_id"), ids)
}

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

var journalCols = []string{"batch_id", "row_number", "state", "action", "user_name", "display_name", "outcome",
	"license_status", "licenses", "message", "user_id", "payload", "licenses_assigned", "licenses_pending", "notice_needed"}

// Stage writes rows to the journal and gives each product's free seats to
// the rows' licenses in row order, all in one transaction. Products are
// locked in SKU order, so that two importers never deadlock.
func (d *DB) Stage(ctx context.Context, batchID string, rows []importer.JournalRow) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error { return d.stage(ctx, tx, batchID, rows, false) })
}

// StageAndProvision does Stage and Provision in one transaction, for rows
// that need no password hashing: the rows are journaled as done, with no
// plan kept for resuming. If the transaction meets a conflict, it falls
// back to Stage and Provision, which fail only the conflicting rows.
func (d *DB) StageAndProvision(ctx context.Context, batchID, actor string, rows []importer.JournalRow) ([]importer.Result, error) {
	var work []importer.Work
	for _, jr := range rows {
		if jr.Plan != nil {
			work = append(work, importer.Work{Plan: jr.Plan})
		}
	}
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := d.stage(ctx, tx, batchID, rows, true); err != nil {
			return err
		}
		return d.provision(ctx, tx, batchID, actor, work, false)
	})
	if err == nil {
		return provisioned(work, nil), nil
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
	return d.Provision(ctx, batchID, actor, work)
}

// stage reserves seats for rows in row order and journals them: planned
// rows as staged with their plan, or, when done is set (they are written
// in the same transaction), as done.
func (d *DB) stage(ctx context.Context, tx *sqlx.Tx, batchID string, rows []importer.JournalRow, done bool) error {
	if err := d.reserveSeats(ctx, tx, rows); err != nil {
		return err
	}
	vals := make([][]any, 0, len(rows))
	for _, jr := range rows {
		if jr.Plan == nil {
			r := jr.Result
			licenses, err := licensesJSON(r.Licenses)
			if err != nil {
				return fmt.Errorf("journal row %d: %w", jr.Row, err)
			}
			vals = append(vals, []any{batchID, jr.Row, "done", "", r.UserName, r.DisplayName, string(r.Outcome),
				r.LicenseStatus, licenses, r.Message, r.UserID, "", 0, 0, false})
			continue
		}
		p := jr.Plan
		outcome := p.Outcome()
		r := p.Result(outcome)
		state, written, payload := "staged", "", ""
		if done {
			state, written = "done", string(outcome)
		} else {
			b, err := json.Marshal(p)
			if err != nil {
				return fmt.Errorf("journal row %d: %w", jr.Row, err)
			}
			payload = string(b)
		}
		licenses, err := licensesJSON(r.Licenses)
		if err != nil {
			return fmt.Errorf("journal row %d: %w", jr.Row, err)
		}
		assigned, pending := p.NewLicenses()
		vals = append(vals, []any{batchID, jr.Row, state, p.Action, r.UserName, r.DisplayName, written,
			r.LicenseStatus, licenses, r.Message, r.UserID, payload, assigned, pending,
			p.Action == importer.ActionCreate && p.NeedsPassword})
	}
	return d.insertRows(ctx, tx, "batch_rows", journalCols, vals)
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
				p.Blocked, hash, setAt, u.MustChangePassword && w.Hash != "", "import", now, now})
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

// Unnoticed calls fn for each user the batch created with a password that
// is not yet known to be in the notice.
func (d *DB) Unnoticed(ctx context.Context, batchID string, fn func(upn string, mustChange bool) error) error {
	type row struct {
		UPN        string `db:"upn"`
		MustChange bool   `db:"must_change_password"`
	}
	var rows []row
	if err := d.db.SelectContext(ctx, &rows, d.db.Rebind(`SELECT u.upn, u.must_change_password FROM batch_rows b
		JOIN users u ON u.id = b.user_id
		WHERE b.batch_id = ? AND b.state = 'done' AND b.outcome = 'Created' AND b.notice_needed AND NOT b.noticed
		ORDER BY b.row_number`), batchID); err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	for _, r := range rows {
		if err := fn(r.UPN, r.MustChange); err != nil {
			return err
		}
	}
	return nil
}

// MarkNoticed records that every created user's password of the batch is
// in the notice.
func (d *DB) MarkNoticed(ctx context.Context, batchID string) error {
	if _, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE batch_rows SET noticed = TRUE
		WHERE batch_id = ? AND state = 'done' AND notice_needed AND NOT noticed`), batchID); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

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
	for rows.Next() {
		var r importer.Result
		var outcome, licenses string
		if err := rows.Scan(&r.Row, &r.UserName, &r.DisplayName, &outcome, &r.LicenseStatus, &licenses, &r.Message, &r.UserID); err != nil {
			return fmt.Errorf("read results: %w", err)
		}
		r.Outcome = importer.Outcome(outcome)
		if licenses != "" {
			if err := json.Unmarshal([]byte(licenses), &r.Licenses); err != nil {
				return fmt.Errorf("read results: row %d: %w", r.Row, err)
			}
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
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
