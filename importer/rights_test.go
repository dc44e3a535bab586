package importer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"userimport/importer"
	"userimport/importer/argon2id"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
)

// TestRightsCheckedWhenWritten: the acting admin's roles are read in each
// transaction that writes rows, not only when the rows were planned: a
// User admin made a License admin in the middle of a batch creates no
// user after that, and the rows left fail saying why.
func TestRightsCheckedWhenWritten(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		dirtest.MustProvision(t, db, dirtest.Admin, dirtest.NewUser("ua@contoso.com"))
		must(t, db.AssignRole(ctx, dirtest.Admin, "ua@contoso.com", importer.UserAdmin))
		const n = 20
		path := writeCSV(t, t.TempDir(), "midway.csv", "User Name,Display Name,Usage Location", n, func(i int) string {
			return fmt.Sprintf("mid%02d@contoso.com,Mid %d,US", i, i)
		})
		o := options(t, db, path)
		o.Actor, _ = db.User(ctx, "ua@contoso.com")
		o.Workers = 1
		g := dirtest.NewGate(argon2id.NewHasher(argon2id.InsecureTestParams(), 0), 5)
		o.Hasher = g
		type ran struct {
			rep importer.Report
			err error
		}
		done := make(chan ran, 1)
		go func() { rep, err := importer.Run(ctx, db, o); done <- ran{rep, err} }()
		<-g.Blocked
		must(t, db.RemoveRole(ctx, dirtest.Admin, "ua@contoso.com", importer.UserAdmin))
		must(t, db.AssignRole(ctx, dirtest.Admin, "ua@contoso.com", importer.LicenseAdmin))
		g.Open()
		r := <-done
		s := r.rep.Summary
		if s.Failed == 0 || s.Created+s.Failed != n || s.Created > 5 {
			t.Fatalf("after the role was taken mid-batch: %+v (%v); want at most the 5 rows hashed before created, the rest failed", s, r.err)
		}
		rows := sheetRows(t, r.rep.ResultsPath, "Results")
		failed := 0
		for _, row := range rows {
			if row["Outcome"] != "Failed" {
				continue
			}
			failed++
			if !strings.Contains(row["Message"], "may not create users") {
				t.Errorf("row %s failed with %q, want that a License admin may not create users", row["Row"], row["Message"])
			}
			if _, err := db.User(ctx, row["User Name"]); importer.ErrorCode(err) != importer.ENOTFOUND {
				t.Errorf("%s failed, yet is in the directory (%v)", row["User Name"], err)
			}
		}
		if failed != s.Failed {
			t.Errorf("%d failed rows in the workbook, the summary says %d", failed, s.Failed)
		}
	})
}
