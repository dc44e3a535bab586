package report

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"userimport/importer"
)

func sampleHeader() NoticeHeader {
	return NoticeHeader{
		Organization: "Contoso",
		BatchID:      "7d1c2b8e-1111-4222-8333-944455556666",
		Time:         time.Date(2025, 3, 4, 9, 30, 0, 0, time.UTC),
		SignInURL:    "https://login.contoso.com/",
		MustChange:   true,
	}
}

func TestCreateNotice(t *testing.T) {
	dir := t.TempDir()
	n, err := CreateNotice(dir, "new-hires", sampleHeader())
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "new-hires.credentials.txt"); n.Path() != want {
		t.Errorf("Path() = %q, want %q", n.Path(), want)
	}
	assertMode0600(t, n.Path())
	if err := n.Add("alice@contoso.com", "Tr0ub4dor&3xyzAB"); err != nil {
		t.Fatal(err)
	}
	if err := n.Add("#hash@contoso.com", "pass word with spaces "); err != nil {
		t.Fatal(err)
	}
	if err := n.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := n.Add("late@contoso.com", "Xx1!xxxxxxxx"); err == nil {
		t.Error("Add after Close succeeded")
	}

	data, err := os.ReadFile(n.Path())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/notice.golden", data)
	for _, want := range []string{
		"# Organization: Contoso\n",
		"# Batch: 7d1c2b8e-1111-4222-8333-944455556666\n",
		"# Time: 2025-03-04T09:30:00Z\n",
		"# Sign-in URL: https://login.contoso.com/\n",
		"# Users must change this password at first sign-in: yes\n",
		"alice@contoso.com\tTr0ub4dor&3xyzAB\n",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("notice lacks %q", want)
		}
	}

	h, entries, err := ReadNotice(n.Path())
	if err != nil {
		t.Fatal(err)
	}
	if h != sampleHeader() {
		t.Errorf("ReadNotice header = %+v, want %+v", h, sampleHeader())
	}
	assertEntries(t, entries, "alice@contoso.com\tTr0ub4dor&3xyzAB", "#hash@contoso.com\tpass word with spaces ")
}

func TestCreateNotice_NeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "batch.credentials.txt")
	if err := os.WriteFile(existing, []byte("someone's notice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A symlink, even a dangling one, is taken too: O_EXCL does not follow it.
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(dir, "batch.credentials.2.txt")); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for range 2 {
		n, err := CreateNotice(dir, "batch", sampleHeader())
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, filepath.Base(n.Path()))
		assertMode0600(t, n.Path())
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"batch.credentials.3.txt", "batch.credentials.4.txt"}; !slices.Equal(paths, want) {
		t.Errorf("notices went to %q, want %q", paths, want)
	}
	assertContent(t, existing, "someone's notice\n")
	if _, err := os.Lstat(filepath.Join(dir, "elsewhere")); !os.IsNotExist(err) {
		t.Errorf("the symlink's target was created: %v", err)
	}
}

// TestCreateNotice_PermissiveUmask checks that the mode is 0600 from the
// start, not narrowed afterwards: a umask of 0 would show a 0666 creation.
func TestCreateNotice_PermissiveUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	n, err := CreateNotice(t.TempDir(), "open", sampleHeader())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	assertMode0600(t, n.Path())
}

