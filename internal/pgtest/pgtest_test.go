package pgtest

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

// startServer starts a server of the test's own, skipping like URL does when
// PostgreSQL is not installed.
func startServer(t *testing.T) *Server {
	t.Helper()
	s, err := Start(t.Context())
	if err != nil {
		startFailed(t, err, os.Getenv(RequireEnv))
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestServer(t *testing.T) {
	begin := time.Now()
	s := startServer(t)
	t.Logf("started in %v", time.Since(begin))

	// PostgreSQL refuses to run as root, as tests do in CI.
	t.Run("RunsUnprivileged", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("not running as root")
		}
		fi, err := os.Stat(s.data)
		if err != nil {
			t.Fatal(err)
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; uid == 0 {
			t.Errorf("data dir %s is owned by root", s.data)
		}
	})

	t.Run("NewDatabase", func(t *testing.T) {
		var urls []string
		for range 2 {
			url, err := s.NewDatabase(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			urls = append(urls, url)
		}
		if urls[0] == urls[1] {
			t.Fatalf("NewDatabase returned %q twice", urls[0])
		}
		for _, url := range urls {
			if !strings.HasPrefix(url, "postgres://postgres@127.0.0.1:") || !strings.HasSuffix(url, "?sslmode=disable") {
				t.Errorf("URL %q is not of the documented form", url)
			}
			db, err := sql.Open("postgres", url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var one int
			if err := db.QueryRowContext(t.Context(), "select 1").Scan(&one); err != nil || one != 1 {
				t.Fatalf("%s: select 1 = %d, %v", url, one, err)
			}
		}
	})

	// Store tests open pools in parallel; 50 connections at once must fit.
	t.Run("ConcurrentConnections", func(t *testing.T) {
		url, err := s.NewDatabase(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		const n = 50
		var (
			opened, release sync.WaitGroup
			errs            = make(chan error, n)
		)
		opened.Add(n)
		release.Add(1)
		for i := range n {
			go func() {
				db, err := sql.Open("postgres", url)
				if err == nil {
					defer db.Close()
					var got int
					err = db.QueryRowContext(t.Context(), "select $1::int", i).Scan(&got)
					if err == nil && got != i {
						err = fmt.Errorf("select %d returned %d", i, got)
					}
				}
				errs <- err
				opened.Done()
				release.Wait() // hold the connection until all are open
			}()
		}
		opened.Wait()
		var open int
		if err := s.admin.QueryRowContext(t.Context(),
			"select count(*) from pg_stat_activity where backend_type = 'client backend'").Scan(&open); err != nil {
			t.Error(err)
		}
		release.Done()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		if open < n {
			t.Errorf("%d client connections open, want at least %d", open, n)
		}
	})

	t.Run("ConcurrentNewDatabase", func(t *testing.T) {
		const n = 8
		urls := make(chan string, n)
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				url, err := s.NewDatabase(t.Context())
				if err != nil {
					t.Error(err)
				}
				urls <- url
			})
		}
		wg.Wait()
		close(urls)
		seen := map[string]bool{}
		for url := range urls {
			if seen[url] {
				t.Errorf("URL %q returned twice", url)
			}
			seen[url] = true
		}
	})

	t.Run("Stop", func(t *testing.T) {
		if err := s.Stop(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(s.dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after Stop, stat %s: %v; want not exist", s.dir, err)
		}
		if !s.hasExited() {
			t.Error("postmaster still running after Stop")
		}
		if err := s.Stop(); err != nil {
			t.Errorf("second Stop: %v", err)
		}
	})
}

func TestStartTwice(t *testing.T) {
	a, b := startServer(t), startServer(t)
	if a.port == b.port || a.dir == b.dir {
		t.Errorf("two servers share port or dir: %d %s, %d %s", a.port, a.dir, b.port, b.dir)
	}
}

func TestFindBinDir(t *testing.T) {
	root := t.TempDir()
	install := func(dir string, names ...string) string {
		t.Helper()
		dir = filepath.Join(root, dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	install("lib/9.6/bin", "initdb", "postgres")
	v10 := install("lib/10/bin", "initdb", "postgres")
	v15 := install("lib/15/bin", "initdb", "postgres")
	install("lib/17/bin", "initdb") // client-only leftovers, no server
	onPath := install("path", "initdb", "postgres")
	noServer := install("nopostgres", "initdb")
	links := install("links")
	if err := os.Symlink(filepath.Join(v10, "initdb"), filepath.Join(links, "initdb")); err != nil {
		t.Fatal(err)
	}
	pattern := filepath.Join(root, "lib/*/bin")

	tests := []struct {
		name, path, pattern, want string
	}{
		{"PathFirst", onPath, pattern, onPath},
		{"PathWithoutPostgresSkipped", noServer + ":" + onPath, pattern, onPath},
		{"SymlinkResolved", links, pattern, v10},
		// Numeric, not lexical, order: 15 beats 10 and 9.6; 17 has no server.
		{"NewestVersion", noServer, pattern, v15},
		{"EmptyPathEntries", "::" + onPath, pattern, onPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := findBinDir(tt.path, tt.pattern)
			if err != nil || got != tt.want {
				t.Errorf("findBinDir(%q, %q) = %q, %v; want %q", tt.path, tt.pattern, got, err, tt.want)
			}
		})
	}

	t.Run("ErrNotInstalled", func(t *testing.T) {
		_, err := findBinDir(noServer, filepath.Join(root, "none/*/bin"))
		if !errors.Is(err, ErrNotInstalled) {
			t.Fatalf("err = %v, want ErrNotInstalled", err)
		}
		if !strings.Contains(err.Error(), "apt-get install postgresql") {
			t.Errorf("error %q does not say what to install", err)
		}
	})
}

// fakeTB records how a test ended; Skipf and Fatalf end the goroutine as the
// real ones do.
type fakeTB struct {
	testing.TB
	ended string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatal(args ...any) {
	f.ended = "fatal: " + fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.ended = "fatal: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.ended = "skip: " + fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestStartFailed(t *testing.T) {
	notInstalled := fmt.Errorf("pgtest: %w", ErrNotInstalled)
	tests := []struct {
		name    string
		err     error
		require string
		want    string // prefix of how the test ends
	}{
		{"NotInstalledSkips", notInstalled, "", "skip: pgtest: PostgreSQL server binaries"},
		{"NotInstalledRequired", notInstalled, "require", "fatal: pgtest: PostgreSQL server binaries"},
		{"OtherValueSkips", notInstalled, "yes", "skip: "},
		{"BrokenFails", errors.New("initdb: boom"), "", "fatal: initdb: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := &fakeTB{}
			done := make(chan struct{})
			go func() {
				defer close(done)
				startFailed(tb, tt.err, tt.require)
			}()
			<-done
			if !strings.HasPrefix(tb.ended, tt.want) {
				t.Errorf("test ended with %q, want prefix %q", tb.ended, tt.want)
			}
		})
	}
}

func TestRemoveStale(t *testing.T) {
	base := t.TempDir()
	now := time.Now()
	mkdir := func(name string, age time.Duration, pid int) string {
		t.Helper()
		dir := filepath.Join(base, name)
		if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
			t.Fatal(err)
		}
		if pid != 0 {
			pidFile := filepath.Join(dir, "data", "postmaster.pid")
			if err := os.WriteFile(pidFile, fmt.Appendf(nil, "%d\n/tmp/x\n", pid), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chtimes(dir, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	dead := mkdir(dirPrefix+"dead", 2*time.Hour, 0)
	young := mkdir(dirPrefix+"young", time.Minute, 0)
	running := mkdir(dirPrefix+"running", 2*time.Hour, os.Getpid())
	other := mkdir("other", 2*time.Hour, 0)

	removeStale(base, now)

	for dir, wantKept := range map[string]bool{dead: false, young: true, running: true, other: true} {
		_, err := os.Stat(dir)
		if kept := err == nil; kept != wantKept {
			t.Errorf("%s kept = %v, want %v", filepath.Base(dir), kept, wantKept)
		}
	}
}
