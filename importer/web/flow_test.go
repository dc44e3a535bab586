package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"userimport/importer"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
)

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "samples", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var batchPath = regexp.MustCompile(`^/batches/[0-9a-f-]{36}$`)

// batchJSON reads GET /batches/{id}.json.
func (c *client) batchJSON(path string) map[string]any {
	c.s.t.Helper()
	a := c.get(path + ".json")
	if a.status != http.StatusOK {
		c.s.t.Fatalf("%s.json: %d %s", path, a.status, a.body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(a.body), &m); err != nil {
		c.s.t.Fatal(err)
	}
	return m
}

func TestImportFlow(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		s.user("ga2@contoso.com", "Gl0bal-admin-2", importer.GlobalAdmin)
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		c.get("/import")
		a := c.upload("new-hires.xlsx", sample(t, "new-hires.xlsx"), map[string]string{"mode": "create"})
		loc := a.header.Get("Location")
		if a.status != http.StatusSeeOther || !batchPath.MatchString(loc) {
			t.Fatalf("upload: %d to %q, want 303 to /batches/{id}: %s", a.status, loc, a.body)
		}
		b := c.batchJSON(loc)
		if b["state"] != "preview" || b["created"] != 14.0 || b["failed"] != 6.0 || b["source"] != "web" {
			t.Errorf("the preview's JSON: %v, want state preview, 14 created, 6 failed, source web", b)
		}
		p := c.get(loc)
		for _, want := range []string{"Seats", "ENTERPRISEPACK", "only rows with problems (6)", "User Name:"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("the preview page lacks %q", want)
			}
		}
		if n := strings.Count(p.body, `class="outcome-Failed"`); n != 6 {
			t.Errorf("the preview lists %d failed rows, want 6", n)
		}
		if all := c.get(loc + "?show=all"); strings.Count(all.body, "<tr><td class=\"num\">") != 20 {
			t.Errorf("every row: %d rows shown, want 20", strings.Count(all.body, "<tr><td class=\"num\">"))
		}
		if us, _ := db.Users(context.Background(), true); len(us) != 2 {
			t.Fatalf("the preview wrote users: %d in the directory", len(us))
		}
		if dl := c.get(loc + "/dry-run.xlsx"); dl.status != http.StatusOK || !strings.HasPrefix(dl.body, "PK") {
			t.Errorf("the dry-run workbook: %d", dl.status)
		}

		// Previewed again with another option, it says so.
		a = c.post(loc+"/preview", url.Values{"mode": {"create"}, "license": {"NOSUCH"}})
		if a.status != http.StatusBadRequest || !strings.Contains(a.body, "NOSUCH") {
			t.Errorf("a preview with an unknown license: %d, want 400 naming it", a.status)
		}
		c.get(loc)
		if a := c.post(loc+"/start", nil); a.status != http.StatusSeeOther {
			t.Fatalf("start: %d %s", a.status, a.body)
		}
		s.starter.Wait()
		b = c.batchJSON(loc)
		if b["state"] != "done" || b["created"] != 14.0 || b["failed"] != 6.0 || b["done"] != 20.0 || b["actingAdmin"] != dirtest.Admin {
			t.Errorf("the batch's JSON at the end: %v", b)
		}
		res := c.get(loc)
		for _, want := range []string{"results.xlsx", "credentials.txt"} {
			if !strings.Contains(res.body, want) {
				t.Errorf("the results page lacks %s", want)
			}
		}
		if dl := c.get(loc + "/results.xlsx"); dl.status != http.StatusOK || !strings.HasPrefix(dl.body, "PK") {
			t.Errorf("results.xlsx: %d", dl.status)
		}

		other := s.client()
		other.mustSignIn("ga2@contoso.com", "Gl0bal-admin-2")
		if a := other.get(loc + "/credentials.txt"); a.status != http.StatusForbidden || strings.Contains(a.body, "\t") {
			t.Errorf("another admin fetches the notice: %d, want 403", a.status)
		}
		head, _ := http.NewRequest("HEAD", s.srv.URL+loc+"/credentials.txt", nil)
		if a := c.do(head); a.status != http.StatusOK {
			t.Errorf("HEAD of the notice: %d, want 200", a.status)
		}
		n := c.get(loc + "/credentials.txt")
		if n.status != http.StatusOK || strings.Count(n.body, "@") < 14 || !strings.Contains(n.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("the notice: %d %q", n.status, n.header.Get("Content-Disposition"))
		}
		lines := 0
		for _, l := range strings.Split(n.body, "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				lines++
			}
		}
		if lines != 14 {
			t.Errorf("the notice has %d users, want 14", lines)
		}
		if a := c.get(loc + "/credentials.txt"); a.status != http.StatusGone {
			t.Errorf("the notice a second time: %d, want 410", a.status)
		}
		files, _ := filepath.Glob(filepath.Join(s.data, "batches", "*", "out", "*credentials*"))
		if len(files) != 0 {
			t.Errorf("the notice is still on disk after its download: %v", files)
		}
		audit, err := db.Audit(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range audit {
			if e.Action == "batch download" {
				got = append(got, e.Actor+" "+e.Target)
			}
		}
		want := []string{dirtest.Admin + " dry-run.xlsx", dirtest.Admin + " results.xlsx", dirtest.Admin + " credentials.txt"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("downloads in the audit log: %v, want %v", got, want)
		}
		if a := c.get("/batches"); !strings.Contains(a.body, "new-hires.xlsx") {
			t.Errorf("the Batches page does not list the batch")
		}
	})
}

