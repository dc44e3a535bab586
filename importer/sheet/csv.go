package sheet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"userimport/importer"
)

// sniffSize is how much of a CSV file decides its encoding. A file that is
// valid UTF-8 this far, or that holds UTF-8 letters among invalid bytes,
// is read as UTF-8 cell by cell (see csvSource.fixUTF8); one with no UTF-8
// letters at all is read as Windows-1252.
const sniffSize = 1 << 20

// maxRecordLines is the most lines one row may span. A longer row is taken
// for a quote that is never closed, which swallows the rows after it.
const maxRecordLines = 100

// maxHeaderBytes is the most bytes the lines up to the header row may hold;
// maxRowBytes the most a row may hold. A longer header is not a
// spreadsheet's (a file without line breaks, or not a CSV file at all);
// holding it would cost many times its size.
const (
	maxHeaderBytes = 1 << 20
	maxRowBytes    = 16 << 20
)

// delimiters are the delimiters sniffed from the header line, best first
// when they tie.
var delimiters = []rune{',', ';', '\t', '|'}

// csvSource reads CSV text as records.
type csvSource struct {
	rr *recordReader

	number int  // the row number of the last record
	header bool // the header row has been read

	// checkUTF8 is set when the text is read as UTF-8 without conversion:
	// each record is checked, and fields that are not valid UTF-8 are read
	// as Windows-1252 (fixUTF8).
	checkUTF8 bool
	cp1252    *encoding.Decoder
	badRows   []int // the first rows read as Windows-1252
	badCount  int

	encodingNote string
}

// openCSV reads the text of r as CSV records.
func openCSV(r io.Reader, opts Options) (source, error) {
	s := &csvSource{}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(sniffSize)
	if opts.Delimiter != 0 && !validDelimiter(opts.Delimiter) {
		return nil, importer.Errorf(importer.EINVALID, "--delimiter %q cannot separate cells: use , ; | or TAB", opts.Delimiter)
	}
	text, err := s.decoder(br, head, opts.Encoding)
	if err != nil {
		return nil, err
	}
	tr := bufio.NewReaderSize(text, 64<<10)
	comma := opts.Delimiter
	if comma == 0 {
		peek, _ := tr.Peek(64 << 10)
		comma = sniffDelimiter(peek)
	}
	s.rr = &recordReader{br: tr, comma: []byte(string(comma)), maxBytes: maxHeaderBytes}
	return s, nil
}

func validDelimiter(r rune) bool {
	return r != '"' && r != '\r' && r != '\n' && r != utf8.RuneError && utf8.ValidRune(r) && r != 0xFEFF
}

// decoder returns the file's text as UTF-8, telling the encoding from a
// byte-order mark, else from whether head is valid UTF-8, unless name
// forces one.
func (s *csvSource) decoder(br *bufio.Reader, head []byte, name string) (io.Reader, error) {
	utf16 := func(e unicode.Endianness) io.Reader {
		return transform.NewReader(br, unicode.UTF16(e, unicode.UseBOM).NewDecoder())
	}
	cp1252 := func() io.Reader {
		return transform.NewReader(br, charmap.Windows1252.NewDecoder())
	}
	utf8Text := func() io.Reader {
		if bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")) {
			br.Discard(3)
		}
		s.checkUTF8 = true
		s.cp1252 = charmap.Windows1252.NewDecoder()
		return br
	}
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(name), "_", "-")) {
	case "":
	case "utf-8", "utf8":
		return utf8Text(), nil
	case "utf-16le", "utf16le", "utf-16", "utf16":
		return utf16(unicode.LittleEndian), nil
	case "utf-16be", "utf16be":
		return utf16(unicode.BigEndian), nil
	case "windows-1252", "cp1252", "latin1", "latin-1", "iso-8859-1":
		return cp1252(), nil
	default:
		return nil, importer.Errorf(importer.EINVALID, "--encoding %q is not known: use utf-8, utf-16le, utf-16be or windows-1252", name)
	}
	switch {
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		return utf8Text(), nil
	case bytes.HasPrefix(head, []byte("\xFF\xFE")):
		return utf16(unicode.LittleEndian), nil
	case bytes.HasPrefix(head, []byte("\xFE\xFF")):
		return utf16(unicode.BigEndian), nil
	}
	if e, ok := utf16WithoutBOM(head); ok {
		s.encodingNote = "the file has no byte-order mark but looks like UTF-16; read as UTF-16"
		return utf16(e), nil
	}
	if isBinary(head) {
		return nil, importer.Errorf(importer.EINVALID,
			"the file is neither a spreadsheet nor text: save it as .xlsx or .csv")
	}
	if validUTF8Prefix(head, len(head) == sniffSize) || hasUTF8Letters(head) {
		// UTF-8 text, perhaps with rows pasted in Windows-1252: fixUTF8
		// reads each cell that is not UTF-8 as Windows-1252.
		return utf8Text(), nil
	}
	s.encodingNote = "the file is not valid UTF-8; read as Windows-1252 (use --encoding to say otherwise)"
	return cp1252(), nil
}

