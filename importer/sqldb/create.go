package sqldb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"userimport/importer"
)

// NewUser is a user to create: its profile, the hash of its password ("" for
// none: single sign-on), the licenses it asks for and its admin roles.
type NewUser struct {
	importer.User
	PasswordHash string
	Blocked      bool
	Requests     []LicenseRequest
}

// LicenseRequest asks for one product for a user.
type LicenseRequest struct {
	SKU           string
	DisabledPlans []string
}

// AddUser creates one user. Each requested license takes a free seat when
// there is one, else waits as pending. It returns the new user's ID.
func (d *DB) AddUser(ctx context.Context, actor string, u NewUser) (string, error) {
	var id string
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		id, err = d.insertUser(ctx, tx, &u)
		if err != nil {
			return err
		}
		now := d.now()
		for _, r := range u.Requests {
			pid, seats, assigned, err := d.lockProduct(ctx, tx, r.SKU)
			if err != nil {
				return err
			}
			status := importer.LicensePending
			if assigned < seats {
				status = importer.LicenseAssigned
				if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE products SET assigned = assigned + 1 WHERE id = ?`), pid); err != nil {
					return mapErr(fmt.Errorf("take seat: %w", err))
				}
			}
			if err := d.insertAssignment(ctx, tx, id, pid, status, r.DisabledPlans, now, 0); err != nil {
				return err
			}
		}
		return d.audit(ctx, tx, actor, "user create", u.UserPrincipalName, "", "")
	})
	return id, err
}

// insertUser inserts u's profile, password and roles, and sets u.ID.
func (d *DB) insertUser(ctx context.Context, tx *sqlx.Tx, u *NewUser) (string, error) {
	if u.ID == "" {
		u.ID = uuid.NewString()
	}
	now := d.now()
	var hash, setAt, empID, empKey any
	if u.PasswordHash != "" {
		hash, setAt = u.PasswordHash, now
	}
	if u.EmployeeID != "" {
		empID, empKey = u.EmployeeID, strings.ToLower(u.EmployeeID)
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO users (id, upn, upn_key, display_name, first_name, last_name,
		job_title, department, office_number, office_phone, mobile_phone, fax, alternate_email, address, city,
		state, postal_code, country, usage_location, employee_id, employee_id_key, blocked, password_hash,
		password_set_at, must_change_password, source, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		u.ID, u.UserPrincipalName, strings.ToLower(u.UserPrincipalName), u.DisplayName, u.FirstName, u.LastName,
		u.JobTitle, u.Department, u.OfficeNumber, u.OfficePhone, u.MobilePhone, u.Fax, u.AlternateEmail, u.Address,
		u.City, u.State, u.PostalCode, u.Country, u.UsageLocation, empID, empKey, u.Blocked, hash,
		setAt, u.MustChangePassword, u.Source, now, now)
	if err = mapErr(err); errors.Is(err, errUnique) {
		return "", d.conflict(ctx, tx, u)
	}
	if err != nil {
		return "", fmt.Errorf("insert user: %w", err)
	}
	for _, r := range u.Roles {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO user_roles (user_id, role) VALUES (?, ?)`), u.ID, string(r)); err != nil {
			return "", mapErr(fmt.Errorf("insert role: %w", err))
		}
	}
	return u.ID, nil
}

// conflict says which unique field of u is taken.
func (d *DB) conflict(ctx context.Context, tx *sqlx.Tx, u *NewUser) error {
	var n int
	_ = tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM users WHERE upn_key = ?`), strings.ToLower(u.UserPrincipalName))
	if n > 0 {
		return importer.Errorf(importer.ECONFLICT, "User Name: already exists (%q)", u.UserPrincipalName)
	}
	return importer.Errorf(importer.ECONFLICT, "Employee ID: already belongs to another user (%q)", u.EmployeeID)
}

func (d *DB) insertAssignment(ctx context.Context, tx *sqlx.Tx, userID string, productID int64, status string,
	disabled []string, requestedAt, queuePos int64) error {
	var assignedAt any
	if status == importer.LicenseAssigned {
		assignedAt = d.now()
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO license_assignments
		(user_id, product_id, status, disabled_plans, requested_at, queue_pos, assigned_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		userID, productID, status, strings.Join(disabled, ";"), requestedAt, queuePos, assignedAt)
	if err != nil {
		return mapErr(fmt.Errorf("insert license: %w", err))
	}
	return nil
}
