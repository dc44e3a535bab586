package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBatchCancel: an import interrupted after staging keeps the seats of
// its unwritten rows, which leaves another batch's users waiting; `batch
// list` shows it interrupted, and `batch cancel` frees its seats at once to
// the waiting assignments, oldest first.
func TestBatchCancel(t *testing.T) {
	c, dir := newLocal(t)
	db := c.url
	ui := func(env []string, args ...string) *exec.Cmd { return c.cmd(dir, env, args...) }
	must := func(args ...string) []byte { t.Helper(); return c.out(dir, args...) }
	write := func(name, header string, rows ...string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(header+"\n"+strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var rows []string
	for i := 1; i <= 5; i++ {
		rows = append(rows, fmt.Sprintf("held%d@contoso.com,Held %d,EXCHANGESTANDARD,US", i, i))
	}
	write("held.csv", "User Name,Display Name,Licenses,Usage Location", rows...)
	// No password is hashed: every row stays staged, holding its seat.
	first := ui([]string{testHashGate + "=0"}, "import", "held.csv")
	var stderr bytes.Buffer
	first.Stderr = &stderr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	type batch struct {
		ID    string `json:"id"`
		File  string `json:"file"`
		State string `json:"state"`
		Rows  int    `json:"rows"`
		Done  int    `json:"done"`
	}
	var held batch
	deadline := time.Now().Add(60 * time.Second)
	for held.Rows < 5 {
		if time.Now().After(deadline) {
			first.Process.Kill()
			t.Fatalf("the batch was never staged; stderr:\n%s", stderr.String())
		}
		var bs []batch
		if out, err := ui(nil, "batch", "list", "--format", "json").Output(); err == nil && json.Unmarshal(out, &bs) == nil && len(bs) > 0 {
			held = bs[0]
		}
		time.Sleep(10 * time.Millisecond)
	}
	first.Process.Signal(syscall.SIGINT)
	first.Wait()
	if code := first.ProcessState.ExitCode(); code != exitInterrupted || !strings.Contains(stderr.String(), "batch cancel "+held.ID) {
		t.Fatalf("interrupted import: exit %d, stderr:\n%s", code, stderr.String())
	}
	var shown batch
	if err := json.Unmarshal(must("batch", "show", held.ID, "--format", "json"), &shown); err != nil || shown.State != "interrupted" || shown.Done != 0 {
		t.Fatalf("batch show: %+v %v, want interrupted with no row done", shown, err)
	}
	if p := products(t, db)["EXCHANGESTANDARD"]; p.Assigned != 5 {
		t.Fatalf("EXCHANGESTANDARD: %d assigned, want the 5 the batch holds", p.Assigned)
	}

	write("waiting.csv", "User Name,Display Name,Licenses,Usage Location",
		"wait1@contoso.com,Wait 1,EXCHANGESTANDARD,US", "wait2@contoso.com,Wait 2,EXCHANGESTANDARD,US")
	must("import", "waiting.csv", "--no-passwords")
	if s := licenseStatus(t, db, "wait1@contoso.com", "EXCHANGESTANDARD"); s != "pending" {
		t.Fatalf("wait1: %s, want pending while the interrupted batch holds every seat", s)
	}

	out := must("batch", "cancel", held.ID)
	if !strings.Contains(string(out), "5 rows") {
		t.Errorf("batch cancel: %s", out)
	}
	p := products(t, db)["EXCHANGESTANDARD"]
	if p.Assigned != 2 || p.Pending != 0 {
		t.Errorf("EXCHANGESTANDARD after the cancel: %d assigned, %d pending; want the 2 waiting users assigned", p.Assigned, p.Pending)
	}
	for _, u := range []string{"wait1@contoso.com", "wait2@contoso.com"} {
		if s := licenseStatus(t, db, u, "EXCHANGESTANDARD"); s != "assigned" {
			t.Errorf("%s: %s, want assigned", u, s)
		}
	}
	if err := json.Unmarshal(must("batch", "show", held.ID, "--format", "json"), &shown); err != nil || shown.State != "cancelled" {
		t.Errorf("batch show after the cancel: %+v %v", shown, err)
	}
	// Running the cancelled file again is a new batch, not a resume.
	if out, _ := ui(nil, "import", "held.csv", "--no-passwords").Output(); strings.Contains(string(out), "resumed") {
		t.Errorf("a cancelled batch was resumed:\n%s", out)
	}
}

// TestFilePasswordsThroughJobs: a password given in the file is hashed
// and sealed by the import (only it read the file), the others are made by
// the chunk jobs; every one signs in, and none is left sealed in the
// database once the notice is written.
func TestFilePasswordsThroughJobs(t *testing.T) {
	eachDB(t, func(t *testing.T, db string) {
		initDemo(t, db)
		writeFile(t, "pw.csv", "User Name,Display Name,Password\n"+
			"given@contoso.com,Given,Str0ng-Passw0rd!\nmade@contoso.com,Made,\n")
		mustRun(t, 0, db, "", "import", "pw.csv")
		creds := credentials(t, "pw.credentials.txt")
		if creds["given@contoso.com"] != "Str0ng-Passw0rd!" || len(creds) != 2 {
			t.Fatalf("notice %v, want the file's password for given@ and a new one for made@", sortedKeys(creds))
		}
		for upn, pw := range creds {
			if r := signIn(t, db, upn, pw); r.code != 0 {
				t.Errorf("%s: sign-in with its notice password: %q", upn, r.stdout)
			}
		}
		if m, _ := filepath.Glob(".*.key"); len(m) != 0 {
			t.Errorf("key files left: %v", m)
		}
	})
}
