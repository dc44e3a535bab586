package importer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"userimport/importer"
	"userimport/importer/httpapi"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
)

// feedService is serve's taker of feed files on db, with the test's clock.
func feedService(t *testing.T, db *sqldb.DB, c *clock) *importer.FeedService {
	return &importer.FeedService{
		Dir: db, Store: db, Now: c.now,
		Run: func(f importer.Feed) importer.FeedRun { return feedRun(t, f, "", c, nil) },
	}
}

func people(from, to int) []person {
	var ps []person
	for i := from; i <= to; i++ {
		ps = append(ps, person{id: fmt.Sprintf("D%04d", i), first: "Drop", last: fmt.Sprintf("P%04d", i), dept: "Ops"})
	}
	return ps
}

func nightCSV(ps []person) string {
	var b strings.Builder
	b.WriteString(nightHeader + "\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "%s,%s,%s,%s,,Active,DE,\n", p.id, p.first, p.last, p.dept)
	}
	return b.String()
}

func feedUsers(t *testing.T, db *sqldb.DB) int {
	t.Helper()
	n, err := db.FeedUsers(context.Background(), "feed:hr")
	must(t, err)
	return n
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, _ := os.ReadDir(dir)
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestDropTakenOnce: a file dropped in a feed's folder while it is being
// written (grown in three steps) is taken only once it has not changed
// for 30 s, moves to processed/ with its results workbook beside it; the
// same bytes dropped again are skipped; a file that lost a mapped column
// goes to failed/ with a note, and nothing is written.
func TestDropTakenOnce(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		c := &clock{time.Now()}
		dir := t.TempDir()
		hrFeed(t, db, dir)
		svc := feedService(t, db, c)
		path := filepath.Join(dir, "workers.csv")
		full := nightCSV(people(1, 30))
		lines := strings.SplitAfter(full, "\n")
		parts := []string{strings.Join(lines[:11], ""), strings.Join(lines[11:21], ""), strings.Join(lines[21:], "")}
		for i, part := range parts {
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
			must(t, err)
			_, err = f.WriteString(part)
			must(t, err)
			must(t, f.Close())
			must(t, svc.Poll(ctx))
			c.add(20 * time.Second)
			must(t, svc.Poll(ctx))
			if n := feedUsers(t, db); n != 0 {
				t.Fatalf("after step %d of writing, %d users were created", i+1, n)
			}
			c.add(5 * time.Second)
		}
		c.add(10 * time.Second) // 35 s unchanged
		must(t, svc.Poll(ctx))
		if n := feedUsers(t, db); n != 30 {
			t.Fatalf("after the file was complete: %d users, want 30", n)
		}
		processed := filepath.Join(dir, importer.ProcessedDir)
		if got := strings.Join(names(t, processed), " "); got != "workers.csv workers.results.xlsx" {
			t.Errorf("processed/ holds %s", got)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("the file is still in the folder: %v", err)
		}

		// The same bytes again: skipped.
		must(t, os.WriteFile(path, []byte(full), 0o644))
		before, _ := db.Batches(ctx, true)
		c.add(time.Minute)
		must(t, svc.Poll(ctx))
		c.add(time.Minute)
		must(t, svc.Poll(ctx))
		after, _ := db.Batches(ctx, true)
		if len(after) != len(before) {
			t.Errorf("the same file made a batch again: %d batches, then %d", len(before), len(after))
		}
		if got := strings.Join(names(t, processed), " "); got != "workers.2.csv workers.csv workers.results.xlsx" {
			t.Errorf("processed/ after the same file again: %s", got)
		}

		// A file without the mapped WorkerID column: rejected.
		must(t, os.WriteFile(filepath.Join(dir, "broken.csv"), []byte("ID,FirstName,LastName\n1,A,B\n"), 0o644))
		c.add(time.Minute)
		must(t, svc.Poll(ctx))
		c.add(time.Minute)
		must(t, svc.Poll(ctx))
		failed := filepath.Join(dir, importer.FailedDir)
		if got := strings.Join(names(t, failed), " "); got != "broken.csv broken.error.txt" {
			t.Errorf("failed/ holds %s", got)
		}
		note, _ := os.ReadFile(filepath.Join(failed, "broken.error.txt"))
		if !strings.Contains(string(note), `"WorkerID"`) || !strings.Contains(string(note), "missing") {
			t.Errorf("note: %s", note)
		}
		if n := feedUsers(t, db); n != 30 {
			t.Errorf("a rejected file changed the feed's users: %d", n)
		}
	})
}

