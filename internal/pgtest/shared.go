package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
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
