package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"userimport/importer"
	"userimport/importer/sheet"
	"userimport/importer/sqldb"
	"userimport/importer/web"
	"userimport/internal/dirtest"
)

// browser returns a headless Chromium tab, or skips the test when there is
// no Chromium (fails when USERIMPORT_TEST_BROWSER=require, as in CI).
// Screenshots go to USERIMPORT_TEST_SCREENSHOTS when set (CI keeps them),
// else to the test's temporary folder.
func browser(t *testing.T) (context.Context, string) {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("USERIMPORT_TEST_BROWSER") == "require" {
			t.Fatal("no chromium to run the browser tests (USERIMPORT_TEST_BROWSER=require): apt-get install chromium")
		}
		t.Skip("no chromium: the browser tests are skipped (apt-get install chromium; USERIMPORT_TEST_BROWSER=require makes this a failure)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1280, 900))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	shots := os.Getenv("USERIMPORT_TEST_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else {
		shots = filepath.Join(shots, strings.ReplaceAll(t.Name(), "/", "-"))
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return ctx, shots
}

// shot saves a screenshot of the whole page as name.png in dir.
func shot(dir, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		b, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644)
	})
}

type fetched struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// fetchText fetches path from the page, with its cookies, as a download
// would, and returns the status and the body (of a binary file, its first
// two characters).
func fetchText(ctx context.Context, path string) (fetched, error) {
	js := fmt.Sprintf(`fetch(%q).then(r => r.text().then(b => ({status: r.status, body: (r.headers.get("Content-Type") || "").startsWith("text") ? b : b.slice(0, 2)})))`, path)
	return chromedp.Run(ctx, chromedp.Evaluate[fetched](js, chromedp.EvalAwaitPromise))
}

// b is a browser tab under test: its steps fail the test.
type tab struct {
	t     *testing.T
	ctx   context.Context
	shots string
}

// do runs steps in order; on an error it saves failed.png and fails the
// test, naming the step.
func (b tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	for i, st := range steps {
		if err := chromedp.Do(b.ctx, st); err != nil {
			where, _ := chromedp.Run(context.WithoutCancel(b.ctx), chromedp.Location())
			b.t.Fatalf("step %d at %s: %v (screenshots in %s)", i+1, where, err, b.shots)
		}
	}
}

