package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"userimport/importer"
	"userimport/importer/sheet"
	"userimport/importer/sqldb"
	"userimport/importer/web"
	"userimport/internal/dirtest"
	"userimport/report"
)

// feedSite is a site whose Feeds page approves through a real feed
// service on the same directory and clock, and a feed "hr" on a real
// folder.
type feedSite struct {
	*site
	svc *importer.FeedService
	dir string
}

func newFeedSite(t *testing.T, db *sqldb.DB) *feedSite {
	t.Helper()
	fs := &feedSite{dir: t.TempDir()}
	fs.svc = &importer.FeedService{Dir: db, Store: db, Run: func(f importer.Feed) importer.FeedRun {
		return importer.FeedRun{Workers: 2, Hasher: hasher(), Outputs: report.Outputs(),
			Open: func(p string) (importer.RowSource, error) {
				return sheet.Open(p, sheet.Options{Rename: f.Rename(), UserNameOptional: true})
			}}
	}}
	fs.site = newSite(t, db, func(c *web.Config) { c.Feeds = fs.svc })
	fs.svc.Now = fs.clock.Now
	t.Cleanup(fs.svc.Wait)
	ctx := context.Background()
	actor, err := db.User(ctx, dirtest.Admin)
	if err != nil {
		t.Fatal(err)
	}
	f := importer.NewFeed("hr")
	f.Dir, f.Domain, f.UsageLocation, f.NoPasswords = fs.dir, "contoso.com", "US", true
	f.UPN = "{first}.{last}"
	if err := importer.AddFeed(ctx, db, actor, f); err != nil {
		t.Fatal(err)
	}
	return fs
}

// drop writes a night of n employees (E001…) and lets the service take
// it: seen by one poll, taken by the next, 31 s later.
func (fs *feedSite) drop(name string, n int) {
	fs.t.Helper()
	var b strings.Builder
	b.WriteString("Employee ID,First Name,Last Name,Department\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "E%03d,Emp,Number%03d,Sales\n", i, i)
	}
	path := filepath.Join(fs.dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		fs.t.Fatal(err)
	}
	old := fs.clock.Now().Add(-time.Minute)
	os.Chtimes(path, old, old)
	for range 2 {
		if err := fs.svc.Poll(context.Background()); err != nil {
			fs.t.Fatalf("poll: %v", err)
		}
		fs.clock.Add(31 * time.Second)
	}
}

var heldRow = regexp.MustCompile(`<form method="post" action="/batches/([0-9a-f-]+)/approve"`)

