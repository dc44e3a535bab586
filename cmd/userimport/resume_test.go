package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"userimport/importer/argon2id"
	"userimport/importer/sqldb"
	"userimport/internal/pgtest"
	"userimport/report"
)

// buildBinary builds the userimport command once per test run.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "userimport-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "userimport")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func binary(t testing.TB) string {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestResumeAfterKill starts the built binary on an import, kills it with
// SIGKILL mid-batch, runs the same command again, and checks that every
// row was done once, every user has exactly one working password in the
// notice, and the seats add up.
func TestResumeAfterKill(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			url := "sqlite:" + filepath.Join(dir, "userimport.db")
			if backend == "postgres" {
				url = pgtest.URL(t)
			}
			bin := binary(t)
			ui := func(args ...string) *exec.Cmd {
				c := exec.Command(bin, append([]string{"--db", url}, args...)...)
				c.Dir = dir
				return c
			}
			if out, err := ui("init", "--demo").CombinedOutput(); err != nil {
				t.Fatalf("init: %v\n%s", err, out)
			}
			const rows = 120
			var b strings.Builder
			b.WriteString("User Name,First Name,Last Name,Licenses,Usage Location\n")
			for i := 1; i <= rows; i++ {
				lic := ""
				if i%4 == 0 {
					lic = "SPB" // 30 rows ask, 10 seats
				}
				fmt.Fprintf(&b, "r%03d@contoso.com,Rówan,N%d,%s,US\n", i, i, lic)
			}
			file := filepath.Join(dir, "nightly.csv")
			if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			notice := filepath.Join(dir, "nightly.credentials.txt")

			// The first run hashes 48 passwords and then waits, whatever the
			// machine's speed: with two chunk jobs of 16 rows at a time, at
			// least one chunk is written before the kill, never all.
			first := ui("import", "nightly.csv", "--workers", "1")
			first.Env = append(os.Environ(), testHashGate+"=48")
			var firstErr bytes.Buffer
			first.Stderr = &firstErr
			if err := first.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				data, _ := os.ReadFile(notice)
				if strings.Count(string(data), "@contoso.com\t") >= 16 {
					break
				}
				if time.Now().After(deadline) {
					first.Process.Kill()
					t.Fatalf("no progress before the kill; stderr:\n%s", firstErr.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := first.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			first.Wait()

			out, err := ui("import", "nightly.csv", "--workers", "2").CombinedOutput()
			if err != nil {
				t.Fatalf("resume: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), "resumed batch") || !strings.Contains(string(out), fmt.Sprintf("%d rows: %d created", rows, rows)) {
				t.Fatalf("resume output:\n%s", out)
			}
			if _, err := os.Stat(filepath.Join(dir, "nightly.credentials.2.txt")); err == nil {
				t.Fatal("the resumed batch started a second notice instead of appending to its own")
			}

			ctx := context.Background()
			db, err := sqldb.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			_, entries, err := report.ReadNotice(notice)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, e := range entries {
				seen[e.UPN]++
			}
			for i := 1; i <= rows; i++ {
				if n := seen[fmt.Sprintf("r%03d@contoso.com", i)]; n != 1 {
					t.Errorf("r%03d is in the notice %d times, want exactly once", i, n)
				}
			}
			if len(entries) != rows {
				t.Fatalf("notice has %d entries, want %d", len(entries), rows)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			var bad []string
			work := make(chan int)
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range work {
						e := entries[i]
						c, err := db.Credentials(ctx, e.UPN)
						ok := false
						if err == nil {
							ok, _ = argon2id.Verify(e.Password.Reveal(), c.PasswordHash)
						}
						if !ok {
							mu.Lock()
							bad = append(bad, e.UPN)
							mu.Unlock()
						}
					}
				}()
			}
			for i := range entries {
				work <- i
			}
			close(work)
			wg.Wait()
			if len(bad) > 0 {
				t.Fatalf("passwords in the notice that do not sign in: %v", bad)
			}
			us, err := db.Users(ctx, true)
			if err != nil || len(us) != rows+1 {
				t.Fatalf("%d users, want %d and the admin (%v)", len(us), rows, err)
			}
			ps, _ := db.Products(ctx)
			for _, p := range ps {
				if p.SKU == "SPB" && (p.Assigned != 10 || p.Pending != 20) {
					t.Fatalf("SPB: assigned %d pending %d, want 10 and 20", p.Assigned, p.Pending)
				}
			}
		})
	}
}
