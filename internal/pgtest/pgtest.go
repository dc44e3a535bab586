// Package pgtest runs a throwaway PostgreSQL cluster from the locally
// installed binaries, for tests that need a real PostgreSQL.
//
// Each [Server] lives in a fresh temporary directory and listens on a fresh
// free port on 127.0.0.1, so a server left behind by a crashed run never
// blocks the next one. The cluster is tuned for speed, not durability
// (fsync, synchronous_commit and full_page_writes are off): never keep data
// in it.
//
// Test packages normally use [URL] and [Main]:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestSomething(t *testing.T) {
//		db, err := sql.Open("postgres", pgtest.URL(t))
//		...
//	}
package pgtest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lib/pq"
)

// ErrNotInstalled is returned (wrapped) by [Start] when no PostgreSQL
// binaries are found.
var ErrNotInstalled = errors.New("PostgreSQL server binaries (initdb, postgres) not found in PATH or /usr/lib/postgresql/*/bin; install PostgreSQL (Debian/Ubuntu: apt-get install postgresql)")

const (
	// superuser is the role initdb creates; every URL connects as it.
	superuser = "postgres"
	// dirPrefix names the temporary directories, so stale ones can be found.
	dirPrefix = "pgtest-"
	// staleAge is how old a dead server's directory must be before Start
	// removes it; younger ones may belong to a server that is still starting.
	staleAge = time.Hour
	// startAttempts bounds retries when postgres exits during startup, which
	// happens when another process takes the free port before postgres binds it.
	startAttempts = 3
	// stopTimeout is how long Stop waits after an immediate shutdown request
	// before killing the postmaster.
	stopTimeout = 10 * time.Second
)

// binPattern is where Debian and Ubuntu install the server binaries, one
// directory per major version.
const binPattern = "/usr/lib/postgresql/*/bin"

// Server is a running throwaway PostgreSQL cluster. It is safe for concurrent
// use.
type Server struct {
	dir   string // temporary directory holding everything below
	data  string // cluster data directory
	log   string // postgres's stdout and stderr
	port  int
	cmd   *exec.Cmd
	admin *sql.DB // connection to the "postgres" database, for CREATE DATABASE

	exited  chan struct{} // closed when the postmaster has exited
	waitErr error         // the postmaster's exit status, set before exited is closed

	seq      atomic.Int64 // numbers the databases NewDatabase creates
	stopOnce sync.Once
	stopErr  error
}

// Start initializes a new cluster in a fresh temporary directory, starts
// postgres on a free port of 127.0.0.1 and waits until it accepts
// connections or ctx is done.
//
// The binaries are looked up in PATH first, then in /usr/lib/postgresql/*/bin,
// newest major version first. When none are found the error wraps
// [ErrNotInstalled]. When postgres fails to start the error includes the tail
// of its log. PostgreSQL refuses to run as root, so when the process runs as
// root the cluster is owned and run by the "postgres" system user, or by
// "nobody" when there is no such user.
//
// Start also removes directories left by servers of earlier runs that died
// more than an hour ago without Stop.
func Start(ctx context.Context) (*Server, error) {
	bin, err := findBinDir(os.Getenv("PATH"), binPattern)
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	base := tempBase(cred != nil)
	removeStale(base, time.Now())

	dir, err := os.MkdirTemp(base, dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: create temp dir: %w", err)
	}
	s := &Server{
		dir:  dir,
		data: filepath.Join(dir, "data"),
		log:  filepath.Join(dir, "postgres.log"),
	}
	if err := s.start(ctx, bin, cred); err != nil {
		if stopErr := s.Stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
		return nil, err
	}
	return s, nil
}

func (s *Server) start(ctx context.Context, bin string, cred *syscall.Credential) error {
	if cred != nil {
		if err := os.Chown(s.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("pgtest: give %s to the postgres user: %w", s.dir, err)
		}
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", s.data, "-U", superuser, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Dir = s.dir
	initdb.Env = childEnv()
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, tail(out))
	}

	logFile, err := os.OpenFile(s.log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgtest: create log: %w", err)
	}
	defer logFile.Close() // postgres keeps its own descriptor

	var lastErr error
	for attempt := 0; attempt < startAttempts && ctx.Err() == nil; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		cmd := exec.Command(filepath.Join(bin, "postgres"),
			"-D", s.data,
			"-p", strconv.Itoa(port),
			"-k", s.dir,
			"-c", "listen_addresses=127.0.0.1",
			"-c", "fsync=off",
			"-c", "synchronous_commit=off",
			"-c", "full_page_writes=off",
			"-c", "max_connections=200",
		)
		cmd.Dir = s.dir
		cmd.Env = childEnv()
		cmd.Stdout = logFile
		cmd.Stderr = logFile
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Credential: cred,
			// If the test binary is killed, the kernel asks the postmaster
			// for an immediate shutdown, as Stop would.
			Pdeathsig: syscall.SIGQUIT,
		}
		s.port = port
		if err := s.spawn(cmd); err != nil {
			return fmt.Errorf("pgtest: start postgres: %w", err)
		}
		lastErr = s.waitReady(ctx)
		if lastErr == nil {
			return nil
		}
		if !s.hasExited() {
			break // ctx is done; Start's cleanup stops the postmaster
		}
	}
	if lastErr == nil {
		lastErr = ctx.Err()
	}
	logTail, _ := os.ReadFile(s.log)
	return fmt.Errorf("pgtest: start postgres: %w\npostgres log:\n%s", lastErr, tail(logTail))
}

