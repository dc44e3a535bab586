package sheet

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"userimport/importer"
)

// TestOpen_NotRegular checks that only regular files are read: a device
// (through a symlink), a FIFO with no writer and a directory are refused
// at once, without reading from them.
func TestOpen_NotRegular(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.csv")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.csv")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "folder.csv")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"DevZeroSymlink", zero, "a character device"},
		{"FIFO", fifo, "a named pipe"},
		{"Directory", sub, "a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Before the fix, /dev/zero was read forever and the FIFO's
			// open blocked: the test would not end.
			_, err := Open(tt.path, Options{})
			wantInvalid(t, err, tt.want, "regular file")
		})
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestReader_SHA256(t *testing.T) {
	var csv strings.Builder
	csv.WriteString("User Name,Display Name\n")
	for i := 0; i < 20000; i++ { // more than the reader buffers
		csv.WriteString("someone@contoso.com,Some One\n")
	}
	csvData := []byte(csv.String())
	xlsxData := xlsxBytes(t, [][]any{{"User Name"}, {"a@x.com"}, {"b@x.com"}})
	t.Run("CSVAtEOF", func(t *testing.T) {
		r, rows := readAll(t, writeFile(t, "a.csv", csvData), Options{})
		if len(rows) != 20000 {
			t.Fatalf("%d rows", len(rows))
		}
		checkSum(t, r, csvData)
	})
	t.Run("CSVMidway", func(t *testing.T) {
		r, err := Open(writeFile(t, "a.csv", csvData), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		checkSum(t, r, csvData)
		n := 1
		for ; ; n++ {
			if _, err := r.Next(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if n != 20000 {
			t.Errorf("after SHA256, read %d rows in all", n)
		}
		checkSum(t, r, csvData)
	})
	t.Run("XLSX", func(t *testing.T) {
		r, rows := readAll(t, writeFile(t, "a.xlsx", xlsxData), Options{})
		if len(rows) != 2 {
			t.Fatalf("%d rows", len(rows))
		}
		checkSum(t, r, xlsxData)
	})
	t.Run("GrowsAfterOpen", func(t *testing.T) {
		// A file that grows while it is read (a feed still being written)
		// is read, and hashed, as it was at open.
		path := writeFile(t, "a.csv", csvData)
		r, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("late@contoso.com,Late Comer\n")
		f.Close()
		n := 0
		for ; ; n++ {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			if row.Get(importer.ColUserName) == "late@contoso.com" {
				t.Fatal("read a row written after Open")
			}
		}
		checkSum(t, r, csvData)
	})
}

func checkSum(t *testing.T, r *Reader, data []byte) {
	t.Helper()
	if r.Size() != int64(len(data)) {
		t.Errorf("Size = %d, want %d", r.Size(), len(data))
	}
	got, err := r.SHA256()
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256Hex(data); got != want {
		t.Errorf("SHA256 = %s, want %s", got, want)
	}
}

func TestReader_Sheet(t *testing.T) {
	r, _ := readAll(t, writeFile(t, "a.xlsx", xlsxBytes(t, [][]any{{"User Name"}, {"a@x.com"}})), Options{})
	if r.Sheet() != "Sheet1" {
		t.Errorf("XLSX Sheet = %q", r.Sheet())
	}
	r, _ = readAll(t, writeFile(t, "a.csv", []byte("User Name\na@x.com\n")), Options{})
	if r.Sheet() != "" {
		t.Errorf("CSV Sheet = %q", r.Sheet())
	}
}
