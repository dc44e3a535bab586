package report

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"userimport/importer"
)

// NoticeHeader is what the credentials notice says about its batch, in the
// lines that start with "#".
type NoticeHeader = importer.NoticeHeader

// Entry is one line of the credentials notice.
type Entry struct {
	UPN      string
	Password importer.Secret
	// MustChange is whether the user must change the password at first
	// sign-in: the line's own third column when the notice is mixed, else
	// the header's value.
	MustChange bool
}

// The header's labels. ReadNotice finds the values by these labels, so they
// are part of the file format.
const (
	labelOrganization = "Organization"
	labelBatch        = "Batch"
	labelTime         = "Time"
	labelSignInURL    = "Sign-in URL"
	labelMustChange   = "Users must change this password at first sign-in"
)

// The values of the must-change header line, and the third column of a
// mixed notice's lines.
const (
	mustChangeYes   = "yes"
	mustChangeNo    = "no"
	mustChangeMixed = "mixed"
	lineMustChange  = "must change: "
)

// ErrUnsafeNotice says that the file at a notice's path is not one this
// program could have written for its user: a symbolic link, not a regular
// file, owned by another user, with a mode other than 0600, or with another
// name (hard link). Passwords are never appended to such a file.
var ErrUnsafeNotice = errors.New("not a regular file of this user with mode 0600")

// Notice is an open credentials notice: <base>.credentials.txt, one line per
// user, "<UPN><TAB><password>\n", under header lines that start with "#".
// When the users differ in whether they must change their password, the
// header says "mixed" and every line gets a third field,
// "<UPN><TAB><password><TAB>must change: yes|no".
//
// The file is created with mode 0600, never through a symlink, and never
// overwritten by another batch. Each Add writes a whole line or nothing: a
// write that fails (a full disk) is cut back off the file, so that no torn
// line can later be read as a whole password. A line is on disk once a Sync
// after its Add returns nil; only then may the caller count its user as
// noticed. A Notice is safe for concurrent use.
type Notice struct {
	mu     sync.Mutex
	f      *os.File
	path   string
	header NoticeHeader
	size   int64  // length of the complete lines in the file
	lines  int    // user lines in the file
	state  string // what the must-change header line says: yes, no or mixed
	err    error  // set when the file can no longer be trusted to hold what Add accepted
}

// maxNoticeSuffix bounds the search for a free notice name.
const maxNoticeSuffix = 10000

// noticeMode is the notice's mode, whatever the umask.
const noticeMode = 0o600

// CreateNotice creates the credentials notice <dir>/<base>.credentials.txt
// and writes its header. The file is created with mode 0600 (O_EXCL and
// O_NOFOLLOW, so never through an existing file or symlink); if the name is
// taken, <base>.credentials.2.txt, .3.txt, … is used instead. Path says
// which.
func CreateNotice(dir, base string, h NoticeHeader) (*Notice, error) {
	removeStaleTemps(dir, "."+base+".credentials.")
	var f *os.File
	for i := 1; f == nil; i++ {
		if i > maxNoticeSuffix {
			return nil, fmt.Errorf("create credentials notice: %s.credentials.txt and %d others exist", filepath.Join(dir, base), maxNoticeSuffix-1)
		}
		name := base + ".credentials.txt"
		if i > 1 {
			name = base + ".credentials." + strconv.Itoa(i) + ".txt"
		}
		var err error
		f, err = createNoticeFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create credentials notice: %w", err)
		}
	}
	n := &Notice{f: f, path: f.Name(), header: h, state: yesNoLower(h.MustChange)}
	text := formatNoticeHeader(h, yesNoLower(h.MustChange))
	if _, err := f.WriteString(text); err != nil {
		_ = f.Close()
		_ = os.Remove(n.path) // only a torn header: nothing to keep
		return nil, fmt.Errorf("write credentials notice %s: %w", n.path, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("write credentials notice %s: %w", n.path, err)
	}
	n.size = int64(len(text))
	syncDir(dir)
	return n, nil
}

// createNoticeFile creates path for reading and appending, with mode 0600
// whatever the umask (a umask can only narrow the mode given to open; the
// Fchmod undoes a umask that took the owner's rights too).
func createNoticeFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, noticeMode)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(noticeMode); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, err
	}
	return f, nil
}