func TestLicenseAdminUpload(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		s := newSite(t, db)
		s.user("la@contoso.com", "L1cense-admin", importer.LicenseAdmin)
		c := s.client()
		c.mustSignIn("la@contoso.com", "L1cense-admin")
		c.get("/import")
		a := c.upload("new-hires.csv", sample(t, "new-hires.csv"), nil)
		if a.status != http.StatusSeeOther {
			t.Fatalf("upload: %d %s", a.status, a.body)
		}
		b := c.batchJSON(a.header.Get("Location"))
		if b["created"] != 0.0 || b["failed"] != b["rows"] || b["rows"] != 14.0 {
			t.Errorf("a License admin's preview of new users: %v, want every row failed", b)
		}
		if p := c.get(a.header.Get("Location")); !strings.Contains(p.body, "License admin") {
			t.Errorf("the failed rows do not say that a License admin may not create users")
		}
	})
}

// TestExpire is the page's daily chore: a credentials notice nobody
// downloaded within importer.NoticeLifetime of its batch's end is deleted
// (and the page says to give new passwords), the uploads of ended batches
// and of previews never started that long are deleted, and the results
// stay. Not before.
func TestExpire(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		ctx := context.Background()
		s := newSite(t, db)
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		c.get("/import")
		done := c.upload("new-hires.xlsx", sample(t, "new-hires.xlsx"), nil).header.Get("Location")
		c.get(done)
		if a := c.post(done+"/start", nil); a.status != http.StatusSeeOther {
			t.Fatalf("start: %d %s", a.status, a.body)
		}
		s.starter.Wait()
		c.get("/import")
		idle := c.upload("new-hires.csv", sample(t, "new-hires.csv"), nil).header.Get("Location")
		upload := func(loc string) string {
			return filepath.Join(s.data, "batches", strings.TrimPrefix(loc, "/batches/"), "upload")
		}
		notices := func() []string {
			files, _ := filepath.Glob(filepath.Join(s.data, "batches", "*", "out", "*credentials*"))
			return files
		}

		if err := s.h.Expire(ctx, s.clock.Now().Add(importer.NoticeLifetime-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if len(notices()) != 1 {
			t.Fatalf("within the notice's lifetime: notices on disk %v, want the one", notices())
		}
		for _, loc := range []string{done, idle} {
			if _, err := os.Stat(upload(loc)); err != nil {
				t.Errorf("within the lifetime the upload of %s is gone: %v", loc, err)
			}
		}

		if err := s.h.Expire(ctx, s.clock.Now().Add(importer.NoticeLifetime+time.Hour)); err != nil {
			t.Fatal(err)
		}
		if len(notices()) != 0 {
			t.Errorf("after the notice's lifetime it is still on disk: %v", notices())
		}
		if a := c.get(done + "/credentials.txt"); a.status != http.StatusGone || !strings.Contains(a.body, "not downloaded within 7 days") {
			t.Errorf("the expired notice: %d, want 410 saying it was not downloaded within 7 days:\n%s", a.status, a.body)
		}
		if a := c.get(done); !strings.Contains(a.body, "give those users new passwords") {
			t.Error("the batch's page does not say the notice expired")
		}
		if a := c.get(done + "/results.xlsx"); a.status != http.StatusOK {
			t.Errorf("the results after the housekeeping: %d, want kept", a.status)
		}
		for _, loc := range []string{done, idle} {
			if _, err := os.Stat(upload(loc)); !os.IsNotExist(err) {
				t.Errorf("the upload of %s is still on disk (%v)", loc, err)
			}
		}
		if b := c.batchJSON(idle); b["state"] != "cancelled" {
			t.Errorf("the preview never started: %v, want cancelled", b["state"])
		}
		if a := c.post(idle+"/start", nil); a.status == http.StatusSeeOther {
			t.Error("a preview whose upload is gone was started")
		}
		expired := 0
		audit, _ := db.Audit(ctx)
		for _, e := range audit {
			if e.Action == "notice expire" && e.Actor == "system" {
				expired++
			}
		}
		if expired != 1 {
			t.Errorf("%d 'notice expire' lines in the audit log, want 1", expired)
		}
	})
}
