package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"userimport/importer"
)

// InitParams describe a new directory.
type InitParams struct {
	Settings importer.Settings
	Domains  []importer.Domain
	Products []importer.Product
	// The first Global admin: user name and the hash of its password.
	AdminUPN          string
	AdminDisplayName  string
	AdminPasswordHash string
	// AdminMustChangePassword makes the first Global admin change its
	// password at first sign-in (init prints it once).
	AdminMustChangePassword bool
}

// Initialized reports whether init has run on this database.
func (d *DB) Initialized(ctx context.Context) (bool, error) {
	var n int
	if err := d.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM settings`); err != nil {
		return false, fmt.Errorf("read settings: %w", err)
	}
	return n > 0, nil
}

// Init creates the directory: settings, domains, products and the first
// Global admin. It fails with ECONFLICT when the directory exists already.
func (d *DB) Init(ctx context.Context, p InitParams) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM settings`); err != nil {
			return fmt.Errorf("read settings: %w", err)
		}
		if n > 0 {
			return importer.Errorf(importer.ECONFLICT, "this directory is initialized already")
		}
		s := p.Settings
		now := d.now()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO settings
			(id, name, password_expiry_days, default_usage_location, sign_in_url, initial_admin, created_at)
			VALUES (1, ?, ?, ?, ?, ?, ?)`),
			s.Name, s.PasswordExpiryDays, s.DefaultUsageLocation, s.SignInURL, strings.ToLower(p.AdminUPN), now); err != nil {
			return mapErr(fmt.Errorf("insert settings: %w", err))
		}
		for _, dom := range p.Domains {
			if err := d.addDomain(ctx, tx, dom); err != nil {
				return err
			}
		}
		for _, pr := range p.Products {
			if err := d.addProduct(ctx, tx, pr); err != nil {
				return err
			}
		}
		id := uuid.NewString()
		alias, _, _ := strings.Cut(p.AdminUPN, "@")
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO users
			(id, upn, upn_key, display_name, first_name, password_hash, password_set_at,
			 must_change_password, source, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'init', ?, ?)`),
			id, p.AdminUPN, strings.ToLower(p.AdminUPN), p.AdminDisplayName, alias,
			p.AdminPasswordHash, now, p.AdminMustChangePassword, now, now); err != nil {
			return mapErr(fmt.Errorf("insert admin: %w", err))
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO user_roles (user_id, role) VALUES (?, ?)`),
			id, string(importer.GlobalAdmin)); err != nil {
			return fmt.Errorf("insert admin role: %w", err)
		}
		return d.audit(ctx, tx, "init", "init", s.Name, "directory created; Global admin "+p.AdminUPN, "")
	})
}

// Settings returns the organization's settings. An uninitialized directory
// is EUNINIT.
func (d *DB) Settings(ctx context.Context) (importer.Settings, error) {
	var s importer.Settings
	err := d.db.QueryRowxContext(ctx, `SELECT name, password_expiry_days, default_usage_location, sign_in_url, time_zone
		FROM settings WHERE id = 1`).Scan(&s.Name, &s.PasswordExpiryDays, &s.DefaultUsageLocation, &s.SignInURL, &s.TimeZone)
	if errors.Is(err, sql.ErrNoRows) {
		return s, errUninitialized()
	}
	if err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	return s, nil
}

// InitialAdmin returns the user name of the Global admin that init created.
func (d *DB) InitialAdmin(ctx context.Context) (string, error) {
	var upn string
	err := d.db.GetContext(ctx, &upn, `SELECT initial_admin FROM settings WHERE id = 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errUninitialized()
	}
	if err != nil {
		return "", fmt.Errorf("read settings: %w", err)
	}
	return upn, nil
}

func errUninitialized() error {
	return importer.Errorf(importer.EUNINIT,
		"this directory is not initialized: run `userimport init --org NAME --domain DOMAIN` (or `userimport init --demo`) first")
}

// audit records one change.
func (d *DB) audit(ctx context.Context, tx *sqlx.Tx, actor, action, target, detail, batchID string) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO audit_log (at, actor, action, target, detail, batch_id)
		VALUES (?, ?, ?, ?, ?, ?)`), d.now(), actor, action, target, detail, batchID)
	if err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	At      int64  `db:"at"`
	Actor   string `db:"actor"`
	Action  string `db:"action"`
	Target  string `db:"target"`
	Detail  string `db:"detail"`
	BatchID string `db:"batch_id"`
}

// Audit returns the audit log, oldest first.
func (d *DB) Audit(ctx context.Context) ([]AuditEntry, error) {
	var es []AuditEntry
	if err := d.db.SelectContext(ctx, &es, `SELECT at, actor, action, target, detail, batch_id
		FROM audit_log ORDER BY id`); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return es, nil
}