func formatNoticeHeader(h NoticeHeader, mustChange string) string {
	var b strings.Builder
	line := func(label, value string) {
		b.WriteString("# ")
		b.WriteString(label)
		b.WriteString(": ")
		b.WriteString(headerValue(value))
		b.WriteString("\n")
	}
	b.WriteString("# Credentials notice from userimport: the temporary password of each new user.\n")
	b.WriteString("# Keep this file secret, hand each password to its user only, then delete the file.\n")
	line(labelOrganization, h.Organization)
	line(labelBatch, h.BatchID)
	t := ""
	if !h.Time.IsZero() {
		t = h.Time.Format(time.RFC3339)
	}
	line(labelTime, t)
	line(labelSignInURL, h.SignInURL)
	line(labelMustChange, mustChange)
	if mustChange == mustChangeMixed {
		b.WriteString("# Each line below: user name, TAB, password, TAB, whether that user must change it.\n")
	} else {
		b.WriteString("# Each line below: user name, TAB, password.\n")
	}
	return b.String()
}

// headerValue keeps a header value on its line and free of tabs, which mark
// user lines.
func headerValue(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', '\t':
			return ' '
		}
		return r
	}, s)
}

func yesNoLower(b bool) string {
	if b {
		return mustChangeYes
	}
	return mustChangeNo
}

// OpenNotice reopens the notice at path for appending: a resumed batch
// appends to its own notice. The file is opened without following a
// symlink, and refused, with an error that wraps ErrUnsafeNotice, unless the
// opened file is a regular file with one name, owned by this process's user,
// with mode 0600: the checks are made on the open file, so the file cannot
// be swapped between check and use. A missing file is an error that wraps
// fs.ErrNotExist. Either way the file is left as it was.
//
// If the file's last line is torn (no trailing newline: the process died
// while writing it), it is cut back to the last complete line, because a
// torn password is no use to anyone: its user must be given a new one.
// OpenNotice returns the entries already in the file.
func OpenNotice(path string) (*Notice, []Entry, error) {
	f, err := openOwnNotice(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open credentials notice: %w", err)
	}
	h, state, entries, complete, err := parseNotice(f)
	if err == nil {
		var size int64
		if size, err = f.Seek(0, io.SeekEnd); err == nil && size != complete {
			if err = f.Truncate(complete); err == nil {
				err = f.Sync()
			}
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, nil, fmt.Errorf("open credentials notice %s: %w", path, err)
	}
	if state != mustChangeYes && state != mustChangeMixed {
		state = mustChangeNo // as ReadNotice takes a file without the line
	}
	return &Notice{f: f, path: path, header: h, size: complete, lines: len(entries), state: state}, entries, nil
}

// openOwnNotice opens path for reading and appending if it is a notice this
// user could have written; see OpenNotice. O_NONBLOCK keeps a FIFO or a
// device from blocking the open; it is cleared once the file is known to be
// regular, where it means nothing anyway.
func openOwnNotice(path string) (*os.File, error) {
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_APPEND|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, syscall.ELOOP):
		return nil, fmt.Errorf("%s is a symbolic link: %w", path, ErrUnsafeNotice)
	case errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENXIO): // a directory, a socket
		return nil, fmt.Errorf("%s is not a regular file: %w", path, ErrUnsafeNotice)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		_ = syscall.Close(fd)
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	why := ""
	switch {
	case st.Mode&syscall.S_IFMT != syscall.S_IFREG:
		why = "is not a regular file"
	case int(st.Uid) != os.Geteuid():
		why = fmt.Sprintf("is owned by user %d, not %d", st.Uid, os.Geteuid())
	case st.Mode&0o7777 != noticeMode:
		why = fmt.Sprintf("has mode %#o, not 0600", st.Mode&0o7777)
	case st.Nlink != 1:
		why = fmt.Sprintf("has %d names (hard links)", st.Nlink)
	}
	if why != "" {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("%s %s: %w", path, why, ErrUnsafeNotice)
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		_ = syscall.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// ResumedNotice is what ResumeNotice did.
type ResumedNotice struct {
	*Notice
	// Entries are the lines the reopened notice already holds; nil when a
	// new notice was created.
	Entries []Entry
	// Refused is nil when the old notice was reopened; else it says why it
	// was not (it wraps ErrUnsafeNotice or fs.ErrNotExist), for a warning.
	Refused error
}

// ResumeNotice reopens a resumed batch's notice at path, as OpenNotice
// does, when that is safe; when the file is missing or refused
// (ErrUnsafeNotice), it creates the next free notice for dir and base with
// header h, as CreateNotice does for a first run, and says why in Refused.
// Any other failure (a malformed notice, a read error) is returned as the
// error, and nothing is created.
func ResumeNotice(path, dir, base string, h NoticeHeader) (ResumedNotice, error) {
	n, entries, err := OpenNotice(path)
	if err == nil {
		return ResumedNotice{Notice: n, Entries: entries}, nil
	}
	if !errors.Is(err, ErrUnsafeNotice) && !errors.Is(err, fs.ErrNotExist) {
		return ResumedNotice{}, err
	}
	n, cerr := CreateNotice(dir, base, h)
	if cerr != nil {
		return ResumedNotice{}, cerr
	}
	return ResumedNotice{Notice: n, Refused: err}, nil
}

// ReadNotice reads the notice at path, in the form written today or the
// older one (two fields per line, must-change yes or no from the flag). A
// torn last line is ignored. It does not follow a symlink.
func ReadNotice(path string) (NoticeHeader, []Entry, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return NoticeHeader{}, nil, fmt.Errorf("read credentials notice: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return NoticeHeader{}, nil, fmt.Errorf("read credentials notice: %s is not a regular file", path)
	}
	h, _, entries, _, err := parseNotice(f)
	if err != nil {
		return NoticeHeader{}, nil, fmt.Errorf("read credentials notice %s: %w", path, err)
	}
	return h, entries, nil
}

// parseNotice reads a notice from the start of r. state is what its
// must-change header line says ("" without one); complete is the length of
// its complete lines; anything after it is a torn line. Errors name the
// line but never quote it: it may hold a password.
func parseNotice(r io.ReadSeeker) (h NoticeHeader, state string, entries []Entry, complete int64, err error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return h, "", nil, 0, err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return h, "", nil, 0, fmt.Errorf("line %d is too long", lineNo)
		}
		if err == io.EOF {
			return h, state, entries, complete, nil // line, if any, is torn
		}
		if err != nil {
			return h, "", nil, 0, err
		}
		complete += int64(len(line))
		line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
		if len(line) == 0 {
			continue
		}
		tab := bytes.IndexByte(line, '\t')
		if line[0] == '#' && tab < 0 {
			// A UPN may start with '#', but then its line has a tab.
			if err := parseHeaderLine(&h, string(line[1:])); err != nil {
				return h, "", nil, 0, fmt.Errorf("line %d: %w", lineNo, err)
			}
			if label, value, ok := cutHeaderLine(string(line[1:])); ok && label == labelMustChange {
				state = strings.ToLower(value)
			}
			continue
		}
		if tab <= 0 {
			return h, "", nil, 0, fmt.Errorf("line %d is not <user name><TAB><password>", lineNo)
		}
		e := Entry{UPN: string(line[:tab]), MustChange: state == mustChangeYes}
		pw := line[tab+1:]
		if t := bytes.IndexByte(pw, '\t'); t >= 0 {
			third := string(bytes.TrimSpace(pw[t+1:]))
			pw = pw[:t]
			v, ok := strings.CutPrefix(third, lineMustChange)
			if !ok || (v != mustChangeYes && v != mustChangeNo) {
				return h, "", nil, 0, fmt.Errorf("line %d: the third field is not %q yes or no", lineNo, lineMustChange)
			}
			e.MustChange = v == mustChangeYes
		}
		if len(pw) == 0 {
			return h, "", nil, 0, fmt.Errorf("line %d has no password", lineNo)
		}
		e.Password = importer.Secret(pw)
		entries = append(entries, e)
	}
}

