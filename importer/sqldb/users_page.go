package sqldb

import (
	"context"
	"fmt"
	"strings"

	"userimport/importer"
)

// SearchUsers returns up to limit users, deleted ones too, in user name
// order after the lower-cased user name after, whose user name, display
// name (case ignored) or employee ID starts with q ("": every user).
// Roles and licenses are not loaded. Without q a page is one range of the
// user name index, the same cost however deep; with q each field is a
// range of its index (upn_key, users_by_display_name, employee_id_key).
func (d *DB) SearchUsers(ctx context.Context, q, after string, limit int) ([]importer.User, error) {
	cols := userColumns()
	var (
		query string
		args  []any
	)
	if q == "" {
		query = `SELECT ` + cols + ` FROM users WHERE upn_key > ? ORDER BY upn_key LIMIT ?`
		args = []any{after, limit}
	} else {
		lo := strings.ToLower(q)
		hi := lo + "\U0010FFFF"
		// Three index ranges merged by the outer ORDER BY. The user
		// name range is in page order and stops at the limit; the
		// display name and employee ID ranges hold every match of q.
		query = `SELECT ` + cols + ` FROM users WHERE id IN (
			SELECT id FROM (SELECT id FROM users WHERE upn_key >= ? AND upn_key < ? AND upn_key > ? ORDER BY upn_key LIMIT ?) a
			UNION SELECT id FROM users WHERE lower(display_name) >= ? AND lower(display_name) < ? AND upn_key > ?
			UNION SELECT id FROM users WHERE employee_id_key >= ? AND employee_id_key < ? AND upn_key > ?
		) ORDER BY upn_key LIMIT ?`
		args = []any{lo, hi, after, limit, lo, hi, after, lo, hi, after, limit}
	}
	us, err := queryUsers(ctx, d.db, d.db.Rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	return us, nil
}
