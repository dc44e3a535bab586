package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFeedCommands runs the README's Nightly HR file section on the built
// binary: a feed on a folder, two generated nights taken from it, the
// joiners, movers and leavers in the results; then a truncated third
// night is held, and `batch approve` applies it.
func TestFeedCommands(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "userimport.db")
	ui := func(want int, args ...string) result {
		t.Helper()
		r := runBinary(t, dir, db, "", args...)
		if r.code != want {
			t.Fatalf("userimport %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
		}
		return r
	}
	ui(0, "init", "--demo")
	drops := filepath.Join(dir, "hr-drops")
	if err := os.Mkdir(drops, 0o755); err != nil {
		t.Fatal(err)
	}
	ui(0, "feed", "add", "hr", "--dir", "hr-drops", "--upn", "{first}.{last}", "--domain", "contoso.com", "--no-passwords")
	ui(2, "feed", "add", "hr", "--dir", "hr-drops") // exists
	ui(0, "generate", "--rows", "200", "--out", "night1.csv")
	ui(0, "generate", "--from", "night1.csv", "--leavers", "5", "--movers", "8", "--joiners", "6", "--out", "night2.csv")
	copyFile := func(from, to string) {
		b, err := os.ReadFile(filepath.Join(dir, from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(drops, to), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("night1.csv", "night1.csv")
	if r := ui(0, "feed", "run", "hr"); !strings.Contains(r.stdout, "200 created") {
		t.Errorf("night 1: %s", r.stdout)
	}
	copyFile("night2.csv", "night2.csv")
	if r := ui(0, "feed", "run", "hr"); !strings.Contains(r.stdout, "5 disabled") || !strings.Contains(r.stdout, "6 created, 8 updated") {
		t.Errorf("night 2: %s", r.stdout)
	}
	for _, name := range []string{"night1.csv", "night1.results.xlsx", "night2.csv", "night2.results.xlsx"} {
		if _, err := os.Stat(filepath.Join(drops, "processed", name)); err != nil {
			t.Errorf("processed/%s: %v", name, err)
		}
	}
	var show struct {
		Name, Mode, LastBatch string
		Users                 int
	}
	if err := json.Unmarshal([]byte(ui(0, "feed", "show", "hr", "--format", "json").stdout), &show); err != nil {
		t.Fatal(err)
	}
	if show.Users != 201 || show.Mode != "sync" || show.LastBatch == "" {
		t.Errorf("feed show: %+v", show)
	}
	// The same bytes again: skipped.
	copyFile("night2.csv", "again.csv")
	ui(0, "feed", "run", "hr")
	if r := ui(0, "user", "list", "--format", "json"); strings.Count(r.stdout, `"source": "feed:hr"`) != 206 {
		t.Errorf("%d users of the feed, want 206", strings.Count(r.stdout, `"source": "feed:hr"`))
	}

	// Night 3: 100 rows of night 2's 201: held, then approved.
	lines := strings.SplitAfter(string(must(os.ReadFile(filepath.Join(dir, "night2.csv")))), "\n")
	if err := os.WriteFile(filepath.Join(drops, "night3.csv"), []byte(strings.Join(lines[:101], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	r := ui(0, "feed", "run", "hr")
	m := regexp.MustCompile("batch approve ([0-9a-f-]+)").FindStringSubmatch(r.stdout)
	if m == nil || !strings.Contains(r.stdout, "held") {
		t.Fatalf("night 3 not held: %s", r.stdout)
	}
	if got := ui(0, "feed", "show", "hr", "--format", "json").stdout; !strings.Contains(got, `"users": 201`) {
		t.Errorf("a held run changed the feed's users: %s", got)
	}
	if got := ui(0, "batch", "show", m[1], "--format", "json").stdout; !strings.Contains(got, `"state": "held"`) {
		t.Errorf("held batch: %s", got)
	}
	r = ui(0, "batch", "approve", m[1])
	if !strings.Contains(r.stdout, "101 disabled") {
		t.Errorf("approve: %s", r.stdout)
	}
	if got := ui(0, "batch", "show", m[1], "--format", "json").stdout; !strings.Contains(got, `"state": "done"`) {
		t.Errorf("approved batch: %s", got)
	}
	ui(2, "batch", "approve", m[1])
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
