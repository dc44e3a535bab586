package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"userimport/importer"
)

// TestOpenNotice_RefusesUnsafe checks that a resume never writes passwords
// into a file the batch did not make for its user, and that ResumeNotice
// then starts the next free notice, as a first run would.
func TestOpenNotice_RefusesUnsafe(t *testing.T) {
	const victimText = "root:x:0:0:root:/root:/bin/bash\n"
	for _, tt := range []struct {
		name  string
		make  func(t *testing.T, path, victim string)
		check func(t *testing.T, path, victim string) // what must be unchanged
	}{
		{
			name: "SymlinkToAnotherFile",
			make: func(t *testing.T, path, victim string) {
				if err := os.Symlink(victim, path); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "SymlinkToOwnNotice",
			make: func(t *testing.T, path, victim string) {
				// Even a link to a file that would pass the checks itself.
				real := filepath.Join(filepath.Dir(path), "real.txt")
				writeNoticeFile(t, real, 0o600)
				if err := os.Symlink(real, path); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "Mode0644",
			make: func(t *testing.T, path, victim string) { writeNoticeFile(t, path, 0o644) },
			check: func(t *testing.T, path, victim string) {
				assertMode(t, path, 0o644)
			},
		},
		{
			name: "Mode0640",
			make: func(t *testing.T, path, victim string) { writeNoticeFile(t, path, 0o640) },
		},
		{
			name: "OtherOwner",
			make: func(t *testing.T, path, victim string) {
				if os.Geteuid() != 0 {
					t.Skip("chown to nobody needs root")
				}
				writeNoticeFile(t, path, 0o600)
				if err := os.Chown(path, 65534, 65534); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "FIFO",
			make: func(t *testing.T, path, victim string) {
				if err := syscall.Mkfifo(path, 0o600); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "HardLink",
			make: func(t *testing.T, path, victim string) {
				other := filepath.Join(filepath.Dir(path), "other.credentials.txt")
				writeNoticeFile(t, other, 0o600)
				if err := os.Link(other, path); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "Directory",
			make: func(t *testing.T, path, victim string) {
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			victim := filepath.Join(t.TempDir(), "passwd")
			if err := os.WriteFile(victim, []byte(victimText), 0o644); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "batch.credentials.txt")
			tt.make(t, path, victim)
			before := snapshot(t, path)

			done := make(chan struct{})
			var err error
			go func() {
				defer close(done)
				var n *Notice
				n, _, err = OpenNotice(path)
				if n != nil {
					n.Close()
				}
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("OpenNotice hangs") // a FIFO without O_NONBLOCK
			}
			if !errors.Is(err, ErrUnsafeNotice) {
				t.Fatalf("OpenNotice error = %v, want ErrUnsafeNotice", err)
			}

			r, err := ResumeNotice(path, dir, "batch", sampleHeader())
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(r.Refused, ErrUnsafeNotice) || r.Entries != nil {
				t.Errorf("ResumeNotice: Refused = %v, Entries = %v; want ErrUnsafeNotice and none", r.Refused, r.Entries)
			}
			if want := filepath.Join(dir, "batch.credentials.2.txt"); r.Path() != want {
				t.Errorf("the new notice is %s, want %s", r.Path(), want)
			}
			if err := r.AddUser("a@contoso.com", "Aaaaaaaa1!Secret", true); err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			assertMode0600(t, r.Path())
			_, entries, err := ReadNotice(r.Path())
			if err != nil {
				t.Fatal(err)
			}
			assertEntries(t, entries, "a@contoso.com\tAaaaaaaa1!Secret")

			if after := snapshot(t, path); after != before {
				t.Errorf("the refused file changed:\n%s\nwant\n%s", after, before)
			}
			assertContent(t, victim, victimText)
			assertMode(t, victim, 0o644)
			if tt.check != nil {
				tt.check(t, path, victim)
			}
		})
	}
}

// snapshot describes what is at path, without following a symlink, and
// what a regular file holds.
func snapshot(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	s := fmt.Sprintf("%s uid %d size %d", fi.Mode(), st.Uid, fi.Size())
	if fi.Mode().IsRegular() {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s += "\n" + string(data)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(path)
		s += " -> " + target
	}
	return s
}

func writeNoticeFile(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	text := formatNoticeHeader(sampleHeader(), mustChangeYes) + "old@contoso.com\tOld-Passw0rd!\n"
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != want {
		t.Errorf("%s has mode %#o, want %#o", path, m, want)
	}
}

func TestResumeNotice_ReopensItsOwn(t *testing.T) {
	dir := t.TempDir()
	n, err := CreateNotice(dir, "batch", sampleHeader())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Add("a@contoso.com", "Aaaaaaaa1!"); err != nil {
		t.Fatal(err)
	}
	n.Close()

	r, err := ResumeNotice(n.Path(), dir, "batch", sampleHeader())
	if err != nil {
		t.Fatal(err)
	}
	if r.Refused != nil || r.Path() != n.Path() {
		t.Errorf("ResumeNotice: Refused = %v, Path = %s; want the old notice reopened", r.Refused, r.Path())
	}
	assertEntries(t, r.Entries, "a@contoso.com\tAaaaaaaa1!")
	if err := r.Add("b@contoso.com", "Bbbbbbbb2@"); err != nil {
		t.Fatal(err)
	}
	r.Close()
	_, entries, err := ReadNotice(n.Path())
	if err != nil {
		t.Fatal(err)
	}
	assertEntries(t, entries, "a@contoso.com\tAaaaaaaa1!", "b@contoso.com\tBbbbbbbb2@")
}

func TestResumeNotice_Gone(t *testing.T) {
	dir := t.TempDir()
	r, err := ResumeNotice(filepath.Join(dir, "batch.credentials.txt"), dir, "batch", sampleHeader())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !errors.Is(r.Refused, fs.ErrNotExist) {
		t.Errorf("Refused = %v, want ErrNotExist", r.Refused)
	}
	if want := filepath.Join(dir, "batch.credentials.txt"); r.Path() != want {
		t.Errorf("new notice %s, want %s", r.Path(), want)
	}
}

func TestResumeNotice_MalformedIsAnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "batch.credentials.txt")
	if err := os.WriteFile(path, []byte("no tab\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r, err := ResumeNotice(path, dir, "batch", sampleHeader()); err == nil {
		r.Close()
		t.Fatal("a malformed notice of the batch's own was replaced silently")
	}
	if _, err := os.Lstat(filepath.Join(dir, "batch.credentials.2.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a new notice was created: %v", err)
	}
}

func TestReadNotice_NoSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.txt")
	writeNoticeFile(t, real, 0o600)
	link := filepath.Join(dir, "link.credentials.txt")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadNotice(link); err == nil {
		t.Error("ReadNotice followed a symlink")
	}
}

// TestNotice_MustChange checks that the must-change header line says what
// the lines say, whatever the batch's default was.
func TestNotice_MustChange(t *testing.T) {
	type add struct {
		upn        string
		mustChange bool
	}
	for _, tt := range []struct {
		name       string
		flag       bool
		adds       []add
		wantHeader string
		wantLines  []string
	}{
		{"AllYes", true, []add{{"a@x.com", true}, {"b@x.com", true}}, "yes",
			[]string{"a@x.com\tPw-a-123456", "b@x.com\tPw-b-123456"}},
		{"AllNoUnderFlagYes", true, []add{{"a@x.com", false}, {"b@x.com", false}}, "no",
			[]string{"a@x.com\tPw-a-123456", "b@x.com\tPw-b-123456"}},
		{"AllYesUnderFlagNo", false, []add{{"a@x.com", true}}, "yes",
			[]string{"a@x.com\tPw-a-123456"}},
		{"Mixed", true, []add{{"a@x.com", true}, {"b@x.com", true}, {"c@x.com", false}, {"d@x.com", true}}, "mixed",
			[]string{"a@x.com\tPw-a-123456\tmust change: yes", "b@x.com\tPw-b-123456\tmust change: yes",
				"c@x.com\tPw-c-123456\tmust change: no", "d@x.com\tPw-d-123456\tmust change: yes"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			old := syscall.Umask(0)
			defer syscall.Umask(old)
			h := sampleHeader()
			h.MustChange = tt.flag
			n, err := CreateNotice(t.TempDir(), "x", h)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			for _, a := range tt.adds {
				pw := "Pw-" + a.upn[:1] + "-123456"
				if err := n.AddUser(a.upn, importer.Secret(pw), a.mustChange); err != nil {
					t.Fatal(err)
				}
				want[a.upn] = a.mustChange
			}
			if err := n.Close(); err != nil {
				t.Fatal(err)
			}
			assertMode0600(t, n.Path())
			assertNoTempFiles(t, filepath.Dir(n.Path()))
			data, err := os.ReadFile(n.Path())
			if err != nil {
				t.Fatal(err)
			}
			text := string(data)
			if line := "# Users must change this password at first sign-in: " + tt.wantHeader + "\n"; !strings.Contains(text, line) {
				t.Errorf("notice lacks %q:\n%s", line, text)
			}
			if strings.Count(text, "# Users must change") != 1 {
				t.Errorf("must-change line not once:\n%s", text)
			}
			var lines []string
			for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
				if !strings.HasPrefix(l, "# ") {
					lines = append(lines, l)
				}
			}
			if strings.Join(lines, "\n") != strings.Join(tt.wantLines, "\n") {
				t.Errorf("lines:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(tt.wantLines, "\n"))
			}
			hdr, entries, err := ReadNotice(n.Path())
			if err != nil {
				t.Fatal(err)
			}
			if hdr.MustChange != (tt.wantHeader == "yes") || hdr.Organization != h.Organization {
				t.Errorf("ReadNotice header = %+v", hdr)
			}
			if len(entries) != len(tt.adds) {
				t.Fatalf("%d entries, want %d", len(entries), len(tt.adds))
			}
			for _, e := range entries {
				if e.MustChange != want[e.UPN] {
					t.Errorf("entry %s: MustChange = %v, want %v", e.UPN, e.MustChange, want[e.UPN])
				}
				if strings.Contains(e.Password.Reveal(), "\t") || strings.Contains(e.Password.Reveal(), "must") {
					t.Errorf("entry %s: the third field went into the password", e.UPN)
				}
			}
		})
	}
}

// TestNotice_MustChangeOnResume reopens notices of both forms and turns
// them mixed.
func TestNotice_MustChangeOnResume(t *testing.T) {
	dir := t.TempDir()
	// The form written before the lines decided the header: two fields.
	path := filepath.Join(dir, "old.credentials.txt")
	old := "# Credentials notice from userimport: the temporary password of each new user.\n" +
		"# Organization: Contoso\n# Batch: b1\n# Time: 2025-03-04T09:30:00Z\n# Sign-in URL: https://login.contoso.com/\n" +
		"# Users must change this password at first sign-in: yes\n# Each line below: user name, TAB, password.\n" +
		"a@x.com\tPw-a-123456\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	_, entries, err := ReadNotice(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || !entries[0].MustChange || entries[0].Password.Reveal() != "Pw-a-123456" {
		t.Fatalf("old form read as %+v", entries)
	}
	n, _, err := OpenNotice(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.AddUser("b@x.com", "Pw-b-123456", false); err != nil {
		t.Fatal(err)
	}
	n.Close()
	n, entries, err = OpenNotice(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.AddUser("c@x.com", "Pw-c-123456", true); err != nil {
		t.Fatal(err)
	}
	n.Close()
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "sign-in: mixed\n") ||
		!strings.HasSuffix(string(data), "a@x.com\tPw-a-123456\tmust change: yes\nb@x.com\tPw-b-123456\tmust change: no\nc@x.com\tPw-c-123456\tmust change: yes\n") {
		t.Errorf("resumed notice:\n%s", data)
	}
	h, entries, err := ReadNotice(path)
	if err != nil {
		t.Fatal(err)
	}
	if h.BatchID != "b1" || len(entries) != 3 || entries[0].MustChange != true || entries[1].MustChange != false || entries[2].MustChange != true {
		t.Errorf("ReadNotice = %+v, %+v", h, entries)
	}
	assertMode0600(t, path)
}

// mountTmpfs mounts a tmpfs of size bytes at a new directory: a small disk
// that fills up for real.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0755"); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes a file into dir until the disk is full, leaving at most a
// few bytes free, and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []int{4096, 1} {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	return path
}

// TestNotice_FullDisk checks that a line that does not fit is not left
// torn, that the error says so, and that the lines accepted before it and
// after space came back are read back whole.
func TestNotice_FullDisk(t *testing.T) {
	dir := mountTmpfs(t, "64k")
	n, err := CreateNotice(dir, "full", sampleHeader())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.Add("first@contoso.com", "First-Passw0rd!"); err != nil {
		t.Fatal(err)
	}
	// Leave the notice's last page partly free, then fill the disk: the
	// next lines fit partly.
	filler := fill(t, dir)
	accepted := []string{"first@contoso.com\tFirst-Passw0rd!"}
	var addErr error
	for i := 0; addErr == nil; i++ {
		upn := strings.Repeat("u", 40) + string(rune('a'+i%26)) + "@contoso.com"
		pw := strings.Repeat("P", 200) + "-1a!"
		if i > 10000 {
			t.Fatal("the disk never filled")
		}
		if addErr = n.Add(upn, importer.Secret(pw)); addErr == nil {
			accepted = append(accepted, upn+"\t"+pw)
		}
	}
	if !errors.Is(addErr, syscall.ENOSPC) {
		t.Errorf("Add on a full disk: %v, want ENOSPC", addErr)
	}
	if err := n.Sync(); err != nil {
		t.Fatalf("Sync after a failed Add: %v", err)
	}
	data, err := os.ReadFile(n.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 || data[len(data)-1] != '\n' {
		t.Errorf("the notice ends in a torn line: %q", data[max(0, len(data)-40):])
	}
	// Space comes back; the next line must not be glued to a torn one.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := n.Add("last@contoso.com", "Last-Passw0rd!"); err != nil {
		t.Fatal(err)
	}
	accepted = append(accepted, "last@contoso.com\tLast-Passw0rd!")
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	_, entries, err := ReadNotice(n.Path())
	if err != nil {
		t.Fatal(err)
	}
	assertEntries(t, entries, accepted...)
}

// TestCreateNotice_FullDisk: no notice is left with a torn header.
func TestCreateNotice_FullDisk(t *testing.T) {
	dir := mountTmpfs(t, "64k")
	fill(t, dir)
	n, err := CreateNotice(dir, "full", sampleHeader())
	if err == nil {
		n.Close()
		t.Fatal("CreateNotice on a full disk succeeded")
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("error = %v, want ENOSPC", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "full.credentials.txt")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a notice with a torn header stays: %v", err)
	}
}

// TestNotice_MixedOnFullDisk: turning the notice mixed rewrites it; when
// the disk is full the old notice stands, whole, and nothing is left.
func TestNotice_MixedOnFullDisk(t *testing.T) {
	dir := mountTmpfs(t, "64k")
	n, err := CreateNotice(dir, "full", sampleHeader())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for _, upn := range []string{"a@x.com", "b@x.com"} {
		if err := n.AddUser(upn, "Pw-123456-Aa!", true); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.Sync(); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(n.Path())
	filler := fill(t, dir)
	if err := n.AddUser("c@x.com", "Pw-123456-Cc!", false); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("AddUser turning the notice mixed on a full disk: %v, want ENOSPC", err)
	}
	assertContent(t, n.Path(), string(before))
	assertNoTempFiles(t, dir)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := n.AddUser("c@x.com", "Pw-123456-Cc!", false); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	_, entries, err := ReadNotice(n.Path())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 || !entries[0].MustChange || !entries[1].MustChange || entries[2].MustChange {
		t.Errorf("entries = %+v", entries)
	}
}