func (b tab) text(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

func (b tab) location() string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// TestBrowserFlow is issue 13's whole flow in a real browser: the first
// admin signs in with the password init printed and must change it,
// uploads samples/new-hires.xlsx, sees 14 rows that would be created and 6
// that fail with their messages, starts, follows the progress to the end,
// downloads the workbook and the notice (a second time refused), and a new
// user signs in at /me with the notice's password and must change it.
func TestBrowserFlow(t *testing.T) {
	dirtest.EachDB(t, func(t *testing.T, _ string, db *sqldb.DB) {
		ctx, shots := browser(t)
		b := tab{t: t, ctx: ctx, shots: shots}
		upn, password, err := importer.InitTenant(context.Background(), db, hasher(), importer.DemoTenant())
		if err != nil {
			t.Fatal(err)
		}
		s := newSite(t, db)
		base := s.srv.URL
		file, _ := filepath.Abs(filepath.Join("..", "..", "samples", "new-hires.xlsx"))
		css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

		b.do(chromedp.Navigate(base+"/"),
			chromedp.WaitVisible(css("#username")),
			shot(shots, "01-signin"),
			chromedp.SendKeys(css("#username"), upn),
			chromedp.SendKeys(css("#password"), password+kb.Enter), // the keyboard alone
			chromedp.WaitVisible(css("#new")))
		if where := b.location(); !strings.HasSuffix(where, "/me/password") {
			t.Fatalf("after the first sign-in: %s, want the password page", where)
		}
		b.do(shot(shots, "02-change-password"),
			chromedp.SendKeys(css("#current"), password),
			chromedp.SendKeys(css("#new"), "Fresh-Adm1n-pass"+kb.Enter),
			chromedp.WaitVisible(css(`a[href="/import"]`)),
			chromedp.Click(css(`a[href="/import"]`)),
			chromedp.WaitVisible(css("#file")),
			shot(shots, "03-import"),
			chromedp.SetUploadFiles(css("#file"), []string{file}),
			chromedp.Submit(css("#file")),
			chromedp.WaitVisible(css("#count-created")),
			shot(shots, "04-preview"))
		if created, failed := b.text("#count-created"), b.text("#count-failed"); created != "14" || failed != "6" {
			t.Errorf("the preview says %s created and %s failed, want 14 and 6", created, failed)
		}
		problems := b.text("#problems")
		if n := strings.Count(problems, "Failed"); n != 6 || !strings.Contains(problems, "User Name:") {
			t.Errorf("the preview's problem rows: %d failed, want 6 with their messages:\n%s", n, problems)
		}
		batch := strings.TrimPrefix(b.location(), base)

		b.do(chromedp.Click(css(`form[action$="/start"] button`)),
			chromedp.WaitVisible(css(`#progress, a[href$="/credentials.txt"]`)),
			shot(shots, "05-progress"),
			chromedp.WaitVisible(css(`a[href$="/credentials.txt"]`)), // the script reloads the page at the end
			shot(shots, "06-results"))
		if results := b.text("main"); !strings.Contains(results, "Results") || !strings.Contains(results, "14") {
			t.Errorf("the results page: %s", results)
		}
		if f, err := fetchText(ctx, batch+"/results.xlsx"); err != nil || f.Status != 200 || f.Body != "PK" {
			t.Errorf("the results workbook: %+v %v", f, err)
		}
		notice, err := fetchText(ctx, batch+"/credentials.txt")
		if err != nil || notice.Status != 200 {
			t.Fatalf("the notice: %+v %v", notice, err)
		}
		if f, _ := fetchText(ctx, batch+"/credentials.txt"); f.Status != 410 {
			t.Errorf("the notice a second time: %d, want 410", f.Status)
		}
		var user, pw string
		for _, l := range strings.Split(notice.Body, "\n") {
			if u, p, ok := strings.Cut(l, "\t"); ok && !strings.HasPrefix(l, "#") {
				user, pw = u, p
				break
			}
		}
		if user == "" {
			t.Fatalf("no user in the notice:\n%s", notice.Body)
		}

		b.do(chromedp.Click(css(`form[action="/signout"] button`)),
			chromedp.WaitVisible(css("#username")),
			chromedp.Navigate(base+"/me"),
			chromedp.WaitVisible(css("#username")),
			chromedp.SendKeys(css("#username"), user),
			chromedp.SendKeys(css("#password"), pw+kb.Enter),
			chromedp.WaitVisible(css("#new")))
		if where := b.location(); !strings.HasSuffix(where, "/me/password") {
			t.Errorf("the new user's first sign-in went to %s, want /me/password", where)
		}
		b.do(shot(shots, "07-new-user-must-change"),
			chromedp.SendKeys(css("#current"), pw),
			chromedp.SendKeys(css("#new"), "My-0wn-passw0rd"+kb.Enter),
			chromedp.WaitVisible(css("main dl")),
			chromedp.EmulateViewport(390, 844),
			shot(shots, "08-me-phone"))
		if me := b.text("main"); !strings.Contains(me, user) || !strings.Contains(me, "Licenses") {
			t.Errorf("/me of the new user: %s", me)
		}
		t.Logf("screenshots in %s", shots)
	})
}

// TestBrowserCancelAndResume uploads a generated 20,000-row roster,
// starts it, cancels it midway (the hasher holds the batch at a known
// row), resumes it, and follows it to the end: every row created, once.
// SQLite only: the PostgreSQL path of the same pages is TestBrowserFlow's.
func TestBrowserCancelAndResume(t *testing.T) {
	ctx, shots := browser(t)
	b := tab{t: t, ctx: ctx, shots: shots}
	db := dirtest.Demo(t, "sqlite:"+filepath.Join(t.TempDir(), "userimport.db"))
	g := newGate(5000)
	s := newSite(t, db, func(c *web.Config) { c.Hasher = g })
	roster := filepath.Join(t.TempDir(), "roster.csv")
	f, err := os.Create(roster)
	if err != nil {
		t.Fatal(err)
	}
	if err := sheet.Generate(f, "csv", 20_000, "contoso.com", 3); err != nil {
		t.Fatal(err)
	}
	f.Close()
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	b.do(chromedp.Navigate(s.srv.URL+"/import"),
		chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), dirtest.Admin),
		chromedp.SendKeys(css("#password"), dirtest.AdminPassword+kb.Enter),
		chromedp.WaitVisible(css("#file")),
		chromedp.SetUploadFiles(css("#file"), []string{roster}),
		chromedp.Submit(css("#file")),
		chromedp.WaitVisible(css("#count-created")))
	want := b.text("#count-created")
	b.do(chromedp.Click(css(`form[action$="/start"] button`)),
		chromedp.WaitVisible(css("#progress")))
	<-g.Blocked // the batch is midway: 5,000 passwords hashed
	b.do(shot(shots, "01-progress"),
		chromedp.Click(css(`form[action$="/cancel"] button`)),
		chromedp.WaitVisible(css(`form[action$="/start"] button`)),
		shot(shots, "02-interrupted"))
	if page := b.text("main"); !strings.Contains(page, "Interrupted") {
		t.Fatalf("after Cancel the page says:\n%s", page)
	}
	g.Open()
	b.do(chromedp.Click(css(`form[action$="/start"] button`)),
		chromedp.WaitVisible(css(`a[href$="/credentials.txt"]`)),
		shot(shots, "03-results"))
	if got := b.text("#count-created"); got != want {
		t.Errorf("the resumed batch created %s users, the preview said %s", got, want)
	}
	notice, err := fetchText(ctx, strings.TrimPrefix(b.location(), s.srv.URL)+"/credentials.txt")
	if err != nil || notice.Status != 200 || fmt.Sprint(strings.Count(notice.Body, "\t")) != want {
		t.Errorf("the notice: %d with %d users, want %s", notice.Status, strings.Count(notice.Body, "\t"), want)
	}
}

