package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"userimport/report"
)

// hires writes a CSV of n new hires in contoso.com; the first row gives its
// own password, the others get generated ones.
func hires(t *testing.T, name string, n int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("User Name,First Name,Last Name,Licenses,Usage Location,Password\n")
	for i := 1; i <= n; i++ {
		pw := ""
		if i == 1 {
			pw = "Given-Passw0rd-1"
		}
		fmt.Fprintf(&b, "h%d@contoso.com,Hélène,N%d,SPB,FR,%s\n", i, i, pw)
	}
	writeFile(t, name, b.String())
}

// TestNoSecretsOutsideNotice runs an import with debug JSON logs and the
// CSV results, then looks for every password of the notice in the logs, the
// outputs and the database files: each may be only in the notice.
func TestNoSecretsOutsideNotice(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	t.Chdir(dir)
	db := "sqlite:" + filepath.Join(dir, "userimport.db")
	initDemo(t, db)
	hires(t, "hires.csv", 5)
	r := mustRun(t, 0, db, "", "--log-format", "json", "--log-level", "debug", "import", "hires.csv", "--results-csv")
	_, entries, err := report.ReadNotice("hires.credentials.txt")
	if err != nil || len(entries) != 5 {
		t.Fatalf("notice: %d entries, %v", len(entries), err)
	}
	places := map[string][]byte{"stdout": []byte(r.stdout), "stderr (logs)": []byte(r.stderr)}
	for _, name := range []string{"hires.results.csv", "userimport.db", "userimport.db-wal"} {
		if b, err := os.ReadFile(name); err == nil {
			places[name] = b
		}
	}
	zr, err := zip.OpenReader("hires.results.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		places["hires.results.xlsx:"+f.Name] = b
	}
	for _, e := range entries {
		pw := e.Password.Reveal()
		for where, b := range places {
			if bytes.Contains(b, []byte(pw)) {
				t.Errorf("the password of %s is in %s", e.UPN, where)
			}
		}
	}
}

// smtpSink is a real SMTP server on 127.0.0.1 that keeps what it accepts.
type smtpSink struct {
	mu   sync.Mutex
	msgs []sinkMessage
}

type sinkMessage struct {
	to   []string
	data string
}

func (s *smtpSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{sink: s}, nil }

type sinkSession struct {
	sink *smtpSink
	msg  sinkMessage
}

func (s *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.to = append(s.msg.to, to)
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.msg.data = string(b)
	s.sink.mu.Lock()
	s.sink.msgs = append(s.sink.msgs, s.msg)
	s.sink.mu.Unlock()
	return err
}
func (s *sinkSession) Reset()        { s.msg = sinkMessage{} }
func (s *sinkSession) Logout() error { return nil }