func TestOpenNotice_TornLastLine(t *testing.T) {
	dir := t.TempDir()
	n, err := CreateNotice(dir, "resume", sampleHeader())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []string{"a@contoso.com\tAaaaaaaa1!", "b@contoso.com\tBbbbbbbb2@"} {
		upn, pw, _ := strings.Cut(e, "\t")
		if err := n.Add(upn, importer.Secret(pw)); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	// The process died in the middle of writing c's line.
	f, err := os.OpenFile(n.Path(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("c@contoso.com\tCcc"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	before, _ := os.ReadFile(n.Path())

	// ReadNotice ignores the torn line and leaves the file alone.
	_, entries, err := ReadNotice(n.Path())
	if err != nil {
		t.Fatal(err)
	}
	assertEntries(t, entries, "a@contoso.com\tAaaaaaaa1!", "b@contoso.com\tBbbbbbbb2@")
	assertContent(t, n.Path(), string(before))

	n2, entries, err := OpenNotice(n.Path())
	if err != nil {
		t.Fatal(err)
	}
	assertEntries(t, entries, "a@contoso.com\tAaaaaaaa1!", "b@contoso.com\tBbbbbbbb2@")
	after, _ := os.ReadFile(n.Path())
	if want := strings.TrimSuffix(string(before), "c@contoso.com\tCcc"); string(after) != want {
		t.Errorf("torn line not cut:\n%q\nwant\n%q", after, want)
	}
	if err := n2.Add("c@contoso.com", "Cccccccc3#"); err != nil {
		t.Fatal(err)
	}
	if err := n2.Close(); err != nil {
		t.Fatal(err)
	}
	assertMode0600(t, n.Path())
	h, entries, err := ReadNotice(n.Path())
	if err != nil {
		t.Fatal(err)
	}
	if h != sampleHeader() {
		t.Errorf("header after resume = %+v", h)
	}
	assertEntries(t, entries, "a@contoso.com\tAaaaaaaa1!", "b@contoso.com\tBbbbbbbb2@", "c@contoso.com\tCccccccc3#")
}

func TestOpenNotice_Intact(t *testing.T) {
	dir := t.TempDir()
	n, err := CreateNotice(dir, "x", sampleHeader())
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
	before, _ := os.ReadFile(n.Path())
	n2, entries, err := OpenNotice(n.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	if len(entries) != 0 {
		t.Errorf("entries = %v", entries)
	}
	assertContent(t, n.Path(), string(before))
}

func TestOpenNotice_Errors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := OpenNotice(filepath.Join(dir, "missing.credentials.txt")); err == nil {
		t.Error("OpenNotice of a missing file succeeded")
	}
	bad := filepath.Join(dir, "bad.credentials.txt")
	if err := os.WriteFile(bad, []byte("# Batch: b\nno tab here but SuperSecret1!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := OpenNotice(bad)
	if err == nil {
		t.Fatal("a malformed line was accepted")
	}
	if strings.Contains(err.Error(), "SuperSecret") {
		t.Errorf("error quotes the line: %v", err)
	}
	if !strings.Contains(err.Error(), "line 2") {
		t.Errorf("error does not name the line: %v", err)
	}
}

func TestNotice_AddRefusesBrokenLines(t *testing.T) {
	n, err := CreateNotice(t.TempDir(), "x", sampleHeader())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for _, tt := range []struct {
		upn string
		pw  importer.Secret
	}{
		{"", "Aaaaaaaa1!"},
		{"a@contoso.com", ""},
		{"a\t@contoso.com", "Aaaaaaaa1!"},
		{"a@contoso.com", "Aaaa\naaaa1!"},
		{"a@contoso.com", "Aaaa\raaaa1!"},
	} {
		err := n.Add(tt.upn, tt.pw)
		if err == nil {
			t.Errorf("Add(%q, %q) succeeded", tt.upn, tt.pw.Reveal())
			continue
		}
		if tt.pw != "" && strings.Contains(err.Error(), tt.pw.Reveal()) {
			t.Errorf("error holds the password: %v", err)
		}
	}
}

func TestNotice_ConcurrentAdd(t *testing.T) {
	n, err := CreateNotice(t.TempDir(), "x", sampleHeader())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				upn := string(rune('a'+i)) + strings.Repeat("x", j) + "@contoso.com"
				if err := n.Add(upn, "Passw0rd!Passw0rd!"); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	_, entries, err := ReadNotice(n.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 800 {
		t.Errorf("%d entries, want 800", len(entries))
	}
	for _, e := range entries {
		if e.Password.Reveal() != "Passw0rd!Passw0rd!" {
			t.Fatalf("interleaved line: %q", e.UPN)
		}
	}
}

func TestNoticeHeader_LineBreaksInValues(t *testing.T) {
	h := sampleHeader()
	h.Organization = "Contoso\nevil@contoso.com\tHijack1!"
	n, err := CreateNotice(t.TempDir(), "x", h)
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
	got, entries, err := ReadNotice(n.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("a header value made entries: %v", entries)
	}
	if got.Organization != "Contoso evil@contoso.com Hijack1!" {
		t.Errorf("Organization = %q", got.Organization)
	}
}

func assertMode0600(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("%s has mode %#o, want 0600", path, m)
	}
}

func assertEntries(t *testing.T, got []Entry, want ...string) {
	t.Helper()
	var lines []string
	for _, e := range got {
		lines = append(lines, e.UPN+"\t"+e.Password.Reveal())
	}
	if !slices.Equal(lines, want) {
		t.Errorf("entries = %q, want %q", lines, want)
	}
}
