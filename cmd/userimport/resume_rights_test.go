package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"userimport/importer/sqldb"
)

// TestResumeChecksResumingAdmin: a batch a Global admin started (giving
// the Global admin role to every new user), killed mid-batch, is resumed
// by a License admin: the License admin's rights apply to every row not yet
// written, so those rows fail as they would in a new batch, no further user
// gets the Global admin role, and the audit log names who wrote what.
func TestResumeChecksResumingAdmin(t *testing.T) {
	c, dir := newLocal(t)
	db := c.url
	ui := func(env []string, args ...string) *exec.Cmd { return c.cmd(dir, env, args...) }
	must := func(args ...string) { t.Helper(); c.must(dir, nil, args...) }
	if err := os.WriteFile(filepath.Join(dir, "lic.csv"), []byte("User Name,Display Name\nlic@contoso.com,Licensing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	must("import", "lic.csv", "--no-passwords")
	must("role", "assign", "lic@contoso.com", "License admin")

	const rows = 100
	var b strings.Builder
	b.WriteString("User Name,Display Name,Roles\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&b, "boss%02d@contoso.com,Boss %d,Global admin\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "bosses.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// 48 passwords are hashed, then the run waits: at least 16 users are
	// written (two chunk jobs of 16 rows at a time), and never all.
	first := ui([]string{testHashGate + "=48"}, "import", "bosses.csv", "--workers", "1")
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	notice := filepath.Join(dir, "bosses.credentials.txt")
	deadline := time.Now().Add(60 * time.Second)
	for strings.Count(mustReadOrEmpty(notice), "@contoso.com\t") < 16 {
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatalf("no progress before the kill; stderr:\n%s", firstErr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	first.Process.Kill()
	first.Wait()
	ctx := context.Background()
	d, err := sqldb.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	bosses := func() int {
		t.Helper()
		us, err := d.Users(ctx, true)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, u := range us {
			if strings.HasPrefix(u.UserPrincipalName, "boss") {
				n++
			}
		}
		return n
	}
	created := bosses()
	noticed := strings.Count(mustReadOrEmpty(notice), "@contoso.com\t")

	second := ui(nil, "--as", "lic@contoso.com", "import", "bosses.csv")
	out, _ := second.CombinedOutput()
	if code := second.ProcessState.ExitCode(); code != exitRowsFailed {
		t.Fatalf("resume by the License admin: exit %d, want %d\n%s", code, exitRowsFailed, out)
	}
	if !strings.Contains(string(out), "resumed batch") || !strings.Contains(string(out), fmt.Sprintf("%d rows: %d created", rows, created)) ||
		!strings.Contains(string(out), fmt.Sprintf("%d failed", rows-created)) {
		t.Fatalf("resume output:\n%s", out)
	}
	res := resultRows(t, filepath.Join(dir, "bosses.results.xlsx"))
	failed := 0
	for _, r := range res {
		if r[3] == "Failed" {
			failed++
			if !strings.Contains(r[6], "License admin") || !strings.Contains(r[6], "may not create users") {
				t.Errorf("row %s: message %q, want the License admin's role and what it may not do", r[0], r[6])
			}
		}
	}
	if failed != rows-created {
		t.Errorf("%d rows failed in the workbook, want %d", failed, rows-created)
	}
	if n := bosses(); n != created {
		t.Errorf("%d boss users exist, want the %d the Global admin's run created", n, created)
	}
	// The Global admins the first run created after its last look at the
	// journal have their passwords sealed in it: the License admin's run
	// must not open them into the notice.
	if n := strings.Count(mustReadOrEmpty(notice), "@contoso.com\t"); n != noticed {
		t.Errorf("the License admin's resume wrote %d passwords of Global admins into the notice", n-noticed)
	}
	entries, err := d.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var lic, adm int
	finishedBy := ""
	for _, e := range entries {
		switch {
		case e.Target == "bosses.csv" && e.Action == "import done":
			finishedBy = e.Actor
		case strings.HasPrefix(e.Target, "boss") && strings.Contains(e.Target, "@"):
			switch e.Actor {
			case "lic@contoso.com":
				lic++
				t.Logf("by the License admin: %+v", e)
			case admin:
				adm++
			}
		}
	}
	if adm == 0 || lic != 0 {
		t.Errorf("audit entries for boss users: %d by the admin, %d by the License admin; want the admin's only (the License admin wrote none)", adm, lic)
	}
	if finishedBy != "lic@contoso.com" {
		t.Errorf("the audit log says %q finished the batch, want the License admin who resumed it", finishedBy)
	}
}

// TestResumeRefusesNoticeSymlink: after a kill, the batch's notice is
// replaced by a symlink to another file; the resume never writes through
// it (the other file keeps its content and mode) and gives the passwords
// still to give in a new notice of mode 0600.
func TestResumeRefusesNoticeSymlink(t *testing.T) {
	c, dir := newLocal(t)
	ui := func(env []string, args ...string) *exec.Cmd { return c.cmd(dir, env, args...) }
	const rows = 100
	var b strings.Builder
	b.WriteString("User Name,Display Name\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&b, "sym%02d@contoso.com,Sym %d\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "sym.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	first := ui([]string{testHashGate + "=48"}, "import", "sym.csv", "--workers", "1")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	notice := filepath.Join(dir, "sym.credentials.txt")
	deadline := time.Now().Add(60 * time.Second)
	for strings.Count(mustReadOrEmpty(notice), "@contoso.com\t") < 16 {
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatal("no progress before the kill")
		}
		time.Sleep(5 * time.Millisecond)
	}
	first.Process.Kill()
	first.Wait()

	kept := filepath.Join(dir, "kept.txt")
	if err := os.Rename(notice, kept); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim.txt")
	if err := os.WriteFile(victim, []byte("not yours\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, notice); err != nil {
		t.Fatal(err)
	}
	out, err := ui(nil, "import", "sym.csv").CombinedOutput()
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("%d rows: %d created", rows, rows)) {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(victim); string(got) != "not yours\n" {
		t.Fatalf("the symlink's target was written: %q", got)
	}
	if st, _ := os.Stat(victim); st.Mode().Perm() != 0o644 {
		t.Fatalf("the symlink's target has mode %v", st.Mode().Perm())
	}
	fresh := filepath.Join(dir, "sym.credentials.2.txt")
	st, err := os.Lstat(fresh)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != 0o600 {
		t.Fatalf("new notice: %v, %v", st, err)
	}
	// A line the killed run wrote but had not yet recorded as written is
	// given again, with the same password (the one sealed in the journal).
	have := map[string]string{}
	for _, f := range []string{kept, fresh} {
		for _, line := range strings.Split(mustReadOrEmpty(f), "\n") {
			upn, rest, ok := strings.Cut(line, "\t")
			if !ok || strings.HasPrefix(line, "#") {
				continue
			}
			pw, _, _ := strings.Cut(rest, "\t")
			if old, dup := have[upn]; dup && old != pw {
				t.Errorf("%s has two different passwords", upn)
			}
			have[upn] = pw
		}
	}
	if len(have) != rows {
		t.Errorf("the old and new notices give passwords to %d users, want %d", len(have), rows)
	}
}
