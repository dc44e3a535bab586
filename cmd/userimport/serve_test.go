package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"

	"userimport/importer/jobs"
	"userimport/internal/pgtest"
)

// service is a running `userimport serve` or `worker` process.
type service struct {
	cmd  *exec.Cmd
	url  string // of serve; "" for worker
	done chan struct{}

	mu     sync.Mutex
	stderr strings.Builder
}

func (s *service) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

// startService starts the built binary with --db db and args in dir (and
// env added to the environment), and
// waits (30 s at most) until its log says it is up: "serving" (whose URL
// it keeps) or "working". The process is killed when the test ends if it
// still runs.
func startService(t *testing.T, dir, db string, env []string, args ...string) *service {
	t.Helper()
	c := exec.Command(binary(t), append([]string{"--db", db, "--log-format", "json"}, args...)...)
	c.Dir = dir
	c.Env = append(serviceEnv(), env...)
	pipe, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	s := &service{cmd: c, done: make(chan struct{})}
	up := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.stderr.WriteString(line + "\n")
			s.mu.Unlock()
			var entry struct{ Msg, URL string }
			if json.Unmarshal([]byte(line), &entry) == nil && (entry.Msg == "serving" || entry.Msg == "working") {
				select {
				case up <- entry.URL:
				default:
				}
			}
		}
		io.Copy(io.Discard, pipe)
		c.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			c.Process.Kill()
			<-s.done
		}
	})
	select {
	case s.url = <-up:
	case <-s.done:
		t.Fatalf("userimport %s exited %d before it was up:\n%s", strings.Join(args, " "), c.ProcessState.ExitCode(), s.log())
	case <-time.After(30 * time.Second):
		t.Fatalf("userimport %s not up within 30 s:\n%s", strings.Join(args, " "), s.log())
	}
	return s
}

// stop sends SIGTERM and returns the exit code, failing t unless the
// process exits within 30 s.
func (s *service) stop(t *testing.T) int {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
		return s.cmd.ProcessState.ExitCode()
	case <-time.After(30 * time.Second):
		t.Fatalf("no exit within 30 s of SIGTERM:\n%s", s.log())
		return -1
	}
}

// serviceEnv is the test's environment without the variables that the
// command reads as defaults, so that a developer's settings do not leak in.
func serviceEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "USERIMPORT_") {
			env = append(env, kv)
		}
	}
	return env
}

// demoDirectory makes a demo directory on backend ("sqlite" in dir, or a
// fresh PostgreSQL database) and returns its --db URL.
func demoDirectory(t *testing.T, backend, dir string) string {
	t.Helper()
	db := "sqlite:" + filepath.Join(dir, "userimport.db")
	if backend == "postgres" {
		db = pgtest.URL(t)
	}
	if r := runBinary(t, dir, db, "", "init", "--demo"); r.code != 0 {
		t.Fatalf("init --demo: exit %d\n%s", r.code, r.stderr)
	}
	return db
}

func get(t *testing.T, client *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

var metricNames = []string{
	"userimport_rows_total", "userimport_batches", "userimport_jobs", "userimport_hash_seconds",
	"userimport_seats_assigned", "userimport_seats_pending", "userimport_signin_failures_total",
}

// checkEndpoints checks /healthz and /metrics of a running serve.
func checkEndpoints(t *testing.T, client *http.Client, base string) {
	t.Helper()
	resp, body := get(t, client, base+"/healthz")
	if resp.StatusCode != 200 || body != "ok\n" {
		t.Fatalf("GET /healthz: %d %q, want 200 ok", resp.StatusCode, body)
	}
	for k, v := range map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
	} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("GET /healthz: %s = %q, want %q", k, got, v)
		}
	}
	resp, body = get(t, client, base+"/metrics")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d\n%s", resp.StatusCode, body)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("GET /metrics: no X-Content-Type-Options: nosniff")
	}
	for _, name := range metricNames {
		if !strings.Contains(body, "\n# TYPE "+name+" ") {
			t.Errorf("GET /metrics has no metric %s", name)
		}
	}
	if !strings.Contains(body, `userimport_seats_assigned{sku="ENTERPRISEPACK"} 0`) {
		t.Errorf("GET /metrics does not show the demo's seats:\n%s", body)
	}
}

// TestServe runs `serve` on the embedded SQLite default: the endpoints
// answer with the security headers, --data is created mode 0700, and
// SIGTERM ends it with exit 0.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	db := demoDirectory(t, "sqlite", dir)
	s := startService(t, dir, db, nil, "serve", "--listen", "127.0.0.1:0")
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") {
		t.Fatalf("serving on %q, want http://127.0.0.1:PORT", s.url)
	}
	checkEndpoints(t, http.DefaultClient, s.url)
	st, err := os.Stat(filepath.Join(dir, "userimport-data"))
	if err != nil || st.Mode().Perm() != 0o700 || !st.IsDir() {
		t.Fatalf("--data default: %v, %v; want a folder of mode 0700", st, err)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("serve exited %d after SIGTERM, want 0:\n%s", code, s.log())
	}
}

// TestServeEnv: USERIMPORT_LISTEN and USERIMPORT_DATA stand in for the
// flags.
func TestServeEnv(t *testing.T) {
	dir := t.TempDir()
	db := demoDirectory(t, "sqlite", dir)
	spool := filepath.Join(dir, "spool")
	s := startService(t, dir, db, []string{"USERIMPORT_LISTEN=127.0.0.1:0", "USERIMPORT_DATA=" + spool}, "serve")
	if !strings.HasPrefix(s.url, "http://127.0.0.1:") || strings.HasSuffix(s.url, ":8080") {
		t.Fatalf("serving on %q, want 127.0.0.1 and a free port from USERIMPORT_LISTEN", s.url)
	}
	if st, err := os.Stat(spool); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("USERIMPORT_DATA folder: %v, %v; want mode 0700", st, err)
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
}

