// Package sheet reads the spreadsheets admins import, CSV or XLSX, in any of
// the templates SPEC §4 names, as a stream of importer.Rows. It also writes
// our own template and generated rosters.
package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"userimport/importer"
)

// Options say how to read a file. The zero value reads the first worksheet,
// sniffs the delimiter, detects the encoding and limits an XLSX to 256 MiB
// uncompressed.
type Options struct {
	Sheet        string // --sheet: worksheet name; "" = first worksheet
	Delimiter    rune   // --delimiter; 0 = sniff from the header line among , ; TAB |
	Encoding     string // --encoding: "" = detect; utf-8, utf-16le, utf-16be, windows-1252 (cp1252, latin1)
	MaxUnzipSize int64  // XLSX uncompressed-size limit; 0 = DefaultMaxUnzipSize

	// Rename maps a feed's header names to ours (--map, SPEC §12), before
	// the header is matched: "WorkerID" → "Employee ID". Names are matched
	// as header names are, without regard to case, spaces or punctuation.
	Rename map[string]string
	// UserNameOptional lets a file without a User Name column be read (a
	// feed makes user names from a pattern).
	UserNameOptional bool
}

// DefaultMaxUnzipSize is the uncompressed size an XLSX may unpack to when
// Options.MaxUnzipSize is 0.
const DefaultMaxUnzipSize = 256 << 20

// source is a file's records, CSV or XLSX.
type source interface {
	// next returns the next record's cells and its row number as a
	// spreadsheet shows it; io.EOF at the end. The cells are valid until
	// the next call.
	next() (cells []string, number int, err error)
	warnings() []string
	// sheet is the name of the worksheet read, "" for CSV.
	sheet() string
	close() error
}

// Reader streams the data rows of a file. It is not safe for concurrent use.
type Reader struct {
	in       *input
	src      source
	header   []string
	index    [importer.NumColumns]int
	warnings []string
	opts     Options
}

