package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"userimport/importer"
)

// guard reads the acting admin inside tx and asks g whether it may act on
// target (read in the same transaction by the caller). A nil g allows all.
func (d *DB) guard(ctx context.Context, tx *sqlx.Tx, actor string, target importer.User, g importer.Guard) error {
	if g == nil {
		return nil
	}
	a, err := d.user(ctx, tx, actor)
	if importer.ErrorCode(err) == importer.ENOTFOUND {
		return importer.Errorf(importer.EFORBIDDEN, "%s: no such user", actor)
	}
	if err != nil {
		return err
	}
	if a.Deleted {
		return importer.Errorf(importer.EFORBIDDEN, "%s is deleted", actor)
	}
	return g(a, target)
}

// liveUser reads upn in tx for a change: a deleted user is ECONFLICT.
func (d *DB) liveUser(ctx context.Context, tx *sqlx.Tx, upn string) (importer.User, error) {
	u, err := d.user(ctx, tx, upn)
	if err != nil {
		return u, err
	}
	if u.Deleted {
		return u, importer.Errorf(importer.ECONFLICT, "%s is deleted: restore it first (`userimport user restore %s`)", u.UserPrincipalName, u.UserPrincipalName)
	}
	return u, nil
}

// SetSignInBlocked blocks (blocked true) or allows upn's sign-in, after g,
// when not nil, allowed it. Blocking oneself is ECONFLICT; a user already in
// that state is left as it is.
func (d *DB) SetSignInBlocked(ctx context.Context, actor, upn string, blocked bool, g importer.Guard) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		u, err := d.liveUser(ctx, tx, upn)
		if err != nil {
			return err
		}
		if err := d.guard(ctx, tx, actor, u, g); err != nil {
			return err
		}
		if blocked && strings.EqualFold(u.UserPrincipalName, actor) {
			return importer.Errorf(importer.ECONFLICT, "you cannot block your own sign-in")
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET blocked = ?, updated_at = ?
			WHERE id = ? AND deleted_at IS NULL AND blocked <> ?`), blocked, d.now(), u.ID, blocked)
		if err != nil {
			return fmt.Errorf("block user: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		action := "user unblock"
		if blocked {
			action = "user block"
		}
		return d.audit(ctx, tx, actor, action, u.UserPrincipalName, "", "")
	})
}

// AssignLicense gives upn the product sku with disabledPlans turned off,
// after g, when not nil, allowed it. The seat is taken by one conditional
// UPDATE (assigned < seats), so that no two assignments, in any process,
// take the last seat: when none is free the assignment is pending, behind
// those that wait already. It returns the status. A user who holds sku
// already is ECONFLICT; one with no usage location, when the organization
// has no default either, is EINVALID.
func (d *DB) AssignLicense(ctx context.Context, actor, upn, sku string, disabledPlans []string, g importer.Guard) (string, error) {
	var status string
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		u, err := d.liveUser(ctx, tx, upn)
		if err != nil {
			return err
		}
		if err := d.guard(ctx, tx, actor, u, g); err != nil {
			return err
		}
		for _, l := range u.Licenses {
			if l.SKU == sku {
				return importer.Errorf(importer.ECONFLICT, "%s holds %s already (%s)", u.UserPrincipalName, sku, l.Status)
			}
		}
		if u.UsageLocation == "" {
			var def string
			if err := tx.GetContext(ctx, &def, `SELECT default_usage_location FROM settings WHERE id = 1`); err != nil {
				return fmt.Errorf("read settings: %w", err)
			}
			if def == "" {
				return importer.Errorf(importer.EINVALID,
					"%s has no usage location, which a license needs: set one (an import with --mode upsert and a Usage Location) or an organization default (`userimport org set --usage-location CC`)", u.UserPrincipalName)
			}
		}
		var id int64
		err = tx.GetContext(ctx, &id, tx.Rebind(`SELECT id FROM products WHERE sku = ?`), sku)
		if errors.Is(err, sql.ErrNoRows) {
			return importer.Errorf(importer.ENOTFOUND, "no license %s: see `userimport license list`", sku)
		}
		if err != nil {
			return fmt.Errorf("read product: %w", err)
		}
		now := d.now()
		status = importer.LicensePending
		var assignedAt any
		var took int64
		err = tx.GetContext(ctx, &took, tx.Rebind(`UPDATE products SET assigned = assigned + 1
			WHERE id = ? AND assigned < seats RETURNING id`), id)
		switch {
		case err == nil:
			status, assignedAt = importer.LicenseAssigned, now
		case !errors.Is(err, sql.ErrNoRows):
			return mapErr(fmt.Errorf("take seat: %w", err))
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO license_assignments
			(user_id, product_id, status, disabled_plans, requested_at, queue_pos, assigned_at) VALUES (?, ?, ?, ?, ?, 0, ?)`),
			u.ID, id, status, strings.Join(disabledPlans, ";"), now, assignedAt); err != nil {
			if errors.Is(mapErr(err), errUnique) {
				return importer.Errorf(importer.ECONFLICT, "%s holds %s already", u.UserPrincipalName, sku)
			}
			return fmt.Errorf("assign license: %w", err)
		}
		detail := status
		if len(disabledPlans) > 0 {
			detail += "; disabled apps " + strings.Join(disabledPlans, ";")
		}
		return d.audit(ctx, tx, actor, "license assign", u.UserPrincipalName, sku+" "+detail, "")
	})
	return status, err
}

