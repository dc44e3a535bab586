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

	"userimport/importer"
)

// profile lists the users table's profile columns, each with the template
// column that changes it and the field of importer.User it holds. It is the
// one list of them that reading (userColumns), creating (insertColumns) and
// updating (provision's updateUsers) users share.
var profile = []struct {
	name  string
	col   importer.Column
	field func(u *importer.User) *string
}{
	{"display_name", importer.ColDisplayName, func(u *importer.User) *string { return &u.DisplayName }},
	{"first_name", importer.ColFirstName, func(u *importer.User) *string { return &u.FirstName }},
	{"last_name", importer.ColLastName, func(u *importer.User) *string { return &u.LastName }},
	{"job_title", importer.ColJobTitle, func(u *importer.User) *string { return &u.JobTitle }},
	{"department", importer.ColDepartment, func(u *importer.User) *string { return &u.Department }},
	{"office_number", importer.ColOfficeNumber, func(u *importer.User) *string { return &u.OfficeNumber }},
	{"office_phone", importer.ColOfficePhone, func(u *importer.User) *string { return &u.OfficePhone }},
	{"mobile_phone", importer.ColMobilePhone, func(u *importer.User) *string { return &u.MobilePhone }},
	{"fax", importer.ColFax, func(u *importer.User) *string { return &u.Fax }},
	{"alternate_email", importer.ColAlternateEmail, func(u *importer.User) *string { return &u.AlternateEmail }},
	{"address", importer.ColAddress, func(u *importer.User) *string { return &u.Address }},
	{"city", importer.ColCity, func(u *importer.User) *string { return &u.City }},
	{"state", importer.ColState, func(u *importer.User) *string { return &u.State }},
	{"postal_code", importer.ColPostalCode, func(u *importer.User) *string { return &u.PostalCode }},
	{"country", importer.ColCountry, func(u *importer.User) *string { return &u.Country }},
	{"usage_location", importer.ColUsageLocation, func(u *importer.User) *string { return &u.UsageLocation }},
}

// profileNames returns the profile columns' names, each with prefix.
func profileNames(prefix string) []string {
	names := make([]string, len(profile))
	for i, c := range profile {
		names[i] = prefix + c.name
	}
	return names
}

// userColumns is the select list that scanUser reads.
func userColumns() string {
	return "id, upn, " + strings.Join(profileNames(""), ", ") + `, COALESCE(employee_id, '') AS employee_id, blocked,
	password_hash IS NOT NULL AS has_password, must_change_password, source, created_at, updated_at, deleted_at`
}

// scanUser reads one row of userColumns.
func scanUser(row interface{ Scan(dest ...any) error }) (importer.User, error) {
	var u importer.User
	err := scanUserInto(row, &u)
	return u, err
}

// scanUserInto reads one row of userColumns into u, its first columns
// into pre.
func scanUserInto(row interface{ Scan(dest ...any) error }, u *importer.User, pre ...any) error {
	*u = importer.User{Roles: []importer.Role{}, Licenses: []importer.License{}}
	var t struct {
		blocked          bool
		created, updated int64
		deleted          sql.NullInt64
	}
	dest := make([]any, 0, len(pre)+len(profile)+10)
	dest = append(dest, pre...)
	dest = append(dest, &u.ID, &u.UserPrincipalName)
	for _, c := range profile {
		dest = append(dest, c.field(u))
	}
	dest = append(dest, &u.EmployeeID, &t.blocked, &u.HasPassword, &u.MustChangePassword, &u.Source, &t.created, &t.updated, &t.deleted)
	if err := row.Scan(dest...); err != nil {
		*u = importer.User{}
		return err
	}
	u.AccountEnabled = !t.blocked
	u.CreatedAt, u.UpdatedAt = time.UnixMicro(t.created).UTC(), time.UnixMicro(t.updated).UTC()
	u.Deleted, u.DeletedAt = t.deleted.Valid, nullTime(t.deleted)
	return nil
}

// queryUsers runs query, a SELECT of userColumns, and scans its rows.
func queryUsers(ctx context.Context, q sqlx.QueryerContext, query string, args ...any) ([]importer.User, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var us []importer.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		us = append(us, u)
	}
	return us, rows.Err()
}

