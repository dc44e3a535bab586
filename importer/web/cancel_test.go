package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"userimport/importer/sqldb"
	"userimport/importer/web"
	"userimport/internal/dirtest"
)

func newGate(n int64) *dirtest.Gate { return dirtest.NewGate(hasher(), n) }

// TestCancelRunningBatch: Cancel stops a running batch as Ctrl-C does (it
// is interrupted and resumes with Start); an interrupted batch's Cancel
// ends it for good, failing the rest and freeing their seats.
func TestCancelRunningBatch(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		g := newGate(3)
		s := newSite(t, db, func(c *web.Config) { c.Hasher = g })
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		c.get("/import")
		loc := c.upload("new-hires.csv", sample(t, "new-hires.csv"), map[string]string{"workers": "1"}).header.Get("Location")
		c.get(loc)
		if a := c.post(loc+"/start", nil); a.status != http.StatusSeeOther {
			t.Fatalf("start: %d", a.status)
		}
		<-g.Blocked
		if p := c.get(loc); !strings.Contains(p.body, `id="progress"`) || !strings.Contains(p.body, `http-equiv="refresh"`) {
			t.Errorf("a running batch's page has no progress bar, or no refresh for browsers without scripts")
		}
		if b := c.batchJSON(loc); b["state"] != "running" {
			t.Errorf("while it runs: state %v", b["state"])
		}
		if a := c.post(loc+"/cancel", nil); a.status != http.StatusSeeOther {
			t.Fatalf("cancel: %d %s", a.status, a.body)
		}
		s.starter.Wait()
		if b := c.batchJSON(loc); b["state"] != "interrupted" {
			t.Errorf("after Cancel of a running batch: state %v, want interrupted", b["state"])
		}
		if p := c.get(loc); !strings.Contains(p.body, "stopped by "+dirtest.Admin) || !strings.Contains(p.body, "Resume") {
			t.Errorf("the stopped batch's page does not say who stopped it and offer Resume")
		}
		if a := c.post(loc+"/cancel", nil); a.status != http.StatusSeeOther {
			t.Fatalf("cancel for good: %d %s", a.status, a.body)
		}
		b := c.batchJSON(loc)
		if b["state"] != "cancelled" {
			t.Errorf("after Cancel of the interrupted batch: state %v, want cancelled", b["state"])
		}
		created := int(b["created"].(float64))
		if created > 3 || created+int(b["failed"].(float64)) != 14 {
			t.Errorf("after Cancel: %v, want at most 3 created and the rest failed", b)
		}
		ps, _ := db.Products(context.Background())
		for _, p := range ps {
			if p.SKU == "ENTERPRISEPACK" && p.Assigned > created {
				t.Errorf("seats of rows not written are still held: %d assigned, %d users created", p.Assigned, created)
			}
		}
		if p := c.get(loc); !strings.Contains(p.body, "results.xlsx") {
			t.Errorf("a cancelled batch's page offers no results workbook")
		}
	})
}

func TestCancelThenResume(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		g := newGate(3)
		s := newSite(t, db, func(c *web.Config) { c.Hasher = g })
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		c.get("/import")
		loc := c.upload("new-hires.csv", sample(t, "new-hires.csv"), nil).header.Get("Location")
		c.get(loc)
		c.post(loc+"/start", nil)
		<-g.Blocked
		c.post(loc+"/cancel", nil)
		s.starter.Wait()
		g.Open()
		c.get(loc)
		if a := c.post(loc+"/start", nil); a.status != http.StatusSeeOther {
			t.Fatalf("resume: %d %s", a.status, a.body)
		}
		s.starter.Wait()
		if b := c.batchJSON(loc); b["state"] != "done" || b["created"] != 14.0 {
			t.Errorf("the resumed batch: %v, want done with 14 created", b)
		}
		if a := c.post(loc+"/start", nil); a.status != http.StatusConflict || !strings.Contains(a.body, "only a previewed or interrupted batch can start") {
			t.Errorf("start of a done batch: %d, want 409 saying why", a.status)
		}
		n := c.get(loc + "/credentials.txt")
		if n.status != http.StatusOK || strings.Count(n.body, "\t") != 14 {
			t.Errorf("the resumed batch's notice: %d with %d users, want 14", n.status, strings.Count(n.body, "\t"))
		}
	})
}

func TestResumeAfterRestart(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		g := newGate(3)
		s := newSite(t, db, func(c *web.Config) { c.Hasher = g })
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		c.get("/import")
		loc := c.upload("new-hires.csv", sample(t, "new-hires.csv"), nil).header.Get("Location")
		c.get(loc)
		c.post(loc+"/start", nil)
		<-g.Blocked
		s.stop() // serve stops (SIGTERM): the run is interrupted

		// serve again, on the same directory and --data.
		again := newSite(t, db, func(c *web.Config) { c.DataDir = s.data })
		c2 := again.client()
		c2.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		p := c2.get(loc)
		if !strings.Contains(p.body, "Interrupted") {
			t.Fatalf("after a restart the batch's page does not say it was interrupted")
		}
		if a := c2.post(loc+"/start", nil); a.status != http.StatusSeeOther {
			t.Fatalf("resume: %d %s", a.status, a.body)
		}
		again.starter.Wait()
		b := c2.batchJSON(loc)
		if b["state"] != "done" || b["created"] != 14.0 || b["failed"] != 0.0 {
			t.Errorf("the resumed batch: %v, want done with 14 created", b)
		}
		n := c2.get(loc + "/credentials.txt")
		lines := 0
		for _, l := range strings.Split(n.body, "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				lines++
			}
		}
		if n.status != http.StatusOK || lines != 14 {
			t.Errorf("the resumed batch's notice: %d with %d users, want 14", n.status, lines)
		}
	})
}