// RemoveLicense takes the product sku from upn, after g, when not nil,
// allowed it. A seat it held goes to the oldest pending assignment, in the
// same transaction. A user who does not hold sku is ENOTFOUND.
func (d *DB) RemoveLicense(ctx context.Context, actor, upn, sku string, g importer.Guard) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		u, err := d.liveUser(ctx, tx, upn)
		if err != nil {
			return err
		}
		if err := d.guard(ctx, tx, actor, u, g); err != nil {
			return err
		}
		id, _, _, err := d.lockProduct(ctx, tx, sku)
		if err != nil {
			return err
		}
		var status string
		err = tx.GetContext(ctx, &status, tx.Rebind(`DELETE FROM license_assignments
			WHERE user_id = ? AND product_id = ? RETURNING status`), u.ID, id)
		if errors.Is(err, sql.ErrNoRows) {
			return importer.Errorf(importer.ENOTFOUND, "%s does not hold %s", u.UserPrincipalName, sku)
		}
		if err != nil {
			return fmt.Errorf("remove license: %w", err)
		}
		if status == importer.LicenseAssigned {
			if err := d.releaseSeat(ctx, tx, id); err != nil {
				return err
			}
		}
		return d.audit(ctx, tx, actor, "license remove", u.UserPrincipalName, sku+" ("+status+")", "")
	})
}

// ResetPassword stores a new password hash for upn that must be changed at
// next sign-in, set by the admin actor after g, when not nil, allowed it.
func (d *DB) ResetPassword(ctx context.Context, actor, upn, hash string, g importer.Guard) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		u, err := d.liveUser(ctx, tx, upn)
		if err != nil {
			return err
		}
		if err := d.guard(ctx, tx, actor, u, g); err != nil {
			return err
		}
		now := d.now()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET password_hash = ?, password_set_at = ?,
			must_change_password = ?, updated_at = ? WHERE id = ?`), hash, now, true, now, u.ID); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		return d.audit(ctx, tx, actor, "user set-password", u.UserPrincipalName, "must change at next sign-in: true", "")
	})
}

// ReplaceHash stores hash in place of old, if old is still upn's password
// hash (a password changed meanwhile stays), keeping when the password was
// set and whether it must change: the first sign-in of a user whose hash
// was imported from another system.
func (d *DB) ReplaceHash(ctx context.Context, upn, old, hash string) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET password_hash = ?
			WHERE upn_key = ? AND password_hash = ?`), hash, strings.ToLower(upn), old)
		if err != nil {
			return fmt.Errorf("replace password hash: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return d.audit(ctx, tx, upn, "user sign-in", upn, "imported password hash replaced with argon2id", "")
	})
}

// InitTenant creates the directory t describes with its first Global admin
// adminUPN, whose password (hash adminHash) must be changed at first
// sign-in. It is ECONFLICT when the directory exists.
func (d *DB) InitTenant(ctx context.Context, t importer.Demo, adminUPN, adminHash string) error {
	return d.Init(ctx, InitParams{
		Settings: t.Settings, Domains: t.Domains, Products: t.Products,
		AdminUPN: adminUPN, AdminDisplayName: t.Settings.Name + " admin", AdminPasswordHash: adminHash,
		AdminMustChangePassword: true,
	})
}

// SetSettings stores the organization's settings s, whole.
func (d *DB) SetSettings(ctx context.Context, actor string, s importer.Settings) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE settings SET name = ?, password_expiry_days = ?,
			default_usage_location = ?, sign_in_url = ?, time_zone = ? WHERE id = 1`),
			s.Name, s.PasswordExpiryDays, s.DefaultUsageLocation, s.SignInURL, s.TimeZone)
		if err != nil {
			if errors.Is(mapErr(err), errCheck) {
				return importer.Errorf(importer.EINVALID, "password expiry must be 0 or from 14 to 730 days")
			}
			return fmt.Errorf("set settings: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errUninitialized()
		}
		return d.audit(ctx, tx, actor, "org set", s.Name, fmt.Sprintf("password expiry %d days; usage location %q; sign-in URL %q; time zone %q",
			s.PasswordExpiryDays, s.DefaultUsageLocation, s.SignInURL, s.TimeZone), "")
	})
}
