package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"userimport/importer/argon2id"
	"userimport/importer/sqldb"
	"userimport/internal/pgtest"
	"userimport/report"
)

// cluster is a PostgreSQL directory shared by several processes of the
// built binary, each in a folder of its own (another machine's, as far as
// files go).
type cluster struct {
	t     testing.TB
	url   string
	bin   string
	cheap bool // hash with the test-only cheap parameters
}

// newCluster makes a cluster whose processes hash cheaply.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	return makeCluster(t, true)
}

// newBenchCluster makes a cluster whose processes hash as production does.
func newBenchCluster(b *testing.B) *cluster {
	b.Helper()
	return makeCluster(b, false)
}

func makeCluster(tb testing.TB, cheap bool) *cluster {
	tb.Helper()
	clearEnv(tb)
	c := &cluster{t: tb, url: pgtest.URL(tb), bin: binary(tb), cheap: cheap}
	c.must(tb.TempDir(), nil, "init", "--demo")
	return c
}

// newLocal makes a "cluster" on a SQLite directory in a folder of its own
// (c.home), initialized with the demo tenant, whose processes hash as
// production does: one machine's commands, for the tests of one process
// stopped and run again.
func newLocal(t *testing.T) (c *cluster, home string) {
	t.Helper()
	clearEnv(t)
	home = t.TempDir()
	c = &cluster{t: t, url: "sqlite:" + filepath.Join(home, "userimport.db"), bin: binary(t)}
	c.must(home, nil, "init", "--demo")
	return c, home
}

