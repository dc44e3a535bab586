package report

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// outputMode is the mode of the result workbook and CSV before the umask:
// readable by all, as a document is, but writable only by its owner, even
// under a umask of 000.
const outputMode = 0o644

// createTempFile creates a hidden temporary file dir/<prefix>.<random>.tmp
// for reading and writing (plus flag), with mode perm before the umask,
// never through a symlink. The file is locked (flock) for as long as it is
// open, so that removeStaleTemps can tell it from one that a killed process
// left behind.
func createTempFile(dir, prefix string, flag int, perm os.FileMode) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, prefix+"."+rand.Text()[:10]+".tmp")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW|flag, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			_ = f.Close()
			_ = os.Remove(name)
			return nil, fmt.Errorf("lock %s: %w", name, err)
		}
		// removeStaleTemps may have taken the file for a stale one between
		// its creation and the lock: then it is gone, and another is made.
		fi, ferr := f.Stat()
		li, lerr := os.Lstat(name)
		if ferr == nil && lerr == nil && os.SameFile(fi, li) {
			return f, nil
		}
		_ = f.Close()
	}
	return nil, fmt.Errorf("create a temporary file in %s: too many attempts", dir)
}

// removeStaleTemps removes the temporary files dir/<prefix>*.tmp of this
// user that no open writer holds: those a killed process left behind. A
// file whose lock is held belongs to a live writer, in this process or
// another, and is left alone. It is best effort: a file that cannot be
// checked stays.
func removeStaleTemps(dir, prefix string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	defer d.Close()
	for {
		names, err := d.Readdirnames(1024)
		for _, name := range names {
			if strings.HasPrefix(name, prefix) && strings.HasSuffix(name, ".tmp") {
				removeIfStale(filepath.Join(dir, name))
			}
		}
		if err != nil {
			return
		}
	}
}

func removeIfStale(path string) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG || int(st.Uid) != os.Geteuid() {
		return
	}
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return // a live writer holds it
	}
	var now syscall.Stat_t
	if err := syscall.Lstat(path, &now); err != nil || now.Ino != st.Ino || now.Dev != st.Dev {
		return // renamed into place or replaced meanwhile
	}
	_ = os.Remove(path)
}

// ResultFiles are the paths of a batch's result workbook and CSV.
type ResultFiles struct {
	XLSX string
	CSV  string // "" for no CSV
	// DryRun makes the workbook a dry run's: its Summary says that nothing
	// was changed, and rows that would be created show no User ID.
	DryRun bool
	// Now dates the workbook's zip entries when the Summary has no Finished
	// time (nil: time.Now).
	Now func() time.Time
}

// maxResultsSuffix bounds the search for a free results name.
const maxResultsSuffix = 10000

// ReserveResults chooses the result files of a new batch of the input
// <base> in dir, and removes the temporary files that killed writers of
// that base left there.
//
// A real batch gets the first free n of <base>.results.xlsx,
// <base>.results.2.xlsx, … (with <base>.results.csv, <base>.results.2.csv,
// … when withCSV): n is free when neither its workbook nor its CSV exists.
// The names are reserved at once by creating empty files with O_EXCL, so
// that two batches started together never get the same n; the batch's
// Close replaces them with the real files, and a resumed batch, which
// passes its stored names to Create, rewrites its own. A reserved workbook
// stays empty if its batch never finishes.
//
// A dry run gets <base>.dry-run.xlsx (and <base>.dry-run.csv), replacing
// the previous dry run's; nothing is reserved.
func ReserveResults(dir, base string, dryRun, withCSV bool) (ResultFiles, error) {
	removeStaleTemps(dir, "."+base+".results.")
	removeStaleTemps(dir, "."+base+".dry-run.")
	path := func(name string) string { return filepath.Join(dir, name) }
	if dryRun {
		f := ResultFiles{XLSX: path(base + ".dry-run.xlsx"), DryRun: true}
		if withCSV {
			f.CSV = path(base + ".dry-run.csv")
		}
		return f, nil
	}
	for n := 1; n <= maxResultsSuffix; n++ {
		stem := base + ".results"
		if n > 1 {
			stem = fmt.Sprintf("%s.results.%d", base, n)
		}
		f := ResultFiles{XLSX: path(stem + ".xlsx")}
		csvPath := path(stem + ".csv")
		if _, err := os.Lstat(csvPath); !errors.Is(err, fs.ErrNotExist) {
			continue // taken, or cannot be told free
		}
		ok, err := reserve(f.XLSX)
		if err != nil {
			return ResultFiles{}, fmt.Errorf("reserve result workbook: %w", err)
		}
		if !ok {
			continue
		}
		if withCSV {
			ok, err := reserve(csvPath)
			if err != nil || !ok {
				_ = os.Remove(f.XLSX)
				if err != nil {
					return ResultFiles{}, fmt.Errorf("reserve results CSV: %w", err)
				}
				continue
			}
			f.CSV = csvPath
		}
		syncDir(dir)
		return f, nil
	}
	return ResultFiles{}, fmt.Errorf("reserve result workbook: %s.results.xlsx and %d others exist", filepath.Join(dir, base), maxResultsSuffix-1)
}

// reserve creates the empty file path unless something has the name.
func reserve(path string) (bool, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, outputMode)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, f.Close()
}

// syncDir makes a rename or a new file in dir durable. It is best effort:
// some file systems cannot sync a directory, and the data itself is
// already synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
