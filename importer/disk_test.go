package importer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"userimport/importer"
	"userimport/importer/argon2id"
	"userimport/internal/dirtest"
	"userimport/report"
)

// smallDisk mounts a tmpfs of size bytes at a new folder and returns it:
// a real full disk for the outputs. It needs root (CI runs as root); with
// CI set, not being able to mount one fails the test.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "tmpfs", dir).CombinedOutput()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount a small tmpfs: %v %s", err, out)
		}
		t.Skipf("cannot mount a small tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// resize changes the size of the tmpfs at dir.
func resize(t *testing.T, dir, size string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v %s", err, out)
	}
}

// TestFullDiskResults: the results workbook cannot be written (the output
// folder is full): the batch stops with an internal error (exit 3), names
// no workbook, is not done, and leaves no temp file; once there is room,
// the same command writes the results of every row without doing any row
// again.
func TestFullDiskResults(t *testing.T) {
	db := dirtest.Demo(t, "sqlite:"+filepath.Join(t.TempDir(), "userimport.db"))
	out := smallDisk(t, "8k")
	src := writeCSV(t, t.TempDir(), "roster.csv", header, 300, func(i int) string {
		return fmt.Sprintf("f%03d@contoso.com,Full,Disk %d with a longer name to fill the sheet,,,Clerk of the works", i, i)
	})
	o := options(t, db, src)
	o.OutDir = out
	o.NoPasswords = true
	rep, err := importer.Run(context.Background(), db, o)
	if importer.ErrorCode(err) != importer.EINTERNAL || rep.ResultsPath != "" {
		t.Fatalf("full disk: %v, results %q; want an internal error and no results named", err, rep.ResultsPath)
	}
	var partial *importer.PartialError
	if !errorsAs(err, &partial) || partial.Done != 300 {
		t.Fatalf("full disk: %v, want a partial error with 300 rows done", err)
	}
	if left, _ := filepath.Glob(filepath.Join(out, ".*.tmp")); len(left) != 0 {
		t.Errorf("temporary files left in the full folder: %v", left)
	}
	// The workbook's name stays reserved for this batch (an empty file),
	// so that no other batch takes it and the resume writes it.
	if st, err := os.Stat(filepath.Join(out, "roster.results.xlsx")); err == nil && st.Size() != 0 {
		t.Errorf("a half-written workbook is left under its name (%d bytes)", st.Size())
	}

	resize(t, out, "16m")
	rep, err = importer.Run(context.Background(), db, o)
	if err != nil || !rep.Resumed || rep.Summary.Created != 300 {
		t.Fatalf("the same command with room: %v, resumed %v, %+v", err, rep.Resumed, rep.Summary)
	}
	if rep.ResultsPath != filepath.Join(out, "roster.results.xlsx") {
		t.Errorf("results at %q, want roster.results.xlsx", rep.ResultsPath)
	}
	rows := results(t, rep.ResultsPath)
	if len(rows) != 300 || rows[299]["Outcome"] != "Created" {
		t.Fatalf("%d result rows (last %v), want 300 created", len(rows), rows[len(rows)-1])
	}
	if again, err := importer.Run(context.Background(), db, o); err == nil || again.Resumed {
		t.Fatalf("a third run must be a new batch (its rows fail as existing): %v, resumed %v", err, again.Resumed)
	}
}

// TestFullDiskNotice: the credentials notice fills the output folder in the
// middle of the batch. Rows whose line did not reach the disk are not taken
// as noticed: once there is room, the same command gives each of them a
// new password, and every user the batch created has exactly one working
// password in the notice.
func TestFullDiskNotice(t *testing.T) {
	db := dirtest.Demo(t, "sqlite:"+filepath.Join(t.TempDir(), "userimport.db"))
	out := smallDisk(t, "64k")
	// Leave about one page free, so that the notice runs out of room
	// after some tens of lines.
	fill := make([]byte, 60<<10)
	if err := os.WriteFile(filepath.Join(out, "filler"), fill, 0o644); err != nil && !strings.Contains(err.Error(), "no space") {
		t.Fatal(err)
	}
	const n = 200
	src := writeCSV(t, t.TempDir(), "crowd.csv", header, n, func(i int) string {
		return fmt.Sprintf("c%03d@contoso.com,Crowd,N%d,,,", i, i)
	})
	o := options(t, db, src)
	o.OutDir = out
	if _, err := importer.Run(context.Background(), db, o); importer.ErrorCode(err) != importer.EINTERNAL {
		t.Fatalf("full disk: %v, want an internal error", err)
	}
	if err := os.Remove(filepath.Join(out, "filler")); err != nil {
		t.Fatal(err)
	}
	rep, err := importer.Run(context.Background(), db, o)
	if err != nil || !rep.Resumed || rep.Summary.Created != n {
		t.Fatalf("the same command with room: %v, resumed %v, %+v", err, rep.Resumed, rep.Summary)
	}
	_, entries, err := report.ReadNotice(rep.NoticePath)
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]string{}
	for _, e := range entries {
		last[e.UPN] = e.Password.Reveal()
	}
	if len(last) != n || len(entries) != n {
		t.Fatalf("the notice has %d lines for %d users, want one line for each of %d", len(entries), len(last), n)
	}
	ctx := context.Background()
	for upn, pw := range last {
		c, err := db.Credentials(ctx, upn)
		if err != nil {
			t.Fatal(err)
		}
		if ok, _ := argon2id.Verify(pw, c.PasswordHash); !ok {
			t.Errorf("%s: the notice's last password for it does not sign in", upn)
		}
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