// spawn starts cmd from a goroutine locked to its OS thread until the
// postmaster exits: the kernel sends Pdeathsig when the thread that forked
// the child ends, not the process, and the Go runtime may end idle threads.
func (s *Server) spawn(cmd *exec.Cmd) error {
	started := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.waitErr = cmd.Wait()
		close(exited)
	}()
	if err := <-started; err != nil {
		return err
	}
	s.cmd = cmd
	s.exited = exited
	return nil
}

func (s *Server) hasExited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// waitReady polls until the server accepts a connection, the postmaster
// exits or ctx is done.
func (s *Server) waitReady(ctx context.Context) error {
	db, err := sql.Open("postgres", s.url("postgres"))
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(4)
	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()
	for {
		pingErr := db.PingContext(ctx)
		if pingErr == nil {
			s.admin = db
			return nil
		}
		select {
		case <-s.exited:
			db.Close()
			return fmt.Errorf("postgres exited: %v", s.waitErr)
		case <-ctx.Done():
			db.Close()
			return fmt.Errorf("%w (last connection error: %v)", ctx.Err(), pingErr)
		case <-ticker.C:
		}
	}
}

// Stop shuts the server down immediately (like pg_ctl stop -m immediate) and
// removes its temporary directory. Only the first call does anything; later
// calls return its result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if s.admin != nil {
			s.admin.Close()
		}
		if s.cmd != nil && !s.hasExited() {
			// Immediate shutdown: the cluster is thrown away, so skip the
			// checkpoint a fast shutdown would write.
			if err := s.cmd.Process.Signal(syscall.SIGQUIT); err != nil && !s.hasExited() {
				errs = append(errs, fmt.Errorf("pgtest: signal postgres: %w", err))
			}
			select {
			case <-s.exited:
			case <-time.After(stopTimeout):
				s.cmd.Process.Kill()
				<-s.exited
			}
		}
		if err := os.RemoveAll(s.dir); err != nil {
			errs = append(errs, fmt.Errorf("pgtest: remove %s: %w", s.dir, err))
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// NewDatabase creates a database with a name unique to this server and
// returns its URL, of the form
// postgres://postgres@127.0.0.1:PORT/NAME?sslmode=disable.
func (s *Server) NewDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("test_%d", s.seq.Add(1))
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return s.url(name), nil
}

func (s *Server) url(dbname string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", superuser, s.port, dbname)
}

// findBinDir returns the directory holding initdb and postgres: the first
// one found through pathEnv (symlinks resolved, since the binaries locate
// their share directory from their real path), else the newest version
// matched by pattern.
func findBinDir(pathEnv, pattern string) (string, error) {
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			continue
		}
		initdb, err := filepath.EvalSymlinks(filepath.Join(dir, "initdb"))
		if err != nil {
			continue
		}
		if real := filepath.Dir(initdb); hasServer(real) {
			return real, nil
		}
	}
	dirs, _ := filepath.Glob(pattern) // the only error is a bad pattern
	sort.Slice(dirs, func(i, j int) bool {
		return versionLess(versionOf(dirs[j]), versionOf(dirs[i]))
	})
	for _, dir := range dirs {
		if hasServer(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("pgtest: %w", ErrNotInstalled)
}

func hasServer(dir string) bool {
	return isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres"))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// versionOf parses the version directory of a path like
// /usr/lib/postgresql/9.6/bin into its numeric parts; parts that are not
// numbers count as 0.
func versionOf(binDir string) []int {
	var v []int
	for _, part := range strings.Split(filepath.Base(filepath.Dir(binDir)), ".") {
		n, _ := strconv.Atoi(part)
		v = append(v, n)
	}
	return v
}

func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// serverCredential returns the unprivileged user to run the cluster as when
// this process runs as root, and nil otherwise.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	var lookupErrs []error
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			lookupErrs = append(lookupErrs, err)
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("pgtest: user %s: %w", name, err)
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("pgtest: running as root and no unprivileged user to run PostgreSQL as: %w", errors.Join(lookupErrs...))
}

// tempBase returns the directory to create server directories in. When the
// cluster runs as another user, every directory above its own must be
// searchable by that user; TMPDIR may not be (say /root/tmp), /tmp is.
func tempBase(otherUser bool) string {
	base := os.TempDir()
	if !otherUser {
		return base
	}
	for dir := base; ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if dir == filepath.Dir(dir) {
			return base
		}
	}
}

// removeStale removes server directories in base older than staleAge whose
// postmaster is no longer running, left behind by runs that were killed
// before Stop. Failures are ignored: it is housekeeping.
func removeStale(base string, now time.Time) {
	dirs, _ := filepath.Glob(filepath.Join(base, dirPrefix+"*"))
	for _, dir := range dirs {
		fi, err := os.Lstat(dir)
		if err != nil || !fi.IsDir() || now.Sub(fi.ModTime()) < staleAge {
			continue
		}
		if postmasterAlive(filepath.Join(dir, "data", "postmaster.pid")) {
			continue
		}
		os.RemoveAll(dir)
	}
}

// postmasterAlive reports whether the process named on the first line of a
// postmaster.pid file exists.
func postmasterAlive(pidFile string) bool {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return false
	}
	err = syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// childEnv is the environment of initdb and postgres: TZ is set so that
// initdb need not search the time zone database, LC_ALL so that messages
// are in English whatever the caller's locale.
func childEnv() []string {
	return append(os.Environ(), "TZ=UTC", "LC_ALL=C")
}

// tail returns the last lines of b, enough to show why a command failed.
func tail(b []byte) string {
	const maxLines, maxBytes = 30, 4000
	b = bytes.TrimRight(b, "\n")
	if len(b) > maxBytes {
		b = b[len(b)-maxBytes:]
	}
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
