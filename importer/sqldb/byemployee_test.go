package sqldb_test

import (
	"context"
	"testing"

	"userimport/importer"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
)

// TestByEmployeeID: a sync feed's lookup gives each matched user its roles
// (which the rights checks need: a feed may not change a Global admin
// unless its acting admin is one) and its licenses, each once, and none to
// the users that have none.
func TestByEmployeeID(t *testing.T) {
	dirtest.EachDB(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		mustInit(t, db, 1)
		var plans []*importer.Planned
		for _, e := range []struct{ upn, emp string }{{"ada@contoso.com", "E1"}, {"bo@contoso.com", "E2"}, {"cy@contoso.com", "E3"}} {
			p := dirtest.NewUser(e.upn, "ENTERPRISEPACK")
			p.User.EmployeeID = e.emp
			plans = append(plans, p)
		}
		dirtest.MustProvision(t, db, admin, plans...)
		for _, r := range []importer.Role{importer.UserAdmin, importer.GlobalAdmin} {
			if err := db.AssignRole(ctx, admin, "bo@contoso.com", r); err != nil {
				t.Fatal(err)
			}
		}
		// e1 twice: a file may list an employee twice in one chunk.
		got, err := db.ByEmployeeID(ctx, []string{"e1", "e2", "e3", "e4", "e1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("%d users found for 3 employee IDs (and one unknown): %v", len(got), got)
		}
		want := map[string]struct {
			upn     string
			roles   []importer.Role
			license string
		}{
			"e1": {"ada@contoso.com", nil, importer.LicenseAssigned}, // the only seat
			"e2": {"bo@contoso.com", []importer.Role{importer.GlobalAdmin, importer.UserAdmin}, importer.LicensePending},
			"e3": {"cy@contoso.com", nil, importer.LicensePending},
		}
		for emp, w := range want {
			u := got[emp]
			if u.User == nil || u.UserPrincipalName != w.upn {
				t.Fatalf("%s: %+v, want %s", emp, u.User, w.upn)
			}
			if len(u.Roles) != len(w.roles) {
				t.Errorf("%s: roles %v, want %v", w.upn, u.Roles, w.roles)
			}
			for _, r := range w.roles {
				if !u.HasRole(r) {
					t.Errorf("%s: roles %v, want %v", w.upn, u.Roles, w.roles)
				}
			}
			if len(u.Licenses) != 1 || u.Licenses[0].SKU != "ENTERPRISEPACK" || u.Licenses[0].Status != w.license {
				t.Errorf("%s: licenses %+v, want ENTERPRISEPACK %s", w.upn, u.Licenses, w.license)
			}
		}
	})
}
