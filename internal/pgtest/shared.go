package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv names the environment variable that, set to "require", makes
// [URL] fail a test instead of skipping it when PostgreSQL is not installed.
// CI sets it so that a missing PostgreSQL cannot pass unnoticed.
const RequireEnv = "USERIMPORT_TEST_POSTGRES"

// sharedStartTimeout bounds the start of the shared server; URL has no
// context of its own to bound it with.
const sharedStartTimeout = time.Minute

// shared is the one server a test binary starts on the first call of URL and
// stops in Main. It is package-level state on purpose, unlike everything
// else in this project: it stands for a process-wide resource, one cluster
// per test binary, shared by every test of the package.
var shared struct {
	mu      sync.Mutex
	started bool // Start was called; srv and err hold its result
	stopped bool // Main has stopped the server
	srv     *Server
	err     error
}

// URL returns the URL of a new, empty database on the test binary's shared
// server, starting the server on first use. The database is not dropped:
// the whole cluster is thrown away by [Main].
//
// When PostgreSQL is not installed, URL skips tb, or fails it when the
// environment variable USERIMPORT_TEST_POSTGRES is "require". Any other
// failure fails tb.
func URL(tb testing.TB) string {
	tb.Helper()
	srv, err := sharedServer()
	if err != nil {
		startFailed(tb, err, os.Getenv(RequireEnv))
	}
	url, err := srv.NewDatabase(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	return url
}

// startFailed skips tb when err says PostgreSQL is not installed and
// require is not "require"; otherwise it fails tb.
func startFailed(tb testing.TB, err error, require string) {
	tb.Helper()
	if !errors.Is(err, ErrNotInstalled) {
		tb.Fatal(err)
	}
	if require == "require" {
		tb.Fatalf("%v (%s=require)", err, RequireEnv)
	}
	tb.Skipf("%v; skipping (set %s=require to fail instead)", err, RequireEnv)
}

func sharedServer() (*Server, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.stopped {
		return nil, errors.New("pgtest: URL called after Main stopped the shared server")
	}
	if !shared.started {
		shared.started = true
		ctx, cancel := context.WithTimeout(context.Background(), sharedStartTimeout)
		defer cancel()
		shared.srv, shared.err = Start(ctx)
	}
	return shared.srv, shared.err
}

// Main runs the tests and then stops the shared server, if [URL] started
// one, so that its directory is removed. It returns the exit code for
// os.Exit; a failure to stop turns success into failure:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Without Main, the postmaster still dies with the test binary, but its
// directory stays in the temp dir until a Start an hour later removes it.
func Main(m *testing.M) int {
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	shared.stopped = true
	if shared.srv == nil {
		return code
	}
	if err := shared.srv.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// CPUSeconds returns the CPU time, user and system, that the shared
// server's processes have used so far: the postmaster's, its children's
// that it has reaped, and those of its live children (the backends), read
// from /proc. It returns -1 when no shared server runs or /proc does not
// tell. A benchmark takes the difference of two calls.
func CPUSeconds() float64 {
	shared.mu.Lock()
	srv := shared.srv
	shared.mu.Unlock()
	if srv == nil || srv.cmd == nil || srv.cmd.Process == nil {
		return -1
	}
	pm := srv.cmd.Process.Pid
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		return -1
	}
	ticks := 0.0
	found := false
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // it exited meanwhile: the postmaster counts it once reaped
		}
		// pid (comm) state ppid ... utime(14) stime(15) cutime(16) cstime(17)
		s := string(b)
		close := strings.LastIndexByte(s, ')')
		if close < 0 {
			continue
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(s[:strings.IndexByte(s, '(')]))
		f := strings.Fields(s[close+1:])
		if len(f) < 15 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		n := 2 // utime and stime
		if pid == pm {
			n, found = 4, true // and the reaped children's
		} else if ppid != pm {
			continue
		}
		for _, v := range f[11 : 11+n] {
			t, _ := strconv.ParseFloat(v, 64)
			ticks += t
		}
	}
	if !found {
		return -1
	}
	return ticks / 100 // USER_HZ, 100 on Linux
}
