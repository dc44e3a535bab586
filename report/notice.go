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
	"time"

	"userimport/importer"
)

// NoticeHeader is what the credentials notice says about its batch, in the
// lines that start with "#".
type NoticeHeader struct {
	Organization string
	BatchID      string
	Time         time.Time
	SignInURL    string
	MustChange   bool // whether the passwords must be changed at first sign-in
}

// Entry is one line of the credentials notice.
type Entry struct {
	UPN      string
	Password importer.Secret
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

// Notice is an open credentials notice: <base>.credentials.txt, one line per
// user, "<UPN><TAB><password>\n", under header lines that start with "#".
//
// The file is created with mode 0600 and never overwritten. Each Add is one
// write(2) of a whole line with no buffering in the process, so a killed
// process loses at most the line being written, and OpenNotice cuts such a
// torn line off. A Notice is safe for concurrent use.
type Notice struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// maxNoticeSuffix bounds the search for a free notice name.
const maxNoticeSuffix = 10000

// CreateNotice creates the credentials notice <dir>/<base>.credentials.txt
// and writes its header. The file is created with mode 0600 (O_EXCL, so
// never through an existing file or symlink); if the name is taken,
// <base>.credentials.2.txt, .3.txt, … is used instead. Path says which.
func CreateNotice(dir, base string, h NoticeHeader) (*Notice, error) {
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
		f, err = os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create credentials notice: %w", err)
		}
	}
	n := &Notice{f: f, path: f.Name()}
	if _, err := f.WriteString(formatNoticeHeader(h)); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("write credentials notice %s: %w", n.path, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("write credentials notice %s: %w", n.path, err)
	}
	syncDir(dir)
	return n, nil
}

func formatNoticeHeader(h NoticeHeader) string {
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
	line(labelMustChange, yesNoLower(h.MustChange))
	b.WriteString("# Each line below: user name, TAB, password.\n")
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
		return "yes"
	}
	return "no"
}

// OpenNotice reopens the notice at path for appending: a resumed batch
// appends to its own notice. If the file's last line is torn (no trailing
// newline: the process died while writing it), it is cut back to the last
// complete line, because a torn password is no use to anyone: its user must
// be given a new one. OpenNotice returns the entries already in the file.
func OpenNotice(path string) (*Notice, []Entry, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open credentials notice: %w", err)
	}
	_, entries, complete, err := parseNotice(f)
	if err == nil {
		var size int64
		if size, err = f.Seek(0, io.SeekEnd); err == nil && size != complete {
			if err = f.Truncate(complete); err == nil {
				err = f.Sync()
			}
		}
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekEnd)
	}
	if err != nil {
		_ = f.Close()
		return nil, nil, fmt.Errorf("open credentials notice %s: %w", path, err)
	}
	return &Notice{f: f, path: path}, entries, nil
}

// ReadNotice reads the notice at path. A torn last line is ignored.
func ReadNotice(path string) (NoticeHeader, []Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return NoticeHeader{}, nil, fmt.Errorf("read credentials notice: %w", err)
	}
	defer f.Close()
	h, entries, _, err := parseNotice(f)
	if err != nil {
		return NoticeHeader{}, nil, fmt.Errorf("read credentials notice %s: %w", path, err)
	}
	return h, entries, nil
}

// parseNotice reads a notice from the start of r. complete is the length of
// its complete lines; anything after it is a torn line. Errors name the line
// but never quote it: it may hold a password.
func parseNotice(r io.ReadSeeker) (h NoticeHeader, entries []Entry, complete int64, err error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return h, nil, 0, err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return h, nil, 0, fmt.Errorf("line %d is too long", lineNo)
		}
		if err == io.EOF {
			return h, entries, complete, nil // line, if any, is torn
		}
		if err != nil {
			return h, nil, 0, err
		}
		complete += int64(len(line))
		line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
		if len(line) == 0 {
			continue
		}
		tab := bytes.IndexByte(line, '\t')
		if line[0] == '#' && tab < 0 {
			// A UPN may start with '#', but then its line has a tab.
			if err := h.parseLine(string(line[1:])); err != nil {
				return h, nil, 0, fmt.Errorf("line %d: %w", lineNo, err)
			}
			continue
		}
		if tab <= 0 {
			return h, nil, 0, fmt.Errorf("line %d is not <user name><TAB><password>", lineNo)
		}
		entries = append(entries, Entry{
			UPN:      string(line[:tab]),
			Password: importer.Secret(line[tab+1:]),
		})
	}
}

// parseLine reads one header line (without its '#'); lines it does not know
// are comments.
func (h *NoticeHeader) parseLine(s string) error {
	label, value, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return nil
	}
	value = strings.TrimSpace(value)
	switch strings.TrimSpace(label) {
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
		h.MustChange = strings.EqualFold(value, "yes")
	}
	return nil
}

// Add appends the line "<upn><TAB><password>\n" in a single write, straight
// to the file. A UPN or password with a TAB, CR or LF is refused: it would
// break the file's lines.
func (n *Notice) Add(upn string, password importer.Secret) error {
	pw := password.Reveal()
	if upn == "" || pw == "" || strings.ContainsAny(upn, "\t\r\n") || strings.ContainsAny(pw, "\t\r\n") {
		return fmt.Errorf("add %q to credentials notice: user name or password is empty or contains a tab or line break", upn)
	}
	line := make([]byte, 0, len(upn)+len(pw)+2)
	line = append(line, upn...)
	line = append(line, '\t')
	line = append(line, pw...)
	line = append(line, '\n')
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.f == nil {
		return fmt.Errorf("add %s to credentials notice: notice closed", upn)
	}
	if _, err := n.f.Write(line); err != nil {
		return fmt.Errorf("add %s to credentials notice %s: %w", upn, n.path, err)
	}
	return nil
}

// Sync commits the notice to stable storage. Call it before recording that
// the users it names have their passwords.
func (n *Notice) Sync() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.f == nil {
		return fmt.Errorf("sync credentials notice %s: notice closed", n.path)
	}
	if err := n.f.Sync(); err != nil {
		return fmt.Errorf("sync credentials notice %s: %w", n.path, err)
	}
	return nil
}

// Path is the notice's file name.
func (n *Notice) Path() string { return n.path }

// Close syncs and closes the notice. Close after Close does nothing.
func (n *Notice) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.f == nil {
		return nil
	}
	err := n.f.Sync()
	if cerr := n.f.Close(); err == nil {
		err = cerr
	}
	n.f = nil
	if err != nil {
		return fmt.Errorf("close credentials notice %s: %w", n.path, err)
	}
	return nil
}