// insertColumns are the columns of a new user's row (insertValues).
func insertColumns() []string {
	cols := append([]string{"id", "upn", "upn_key"}, profileNames("")...)
	return append(cols, "employee_id", "employee_id_key", "blocked", "password_hash", "password_set_at",
		"must_change_password", "source", "created_at", "updated_at")
}

// insertValues is the row of insertColumns for a new user u: hash is its
// password's hash ("" for none), set at now.
func insertValues(u *importer.User, blocked bool, hash, source string, now int64) []any {
	vals := []any{u.ID, u.UserPrincipalName, strings.ToLower(u.UserPrincipalName)}
	for _, c := range profile {
		vals = append(vals, *c.field(u))
	}
	var empID, empKey, hashv, setAt any
	if u.EmployeeID != "" {
		empID, empKey = u.EmployeeID, strings.ToLower(u.EmployeeID)
	}
	if hash != "" {
		hashv, setAt = hash, now
	}
	return append(vals, empID, empKey, blocked, hashv, setAt, u.MustChangePassword && hash != "", source, now, now)
}

// Users lists users by user name, with their roles and licenses. Deleted
// users are included only when all is true.
func (d *DB) Users(ctx context.Context, all bool) ([]importer.User, error) {
	q := `SELECT ` + userColumns() + ` FROM users`
	if !all {
		q += ` WHERE deleted_at IS NULL`
	}
	q += ` ORDER BY upn_key`
	us, err := queryUsers(ctx, d.db, q)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	byID := make(map[string]*importer.User, len(us))
	for i := range us {
		byID[us[i].ID] = &us[i]
	}
	if err := d.attach(ctx, d.db, byID, everyRow); err != nil {
		return nil, err
	}
	return us, nil
}

// User returns the user named upn (case ignored), deleted or not, with roles
// and licenses. An unknown user is ENOTFOUND.
func (d *DB) User(ctx context.Context, upn string) (importer.User, error) {
	return d.user(ctx, d.db, upn)
}

func (d *DB) user(ctx context.Context, q sqlx.QueryerContext, upn string) (importer.User, error) {
	u, err := scanUser(q.QueryRowxContext(ctx, d.db.Rebind(`SELECT `+userColumns()+` FROM users WHERE upn_key = ?`), strings.ToLower(upn)))
	if errors.Is(err, sql.ErrNoRows) {
		return importer.User{}, importer.Errorf(importer.ENOTFOUND, "no user %s", upn)
	}
	if err != nil {
		return importer.User{}, fmt.Errorf("read user: %w", err)
	}
	if err := d.attach(ctx, q, map[string]*importer.User{u.ID: &u}, d.byKeys("user_id"), []string{u.ID}); err != nil {
		return importer.User{}, err
	}
	return u, nil
}

// attach loads the roles and licenses of the users in byID, from the rows
// that from selects (with args).
func (d *DB) attach(ctx context.Context, q sqlx.QueryerContext, byID map[string]*importer.User, from rowsOf, args ...any) error {
	if err := d.attachRoles(ctx, q, byID, from, args...); err != nil {
		return err
	}
	return d.attachLicenses(ctx, q, byID, from, args...)
}

// attachRoles loads the roles of the users in byID, from the user_roles
// rows that from selects (with args).
func (d *DB) attachRoles(ctx context.Context, q sqlx.QueryerContext, byID map[string]*importer.User, from rowsOf, args ...any) error {
	roles, err := d.roles(ctx, q, from, args...)
	if err != nil {
		return err
	}
	for id, rs := range roles {
		if u := byID[id]; u != nil {
			u.Roles = append(u.Roles, rs...)
		}
	}
	return nil
}