// TestDropsTwoProcesses: two services on one directory (as two serve
// processes), polling at once, process each drop once.
func TestDropsTwoProcesses(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		c := &clock{time.Now().Add(time.Hour)} // every file is complete
		dir := t.TempDir()
		hrFeed(t, db, dir)
		other := dirtest.Open(t, url)
		for i := 1; i <= 4; i++ {
			must(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("night%d.csv", i)), []byte(nightCSV(people(1, 10*i))), 0o644))
		}
		svcs := []*importer.FeedService{feedService(t, db, c), feedService(t, other, c)}
		var wg sync.WaitGroup
		for _, s := range svcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.Poll(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		bs, err := db.Batches(ctx, true)
		must(t, err)
		// One file at a time, in the folder's order, whichever process
		// took it: none is held for having fewer rows than one applied
		// before it.
		var applied []importer.BatchInfo
		for _, b := range bs {
			if b.Source == "feed:hr" && b.FinishedAt != nil {
				applied = append(applied, b)
			}
		}
		slices.SortFunc(applied, func(a, b importer.BatchInfo) int { return a.FinishedAt.Compare(*b.FinishedAt) })
		var order []string
		for _, b := range applied {
			order = append(order, b.File+" "+b.State)
		}
		if got := strings.Join(order, ", "); got != "night1.csv done, night2.csv done, night3.csv done, night4.csv done" {
			t.Errorf("feed batches: %s", got)
		}
		if n := feedUsers(t, db); n != 40 {
			t.Errorf("%d users, want 40", n)
		}
		if got := len(names(t, filepath.Join(dir, importer.ProcessedDir))); got != 8 {
			t.Errorf("processed/ holds %d files, want 4 and their results: %v", got, names(t, filepath.Join(dir, importer.ProcessedDir)))
		}
	})
}

// TestFeedRunsOneFileAtATime: while a run of the feed holds its lease
// (another process, here its claim made through the store), the feed's
// files wait: `feed run` is refused and changes nothing, a poll leaves the
// file in the folder without an error; once that run's lease went stale
// (30 s without a renewal: its process died), the next poll takes the
// file, and the dead run can no longer renew the lease.
func TestFeedRunsOneFileAtATime(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		c := &clock{time.Now().Add(time.Hour)} // every file is complete
		dir := t.TempDir()
		f := hrFeed(t, db, dir)
		path := filepath.Join(dir, "night1.csv")
		must(t, os.WriteFile(path, []byte(nightCSV(people(1, 10))), 0o644))
		ok, err := db.ClaimFeedRun(ctx, "hr", "other", c.now(), c.now().Add(-30*time.Second))
		must(t, err)
		if !ok {
			t.Fatal("the feed's lease was not free")
		}
		if ok, _ := db.ClaimFeedRun(ctx, "hr", "third", c.now(), c.now().Add(-30*time.Second)); ok {
			t.Fatal("two runs hold the feed's lease")
		}

		_, err = importer.RunFeed(ctx, db, db, feedRun(t, f, path, c, nil))
		if importer.ErrorCode(err) != importer.ECONFLICT || !strings.Contains(importer.ErrorMessage(err), "one file at a time") {
			t.Fatalf("feed run while the feed runs elsewhere: %v", err)
		}
		dry := feedRun(t, f, path, c, nil)
		dry.DryRun = true
		if _, err := importer.RunFeed(ctx, db, db, dry); err != nil && importer.ErrorCode(err) == importer.ECONFLICT {
			t.Errorf("a dry run needs no lease: %v", err)
		}
		svc := feedService(t, db, c)
		if err := svc.Poll(ctx); err != nil {
			t.Fatalf("poll while the feed runs elsewhere: %v", err)
		}
		if n := feedUsers(t, db); n != 0 {
			t.Fatalf("%d users written while the feed ran elsewhere", n)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("the file did not wait in the folder: %v", err)
		}

		c.add(31 * time.Second) // the other run renewed nothing: it died
		must(t, svc.Poll(ctx))
		if n := feedUsers(t, db); n != 10 {
			t.Errorf("%d users after the stale lease was taken over, want 10", n)
		}
		if got := strings.Join(names(t, filepath.Join(dir, importer.ProcessedDir)), " "); got != "night1.csv night1.results.xlsx" {
			t.Errorf("processed/ holds %s", got)
		}
		if ok, err := db.RenewFeedRun(ctx, "hr", "other", c.now()); err != nil || ok {
			t.Errorf("the dead run renewed the lease taken from it: %v, %v", ok, err)
		}
		if ok, err := db.ClaimFeedRun(ctx, "hr", "third", c.now(), c.now().Add(-30*time.Second)); err != nil || !ok {
			t.Errorf("the lease was not given back after the run: %v, %v", ok, err)
		}
		if _, err := db.ClaimFeedRun(ctx, "nosuch", "x", c.now(), c.now()); importer.ErrorCode(err) != importer.ENOTFOUND {
			t.Errorf("lease of a feed that does not exist: %v", err)
		}
	})
}

