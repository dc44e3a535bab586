package sqldb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"userimport/importer"
)

// AddDomain adds a domain, verified or not.
func (d *DB) AddDomain(ctx context.Context, actor string, dom importer.Domain) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := d.addDomain(ctx, tx, dom); err != nil {
			return err
		}
		return d.audit(ctx, tx, actor, "domain add", dom.Name, fmt.Sprintf("verified=%t", dom.Verified), "")
	})
}

func (d *DB) addDomain(ctx context.Context, tx *sqlx.Tx, dom importer.Domain) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO domains (name, verified, created_at) VALUES (?, ?, ?)`),
		strings.ToLower(dom.Name), dom.Verified, d.now())
	if err = mapErr(err); errors.Is(err, errUnique) {
		return importer.Errorf(importer.ECONFLICT, "domain %s exists already", dom.Name)
	}
	if err != nil {
		return fmt.Errorf("insert domain: %w", err)
	}
	return nil
}

// VerifyDomain marks a domain verified.
func (d *DB) VerifyDomain(ctx context.Context, actor, name string) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE domains SET verified = TRUE WHERE name = ?`), strings.ToLower(name))
		if err != nil {
			return fmt.Errorf("verify domain: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return importer.Errorf(importer.ENOTFOUND, "no domain %s: add it with `userimport domain add %s`", name, name)
		}
		return d.audit(ctx, tx, actor, "domain verify", strings.ToLower(name), "", "")
	})
}

// RemoveDomain removes a domain that no user is in.
func (d *DB) RemoveDomain(ctx context.Context, actor, name string) error {
	name = strings.ToLower(name)
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM users WHERE upn_key LIKE ?`), "%@"+name); err != nil {
			return fmt.Errorf("count users: %w", err)
		}
		if n > 0 {
			return importer.Errorf(importer.ECONFLICT, "domain %s still has %d users (deleted ones included): remove or purge them first", name, n)
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM domains WHERE name = ?`), name)
		if err != nil {
			return fmt.Errorf("remove domain: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return importer.Errorf(importer.ENOTFOUND, "no domain %s", name)
		}
		return d.audit(ctx, tx, actor, "domain remove", name, "", "")
	})
}

// Domains lists the domains by name.
func (d *DB) Domains(ctx context.Context) ([]importer.Domain, error) {
	var ds []importer.Domain
	rows, err := d.db.QueryContext(ctx, `SELECT name, verified FROM domains ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var dom importer.Domain
		if err := rows.Scan(&dom.Name, &dom.Verified); err != nil {
			return nil, fmt.Errorf("list domains: %w", err)
		}
		ds = append(ds, dom)
	}
	return ds, rows.Err()
}
