package seal_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"userimport/importer"
	"userimport/importer/seal"
)

func newKey(t *testing.T) (string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "batch.key")
	id, err := seal.CreateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, id.Recipient().String()
}

func TestSealOpen(t *testing.T) {
	path, recipient := newKey(t)
	r, err := seal.ParseRecipient(recipient)
	if err != nil {
		t.Fatal(err)
	}
	const pw = importer.Secret("Kx7#pQ2!vM9z-Tåg")
	sealed, err := seal.Seal(r, pw)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(pw.Reveal())) {
		t.Fatal("the sealed value holds the password in clear")
	}
	again, err := seal.Seal(r, pw)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(sealed, again) {
		t.Error("two seals of one password are equal: they must differ")
	}

	t.Run("OK", func(t *testing.T) {
		id, err := seal.LoadKeyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := seal.Open(id, sealed)
		if err != nil {
			t.Fatal(err)
		}
		if got != pw {
			t.Fatalf("opened %q, want the sealed password", got.Reveal())
		}
	})
	t.Run("ErrWrongKey", func(t *testing.T) {
		other, _ := newKey(t)
		id, err := seal.LoadKeyFile(other)
		if err != nil {
			t.Fatal(err)
		}
		got, err := seal.Open(id, sealed)
		if !errors.Is(err, seal.ErrWrongKey) || got != "" {
			t.Fatalf("Open with another key: %q, %v; want ErrWrongKey", got.Reveal(), err)
		}
	})
	t.Run("ErrDamaged", func(t *testing.T) {
		id, err := seal.LoadKeyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Clone(sealed)
		bad[len(bad)-1] ^= 1
		if got, err := seal.Open(id, bad); err == nil || errors.Is(err, seal.ErrWrongKey) {
			t.Fatalf("Open of a damaged value: %q, %v; want a damage error", got.Reveal(), err)
		}
		if got, err := seal.Open(id, sealed[:len(sealed)/2]); err == nil {
			t.Fatalf("Open of a truncated value: %q, want an error", got.Reveal())
		}
	})
}

func TestKeyFile(t *testing.T) {
	t.Run("Mode0600", func(t *testing.T) {
		path, _ := newKey(t)
		st, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != 0o600 {
			t.Fatalf("key file mode %v, want -rw-------", st.Mode())
		}
	})
	t.Run("ErrExists", func(t *testing.T) {
		path, _ := newKey(t)
		before, _ := os.ReadFile(path)
		if _, err := seal.CreateKeyFile(path); importer.ErrorCode(err) != importer.ECONFLICT {
			t.Fatalf("CreateKeyFile over an existing key: %v, want a conflict", err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Fatal("the existing key file was changed")
		}
	})
	t.Run("ErrSymlink", func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "elsewhere")
		link := filepath.Join(dir, "batch.key")
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		if _, err := seal.CreateKeyFile(link); err == nil {
			t.Fatal("CreateKeyFile through a dangling symlink succeeded")
		}
		if _, err := os.Lstat(target); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the symlink's target was created: %v", err)
		}
		real, _ := newKey(t)
		link2 := filepath.Join(dir, "link.key")
		if err := os.Symlink(real, link2); err != nil {
			t.Fatal(err)
		}
		if _, err := seal.LoadKeyFile(link2); err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Fatalf("LoadKeyFile through a symlink: %v, want a refusal", err)
		}
	})
	t.Run("ErrReadableByOthers", func(t *testing.T) {
		path, _ := newKey(t)
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := seal.LoadKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("LoadKeyFile of a 0644 file: %v, want a refusal that says chmod 600", err)
		}
	})
	t.Run("ErrNotAKey", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "batch.key")
		if err := os.WriteFile(path, []byte("hello\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := seal.LoadKeyFile(path); importer.ErrorCode(err) != importer.EINVALID {
			t.Fatalf("LoadKeyFile of a non-key: %v, want invalid", err)
		}
	})
}