// parseHeaderLine reads one header line (without its '#'); lines it does not know
// are comments.
func parseHeaderLine(h *NoticeHeader, s string) error {
	label, value, ok := cutHeaderLine(s)
	if !ok {
		return nil
	}
	switch label {
	case labelOrganization:
		h.Organization = value
	case labelBatch:
		h.BatchID = value
	case labelTime:
		if value == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339, value)
		if err != nil {
			return fmt.Errorf("bad time %q", value)
		}
		h.Time = t
	case labelSignInURL:
		h.SignInURL = value
	case labelMustChange:
		h.MustChange = strings.EqualFold(value, mustChangeYes)
	}
	return nil
}

// cutHeaderLine splits a header line (without its '#') into its label and
// value.
func cutHeaderLine(s string) (label, value string, ok bool) {
	label, value, ok = strings.Cut(strings.TrimSpace(s), ":")
	return strings.TrimSpace(label), strings.TrimSpace(value), ok
}

// Add appends the line of a user who must change the password as the
// header's MustChange (the batch's default) says; see AddUser.
func (n *Notice) Add(upn string, password importer.Secret) error {
	return n.AddUser(upn, password, n.header.MustChange)
}

// AddUser appends the line "<upn><TAB><password>\n" in a single write,
// straight to the file, and keeps the header's must-change line true to
// the lines: the first line's value, or "mixed" once a line differs, at
// which point the notice is rewritten once (a new file renamed over it)
// with the third field on every line.
//
// If the write fails (a full disk: the error wraps syscall.ENOSPC), the
// file is cut back to the lines before, and the error is returned; if even
// that fails, every later call fails too. The line is on disk only once a
// later Sync returns nil. A UPN or password with a TAB, CR or LF is
// refused: it would break the file's lines.
func (n *Notice) AddUser(upn string, password importer.Secret, mustChange bool) error {
	pw := password.Reveal()
	if upn == "" || pw == "" || strings.ContainsAny(upn, "\t\r\n") || strings.ContainsAny(pw, "\t\r\n") {
		return fmt.Errorf("add %q to credentials notice: user name or password is empty or contains a tab or line break", upn)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.f == nil {
		return fmt.Errorf("add %s to credentials notice: notice closed", upn)
	}
	if n.err != nil {
		return n.err
	}
	value := yesNoLower(mustChange)
	if n.state != value && n.state != mustChangeMixed {
		next := value
		if n.lines > 0 {
			next = mustChangeMixed
		}
		if err := n.rewrite(next); err != nil {
			return fmt.Errorf("add %s to credentials notice %s: %w", upn, n.path, err)
		}
	}
	line := make([]byte, 0, len(upn)+len(pw)+len(lineMustChange)+6)
	line = append(line, upn...)
	line = append(line, '\t')
	line = append(line, pw...)
	if n.state == mustChangeMixed {
		line = append(line, '\t')
		line = append(line, lineMustChange...)
		line = append(line, value...)
	}
	line = append(line, '\n')
	if _, err := n.f.Write(line); err != nil {
		err = fmt.Errorf("add %s to credentials notice %s: %w", upn, n.path, err)
		if terr := n.f.Truncate(n.size); terr != nil {
			// A torn line may stay: nothing written from now on can be
			// trusted to be read back whole.
			n.err = err
		}
		return err
	}
	n.size += int64(len(line))
	n.lines++
	return nil
}

// rewrite writes the notice anew with its must-change header line saying
// state, and with the third field on every line when state is mixed (every
// line so far has the value n.state), then renames it over the notice. The
// notice stays whole at every step: the old file until the rename, the new
// one after it.
func (n *Notice) rewrite(state string) error {
	if _, err := n.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	dir, name := filepath.Split(n.path)
	tmp, err := createTempFile(dir, "."+name, os.O_APPEND, noticeMode)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(noticeMode); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(tmp, 64<<10)
	size := int64(0)
	put := func(s []byte) {
		size += int64(len(s))
		_, _ = bw.Write(s)
	}
	put([]byte(formatNoticeHeader(n.header, state)))
	br := bufio.NewReaderSize(io.LimitReader(n.f, n.size), 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if line[0] == '#' && bytes.IndexByte(line, '\t') < 0 {
			continue // the old header
		}
		if state == mustChangeMixed && bytes.Count(line, []byte{'\t'}) == 1 {
			line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
			put(line)
			put([]byte("\t" + lineMustChange + n.state + "\n"))
			continue
		}
		put(line)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), n.path); err != nil {
		return err
	}
	committed = true
	syncDir(dir)
	// tmp is now the notice, open for reading and appending.
	_ = n.f.Close()
	n.f = tmp
	n.size = size
	n.state = state
	return nil
}

// Sync commits the notice to stable storage: every line whose Add returned
// nil is on disk when Sync returns nil. Call it before recording that the
// users it names have their passwords. A failed Sync leaves the notice
// unusable (after a failed fsync nobody can say which lines reached the
// disk): every later Add and Sync fails too.
func (n *Notice) Sync() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.sync()
}

func (n *Notice) sync() error {
	if n.f == nil {
		return fmt.Errorf("sync credentials notice %s: notice closed", n.path)
	}
	if n.err != nil {
		return n.err
	}
	if err := n.f.Sync(); err != nil {
		n.err = fmt.Errorf("sync credentials notice %s: %w", n.path, err)
		return n.err
	}
	return nil
}

// Path is the notice's file name.
func (n *Notice) Path() string { return n.path }

// Close syncs and closes the notice; its error is Sync's. Close after Close
// does nothing.
func (n *Notice) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.f == nil {
		return nil
	}
	err := n.sync()
	if cerr := n.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close credentials notice %s: %w", n.path, cerr)
	}
	n.f = nil
	return err
}