// TestFeedsPage is the Feeds page of SPEC §12: each feed with its last
// and next run and its users, the batch a broken file is held in with
// Approve and Cancel, and the recent results with their workbooks.
func TestFeedsPage(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, _ string, db *sqldb.DB) {
		ctx := context.Background()
		s := newFeedSite(t, db)
		s.drop("night1.csv", 10)
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		if a := c.get("/me"); !strings.Contains(a.body, `<a href="/feeds">Feeds</a>`) {
			t.Error("a Global admin's menu has no Feeds")
		}
		a := c.get("/feeds")
		if a.status != http.StatusOK || !strings.Contains(a.body, "<h2>hr</h2>") || !strings.Contains(a.body, "<dt>Active users</dt><dd>10</dd>") {
			t.Fatalf("/feeds after night 1: %d, want feed hr with 10 active users:\n%s", a.status, a.body)
		}
		if strings.Contains(a.body, "Last run: never") || !strings.Contains(a.body, "night1.csv") {
			t.Errorf("/feeds does not show night 1 as the last run and in the recent results:\n%s", a.body)
		}
		link := regexp.MustCompile(`href="(/feeds/hr/batches/[0-9a-f-]+/results\.xlsx)"`).FindStringSubmatch(a.body)
		if link == nil {
			t.Fatalf("night 1 has no results workbook link:\n%s", a.body)
		}
		if a := c.get(link[1]); a.status != http.StatusOK || !strings.HasPrefix(a.body, "PK") ||
			!strings.Contains(a.header.Get("Content-Disposition"), "night1.results.xlsx") {
			t.Errorf("night 1's workbook: %d %q %q", a.status, a.header.Get("Content-Disposition"), a.body[:min(len(a.body), 40)])
		}

		// Night 2 lost half the company: held, nothing written.
		s.drop("night2.csv", 5)
		a = c.get("/feeds")
		m := heldRow.FindStringSubmatch(a.body)
		if m == nil || !strings.Contains(a.body, "would disable 5 of the feed&#39;s 10 active users") {
			t.Fatalf("/feeds does not hold night 2 with its reason:\n%s", a.body)
		}
		held := m[1]
		if u, _ := db.User(ctx, "emp.number010@contoso.com"); !u.AccountEnabled {
			t.Fatal("a held night disabled a user")
		}
		if a := c.get("/batches/" + held); !strings.Contains(a.body, "held: nothing was changed") {
			t.Errorf("the held batch's page does not say it is held:\n%s", a.body)
		}

		// Without the form's token, or as a License admin: refused.
		if a := c.post("/batches/"+held+"/approve", url.Values{"csrf": {"forged"}}); a.status != http.StatusForbidden {
			t.Errorf("approve with a forged csrf token: %d, want 403", a.status)
		}
		s.user("la@contoso.com", "L1cense-admin", importer.LicenseAdmin)
		la := s.client()
		la.mustSignIn("la@contoso.com", "L1cense-admin")
		if a := la.get("/me"); strings.Contains(a.body, `href="/feeds"`) {
			t.Error("a License admin's menu has Feeds")
		}
		if a := la.get("/feeds"); a.status != http.StatusForbidden {
			t.Errorf("a License admin's /feeds: %d, want 403", a.status)
		}
		if a := la.post("/batches/"+held+"/approve", nil); a.status != http.StatusForbidden {
			t.Errorf("a License admin approves: %d, want 403", a.status)
		}
		if a := la.get(link[1]); a.status != http.StatusForbidden {
			t.Errorf("a License admin downloads a feed's workbook: %d, want 403", a.status)
		}

		a = c.post("/batches/"+held+"/approve", nil)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/feeds?approved="+held {
			t.Fatalf("approve: %d to %q, want 303 to /feeds?approved=%s", a.status, a.header.Get("Location"), held)
		}
		s.svc.Wait()
		if a := c.post("/batches/"+held+"/approve", nil); a.status != http.StatusConflict || !strings.Contains(a.body, "not held") {
			t.Errorf("approve twice: %d, want 409 'not held'", a.status)
		}
		if u, _ := db.User(ctx, "emp.number010@contoso.com"); u.AccountEnabled {
			t.Error("the approved night 2 did not disable emp.number010")
		}
		if u, _ := db.User(ctx, "emp.number005@contoso.com"); !u.AccountEnabled {
			t.Error("the approved night 2 disabled emp.number005, who is in it")
		}
		a = c.get("/feeds")
		if heldRow.MatchString(a.body) || !strings.Contains(a.body, "<dt>Active users</dt><dd>5</dd>") ||
			!regexp.MustCompile(`night2\.csv</a></td><td><span class="state state-done">done</span></td><td>[^<]*</td><td class="num">5</td>(<td class="num">0</td>){2}<td class="num">5</td><td class="num">0</td><td class="num">5</td>`).MatchString(a.body) {
			t.Errorf("/feeds after approving: want no held batch, 5 active users, and night 2 done: 5 unchanged, 5 disabled:\n%s", a.body)
		}
		if n := strings.Count(a.body, "night2.csv</a>"); n != 1 {
			t.Errorf("night 2 is %d times in the recent results, want once (the held batch is the one that applied it)", n)
		}
		if _, err := os.Stat(filepath.Join(s.dir, importer.ProcessedDir, "night2.results.xlsx")); err != nil {
			t.Errorf("the approved night's workbook is not beside the processed files: %v", err)
		}
		ents, _ := os.ReadDir(s.dir)
		for _, e := range ents {
			if e.Type().IsRegular() {
				t.Errorf("%s left in the feed's folder, to be taken as a drop", e.Name())
			}
		}

		// Night 3 of 1 row: held, and cancelled from the page.
		s.drop("night3.csv", 1)
		m = heldRow.FindStringSubmatch(c.get("/feeds").body)
		if m == nil {
			t.Fatal("night 3 of 1 row is not held")
		}
		// Its kept file is changed in the share: the approval fails in the
		// background, and the page says why.
		kept := filepath.Join(s.dir, "held", m[1]+"-night3.csv")
		if err := os.WriteFile(kept, []byte("Employee ID,First Name,Last Name,Department\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if a := c.post("/batches/"+m[1]+"/approve", nil); a.status != http.StatusSeeOther {
			t.Fatalf("approve night 3: %d", a.status)
		}
		s.svc.Wait()
		if a := c.get("/feeds"); !strings.Contains(a.body, "The last approval failed:") || !strings.Contains(a.body, "not the one that was held") {
			t.Errorf("a failed approval is not shown on the Feeds page:\n%s", a.body)
		}
		a = c.post("/batches/"+m[1]+"/cancel", url.Values{"from": {"feeds"}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/feeds?cancelled="+m[1] {
			t.Fatalf("cancel: %d to %q", a.status, a.header.Get("Location"))
		}
		if b, _ := db.Batch(ctx, m[1]); b.State != importer.BatchCancelled {
			t.Errorf("the cancelled held batch is %s", b.State)
		}
		if a := c.get("/feeds?cancelled=" + m[1]); !strings.Contains(a.body, "batch "+m[1]+" cancelled: nothing was changed") {
			t.Error("after Cancel the Feeds page does not say so")
		}
		// A link cannot make the page claim what did not happen: a batch
		// that is not a cancelled feed batch, or none at all.
		for _, q := range []string{"cancelled=" + held, "approved=" + m[1], "cancelled=0193a5c2-0000-7000-8000-000000000001"} {
			if a := c.get("/feeds?" + q); strings.Contains(a.body, "nothing was changed") || strings.Contains(a.body, "being applied") {
				t.Errorf("/feeds?%s shows a notice of what did not happen", q)
			}
		}
		if a := c.get("/feeds"); !regexp.MustCompile(`night3\.csv</a></td><td><span class="state state-cancelled">cancelled</span></td><td>[^<]*</td>(<td class="num">0</td>){8}`).MatchString(a.body) {
			t.Errorf("the cancelled night 3 in the recent results: want cancelled, every count 0 (nothing was disabled):\n%s", a.body)
		}
		if n, _ := db.FeedUsers(ctx, "feed:hr"); n != 5 {
			t.Errorf("after cancelling night 3 the feed has %d active users, want 5", n)
		}
		if a := c.get("/feeds?approved=" + url.QueryEscape("<b>you won</b>")); strings.Contains(a.body, "you won") {
			t.Error("the page shows text from its query string")
		}
	})
}