// validUTF8Prefix reports whether b is valid UTF-8, allowing a rune cut off
// at its end when b is only the start of the file.
func validUTF8Prefix(b []byte, cut bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if !cut {
		return false
	}
	for i := 1; i < utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			return utf8.Valid(b[:len(b)-i])
		}
	}
	return false
}

// hasUTF8Letters reports whether b holds a character of more than one
// byte in valid UTF-8, which Windows-1252 text almost never does (it would
// take a capital such as Ã followed by a symbol such as ©).
func hasUTF8Letters(b []byte) bool {
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			b = b[1:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		if r != utf8.RuneError && n > 1 {
			return true
		}
		b = b[n:]
	}
	return false
}

// utf16WithoutBOM guesses UTF-16 text without a byte-order mark from NUL
// bytes in every other position, as ASCII text in UTF-16 has.
func utf16WithoutBOM(b []byte) (unicode.Endianness, bool) {
	if len(b) > 4096 {
		b = b[:4096]
	}
	if len(b) < 8 {
		return unicode.LittleEndian, false
	}
	var even, odd int
	for i, c := range b {
		if c == 0 {
			if i%2 == 0 {
				even++
			} else {
				odd++
			}
		}
	}
	half := len(b) / 2
	switch {
	case odd > half*7/10 && even == 0:
		return unicode.LittleEndian, true
	case even > half*7/10 && odd == 0:
		return unicode.BigEndian, true
	}
	return unicode.LittleEndian, false
}

// isBinary reports whether b is not text: a NUL in its first line, or many
// control characters.
func isBinary(b []byte) bool {
	if len(b) > 8192 {
		b = b[:8192]
	}
	// A NUL in the header line, or control bytes in more than a tenth of
	// the bytes, is no text; one NUL in a data cell is a bad cell (its row
	// fails alone), not a binary file.
	if line, _, _ := bytes.Cut(b, []byte("\n")); bytes.IndexByte(line, 0) >= 0 {
		return true
	}
	control := 0
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' {
			control++
		}
	}
	return control > len(b)/10+1
}

// sniffDelimiter finds the delimiter of text's header line, the first line
// that is neither blank nor Entra's "version:" line: the candidate that
// occurs most often outside quotes, ',' when none does.
func sniffDelimiter(text []byte) rune {
	for len(text) > 0 {
		line, rest := splitRecordLine(text)
		text = rest
		t := strings.TrimSpace(strings.TrimPrefix(string(line), "\uFEFF"))
		if t == "" || strings.HasPrefix(strings.ToLower(t), "version:") && strings.Trim(t[len("version:"):], ",;\t| v.0123456789") == "" {
			continue
		}
		best, bestCount := ',', 0
		for _, d := range delimiters {
			if n := countOutsideQuotes(line, d); n > bestCount {
				best, bestCount = d, n
			}
		}
		return best
	}
	return ','
}