// TestBrowserFeeds is the Feeds page in a real browser: an admin finds a
// night that lost half the company held, with why, approves it with one
// click, and sees it applied in the recent results, on a phone too.
func TestBrowserFeeds(t *testing.T) {
	ctx, shots := browser(t)
	b := tab{t: t, ctx: ctx, shots: shots}
	db := dirtest.Demo(t, "sqlite:"+filepath.Join(t.TempDir(), "userimport.db"))
	s := newFeedSite(t, db)
	s.drop("night1.csv", 10)
	s.drop("night2.csv", 5)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	b.do(chromedp.Navigate(s.srv.URL+"/"),
		chromedp.WaitVisible(css("#username")),
		chromedp.SendKeys(css("#username"), dirtest.Admin),
		chromedp.SendKeys(css("#password"), dirtest.AdminPassword+kb.Enter),
		chromedp.WaitVisible(css(`nav a[href="/feeds"]`)),
		chromedp.Click(css(`nav a[href="/feeds"]`)),
		chromedp.WaitVisible(css("tr.held")),
		shot(shots, "01-held"))
	if held := b.text("tr.held"); !strings.Contains(held, "night2.csv") || !strings.Contains(held, "would disable 5 of the feed's 10 active users") {
		t.Errorf("the held row: %q", held)
	}
	b.do(chromedp.Click(css(`tr.held form[action$="/approve"] button`)),
		chromedp.WaitVisible(css(`p.msg.ok`)))
	if msg := b.text("p.msg.ok"); !strings.Contains(msg, "approved") {
		t.Errorf("after Approve the page says %q", msg)
	}
	s.svc.Wait()
	b.do(chromedp.Reload(), chromedp.WaitVisible(css("section.feed")), shot(shots, "02-applied"),
		chromedp.EmulateViewport(390, 844), shot(shots, "03-phone"))
	page := b.text("main")
	if strings.Contains(page, "Held for approval") || !strings.Contains(page, "night2.csv") {
		t.Errorf("after approving, the Feeds page:\n%s", page)
	}
	if u, _ := db.User(context.Background(), "emp.number010@contoso.com"); u.AccountEnabled {
		t.Error("the approved night did not disable emp.number010")
	}
}