// attachLicenses loads the licenses of the users in byID, from the
// license_assignments rows that from selects (with args).
func (d *DB) attachLicenses(ctx context.Context, q sqlx.QueryerContext, byID map[string]*importer.User, from rowsOf, args ...any) error {
	query, qargs, err := d.inList(`SELECT a.user_id, p.sku, a.status, a.disabled_plans, a.requested_at
		FROM `+from("license_assignments", "a")+` JOIN products p ON p.id = a.product_id ORDER BY p.sku`, args...)
	if err != nil {
		return err
	}
	lic, err := q.QueryxContext(ctx, query, qargs...)
	if err != nil {
		return fmt.Errorf("read licenses: %w", err)
	}
	defer lic.Close()
	for lic.Next() {
		var id, disabled string
		var l importer.License
		var at int64
		if err := lic.Scan(&id, &l.SKU, &l.Status, &disabled, &at); err != nil {
			return fmt.Errorf("read licenses: %w", err)
		}
		l.DisabledPlans = splitList(disabled)
		l.RequestedAt = time.UnixMicro(at).UTC()
		if u := byID[id]; u != nil {
			u.Licenses = append(u.Licenses, l)
		}
	}
	return lic.Err()
}

// roles returns the roles, by user ID in role order, of the user_roles
// rows that from selects (with args).
func (d *DB) roles(ctx context.Context, q sqlx.QueryerContext, from rowsOf, args ...any) (map[string][]importer.Role, error) {
	query, qargs, err := d.inList(`SELECT r.user_id, r.role FROM `+from("user_roles", "r")+` ORDER BY r.role`, args...)
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryxContext(ctx, query, qargs...)
	if err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	defer rows.Close()
	out := map[string][]importer.Role{}
	for rows.Next() {
		var id, role string
		if err := rows.Scan(&id, &role); err != nil {
			return nil, fmt.Errorf("read roles: %w", err)
		}
		out[id] = append(out[id], importer.Role(role))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read roles: %w", err)
	}
	return out, nil
}

// rowsOf gives the FROM item for the rows of table that a query reads,
// named alias.
type rowsOf func(table, alias string) string

// everyRow reads the whole table.
func everyRow(table, alias string) string { return table + " AS " + alias }

// byKeys reads the rows whose col is one of a list of keys, the query's
// next argument. On PostgreSQL that is one index probe per key: a LATERAL
// join over the keys, which OFFSET 0 keeps the planner from flattening.
// Given = ANY(array) with a chunk's hundreds of keys, the planner scans the
// whole table instead, for every chunk, until the table is large: a first
// big import slowed down as its users table filled.
func (d *DB) byKeys(col string) rowsOf {
	return func(table, alias string) string {
		if d.dialect == Postgres {
			return "unnest(?::text[]) AS keys(key) CROSS JOIN LATERAL (SELECT * FROM " + table +
				" WHERE " + col + " = keys.key OFFSET 0) AS " + alias
		}
		return "(SELECT * FROM " + table + " WHERE " + col + " IN (?)) AS " + alias
	}
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ";")
}

// DeleteUser soft-deletes a user: it can be restored for 30 days. Its seats
// are freed and go to pending assignments, oldest first.
func (d *DB) DeleteUser(ctx context.Context, actor, upn string) error {
	return d.DeleteUserChecked(ctx, actor, upn, nil)
}

// DeleteUserChecked is DeleteUser after g, when not nil, allowed it on the
// acting admin and the user as they are in the transaction.
func (d *DB) DeleteUserChecked(ctx context.Context, actor, upn string, g importer.Guard) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := d.purge(ctx, tx); err != nil {
			return err
		}
		u, err := d.user(ctx, tx, upn)
		if err != nil {
			return err
		}
		if err := d.guard(ctx, tx, actor, u, g); err != nil {
			return err
		}
		if u.Deleted {
			return importer.Errorf(importer.ECONFLICT, "%s is deleted already", u.UserPrincipalName)
		}
		if strings.EqualFold(u.UserPrincipalName, actor) {
			return importer.Errorf(importer.ECONFLICT, "you cannot delete yourself")
		}
		now := d.now()
		// Conditional, so that of two deletes at once only one frees seats.
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL`), now, now, u.ID)
		if err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return importer.Errorf(importer.ECONFLICT, "%s is deleted already", u.UserPrincipalName)
		}
		for _, l := range u.Licenses {
			id, _, _, err := d.lockProduct(ctx, tx, l.SKU)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE license_assignments SET status = 'suspended', assigned_at = NULL
				WHERE user_id = ? AND product_id = ?`), u.ID, id); err != nil {
				return fmt.Errorf("suspend license: %w", err)
			}
			if l.Status == importer.LicenseAssigned {
				if err := d.releaseSeat(ctx, tx, id); err != nil {
					return err
				}
			}
		}
		return d.audit(ctx, tx, actor, "user delete", u.UserPrincipalName, "", "")
	})
}

