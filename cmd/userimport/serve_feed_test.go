package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeFeedTwoProcesses: two serve processes on one PostgreSQL
// directory watch a feed's folder; a night dropped there is processed
// once, by one of them, its joiners' passwords hashed by chunk jobs that
// both work, and the notice written beside the processed file; the same
// bytes dropped again under another name are skipped.
func TestServeFeedTwoProcesses(t *testing.T) {
	c := newCluster(t)
	home := t.TempDir()
	drops := filepath.Join(home, "drops")
	if err := os.Mkdir(drops, 0o700); err != nil {
		t.Fatal(err)
	}
	c.must(home, nil, "feed", "add", "hr", "--dir", drops, "--upn", "{first}.{last}", "--domain", "contoso.com")
	const n = 120
	var b strings.Builder
	b.WriteString("Employee ID,First Name,Last Name,Department\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "W%04d,Night,Worker%04d,Ops\n", i, i)
	}
	night := b.String()
	for range 2 {
		c.start(nil, "serve", "--listen", "127.0.0.1:0", "--data", t.TempDir())
	}
	// A file that is complete: written elsewhere, dated a minute ago, and
	// moved in (a file first seen unchanged since before needs no 30 s).
	drop := func(name string) {
		t.Helper()
		tmp := filepath.Join(home, name)
		writeFile(t, tmp, night)
		old := time.Now().Add(-time.Minute)
		os.Chtimes(tmp, old, old)
		if err := os.Rename(tmp, filepath.Join(drops, name)); err != nil {
			t.Fatal(err)
		}
	}
	drop("night1.csv")
	processed := filepath.Join(drops, "processed")
	waitFile := func(name string) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for {
			if _, err := os.Stat(filepath.Join(processed, name)); err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never reached processed/", name)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFile("night1.results.xlsx")
	waitFile("night1.csv")
	notices, _ := filepath.Glob(filepath.Join(processed, "night1*credentials*"))
	if len(notices) != 1 {
		t.Fatalf("notices in processed/: %v, want night 1's", notices)
	}
	body, err := os.ReadFile(notices[0])
	if err != nil || strings.Count(string(body), "@contoso.com\t") != n {
		t.Errorf("night 1's notice: %d users (%v), want %d", strings.Count(string(body), "@contoso.com\t"), err, n)
	}
	if got := c.query(`SELECT COUNT(*) FROM users WHERE source = 'feed:hr' AND password_hash IS NOT NULL`); got != n {
		t.Errorf("%d users of the feed with a password, want %d", got, n)
	}
	if got := c.query(`SELECT COUNT(*) FROM river_job WHERE kind = 'userimport.chunk'`); got < n/16 {
		t.Errorf("%d chunk jobs: the joiners' passwords did not go through the jobs", got)
	}

	drop("night1-again.csv")
	waitFile("night1-again.csv")
	if got := c.query(`SELECT COUNT(*) FROM batches WHERE source = 'feed:hr'`); got != 1 {
		t.Errorf("%d feed batches, want 1: the same bytes are taken once", got)
	}
	if got := c.query(`SELECT COUNT(*) FROM users WHERE source = 'feed:hr'`); got != n {
		t.Errorf("%d users of the feed, want %d", got, n)
	}
}