func TestNotify(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	t.Chdir(dir)
	db := "sqlite:" + filepath.Join(dir, "userimport.db")
	initDemo(t, db)

	t.Run("Delivered", func(t *testing.T) {
		sink := &smtpSink{}
		srv := smtp.NewServer(sink)
		srv.Domain = "localhost"
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(l)
		defer srv.Close()
		t.Setenv("USERIMPORT_SMTP_URL", "smtp://"+l.Addr().String())
		hires(t, "notify.csv", 3)
		r := mustRun(t, 0, db, "", "import", "notify.csv", "--notify", "it@contoso.com,hr@contoso.com")
		if strings.Contains(r.stderr, "not emailed") {
			t.Fatalf("send failed:\n%s", r.stderr)
		}
		if len(sink.msgs) != 1 {
			t.Fatalf("server got %d messages, want 1", len(sink.msgs))
		}
		m := sink.msgs[0]
		if strings.Join(m.to, ",") != "it@contoso.com,hr@contoso.com" {
			t.Errorf("recipients %v", m.to)
		}
		_, entries, err := report.ReadNotice("notify.credentials.txt")
		if err != nil {
			t.Fatal(err)
		}
		body := strings.ReplaceAll(m.data, "=\r\n", "")
		for _, e := range entries {
			if !strings.Contains(body, e.UPN) {
				t.Errorf("the email does not name %s", e.UPN)
			}
		}
	})
	t.Run("ServerDownIsAWarning", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		t.Setenv("USERIMPORT_SMTP_URL", "smtp://"+addr)
		hires(t, "down.csv", 1)
		writeFile(t, "down.csv", strings.ReplaceAll(mustRead(t, "down.csv"), "h1@", "down1@"))
		r := mustRun(t, 0, db, "", "import", "down.csv", "--notify", "it@contoso.com")
		if !strings.Contains(r.stderr, "not emailed") {
			t.Errorf("no warning that the notice was not emailed:\n%s", r.stderr)
		}
		if _, err := os.Stat("down.credentials.txt"); err != nil {
			t.Errorf("the notice file is gone: %v", err)
		}
	})
	t.Run("ErrTooManyAddresses", func(t *testing.T) {
		r := run(t, db, "", "import", "down.csv", "--notify", "a@x.com,b@x.com,c@x.com,d@x.com,e@x.com,f@x.com")
		if r.code != exitNothingDone || !strings.Contains(r.stderr, "up to 5") {
			t.Errorf("six addresses: exit %d\n%s", r.code, r.stderr)
		}
	})
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestInterrupt sends SIGINT to the built binary mid-batch: it stops with
// exit 130, writes the results of what was done, and the same command then
// finishes the batch.
func TestInterrupt(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	bin := binary(t)
	db := "sqlite:" + filepath.Join(dir, "userimport.db")
	ui := func(args ...string) *exec.Cmd {
		c := exec.Command(bin, append([]string{"--db", db}, args...)...)
		c.Dir = dir
		return c
	}
	if out, err := ui("init", "--demo").CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	t.Chdir(dir)
	hires(t, "big.csv", 80)
	// 48 passwords are hashed, then the hashers wait for the interrupt,
	// whatever the machine's speed: with two chunk jobs of 16 rows at a
	// time (--workers 1), at least one chunk is written, never all 80 rows.
	c := ui("import", "big.csv", "--workers", "1")
	c.Env = append(os.Environ(), testHashGate+"=48")
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for strings.Count(mustReadOrEmpty("big.credentials.txt"), "@contoso.com\t") < 16 {
		if time.Now().After(deadline) {
			c.Process.Kill()
			t.Fatalf("no progress; stderr:\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.Process.Signal(syscall.SIGINT)
	err := c.Wait()
	if c.ProcessState.ExitCode() != exitInterrupted {
		t.Fatalf("exit %d (%v), want 130; stderr:\n%s", c.ProcessState.ExitCode(), err, stderr.String())
	}
	rows := strings.Count(mustReadOrEmpty("big.credentials.txt"), "@contoso.com\t")
	if _, err := os.Stat("big.results.xlsx"); err != nil || rows == 80 {
		t.Fatalf("after the interrupt: results %v, %d of 80 users done", err, rows)
	}
	// What the interrupted run says it did is what it did: its chunks in
	// flight finished before it wrote its outputs.
	created := 0
	for _, r := range resultRows(t, "big.results.xlsx") {
		if r[3] == "Created" {
			created++
		}
	}
	if !strings.Contains(stdout.String(), fmt.Sprintf("of 80 rows: %d created", rows)) || created != rows {
		t.Errorf("after the interrupt: the notice has %d users, the workbook %d created, and the summary says:\n%s", rows, created, stdout.String())
	}
	out, err := ui("import", "big.csv").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "80 rows: 80 created") {
		t.Fatalf("the same command again: %v\n%s", err, out)
	}
	if n := strings.Count(mustReadOrEmpty("big.credentials.txt"), "@contoso.com\t"); n != 80 {
		t.Fatalf("notice lists %d users, want 80", n)
	}
}

func mustReadOrEmpty(name string) string {
	b, _ := os.ReadFile(name)
	return string(b)
}