// TestFilesTakenInOrder: a feed's files are applied in the order they
// arrived. A dry run of a waiting file changes nothing and leaves it
// waiting (no claim, no move); a file pushed while an older one waits in
// the folder waits too, and the next poll applies the older one first.
func TestFilesTakenInOrder(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		c := &clock{time.Now()}
		dir := t.TempDir()
		f := hrFeed(t, db, dir)
		older := filepath.Join(dir, "night1.csv")
		must(t, os.WriteFile(older, []byte(nightCSV(people(1, 10))), 0o644))
		then := c.now().Add(-10 * time.Minute)
		must(t, os.Chtimes(older, then, then))

		dry := feedRun(t, f, "", c, nil)
		dry.DryRun, dry.OutDir = true, t.TempDir()
		rep, err := importer.TakeDrop(ctx, db, db, dry, importer.Drop{Path: older, ModTime: then})
		must(t, err)
		if rep == nil || !rep.Summary.DryRun || rep.Summary.Created != 10 {
			t.Fatalf("dry run of the waiting file: %+v", rep)
		}
		if _, err := os.Stat(older); err != nil || feedUsers(t, db) != 0 {
			t.Fatalf("the dry run moved the file (%v) or wrote users (%d)", err, feedUsers(t, db))
		}

		tok, err := importer.NewFeedToken(ctx, db, admin(t, db), "hr")
		must(t, err)
		svc := feedService(t, db, c)
		pushed, err := svc.Push(ctx, "hr", tok.Reveal(), strings.NewReader(nightCSV(people(1, 20))))
		must(t, err)
		svc.Wait()
		if n := feedUsers(t, db); n != 0 {
			t.Fatalf("the pushed file was applied before the older one: %d users", n)
		}
		if st, err := svc.Status(ctx, "hr", tok.Reveal(), pushed.SHA256); err != nil || st.State != importer.FileWaiting || st.Name != pushed.Name {
			t.Errorf("status of the waiting pushed file: %+v, %v; want waiting", st, err)
		}
		if got := strings.Join(names(t, dir), " "); got != "night1.csv "+pushed.Name {
			t.Fatalf("the folder holds %s, want both files waiting", got)
		}

		c.add(time.Hour) // both are complete
		must(t, svc.Poll(ctx))
		bs, err := db.Batches(ctx, true)
		must(t, err)
		var applied []importer.BatchInfo
		for _, b := range bs {
			if b.Source == f.Source() && !b.DryRun && b.FinishedAt != nil {
				applied = append(applied, b)
			}
		}
		slices.SortFunc(applied, func(a, b importer.BatchInfo) int { return a.FinishedAt.Compare(*b.FinishedAt) })
		var order []string
		for _, b := range applied {
			order = append(order, b.File+" "+b.State)
		}
		if got, want := strings.Join(order, ", "), "night1.csv done, "+pushed.Name+" done"; got != want {
			t.Errorf("applied: %s; want %s", got, want)
		}
		if n := feedUsers(t, db); n != 20 {
			t.Errorf("%d users after both nights, want 20", n)
		}
		if st, err := svc.Status(ctx, "hr", tok.Reveal(), pushed.SHA256); err != nil || st.State != importer.FileDone {
			t.Errorf("status of the pushed file once applied: %+v, %v", st, err)
		}

		// A dry run whose --out is the feed's folder (here by a link to
		// it, as "." is when run inside it) writes its preview in
		// processed/, never where it would be taken for a drop; the same
		// bytes as a file taken before are not previewed: they would be
		// skipped.
		link := filepath.Join(t.TempDir(), "hr-link")
		must(t, os.Symlink(dir, link))
		again := filepath.Join(dir, "night3.csv")
		must(t, os.WriteFile(again, []byte(nightCSV(people(1, 21))), 0o644))
		dry.OutDir = link
		if _, err := importer.TakeDrop(ctx, db, db, dry, importer.Drop{Path: again}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(names(t, dir), " "); got != "night3.csv "+importer.ProcessedDir {
			t.Errorf("after a dry run with --out the feed's folder, the folder holds %s", got)
		}
		must(t, os.Remove(again))
		same := filepath.Join(dir, "night1-again.csv")
		must(t, os.WriteFile(same, []byte(nightCSV(people(1, 10))), 0o644))
		if rep, err := importer.TakeDrop(ctx, db, db, dry, importer.Drop{Path: same}); err != nil || rep != nil {
			t.Errorf("dry run of a file taken before: %+v, %v; want it skipped", rep, err)
		}
	})
}