// Open tells the type of the file at path by its content (XLSX: a zip with a
// workbook part; otherwise CSV text), reads it up to and including the
// header row and maps the header to our columns.
//
// Only a regular file is read (a symlink is followed to one): a directory,
// a device such as /dev/zero or a FIFO is refused without reading from it.
// The file is read through the one descriptor Open opens, up to the size it
// had then.
//
// A file that cannot be read as asked returns an *importer.Error with code
// importer.EINVALID whose message says what to do: legacy .xls, .ods, other
// zips and binary files are to be saved as .xlsx or .csv; a header without
// a User Name column is named with the headers found.
func Open(path string, opts Options) (*Reader, error) {
	in, err := openInput(path)
	if err != nil {
		return nil, err
	}
	src, err := openSource(in, opts)
	if err != nil {
		in.close()
		return nil, err
	}
	r := &Reader{in: in, src: src, opts: opts}
	if err := r.readHeader(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// openInput opens the regular file at path. It opens without blocking, so
// that a FIFO with no writer does not hang the open, and asks the opened
// descriptor what it is, so that the file checked is the file read.
func openInput(path string) (*input, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, importer.Errorf(importer.EINVALID, "cannot open the file: %v", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, importer.Errorf(importer.EINVALID, "cannot open the file: %v", err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, importer.Errorf(importer.EINVALID, "%s is %s, not a .xlsx or .csv file: give the path of a regular file", path, fileKind(st.Mode()))
	}
	return newInput(f, st.Size()), nil
}

// fileKind names what a file that is not a regular file is.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "not a regular file"
}

func openSource(in *input, opts Options) (source, error) {
	head := make([]byte, 8)
	n, _ := in.f.ReadAt(head, 0)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return nil, importer.Errorf(importer.EINVALID,
			"the file is a legacy Excel 97-2003 workbook (.xls) or a password-protected workbook, which cannot be read: open it in Excel, remove any password, and save it as .xlsx or .csv")
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		ra := in.readerAt()
		if err := checkZip(ra, in.size); err != nil {
			return nil, err
		}
		return openXLSX(ra, in.size, opts)
	}
	return openCSV(in, opts)
}

// checkZip tells a workbook from the other zips: OpenDocument spreadsheets,
// binary workbooks and anything else are refused.
func checkZip(f io.ReaderAt, size int64) error {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return importer.Errorf(importer.EINVALID,
			"the file is a damaged or incomplete .xlsx (or zip) file (%v): download or save it again as .xlsx or .csv", err)
	}
	var workbook, binary bool
	for _, zf := range zr.File {
		name := strings.ToLower(strings.ReplaceAll(zf.Name, `\`, "/"))
		switch name {
		case "mimetype":
			if isODS(zf) {
				return importer.Errorf(importer.EINVALID,
					"the file is an OpenDocument spreadsheet (.ods): open it and save it as .xlsx or .csv")
			}
		case "xl/workbook.xml":
			workbook = true
		case "xl/workbook.bin":
			binary = true
		}
	}
	switch {
	case workbook:
		return nil
	case binary:
		return importer.Errorf(importer.EINVALID,
			"the file is an Excel binary workbook (.xlsb): open it in Excel and save it as .xlsx or .csv")
	}
	return importer.Errorf(importer.EINVALID,
		"the file is a zip archive but not an Excel workbook: save the spreadsheet as .xlsx or .csv")
}

func isODS(zf *zip.File) bool {
	rc, err := zf.Open()
	if err != nil {
		return false
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 128))
	return strings.HasPrefix(string(b), "application/vnd.oasis.opendocument")
}

// readHeader reads up to the header row: the first non-blank row that is not
// the Entra template's version line.
func (r *Reader) readHeader() error {
	for {
		cells, _, err := r.src.next()
		if errors.Is(err, io.EOF) {
			if sheet := r.src.sheet(); sheet != "" {
				return importer.Errorf(importer.EINVALID,
					"worksheet %q has no header row: it is empty (the first row must name the columns, e.g. %q); if the users are on another worksheet, name it with --sheet", sheet, importer.ColUserName.String())
			}
			return importer.Errorf(importer.EINVALID,
				"the file has no header row: it is empty (the first row must name the columns, e.g. %q)", importer.ColUserName.String())
		}
		if err != nil {
			return err
		}
		if isBlank(cells) || isVersionLine(cells) {
			continue
		}
		r.header = make([]string, len(cells))
		for i, c := range cells {
			r.header[i] = trimCell(c)
		}
		var warnings []string
		r.index, warnings = mapHeader(renamed(r.header, r.opts.Rename))
		if r.index[importer.ColUserName] < 0 && !r.opts.UserNameOptional {
			return missingColumnError(importer.ColUserName, r.header, r.src.sheet())
		}
		r.warnings = append(r.warnings, warnings...)
		if h, ok := r.src.(interface{ headerRead(width int) }); ok {
			width := 0
			for i, c := range r.header {
				if c != "" {
					width = i + 1
				}
			}
			h.headerRead(width)
		}
		return nil
	}
}

// Next returns the next data row, its cells trimmed and placed by column;
// rows whose cells in our columns are all blank are skipped (their numbers
// are not reused). It returns io.EOF after the last row.
//
// A row with a formula never calculated in one of our columns (a workbook
// written by a program, not saved by a spreadsheet) is returned with its
// Problem saying so, even when its other cells are blank.
//
// A row that cannot be read (broken quoting, a damaged worksheet) returns an
// *importer.Error with code importer.EINVALID that names the row; Next may
// be called again to go on with the rows after it.
func (r *Reader) Next() (importer.Row, error) {
	for {
		cells, number, err := r.src.next()
		if err != nil {
			return importer.Row{Number: number}, err
		}
		row := importer.Row{Number: number}
		blank := true
		for c, i := range r.index {
			if i >= 0 && i < len(cells) {
				v := trimCell(cells[i])
				row.Cells[c] = v
				if v != "" {
					blank = false
				}
			}
		}
		if u, ok := r.src.(interface{ uncalculated() []int }); ok && len(u.uncalculated()) > 0 {
			if p := r.uncalculatedProblem(u.uncalculated(), number); p != "" {
				row.Problem = p
				return row, nil
			}
		}
		if !blank {
			return row, nil
		}
	}
}

// uncalculatedProblem is the problem of row number whose cells at cells
// hold a formula never calculated, when any of them is in our columns: the
// cell reads as blank, which is not what the file says.
func (r *Reader) uncalculatedProblem(cells []int, number int) string {
	var names []string
	for _, i := range cells {
		for c, at := range r.index {
			if at == i {
				names = append(names, fmt.Sprintf("%s (cell %s%d)", importer.Column(c), columnLetters(i), number))
			}
		}
	}
	if len(names) == 0 {
		return ""
	}
	return strings.Join(names, ", ") + ": holds a formula that was never calculated, so the file has no value for it: open the file in Excel or LibreOffice, save it, and import it again"
}

// Has reports whether the header had column c.
func (r *Reader) Has(c importer.Column) bool {
	return int(c) >= 0 && int(c) < importer.NumColumns && r.index[c] >= 0
}

// Sheet returns the name of the worksheet read, "" for a CSV file: header
// errors name it, with --sheet to read another.
func (r *Reader) Sheet() string { return r.src.sheet() }

// Header returns the header row's cells as found, trimmed.
func (r *Reader) Header() []string { return r.header }

// Warnings returns what the admin should know about how the file was read:
// ignored or duplicate columns, the encoding guessed, rows read as
// Windows-1252. Warnings about rows grow while rows are read: ask again
// after the last Next.
func (r *Reader) Warnings() []string {
	return append(append([]string(nil), r.warnings...), r.src.warnings()...)
}

// Size returns the size of the file in bytes, as it was when Open opened
// it; no more than that is read.
func (r *Reader) Size() int64 { return r.in.size }

// SHA256 returns the SHA-256 of the file's bytes (its first Size bytes), in
// lower-case hex. A CSV file is hashed as its bytes are read, so after the
// last Next it costs nothing; an XLSX file, which is read out of order, is
// hashed in one pass over the open file when SHA256 is first called. Called
// before the end, SHA256 hashes the rest of the file without disturbing
// the reading. The error is a read error of the file.
func (r *Reader) SHA256() (string, error) { return r.in.sum() }

// Close releases the file and any temporary files.
func (r *Reader) Close() error {
	err := r.src.close()
	if cerr := r.in.close(); err == nil {
		err = cerr
	}
	return err
}
