package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"userimport/importer"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
)

func TestUsersPage(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		var plans []*importer.Planned
		for i := 0; i < 120; i++ {
			p := dirtest.NewUser(fmt.Sprintf("user%03d@contoso.com", i))
			p.User.DisplayName = fmt.Sprintf("Person %03d", i)
			p.User.EmployeeID = fmt.Sprintf("E%04d", i)
			plans = append(plans, p)
		}
		dirtest.MustProvision(t, db, dirtest.Admin, plans...)
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		row := regexp.MustCompile(`<td><a href="/users/([^"]+)">`)
		seen := map[string]bool{}
		next, pages := "/users", 0
		for next != "" {
			a := c.get(next)
			pages++
			for _, m := range row.FindAllStringSubmatch(a.body, -1) {
				if seen[m[1]] {
					t.Errorf("%s shown twice", m[1])
				}
				seen[m[1]] = true
			}
			next = ""
			if m := regexp.MustCompile(`href="(/users\?[^"]+)">Next page`).FindStringSubmatch(a.body); m != nil {
				next = strings.ReplaceAll(m[1], "&amp;", "&")
			}
		}
		if len(seen) != 121 || pages != 3 {
			t.Errorf("paging through every user: %d users on %d pages, want 121 on 3", len(seen), pages)
		}
		for q, want := range map[string]string{"user05": "user050@contoso.com", "person 117": "user117@contoso.com", "E0042": "user042@contoso.com"} {
			a := c.get("/users?q=" + url.QueryEscape(q))
			if !strings.Contains(a.body, want) {
				t.Errorf("search %q does not find %s", q, want)
			}
		}
		if a := c.get("/users?q=E0042"); len(row.FindAllString(a.body, -1)) != 1 {
			t.Errorf("search by employee ID E0042 finds %d users, want 1", len(row.FindAllString(a.body, -1)))
		}
	})
}

func TestUserActions(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		s.user("jo@contoso.com", "Plain-us3r-pw")
		s.user("la@contoso.com", "L1cense-admin", importer.LicenseAdmin)
		ctx := context.Background()
		c := s.client()
		c.mustSignIn("la@contoso.com", "L1cense-admin")
		c.get("/users/jo@contoso.com")
		if a := c.post("/users/jo@contoso.com/assign-license", url.Values{"sku": {"SPB"}}); a.status != http.StatusOK || !strings.Contains(a.body, "SPB assigned") {
			t.Errorf("a License admin assigns SPB: %d", a.status)
		}
		if a := c.post("/users/jo@contoso.com/delete", nil); a.status != http.StatusForbidden {
			t.Errorf("a License admin deletes a user: %d, want 403", a.status)
		}
		if a := c.post("/licenses/SPB/seats", url.Values{"seats": {"50"}}); a.status != http.StatusForbidden {
			t.Errorf("a License admin sets seats: %d, want 403", a.status)
		}
		if u, _ := db.User(ctx, "jo@contoso.com"); len(u.Licenses) != 1 || u.Deleted {
			t.Fatalf("jo after the License admin: %+v", u)
		}
		g := s.client()
		g.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		g.get("/licenses")
		if a := g.post("/licenses/SPB/seats", url.Values{"seats": {"0"}}); a.status != http.StatusConflict {
			t.Errorf("seats below the assigned count: %d, want 409 (the seats taken refuse it)", a.status)
		}
		if a := g.post("/licenses/SPB/seats", url.Values{"seats": {"12"}}); a.status != http.StatusOK {
			t.Errorf("set seats: %d", a.status)
		}
		if a := g.post("/users/jo@contoso.com/remove-license", url.Values{"sku": {"SPB"}}); a.status != http.StatusOK {
			t.Errorf("remove a license: %d", a.status)
		}
		if a := g.post("/users/jo@contoso.com/delete", nil); a.status != http.StatusOK {
			t.Errorf("delete: %d", a.status)
		}
		if a := g.post("/users/jo@contoso.com/restore", nil); a.status != http.StatusOK {
			t.Errorf("restore: %d", a.status)
		}
		g.get("/domains")
		if a := g.post("/domains", url.Values{"name": {"tailspin.example"}}); a.status != http.StatusOK || !strings.Contains(a.body, "tailspin.example") {
			t.Errorf("add a domain: %d", a.status)
		}
		if a := g.post("/domains/tailspin.example/verify", nil); a.status != http.StatusOK {
			t.Errorf("verify a domain: %d", a.status)
		}
		ps, _ := db.Products(ctx)
		ds, _ := db.Domains(ctx)
		u, _ := db.User(ctx, "jo@contoso.com")
		verified := false
		for _, d := range ds {
			verified = verified || d.Name == "tailspin.example" && d.Verified
		}
		for _, p := range ps {
			if p.SKU == "SPB" && p.Seats != 12 {
				t.Errorf("SPB has %d seats, want 12", p.Seats)
			}
		}
		if !verified || u.Deleted || len(u.Licenses) != 0 {
			t.Errorf("after the Global admin: domain verified %t, jo %+v", verified, u)
		}
		if a := g.get("/template/template.xlsx"); a.status != http.StatusOK || !strings.HasPrefix(a.body, "PK") {
			t.Errorf("template.xlsx: %d", a.status)
		}
	})
}