// RestoreUser brings back a deleted user with its licenses: assigned where a
// seat is free, else pending.
func (d *DB) RestoreUser(ctx context.Context, actor, upn string) error {
	return d.RestoreUserChecked(ctx, actor, upn, nil)
}

// RestoreUserChecked is RestoreUser after g, when not nil, allowed it on
// the acting admin and the user as they are in the transaction.
func (d *DB) RestoreUserChecked(ctx context.Context, actor, upn string, g importer.Guard) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := d.purge(ctx, tx); err != nil {
			return err
		}
		u, err := d.user(ctx, tx, upn)
		if err != nil {
			return err
		}
		if err := d.guard(ctx, tx, actor, u, g); err != nil {
			return err
		}
		if !u.Deleted {
			return importer.Errorf(importer.ECONFLICT, "%s is not deleted", u.UserPrincipalName)
		}
		now := d.now()
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET deleted_at = NULL, updated_at = ? WHERE id = ? AND deleted_at IS NOT NULL`), now, u.ID)
		if err != nil {
			return fmt.Errorf("restore user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return importer.Errorf(importer.ECONFLICT, "%s is not deleted", u.UserPrincipalName)
		}
		var detail []string
		for _, l := range u.Licenses {
			id, seats, assigned, err := d.lockProduct(ctx, tx, l.SKU)
			if err != nil {
				return err
			}
			status := importer.LicensePending
			if assigned < seats {
				status = importer.LicenseAssigned
				if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE products SET assigned = assigned + 1 WHERE id = ?`), id); err != nil {
					return mapErr(fmt.Errorf("take seat: %w", err))
				}
			}
			var assignedAt any
			if status == importer.LicenseAssigned {
				assignedAt = now
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE license_assignments
				SET status = ?, requested_at = ?, queue_pos = 0, assigned_at = ? WHERE user_id = ? AND product_id = ?`),
				status, now, assignedAt, u.ID, id); err != nil {
				return fmt.Errorf("restore license: %w", err)
			}
			detail = append(detail, l.SKU+" "+status)
		}
		return d.audit(ctx, tx, actor, "user restore", u.UserPrincipalName, strings.Join(detail, "; "), "")
	})
}

// purge removes users deleted more than importer.RestoreWindow ago.
func (d *DB) purge(ctx context.Context, tx *sqlx.Tx) error {
	cutoff := d.clock().Add(-importer.RestoreWindow).UnixMicro()
	var ids []string
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(`SELECT upn FROM users WHERE deleted_at IS NOT NULL AND deleted_at < ?`), cutoff); err != nil {
		return fmt.Errorf("find expired users: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM users WHERE deleted_at IS NOT NULL AND deleted_at < ?`), cutoff); err != nil {
		return fmt.Errorf("purge users: %w", err)
	}
	sort.Strings(ids)
	return d.audit(ctx, tx, "system", "user purge", strings.Join(ids, ", "), "deleted more than 30 days ago", "")
}

// Credentials is what sign-in needs to know of a user.
type Credentials = importer.Credentials

