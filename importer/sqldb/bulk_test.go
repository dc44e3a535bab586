package sqldb

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"

	"userimport/importer"
	"userimport/internal/pgtest"
)

// TestUpdateUsersInBulk: updateUsers writes every row of a chunk larger
// than one SQLite statement may bind in one call, without falling back
// (Provision would retry row by row on a short count, and hide it).
func TestUpdateUsersInBulk(t *testing.T) {
	for _, backend := range []string{SQLite, Postgres} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			url := "sqlite:" + filepath.Join(t.TempDir(), "userimport.db")
			if backend == Postgres {
				url = pgtest.URL(t)
			}
			d, err := Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			const n = 3000
			var rows [][]any
			var plans []*importer.Planned
			for i := range n {
				u := importer.User{ID: fmt.Sprintf("id%d", i), UserPrincipalName: fmt.Sprintf("u%d@contoso.com", i), Source: "cli"}
				rows = append(rows, insertValues(&u, false, "", u.Source, 1))
				u.JobTitle, u.EmployeeID = "T", fmt.Sprintf("E%d", i)
				p := &importer.Planned{Action: importer.ActionUpdate, User: u, Blocked: true,
					Changed: []string{importer.ColJobTitle.Key(), importer.ColEmployeeID.Key(), importer.ColBlockSignIn.Key()}}
				for _, c := range profile {
					*c.field(&p.User) = "x"
					p.Changed = append(p.Changed, c.col.Key())
				}
				plans = append(plans, p)
			}
			err = d.inTx(ctx, func(tx *sqlx.Tx) error {
				if err := d.insertRows(ctx, tx, "users", insertColumns(), rows); err != nil {
					return err
				}
				return d.updateUsers(ctx, tx, plans, newChangeKeys(), 2)
			})
			if err != nil {
				t.Fatal(err)
			}
			var changed int
			if err := d.db.GetContext(ctx, &changed, `SELECT COUNT(*) FROM users
				WHERE blocked AND job_title = 'x' AND employee_id_key LIKE 'e%' AND updated_at = 2`); err != nil {
				t.Fatal(err)
			}
			if changed != n {
				t.Fatalf("%d of %d users updated", changed, n)
			}
		})
	}
}
