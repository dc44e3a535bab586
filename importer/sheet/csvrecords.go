package sheet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// recordReader reads CSV records as Excel opens a CSV file, not as RFC 4180
// or encoding/csv do:
//
//   - a cell that does not start with " is read as it is, quotes and all
//     (5'10", Bo "the" Builder);
//   - a cell that starts with " is quoted: "" is a quote, and it may span
//     lines (CRLF in it is read as LF); after its closing quote, whatever
//     comes up to the next delimiter is added as it is, so `"Bob" Smith`
//     reads as `Bob Smith` instead of swallowing the rows after it;
//   - each line is a row, a blank line a blank row; a record ends at LF or
//     CRLF outside quotes.
//
// Where Excel would take the rest of the file into one cell, the reader
// reports broken quoting for the row where the quote opened and goes on
// with the lines after that one (see brokenQuote).
type recordReader struct {
	br    *bufio.Reader
	comma []byte

	// width is the number of delimiters a row of the header's width
	// holds (up to its last named column); 0 until the header is known.
	width int
	// maxBytes is the most bytes a record may hold.
	maxBytes int

	line    int      // the file's line number of the last line read
	pending [][]byte // lines to read again, after a broken quote
	lines   [][]byte // the lines of the record being read, in store
	store   []byte   // the bytes of lines; reused for each record
	eof     bool

	buf    []byte // the record's cells, one after the other
	ends   []int  // where each cell ends in buf
	record []string
}

// errRecordTooLong is a record longer than maxBytes.
type errRecordTooLong struct{ line, max int }

func (e *errRecordTooLong) Error() string {
	return fmt.Sprintf("line %d of the file is longer than %d MiB", e.line, e.max>>20)
}

// brokenQuote is a quoted cell that takes in the rows after it: it spans a
// line break followed by a line that looks like a row of the header's
// width (as many delimiters), and it is not closed as a cell is (at the end
// of the file, or with text after its closing quote); or it spans more
// than maxRecordLines lines.
type brokenQuote struct {
	line  int // where the quote opened
	lines int // how many lines it took in
}

func (e *brokenQuote) Error() string {
	return fmt.Sprintf("broken quoting: a quoted cell starting on line %d of the file runs over %d lines, so a \" is probably never closed or a \" inside it is not doubled (\"\")", e.line, e.lines)
}

// read returns the next record, valid until the next call; io.EOF at the
// end. After an *errRecordTooLong or a *brokenQuote, read goes on with the
// next line.
func (r *recordReader) read() ([]string, error) {
	r.store = r.store[:0]
	first, err := r.nextLine(0)
	if err != nil {
		return nil, err
	}
	startLine := r.line
	r.lines = append(r.lines[:0], first)
	r.buf, r.ends = r.buf[:0], r.ends[:0]
	size := len(first)
	line := first
	pos := 0
	lineBreaks := 0
	for {
		// A cell starts at pos.
		if pos < len(line) && line[pos] == '"' {
			pos++
			for {
				i := bytes.IndexByte(line[pos:], '"')
				if i < 0 {
					// The quoted cell goes on to the next line.
					r.buf = append(r.buf, chomp(line[pos:])...)
					if len(line) > 0 && line[len(line)-1] == '\n' {
						r.buf = append(r.buf, '\n')
					}
					next, err := r.nextLine(size)
					if errors.Is(err, io.EOF) {
						if lineBreaks > 0 {
							return nil, r.broken(startLine)
						}
						pos = len(line)
						break
					}
					if err != nil {
						var long *errRecordTooLong
						if errors.As(err, &long) {
							return nil, r.broken(startLine)
						}
						return nil, err
					}
					lineBreaks++
					r.lines = append(r.lines, next)
					if r.rowLike(next) || lineBreaks >= maxRecordLines {
						return nil, r.broken(startLine)
					}
					size += len(next)
					line, pos = next, 0
					continue
				}
				r.buf = append(r.buf, line[pos:pos+i]...)
				pos += i + 1
				if pos < len(line) && line[pos] == '"' {
					r.buf = append(r.buf, '"')
					pos++
					continue
				}
				break
			}
			// After the closing quote, up to the delimiter, as it is.
			end := r.cellEnd(line, pos)
			r.buf = append(r.buf, line[pos:end]...)
			pos = end
		} else {
			end := r.cellEnd(line, pos)
			r.buf = append(r.buf, line[pos:end]...)
			pos = end
		}
		r.ends = append(r.ends, len(r.buf))
		if pos < len(line) && bytes.HasPrefix(line[pos:], r.comma) {
			pos += len(r.comma)
			continue
		}
		break
	}
	all := string(r.buf)
	r.record = r.record[:0]
	start := 0
	for _, end := range r.ends {
		r.record = append(r.record, all[start:end])
		start = end
	}
	return r.record, nil
}