// Credentials returns the sign-in data of upn; ENOTFOUND when unknown.
func (d *DB) Credentials(ctx context.Context, upn string) (Credentials, error) {
	var c Credentials
	var hash sql.NullString
	var setAt, deletedAt sql.NullInt64
	err := d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT upn, password_hash, password_set_at, must_change_password,
		blocked, deleted_at FROM users WHERE upn_key = ?`), strings.ToLower(upn)).
		Scan(&c.UPN, &hash, &setAt, &c.MustChangePassword, &c.Blocked, &deletedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return c, importer.Errorf(importer.ENOTFOUND, "no user %s", upn)
	}
	if err != nil {
		return c, fmt.Errorf("read credentials: %w", err)
	}
	c.PasswordHash = hash.String
	if setAt.Valid {
		c.PasswordSetAt = time.UnixMicro(setAt.Int64)
	}
	c.Deleted = deletedAt.Valid
	return c, nil
}

// SetPassword stores a new password hash for upn. mustChange makes the user
// change it at next sign-in. actor is who did it (the user itself for passwd).
func (d *DB) SetPassword(ctx context.Context, actor, upn, hash string, mustChange bool) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		now := d.now()
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET password_hash = ?, password_set_at = ?,
			must_change_password = ?, updated_at = ? WHERE upn_key = ? AND deleted_at IS NULL`),
			hash, now, mustChange, now, strings.ToLower(upn))
		if err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return importer.Errorf(importer.ENOTFOUND, "no user %s", upn)
		}
		return d.audit(ctx, tx, actor, "user set-password", upn, fmt.Sprintf("must change at next sign-in: %t", mustChange), "")
	})
}

// AssignRole gives upn an admin role.
func (d *DB) AssignRole(ctx context.Context, actor, upn string, role importer.Role) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		u, err := d.user(ctx, tx, upn)
		if err != nil {
			return err
		}
		if u.Deleted {
			return importer.Errorf(importer.ECONFLICT, "%s is deleted: restore it first", u.UserPrincipalName)
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO user_roles (user_id, role) VALUES (?, ?)`), u.ID, string(role))
		if err = mapErr(err); errors.Is(err, errUnique) {
			return importer.Errorf(importer.ECONFLICT, "%s is %s already", u.UserPrincipalName, role)
		}
		if err != nil {
			return fmt.Errorf("assign role: %w", err)
		}
		return d.audit(ctx, tx, actor, "role assign", u.UserPrincipalName, string(role), "")
	})
}

// RemoveRole takes an admin role from upn. The last Global admin keeps it,
// also when two removals run at once: the Global admins' role rows are
// locked before they are counted.
func (d *DB) RemoveRole(ctx context.Context, actor, upn string, role importer.Role) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		u, err := d.user(ctx, tx, upn)
		if err != nil {
			return err
		}
		if role == importer.GlobalAdmin {
			// On PostgreSQL a concurrent removal holds these rows until it
			// commits; the count then leaves out the row it deleted. (SQLite's
			// transactions hold the write lock from BEGIN.)
			var holders []string
			if err := tx.SelectContext(ctx, &holders, tx.Rebind(`SELECT r.user_id FROM user_roles r JOIN users u ON u.id = r.user_id
				WHERE r.role = ? AND u.deleted_at IS NULL`+d.forUpdateOf("r")), string(role)); err != nil {
				return fmt.Errorf("count admins: %w", err)
			}
			if n := len(holders); n <= 1 {
				return importer.Errorf(importer.ECONFLICT, "%s is the last Global admin: give the role to someone else first", u.UserPrincipalName)
			}
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM user_roles WHERE user_id = ? AND role = ?`), u.ID, string(role))
		if err != nil {
			return fmt.Errorf("remove role: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return importer.Errorf(importer.ENOTFOUND, "%s is not %s", u.UserPrincipalName, role)
		}
		return d.audit(ctx, tx, actor, "role remove", u.UserPrincipalName, string(role), "")
	})
}

// RoleHolder is one user holding one admin role.
type RoleHolder struct {
	UPN  string        `json:"userPrincipalName"`
	Role importer.Role `json:"role"`
}

// RoleHolders lists who holds which admin role, deleted users left out.
func (d *DB) RoleHolders(ctx context.Context) ([]RoleHolder, error) {
	var hs []RoleHolder
	rows, err := d.db.QueryxContext(ctx, `SELECT u.upn, r.role FROM user_roles r JOIN users u ON u.id = r.user_id
		WHERE u.deleted_at IS NULL ORDER BY r.role, u.upn_key`)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h RoleHolder
		if err := rows.Scan(&h.UPN, &h.Role); err != nil {
			return nil, fmt.Errorf("list roles: %w", err)
		}
		hs = append(hs, h)
	}
	return hs, rows.Err()
}