// TestPush: an HR system pushes its file with the feed's token: 202 and
// where to follow it; a wrong or revoked token 401; a file over the limit
// 413.
func TestPush(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		c := &clock{time.Now()}
		dir := t.TempDir()
		hrFeed(t, db, dir)
		svc := feedService(t, db, c)
		svc.MaxPush = 4096
		srv := httptest.NewServer(httpapi.New(httpapi.Config{Feeds: svc, FeedMaxBytes: 4096}))
		defer srv.Close()
		old, err := importer.NewFeedToken(ctx, db, admin(t, db), "hr")
		must(t, err)
		tok, err := importer.NewFeedToken(ctx, db, admin(t, db), "hr")
		must(t, err)
		post := func(token string, body []byte, chunked bool) *http.Response {
			var r = bytes.NewReader(body)
			req, err := http.NewRequest("POST", srv.URL+"/api/v1/feeds/hr/files", r)
			must(t, err)
			if chunked {
				req.ContentLength = -1
				req.Body = nopCloser{bytes.NewReader(body)}
			}
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			must(t, err)
			return resp
		}
		file := []byte(nightCSV(people(1, 5)))
		for name, token := range map[string]string{"no token": "", "wrong token": "uif_nope", "revoked token": old.Reveal()} {
			resp := post(token, file, false)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s: %d, want 401", name, resp.StatusCode)
			}
		}
		big := bytes.Repeat([]byte("x"), 5000)
		for _, chunked := range []bool{false, true} {
			resp := post(tok.Reveal(), big, chunked)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("5000 bytes (chunked %t): %d, want 413", chunked, resp.StatusCode)
			}
		}
		resp := post(tok.Reveal(), file, false)
		var got struct {
			SHA256, State, StatusURL, BatchURL string
		}
		_ = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || resp.Header.Get("Location") != got.StatusURL || got.SHA256 == "" {
			t.Fatalf("right token: %d %+v", resp.StatusCode, got)
		}
		svc.Wait()
		if n := feedUsers(t, db); n != 5 {
			t.Errorf("the pushed file made %d users, want 5", n)
		}
		req, _ := http.NewRequest("GET", srv.URL+got.StatusURL, nil)
		req.Header.Set("Authorization", "Bearer "+tok.Reveal())
		resp, err = http.DefaultClient.Do(req)
		must(t, err)
		_ = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if got.State != importer.FileDone || !strings.HasPrefix(got.BatchURL, "/batches/") {
			t.Errorf("status of the pushed file: %+v", got)
		}
		if left := names(t, dir); len(left) != 1 || left[0] != importer.ProcessedDir {
			t.Errorf("the feed's folder holds %v", left)
		}
	})
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// TestDropsOnSchedule: a feed with a cron schedule (CRON_TZ honoured)
// takes nothing between ticks, and at a tick the newest complete file;
// the older one is superseded (moved to processed/ unrun), never applied
// after the newer.
func TestDropsOnSchedule(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		hrFeed(t, db, dir)
		_, err := importer.SetFeed(ctx, db, admin(t, db), "hr", func(f *importer.Feed) { f.Schedule = "CRON_TZ=Europe/Berlin 30 2 * * *" })
		must(t, err)
		older, newer := filepath.Join(dir, "monday.csv"), filepath.Join(dir, "tuesday.csv")
		must(t, os.WriteFile(older, []byte(nightCSV(people(1, 3))), 0o644))
		must(t, os.WriteFile(newer, []byte(nightCSV(people(1, 5))), 0o644))
		base := time.Now()
		must(t, os.Chtimes(older, base.Add(-2*time.Hour), base.Add(-2*time.Hour)))
		must(t, os.Chtimes(newer, base.Add(-time.Hour), base.Add(-time.Hour)))
		// 01:29 UTC is 02:29 in Berlin in December: a minute before the tick.
		c := &clock{time.Date(base.Year()+1, 12, 1, 1, 29, 0, 0, time.UTC)}
		svc := feedService(t, db, c)
		must(t, svc.Poll(ctx))
		c.add(30 * time.Second)
		must(t, svc.Poll(ctx))
		if n := feedUsers(t, db); n != 0 {
			t.Fatalf("%d users before the tick", n)
		}
		c.add(time.Minute) // 02:30:30 Berlin: the tick has passed
		must(t, svc.Poll(ctx))
		if n := feedUsers(t, db); n != 5 {
			t.Errorf("at the tick: %d users, want tuesday's 5", n)
		}
		if n := feedUsers(t, db); n != 5 {
			t.Errorf("after the tick: %d users: the older file was applied", n)
		}
		if got := strings.Join(names(t, filepath.Join(dir, importer.ProcessedDir)), " "); got != "monday.csv tuesday.csv tuesday.results.xlsx" {
			t.Errorf("processed/ holds %s; want the superseded monday.csv unrun beside tuesday's", got)
		}

		// The next day's tick comes while the feed runs a file elsewhere:
		// the file waits, and the first poll after is still the tick's.
		wednesday := filepath.Join(dir, "wednesday.csv")
		must(t, os.WriteFile(wednesday, []byte(nightCSV(people(1, 7))), 0o644))
		must(t, os.Chtimes(wednesday, c.now().Add(time.Hour), c.now().Add(time.Hour)))
		c.add(24 * time.Hour)
		ok, err := db.ClaimFeedRun(ctx, "hr", "other", c.now(), c.now().Add(-30*time.Second))
		if err != nil || !ok {
			t.Fatalf("claim the feed's lease as another process: %v, %v", ok, err)
		}
		must(t, svc.Poll(ctx))
		if n := feedUsers(t, db); n != 5 {
			t.Fatalf("%d users while the feed ran elsewhere at the tick, want 5", n)
		}
		must(t, db.ReleaseFeedRun(ctx, "hr", "other"))
		c.add(time.Minute)
		must(t, svc.Poll(ctx))
		if n := feedUsers(t, db); n != 7 {
			t.Errorf("after the busy tick: %d users, want wednesday's 7 (the tick was lost)", n)
		}
	})
}

// TestDailyEveryProcess: the page's daily chore (FeedService.Daily) runs
// once a day in every process on the directory, unlike the directory's
// housekeeping, which one of them does.
func TestDailyEveryProcess(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock()
		other := dirtest.Open(t, url)
		svcs := []*importer.FeedService{feedService(t, db, c), feedService(t, other, c)}
		ran := make([]int, len(svcs))
		for i, s := range svcs {
			s.Daily = func(context.Context, time.Time) error { ran[i]++; return nil }
		}
		poll := func() {
			for _, s := range svcs {
				must(t, s.Poll(ctx))
			}
		}
		poll()
		c.add(time.Hour)
		poll()
		if ran[0] != 1 || ran[1] != 1 {
			t.Errorf("on one day the daily chore ran %v times in the two processes, want once in each", ran)
		}
		c.add(24 * time.Hour)
		poll()
		if ran[0] != 2 || ran[1] != 2 {
			t.Errorf("the next day: %v, want twice in each", ran)
		}
	})
}