// splitRecordLine returns text's first line, letting quoted fields span
// newlines.
func splitRecordLine(text []byte) (line, rest []byte) {
	quoted := false
	for i, c := range text {
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\n' && !quoted:
			return text[:i], text[i+1:]
		}
	}
	return text, nil
}

func countOutsideQuotes(line []byte, d rune) int {
	n, quoted := 0, false
	for _, r := range string(line) {
		switch {
		case r == '"':
			quoted = !quoted
		case r == d && !quoted:
			n++
		}
	}
	return n
}

func (s *csvSource) next() ([]string, int, error) {
	rec, err := s.rr.read()
	if errors.Is(err, io.EOF) {
		return nil, s.number, io.EOF
	}
	s.number++
	if err != nil {
		return nil, s.number, s.readError(err)
	}
	if s.checkUTF8 {
		s.fixUTF8(rec)
	}
	return rec, s.number, nil
}

// readError is what the admin is told of a record that cannot be read.
func (s *csvSource) readError(err error) error {
	var long *errRecordTooLong
	var broken *brokenQuote
	switch {
	case errors.As(err, &long) && !s.header:
		return importer.Errorf(importer.EINVALID,
			"%v before the header row ends: the first line must name the columns, e.g. %q; is this a CSV file?", long, importer.ColUserName.String())
	case errors.As(err, &long):
		return importer.Errorf(importer.EINVALID, "row %d: %v, too long for a row; the row was not read", s.number, long)
	case errors.As(err, &broken):
		return importer.Errorf(importer.EINVALID, "row %d: %v; the lines after line %d are read as rows", s.number, broken, broken.line)
	}
	// The file itself failed (I/O, or text that cannot be decoded).
	return importer.Errorf(importer.EINVALID, "row %d: the file cannot be read: %v", s.number, err)
}

// headerRead tells the source that the header row was the last record and
// how many cells it has up to its last named column: a quoted cell that
// takes in a line with as many delimiters is taken for broken quoting, and
// rows may be longer than a header.
func (s *csvSource) headerRead(width int) {
	s.header = true
	s.rr.width = max(width-1, 0)
	s.rr.maxBytes = maxRowBytes
}

// fixUTF8 reads each field of a record that is not valid UTF-8 as
// Windows-1252. A file that looked like UTF-8 in its first megabyte may
// still hold a row pasted from elsewhere; reading that row's odd bytes as
// Windows-1252 keeps the row (and says so in a warning) rather than failing
// it or turning its letters into U+FFFD.
func (s *csvSource) fixUTF8(rec []string) {
	if s.rr.validUTF8() {
		return // one pass over the record instead of one per cell
	}
	fixed := false
	for i, f := range rec {
		if !utf8.ValidString(f) {
			if v, err := s.cp1252.String(f); err == nil {
				rec[i] = v
				fixed = true
			}
		}
	}
	if fixed {
		s.badCount++
		if len(s.badRows) < 5 {
			s.badRows = append(s.badRows, s.number)
		}
	}
}

func (s *csvSource) warnings() []string {
	var w []string
	if s.encodingNote != "" {
		w = append(w, s.encodingNote)
	}
	if s.badCount > 0 {
		nums := make([]string, len(s.badRows))
		for i, n := range s.badRows {
			nums[i] = fmt.Sprint(n)
		}
		more := ""
		if s.badCount > len(s.badRows) {
			more = fmt.Sprintf(" and %d more", s.badCount-len(s.badRows))
		}
		if s.badCount == 1 {
			w = append(w, fmt.Sprintf("row %s is not valid UTF-8; its odd characters were read as Windows-1252", nums[0]))
		} else {
			w = append(w, fmt.Sprintf("rows %s%s are not valid UTF-8; their odd characters were read as Windows-1252", strings.Join(nums, ", "), more))
		}
	}
	return w
}

func (s *csvSource) sheet() string { return "" }

func (s *csvSource) close() error { return nil }
