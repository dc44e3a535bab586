package sqldb

import (
	"context"
	"fmt"
	"strings"

	"userimport/importer"
)

// Lookup returns the users named by upnKeys (lower-cased user names),
// deleted ones included, with roles and licenses, and the owners of the
// lower-cased employee IDs empKeys. Two or three queries, whatever the
// number of keys.
func (d *DB) Lookup(ctx context.Context, upnKeys, empKeys []string) (map[string]*importer.User, map[string]string, error) {
	users := map[string]*importer.User{}
	owners := map[string]string{}
	if len(upnKeys) > 0 {
		q, args, err := d.inList(`SELECT `+userColumns()+` FROM `+d.byKeys("upn_key")("users", "users"), upnKeys)
		if err != nil {
			return nil, nil, err
		}
		us, err := queryUsers(ctx, d.db, q, args...)
		if err != nil {
			return nil, nil, fmt.Errorf("look up users: %w", err)
		}
		byID := make(map[string]*importer.User, len(us))
		for i := range us {
			u := &us[i]
			users[strings.ToLower(u.UserPrincipalName)] = u
			byID[u.ID] = u
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
