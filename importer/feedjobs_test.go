package importer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"userimport/importer"
	"userimport/importer/jobs"
	"userimport/importer/seal"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
)

// TestFeedPasswordsThroughJobs: in serve, a feed's joiners with passwords
// are chunk jobs, as the web page's and import's batches are: every
// process on the directory works them, the passwords travel sealed, and
// the run that took the file writes the notice. The feed's own words (a
// future starter's) survive the trip through the jobs.
func TestFeedPasswordsThroughJobs(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		c := newClock()
		dir := t.TempDir()
		f := hrFeed(t, db, dir)
		must(t, importer.RemoveFeed(ctx, db, admin(t, db), "hr"))
		f.NoPasswords = false
		must(t, importer.AddFeed(ctx, db, admin(t, db), f))
		f, _ = db.Feed(ctx, "hr")

		jobQueue(t, db, url)()

		var ps []person
		for i := 1; i <= 40; i++ {
			ps = append(ps, person{id: fmt.Sprintf("J%03d", i), first: "Job", last: fmt.Sprintf("Path%03d", i), dept: "Ops"})
		}
		ps[6].start = c.date(5) // within --prehire: created blocked until then
		path := writeNight(t, dir, "night1.csv", ps)
		fr := feedRun(t, f, path, c, nil)
		fr.Sealer = seal.Keys{}
		rep, err := importer.RunFeed(ctx, db, db, fr)
		must(t, err)
		if rep.Summary.Created != 40 || rep.NoticePath == "" {
			t.Fatalf("night 1 through jobs: %+v, notice %q; want 40 created and a notice", rep.Summary, rep.NoticePath)
		}
		states, err := db.JobStates(ctx)
		must(t, err)
		total := 0
		for _, n := range states {
			total += n
		}
		if total != 3 { // 40 rows in chunk jobs of 16
			t.Errorf("jobs: %v, want the 3 chunk jobs of 40 rows", states)
		}
		notice, err := os.ReadFile(rep.NoticePath)
		must(t, err)
		users := 0
		for _, l := range strings.Split(string(notice), "\n") {
			if strings.Contains(l, "@contoso.com\t") {
				users++
			}
		}
		if users != 40 {
			t.Errorf("the notice has %d users, want 40", users)
		}
		if fi, err := os.Stat(rep.NoticePath); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("the notice: %v %v, want mode 0600", fi.Mode(), err)
		}
		var row map[string]string
		for _, r := range sheetRows(t, rep.ResultsPath, "Results") {
			if r["User Name"] == "job.path007@contoso.com" {
				row = r
			}
		}
		if row == nil || row["Outcome"] != "Created" || !strings.Contains(row["Message"], "starts on "+c.date(5)+": sign-in blocked until then") {
			t.Errorf("the future starter's result: %v", row)
		}
		if u := byUPN(t, db, "job.path007@contoso.com"); u.AccountEnabled {
			t.Error("the future starter can sign in before the day")
		}
		sealed := 0
		must(t, db.SealedPasswords(ctx, rep.Summary.BatchID, func(int, string, bool, string) error { sealed++; return nil }))
		if sealed != 0 {
			t.Errorf("%d passwords still sealed after the notice was written", sealed)
		}
		if keys, _ := filepath.Glob(filepath.Join(filepath.Dir(rep.NoticePath), "*key*")); len(keys) != 0 {
			t.Errorf("the batch's key is left beside the notice: %v", keys)
		}
	})
}

// jobQueue gives db a real job queue (River, as serve runs it) whose chunk
// worker hashes cheaply, and returns what starts working it (until the
// test ends).
func jobQueue(t *testing.T, db *sqldb.DB, url string) (start func()) {
	t.Helper()
	workers := river.NewWorkers()
	must(t, jobs.AddChunkWorker(workers, db, cheap, seal.Keys{}, nil))
	engine, err := jobs.Open(context.Background(), url, jobs.Config{Workers: workers, PollInterval: 50 * time.Millisecond, Concurrency: runtime.NumCPU()})
	must(t, err)
	db.SetQueue(engine)
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(func() { stop(); engine.Close() })
	return func() { go engine.Run(ctx) }
}