// out runs a command of the binary in dir and returns its stdout (a
// listing's JSON, say), failing the test unless it exits 0.
func (c *cluster) out(dir string, args ...string) []byte {
	c.t.Helper()
	out, err := c.cmd(dir, nil, args...).Output()
	if err != nil {
		c.t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return out
}

// env is the environment of the cluster's processes, with extra added.
func (c *cluster) env(extra []string) []string {
	env := append(os.Environ(), "USERIMPORT_LOG_FORMAT=json")
	if c.cheap {
		env = append(env, testCheapHash+"=1")
	}
	return append(env, extra...)
}

// cmd makes a command of the binary in dir with env added.
func (c *cluster) cmd(dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(c.bin, append([]string{"--db", c.url}, args...)...)
	cmd.Dir = dir
	cmd.Env = c.env(env)
	return cmd
}

func (c *cluster) must(dir string, env []string, args ...string) string {
	c.t.Helper()
	out, err := c.cmd(dir, env, args...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return string(out)
}

// start starts a long-running command (a worker) and stops it at the end.
func (c *cluster) start(env []string, args ...string) *exec.Cmd {
	c.t.Helper()
	cmd := c.cmd(c.t.TempDir(), env, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if c.t.Failed() {
			c.t.Logf("%v:\n%s", args, out.String())
		}
	})
	return cmd
}

// roster writes a file of n new users, every fourth asking for SPB (10
// seats), in a new folder, and returns the folder.
func (c *cluster) roster(name string, n int) string {
	c.t.Helper()
	dir := c.t.TempDir()
	var b strings.Builder
	b.WriteString("User Name,First Name,Last Name,Licenses,Usage Location\n")
	for i := 1; i <= n; i++ {
		lic := ""
		if i%4 == 0 {
			lic = "SPB"
		}
		fmt.Fprintf(&b, "s%04d@contoso.com,Scale,N%d,%s,US\n", i, i, lic)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
		c.t.Fatal(err)
	}
	return dir
}

// check opens the directory and checks what every shared batch must give,
// out being the import's output (its last line names the notice):
// every row once, SPB's seats to the first rows asking, exactly one working
// password in the notice for every user, and none of those passwords
// anywhere in a dump of the database.
func (c *cluster) check(dir, out string, n int) {
	t := c.t
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, c.url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := regexp.MustCompile(`credentials (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the import names no credentials notice:\n%s", out)
	}
	_, entries, err := report.ReadNotice(filepath.Join(dir, m[1]))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, e := range entries {
		seen[e.UPN]++
		cr, err := db.Credentials(ctx, e.UPN)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := argon2id.Verify(e.Password.Reveal(), cr.PasswordHash); !ok {
			t.Errorf("%s: its notice password does not sign in", e.UPN)
		}
	}
	if len(entries) != n || len(seen) != n {
		t.Fatalf("the notice has %d lines for %d users, want one for each of %d", len(entries), len(seen), n)
	}
	for i := 1; i <= n; i++ {
		upn := fmt.Sprintf("s%04d@contoso.com", i)
		u, err := db.User(ctx, upn)
		if err != nil {
			t.Fatalf("%s: %v", upn, err)
		}
		if i%4 != 0 {
			continue
		}
		want := "pending"
		if i <= 40 { // the first ten rows asking get the ten seats
			want = "assigned"
		}
		if len(u.Licenses) != 1 || u.Licenses[0].Status != want {
			t.Errorf("%s: licenses %+v, want SPB %s (seats in row order)", upn, u.Licenses, want)
		}
	}
	dumps, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	if len(dumps) == 0 {
		t.Fatal("no pg_dump to search the database with")
	}
	dump, err := exec.Command(dumps[len(dumps)-1], "--dbname="+c.url).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	for _, e := range entries {
		if bytes.Contains(dump, []byte(e.Password.Reveal())) {
			t.Fatalf("the password of %s is in the database in clear", e.UPN)
		}
	}
	if bytes.Contains(dump, []byte("AGE-SECRET-KEY")) {
		t.Fatal("a batch's key is in the database")
	}
	if keys, _ := filepath.Glob(filepath.Join(dir, ".*.key")); len(keys) != 0 {
		t.Errorf("the batch's key file is left after its notice is complete: %v", keys)
	}
}

// query runs a one-number query on the directory's River tables.
func (c *cluster) query(q string) int {
	c.t.Helper()
	db, err := sql.Open("postgres", c.url)
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		c.t.Fatal(err)
	}
	return n
}

// workedBy counts the processes (River clients) that completed chunk jobs.
func (c *cluster) workedBy() int {
	return c.query(`SELECT COUNT(DISTINCT attempted_by[array_upper(attempted_by, 1)]) FROM river_job
		WHERE kind = 'userimport.chunk' AND state = 'completed'`)
}

// TestSharedBatch: two worker processes and the import itself, on one
// PostgreSQL directory, share a 2,000-row batch with passwords. The import
// hashes only its first few passwords (a test-only gate), so the workers
// do the rest.
func TestSharedBatch(t *testing.T) {
	c := newCluster(t)
	c.start(nil, "worker")
	c.start(nil, "worker")
	const n = 2000
	dir := c.roster("shared.csv", n)
	out := c.must(dir, []string{testHashGate + "=8", testStallAfter + "=1s"}, "import", "shared.csv")
	if !strings.Contains(out, fmt.Sprintf("%d rows: %d created", n, n)) {
		t.Fatalf("import:\n%s", out)
	}
	c.check(dir, out, n)
	if w := c.workedBy(); w < 2 {
		t.Errorf("chunks were completed by %d processes, want both workers", w)
	}
}

// TestWorkerKilled: a worker is killed with SIGKILL in the middle of its
// chunks (it hashes four passwords, then waits): another worker takes its
// rows over, nothing is lost or done twice, and every user has exactly
// one working password in the notice.
func TestWorkerKilled(t *testing.T) {
	c := newCluster(t)
	const n = 200
	dir := c.roster("killed.csv", n)
	// The import hashes nothing itself: the workers must.
	imp := c.cmd(dir, []string{testHashGate + "=0", testStallAfter + "=1s"}, "import", "killed.csv")
	var out bytes.Buffer
	imp.Stdout, imp.Stderr = &out, &out
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	running := 0
	for range 2 {
		doomed := c.start([]string{testHashGate + "=4"}, "worker")
		c.waitRunning(running + 1) // one more: the doomed worker holds a chunk
		running = c.query(`SELECT COUNT(*) FROM river_job WHERE kind = 'userimport.chunk' AND state = 'running'`)
		doomed.Process.Kill()
		doomed.Wait()
	}
	c.start(nil, "worker")
	if err := imp.Wait(); err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("%d rows: %d created", n, n)) {
		t.Fatalf("import:\n%s", out.String())
	}
	c.check(dir, out.String(), n)
}

// waitRunning waits until at least n chunk jobs are running.
func (c *cluster) waitRunning(n int) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := c.query(`SELECT COUNT(*) FROM river_job WHERE kind = 'userimport.chunk' AND state = 'running'`)
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%d chunk jobs running after a minute, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// doneRows counts the rows of the directory's batches that are written.
func (c *cluster) doneRows() int {
	return c.query(`SELECT COUNT(*) FROM batch_rows WHERE state = 'done'`)
}

// waitDone waits until at least n rows of the directory's batches are
// written.
func (c *cluster) waitDone(n int) {
	c.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for c.doneRows() < n {
		if time.Now().After(deadline) {
			c.t.Fatalf("%d rows written after two minutes, want %d", c.doneRows(), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestImportKilledWorkersGoOn: the import process itself is killed with
// SIGKILL; a worker goes on writing its batch's rows meanwhile, their
// passwords sealed in the journal; the same command, run again, resumes
// the batch and puts every one of those passwords in the notice.
func TestImportKilledWorkersGoOn(t *testing.T) {
	c := newCluster(t)
	c.start(nil, "worker")
	const n = 300
	dir := c.roster("nightly.csv", n)
	imp := c.cmd(dir, nil, "import", "nightly.csv")
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	c.waitDone(24)
	imp.Process.Kill()
	imp.Wait()
	// The worker goes on without the import (the chunks the import held
	// wait for the resume, or for River to hand them out again).
	c.waitDone(c.doneRows() + 16)
	out := c.must(dir, nil, "import", "nightly.csv")
	if !strings.Contains(out, "resumed batch") || !strings.Contains(out, fmt.Sprintf("%d rows: %d created", n, n)) {
		t.Fatalf("the same command again:\n%s", out)
	}
	c.check(dir, out, n)
}

// TestServeStopsMidBatch: serve works an import's chunks; SIGTERM stops it
// in the middle (exit 0, chunks in flight finished), and once serve starts
// again the batch goes on to its end.
func TestServeStopsMidBatch(t *testing.T) {
	c := newCluster(t)
	const n = 400
	dir := c.roster("midway.csv", n)
	// The import hashes nothing itself: serve does the work.
	imp := c.cmd(dir, []string{testHashGate + "=0", testStallAfter + "=1s"}, "import", "midway.csv")
	var out bytes.Buffer
	imp.Stdout, imp.Stderr = &out, &out
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	serve := func() *exec.Cmd {
		s := c.cmd(t.TempDir(), nil, "serve", "--listen", "127.0.0.1:0")
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := serve()
	c.waitDone(40)
	first.Process.Signal(syscall.SIGTERM)
	if err := first.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v, want exit 0", err)
	}
	if d := c.doneRows(); d >= n {
		t.Fatalf("all %d rows were written before serve stopped; the test proves nothing", d)
	}
	second := serve()
	defer func() { second.Process.Signal(syscall.SIGTERM); second.Wait() }()
	if err := imp.Wait(); err != nil || !strings.Contains(out.String(), fmt.Sprintf("%d rows: %d created", n, n)) {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	c.check(dir, out.String(), n)
}

// TestServeAndImportOnSQLite: with no PostgreSQL at all, serve runs on the
// embedded default while an import works as on its own; serve takes part
// in the batch's chunks, and /healthz and /metrics answer.
func TestServeAndImportOnSQLite(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	c := &cluster{t: t, url: "sqlite:" + filepath.Join(dir, "userimport.db"), bin: binary(t), cheap: true}
	c.must(dir, nil, "init", "--demo")
	port := freeTCPPort(t)
	serve := c.cmd(dir, nil, "serve", "--listen", "127.0.0.1:"+port)
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { serve.Process.Signal(syscall.SIGTERM); serve.Wait() }()
	base := "http://127.0.0.1:" + port
	waitHTTP(t, base+"/healthz")
	const n = 400
	var b strings.Builder
	b.WriteString("User Name,First Name,Last Name\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "q%04d@contoso.com,Q,N%d\n", i, i)
	}
	writeFile(t, filepath.Join(dir, "quiet.csv"), b.String())
	out := c.must(dir, []string{testHashGate + "=8", testStallAfter + "=1s"}, "import", "quiet.csv")
	if !strings.Contains(out, fmt.Sprintf("%d rows: %d created", n, n)) {
		t.Fatalf("import:\n%s", out)
	}
	metrics := getBody(t, base+"/metrics")
	m := regexp.MustCompile(`(?m)^userimport_rows_total\{outcome="created"\} (\d+)$`).FindStringSubmatch(metrics)
	if m == nil || m[1] == "0" {
		t.Errorf("serve's metrics count no created rows, though the import hashed only 8 passwords itself:\n%s", m)
	}
	if body := getBody(t, base+"/healthz"); strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %q", body)
	}
}

func freeTCPPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered 200: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