// validUTF8 reports whether every cell of the record read last is valid
// UTF-8: its bytes are, and no cell starts inside a character.
func (r *recordReader) validUTF8() bool {
	if !utf8.Valid(r.buf) {
		return false
	}
	start := 0
	for _, end := range r.ends {
		if start < end && !utf8.RuneStart(r.buf[start]) {
			return false
		}
		start = end
	}
	return true
}

// rowLike reports whether a line that a quoted cell takes in looks like a
// row of the header's width: as many delimiters before its first quote
// (after which, in a cell that goes on over the line, the cell's own row
// goes on).
func (r *recordReader) rowLike(line []byte) bool {
	if r.width == 0 {
		return false
	}
	if i := bytes.IndexByte(line, '"'); i >= 0 {
		line = line[:i]
	}
	return bytes.Count(line, r.comma) >= r.width
}

// cellEnd is where an unquoted cell that starts at pos ends: at the next
// delimiter, or at the end of the line (before its CRLF or LF).
func (r *recordReader) cellEnd(line []byte, pos int) int {
	rest := chomp(line[pos:])
	if i := bytes.Index(rest, r.comma); i >= 0 {
		return pos + i
	}
	return pos + len(rest)
}

// chomp drops a line's LF or CRLF.
func chomp(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// broken returns the broken quoting of the record that started on line
// start, and puts back the lines after its first, to be read again as
// rows.
func (r *recordReader) broken(start int) error {
	e := &brokenQuote{line: start, lines: len(r.lines)}
	if len(r.lines) > 1 {
		back := make([][]byte, 0, len(r.lines)-1+len(r.pending))
		for _, l := range r.lines[1:] {
			back = append(back, bytes.Clone(l)) // store is reused
		}
		r.pending = append(back, r.pending...)
		r.line = start
	}
	r.lines = r.lines[:0]
	return e
}

// nextLine returns the next line of the file with its line break, in
// store; the lines of a record stay valid while it is read, since store is
// only appended to until the next record (an append that moves it leaves
// the earlier lines where they were). A record that would be longer than maxBytes with the
// line (used bytes so far) is an *errRecordTooLong, and the rest of the line
// is skipped without being held.
func (r *recordReader) nextLine(used int) ([]byte, error) {
	if len(r.pending) > 0 {
		l := r.pending[0]
		r.pending = r.pending[1:]
		r.line++
		return l, nil
	}
	if r.eof {
		return nil, io.EOF
	}
	start := len(r.store)
	for {
		chunk, err := r.br.ReadSlice('\n')
		if used+len(r.store)-start+len(chunk) > r.maxBytes {
			r.line++
			n := r.line
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.br.ReadSlice('\n')
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			r.eof = err != nil
			return nil, &errRecordTooLong{line: n, max: r.maxBytes}
		}
		r.store = append(r.store, chunk...)
		line := r.store[start:len(r.store):len(r.store)]
		switch {
		case err == nil:
			r.line++
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			r.eof = true
			if len(line) == 0 {
				return nil, io.EOF
			}
			r.line++
			return line, nil
		default:
			return nil, err
		}
	}
}