// TestServeRefusesPlainHTTP: an address other machines reach, without TLS
// and without --insecure-http, is refused with exit 2 and a message that
// says what to do; with --insecure-http it is served, with a warning.
func TestServeRefusesPlainHTTP(t *testing.T) {
	dir := t.TempDir()
	db := demoDirectory(t, "sqlite", dir)
	r := runBinary(t, dir, db, "", "serve", "--listen", "0.0.0.0:0")
	if r.code != 2 {
		t.Fatalf("serve --listen 0.0.0.0:0: exit %d, want 2\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"--tls-cert", "--insecure-http"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the refusal does not mention %s:\n%s", want, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "userimport-data")); err == nil {
		t.Error("the refused serve created its --data folder")
	}

	s := startService(t, dir, db, nil, "serve", "--listen", "0.0.0.0:0", "--insecure-http")
	if !strings.Contains(s.log(), "--insecure-http") || !strings.Contains(s.log(), `"level":"warn"`) {
		t.Errorf("no warning about plain HTTP:\n%s", s.log())
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.url, "http://"))
	checkEndpoints(t, http.DefaultClient, "http://127.0.0.1:"+port)
	if code := s.stop(t); code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key to
// dir and returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "userimport test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeTLS: with a certificate, an address other machines reach is
// served over HTTPS, and plain HTTP gets no answer from it.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	db := demoDirectory(t, "sqlite", dir)
	cert, key, pool := selfSigned(t, dir)
	s := startService(t, dir, db, nil, "serve", "--listen", "0.0.0.0:0", "--tls-cert", cert, "--tls-key", key)
	if !strings.HasPrefix(s.url, "https://") {
		t.Fatalf("serving on %q, want https://", s.url)
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.url, "https://"))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	checkEndpoints(t, client, "https://127.0.0.1:"+port)
	if resp, err := http.Get("http://127.0.0.1:" + port + "/healthz"); err == nil && resp.StatusCode == 200 {
		t.Error("plain HTTP on the TLS port answered 200")
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}

	unused := filepath.Join(dir, "unused")
	r := runBinary(t, dir, db, "", "serve", "--listen", "127.0.0.1:0", "--tls-cert", "missing.pem", "--tls-key", key, "--data", unused)
	if r.code != 2 || !strings.Contains(r.stderr, "missing.pem") {
		t.Fatalf("a missing certificate: exit %d, want 2 and a message naming the file\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(unused); err == nil {
		t.Error("the refused serve created its --data folder")
	}
	r = runBinary(t, dir, db, "", "serve", "--listen", "127.0.0.1:0", "--tls-cert", cert)
	if r.code != 2 || !strings.Contains(r.stderr, "--tls-key") {
		t.Fatalf("--tls-cert without --tls-key: exit %d, want 2 and a message naming --tls-key\n%s", r.code, r.stderr)
	}
}

// TestWorker runs `worker` on SQLite and PostgreSQL: it starts on a
// directory whose River tables the migrations made, works a job inserted
// by another process, and SIGTERM ends it with exit 0.
func TestWorker(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			db := demoDirectory(t, backend, dir)
			s := startService(t, dir, db, nil, "worker", "--data", filepath.Join(dir, "data"))

			e, err := jobs.Open(t.Context(), db, jobs.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			id, err := e.Insert(t.Context(), jobs.Ping{})
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				state, err := e.JobState(t.Context(), id)
				if err != nil {
					t.Fatal(err)
				}
				if state == "completed" {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the worker did not complete job %d within 30 s (%s):\n%s", id, state, s.log())
				}
				time.Sleep(20 * time.Millisecond)
			}
			if code := s.stop(t); code != 0 {
				t.Fatalf("worker exited %d after SIGTERM, want 0:\n%s", code, s.log())
			}
		})
	}
}

// TestServeHealthzDown runs `serve` on PostgreSQL and takes its database
// away (connections refused, those open terminated): /healthz says 503,
// then 200 again once the database is back; SIGTERM still ends it with 0.
func TestServeHealthzDown(t *testing.T) {
	dir := t.TempDir()
	db := demoDirectory(t, "postgres", dir)
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	admin, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	sqlExec := func(q string) {
		t.Helper()
		if _, err := admin.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	s := startService(t, dir, db, nil, "serve", "--listen", "127.0.0.1:0")
	checkEndpoints(t, http.DefaultClient, s.url)

	healthz := func(want int) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, body := get(t, http.DefaultClient, s.url+"/healthz")
			if resp.StatusCode == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET /healthz: %d %q, want %d within 30 s", resp.StatusCode, body, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	sqlExec("ALTER DATABASE " + pq.QuoteIdentifier(name) + " ALLOW_CONNECTIONS false")
	sqlExec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " + pq.QuoteLiteral(name))
	healthz(503)
	if resp, body := get(t, http.DefaultClient, s.url+"/metrics"); resp.StatusCode != 200 || !strings.Contains(body, "userimport_rows_total") {
		t.Errorf("GET /metrics with the directory down: %d, want 200 with the counters", resp.StatusCode)
	}
	sqlExec("ALTER DATABASE " + pq.QuoteIdentifier(name) + " ALLOW_CONNECTIONS true")
	healthz(200)
	if code := s.stop(t); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0:\n%s", code, s.log())
	}
}
