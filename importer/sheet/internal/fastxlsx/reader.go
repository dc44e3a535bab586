// Package fastxlsx is the fast XLSX reader of package sheet: it streams a
// worksheet straight from the zip through its own XML scanner and gives
// exactly the cells the excelize reader of package sheet gives, or refuses
// with an error wrapping ErrNoFastPath, and sheet reads the workbook with
// excelize. It also holds the rules both readers follow (rules.go).
package fastxlsx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"

	"userimport/importer"
)

// The fast XLSX reader.
//
// excelize decodes every cell of a worksheet with encoding/xml, which costs
// most of an import's time. The fast reader streams the worksheet part
// straight from the zip through xmlScanner and gives exactly the cells and
// row numbers the excelize reader (package sheet, xlsx.go) gives, or it
// does not read the workbook at all:
//
//   - What decides how cells render is read by excelize itself: the sheet
//     list, the 1904 date system, and the styles after
//     NormalizeNumberFormats, from a copy of the workbook's small parts (no
//     worksheets, no shared strings). The worksheet part is found from
//     xl/workbook.xml and its relationships as excelize finds it.
//   - Each style's number format is rendered as excelize does (cellStyles):
//     General, dates (as yyyy-mm-dd after normalizing), text "@" and zero
//     padding such as 00000 here; any other format without a text section
//     (currency, percent, 0.00, ZIP+4, fractions, times) by excelize, number
//     by number. A format with a text section leaves the workbook to
//     excelize.
//   - The shared strings are read whole when the worksheet is opened;
//     anything in them the fast reader does not read exactly as excelize
//     would, including what excelize would refuse, leaves the workbook to
//     excelize. So does a strict-namespace (ISO 29500 strict) workbook, a
//     part declared in an encoding other than UTF-8, and a workbook laid
//     out other than xl/workbook.xml.
//   - Rows and cells are read by sheetRows and readCell, which follow
//     excelize's Rows.Next, Rows.Columns and its cell decoding step by step:
//     rows by number with empty rows for the gaps, cells placed by their
//     reference or after the previous one, formula results, inline and
//     rich text, and excelize's own quirks.
//
// Where the two readers differ, the excelize reader fails and the fast
// reader does better: a worksheet whose XML is damaged is an error for the
// row where the damage is (excelize ends the sheet there without a word);
// a damaged zip entry is an error for the row where reading stops
// (excelize refuses the whole workbook); the limit on the unpacked size
// is checked on the sizes the zip declares without excelize's overflow,
// and counted on the bytes actually unpacked; and the workbook parts the
// fast reader has no use for (a calculation chain, images, other sheets)
// are not read, so damage there does not stop it. Both readers stop at
// row 1,048,576 and turn a panic in excelize into a damaged row.

// ErrNoFastPath wraps the reasons a workbook is left to the excelize reader.
var ErrNoFastPath = errors.New("the fast reader cannot read this workbook as excelize does")

func noFastPath(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNoFastPath, fmt.Sprintf(format, args...))
}

const mainNamespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

// Options say which worksheet to read and the limit on the unpacked size.
type Options struct {
	Sheet string // "" = the first worksheet
	Limit int64  // the most bytes the workbook may unpack to; > 0
}

// Reader streams a worksheet's rows with xmlScanner. It is not safe for
// concurrent use.
type Reader struct {
	name   string         // the worksheet's
	book   *excelize.File // its small parts, which render some cells
	part   io.ReadCloser
	rows   *sheetRows
	number int
	done   bool
}

// Open opens the worksheet opts choose of the workbook ra holds. It
// returns an error wrapping ErrNoFastPath when the excelize reader must
// read the workbook, and otherwise the errors the excelize reader would
// return for a workbook too large unpacked or without the sheet asked for.
// ra must stay readable until Close.
func Open(ra io.ReaderAt, size int64, opts Options) (*Reader, error) {
	archive, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, noFastPath("%v", err)
	}
	return openFastArchive(archive, opts)
}

func openFastArchive(archive *zip.Reader, opts Options) (*Reader, error) {
	// excelize refuses a workbook by the sizes its zip directory declares,
	// before it unpacks anything: so does this reader (in uint64, where
	// excelize's int64 sum lets a size past 2^63 through), and it counts
	// what it unpacks too.
	limit := opts.Limit
	var declared uint64
	for _, zf := range archive.File {
		declared += zf.UncompressedSize64
		if zf.UncompressedSize64 > uint64(limit) || declared > uint64(limit) {
			return nil, ZipBombError(limit)
		}
	}
	return openFastParts(archive, opts, &unzipBudget{left: limit})
}

// openFastParts opens the workbook's worksheet, unpacking its parts
// through budget.
func openFastParts(archive *zip.Reader, opts Options, budget *unzipBudget) (*Reader, error) {
	parts, err := indexParts(archive.File)
	if err != nil {
		return nil, err
	}
	book, small, err := readBook(parts, budget)
	if err != nil {
		return nil, err
	}
	src, err := openFastSheet(parts, small, book, opts, budget)
	if err != nil {
		book.Close()
		return nil, err
	}
	return src, nil
}

// openFastSheet opens the worksheet opts choose of book, whose small parts
// are small; book renders the cells of some styles, and is closed with the
// source.
func openFastSheet(parts map[string]*zip.File, small map[string][]byte, book *excelize.File, opts Options, budget *unzipBudget) (*Reader, error) {
	name, err := ChooseSheet(book.GetSheetList(), opts.Sheet)
	if err != nil {
		return nil, err
	}
	if err := NormalizeNumberFormats(book); err != nil {
		return nil, noFastPath("styles: %v", err)
	}
	sheetPart, err := worksheetPart(parts, small, book, name)
	if err != nil {
		return nil, err
	}
	styles, err := newCellStyles(book)
	if err != nil {
		return nil, err
	}
	sst, err := readSharedStrings(parts, budget, XMLPartLimit(opts.Limit))
	if err != nil {
		return nil, err
	}
	rc, err := sheetPart.Open()
	if err != nil {
		return nil, noFastPath("worksheet: %v", err)
	}
	sc := newXMLScanner(budget.reader(rc))
	if !sc.utf8() {
		rc.Close()
		return nil, noFastPath("the worksheet is not encoded as UTF-8")
	}
	return &Reader{
		name: name,
		part: rc,
		book: book,
		rows: &sheetRows{sc: sc, cells: cellRenderer{sst: sst, styles: styles}},
	}, nil
}

// Next returns the next row's cells, valid until the next call, and its
// number; io.EOF at the end. It follows the excelize reader: the same
// rows, numbers and errors (an *importer.Error EINVALID naming the row).
func (s *Reader) Next() ([]string, int, error) {
	if s.done {
		return nil, s.number, io.EOF
	}
	ok, err := s.rows.next()
	if err != nil {
		s.done = true
		return nil, s.number + 1, readError(PastRowError(s.number, err), err, s.number+1)
	}
	if !ok {
		if s.rows.err != nil {
			return nil, s.number + 1, PastRowError(s.number, s.rows.err)
		}
		return nil, s.number, io.EOF
	}
	s.number++
	if s.number > excelize.TotalRows {
		s.done = true
		return nil, s.number, PastRowError(s.number-1, excelize.ErrMaxRows)
	}
	cells, err := s.rows.columns()
	if err != nil {
		if broken, ok := err.(*brokenSheetError); ok {
			s.done = true
			return nil, s.number, readError(DamagedRowError(s.number, broken.err), broken.err, s.number)
		}
		return nil, s.number, DamagedRowError(s.number, err)
	}
	for i, c := range cells {
		cells[i] = PlainInteger(c)
	}
	return cells, s.number, nil
}

// readError is err, or the zip-bomb error for row when reading stopped at
// the limit on the unpacked size.
func readError(err, cause error, row int) error {
	var over *overLimitError
	if errors.As(cause, &over) {
		return importer.Errorf(importer.EINVALID, "row %d: %s", row, zipBombMessage(over.limit))
	}
	return err
}

// Warnings tells of a worksheet cut short where excelize stops reading
// without a word (see decodeBoolProperty).
func (s *Reader) Warnings() []string {
	if !s.rows.sc.cut {
		return nil
	}
	return []string{fmt.Sprintf("the worksheet is damaged after row %d (the formatting of a text in it), and any rows after it were not read: open it in Excel and save it again", s.number)}
}

// Sheet returns the name of the worksheet read.
func (s *Reader) Sheet() string { return s.name }

// Uncalculated returns the indexes of the cells of the last row that hold
// a formula with no value saved: a file written by a program that does not
// calculate (a script, a library), never opened and saved in a
// spreadsheet. The excelize reader cannot tell them from blank cells.
func (s *Reader) Uncalculated() []int { return s.rows.uncalc }

// Close releases the worksheet.
func (s *Reader) Close() error {
	err := s.part.Close()
	if cerr := s.book.Close(); err == nil {
		err = cerr
	}
	return err
}

// indexParts names the zip's files as excelize does: backslashes read as
// slashes, and the content types and shared strings parts found whatever
// their case. A name given twice leaves the workbook to excelize, which
// would keep the last.
func indexParts(files []*zip.File) (map[string]*zip.File, error) {
	parts := make(map[string]*zip.File, len(files))
	for _, zf := range files {
		name := strings.ReplaceAll(zf.Name, `\`, "/")
		switch strings.ToLower(name) {
		case "[content_types].xml":
			name = "[Content_Types].xml"
		case "xl/sharedstrings.xml":
			name = "xl/sharedStrings.xml"
		}
		if _, dup := parts[name]; dup {
			return nil, noFastPath("the zip holds %s twice", name)
		}
		parts[name] = zf
	}
	return parts, nil
}

// bookParts are the parts excelize reads to open a workbook and to render
// its cells (other than the cells themselves).
var bookParts = []string{
	"[Content_Types].xml",
	"_rels/.rels",
	"xl/workbook.xml",
	"xl/_rels/workbook.xml.rels",
	"xl/styles.xml",
	"xl/theme/theme1.xml",
}

// readBook opens with excelize a copy of the workbook holding only
// bookParts, unpacked through budget, so that the sheet list, the date
// system and the styles are excelize's own without excelize unpacking the
// worksheets. It returns the parts it copied too.
func readBook(parts map[string]*zip.File, budget *unzipBudget) (*excelize.File, map[string][]byte, error) {
	small := make(map[string][]byte, len(bookParts))
	var copied bytes.Buffer
	zw := zip.NewWriter(&copied)
	for _, name := range bookParts {
		zf, ok := parts[name]
		if !ok {
			continue
		}
		data, err := budget.readAll(zf)
		if err != nil {
			return nil, nil, err
		}
		if bytes.Contains(data, []byte("purl.oclc.org")) {
			return nil, nil, noFastPath("%s uses the strict namespaces", name)
		}
		small[name] = data
		w, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zip.Store})
		if err == nil {
			_, err = w.Write(data)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("sheet: copy workbook parts: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, nil, fmt.Errorf("sheet: copy workbook parts: %w", err)
	}
	// excelize finds the workbook part from the package's relationships.
	var root relationships
	if err := readRelationships(small, "_rels/.rels", &root); err != nil {
		return nil, nil, err
	}
	workbook := ""
	for _, rel := range root.Relationship {
		if rel.Type == officeDocument {
			workbook = strings.TrimPrefix(rel.Target, "/")
			break
		}
	}
	if workbook != "xl/workbook.xml" {
		return nil, nil, noFastPath("the workbook part is %q", workbook)
	}
	book, err := excelize.OpenReader(&copied, excelize.Options{
		UnzipSizeLimit:    budget.limit(),
		UnzipXMLSizeLimit: XMLPartLimit(budget.limit()),
	})
	if err != nil {
		return nil, nil, noFastPath("workbook: %v", err)
	}
	return book, small, nil
}

// relationships is a part's relationships, as excelize reads them.
type relationships struct {
	XMLName      xml.Name `xml:"http://schemas.openxmlformats.org/package/2006/relationships Relationships"`
	Relationship []struct {
		ID     string `xml:"Id,attr"`
		Target string `xml:",attr"`
		Type   string `xml:",attr"`
	}
}

const officeDocument = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"

// worksheetPart finds the part of sheet name as excelize's getSheetMap and
// getSheetXMLPath do, for the workbook part xl/workbook.xml.
func worksheetPart(parts map[string]*zip.File, small map[string][]byte, book *excelize.File, name string) (*zip.File, error) {
	var rels relationships
	if err := readRelationships(small, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, err
	}
	var id string
	same := 0
	for _, sh := range book.WorkBook.Sheets.Sheet {
		if strings.EqualFold(sh.Name, name) {
			id = sh.ID
			same++
		}
	}
	if same != 1 {
		// excelize would pick one of them at random.
		return nil, noFastPath("%d worksheets are named %q", same, name)
	}
	var part *zip.File
	for _, rel := range rels.Relationship {
		if rel.ID != id {
			continue
		}
		if zf, ok := parts[worksheetPath(rel.Target)]; ok {
			part = zf
		}
	}
	if part == nil {
		return nil, noFastPath("worksheet %q has no part", name)
	}
	return part, nil
}

// worksheetPath is excelize's getWorksheetPath for the workbook part
// xl/workbook.xml: a relationship's target made a part name.
func worksheetPath(target string) string {
	if strings.HasPrefix(target, "/") {
		return filepath.ToSlash(strings.TrimPrefix(strings.ReplaceAll(filepath.Clean(target), `\`, "/"), "/"))
	}
	return filepath.ToSlash(strings.TrimPrefix(strings.ReplaceAll(filepath.Clean("xl/"+target), `\`, "/"), "/"))
}

// readRelationships decodes a relationships part as excelize's relsReader
// does.
func readRelationships(small map[string][]byte, name string, rels *relationships) error {
	if err := xml.Unmarshal(small[name], rels); err != nil && !errors.Is(err, io.EOF) {
		return noFastPath("%s: %v", name, err)
	}
	return nil
}

// unzipBudget counts the bytes unpacked from a workbook against the limit
// on its unpacked size. A zip's directory may understate its files' sizes;
// the count does not rely on it.
type unzipBudget struct {
	left, used int64
}

func (b *unzipBudget) limit() int64 { return b.left + b.used }

// overLimitError is a read stopped by the limit on the unpacked size.
type overLimitError struct{ limit int64 }

func (e *overLimitError) Error() string {
	return fmt.Sprintf("the workbook unpacks to more than %s", sizeText(e.limit))
}

func (b *unzipBudget) reader(r io.Reader) io.Reader { return &budgetReader{r: r, budget: b} }

type budgetReader struct {
	r      io.Reader
	budget *unzipBudget
}

func (r *budgetReader) Read(p []byte) (int, error) {
	if r.budget.left <= 0 {
		// A byte past the limit tells a part that ends exactly at it from
		// one that goes on.
		var one [1]byte
		n, err := r.r.Read(one[:])
		if n > 0 {
			return 0, &overLimitError{limit: r.budget.limit()}
		}
		return 0, err
	}
	if int64(len(p)) > r.budget.left {
		p = p[:r.budget.left]
	}
	n, err := r.r.Read(p)
	r.budget.left -= int64(n)
	r.budget.used += int64(n)
	return n, err
}

// readAll unpacks a small part whole.
func (b *unzipBudget) readAll(zf *zip.File) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, noFastPath("%s: %v", zf.Name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(b.reader(rc))
	var over *overLimitError
	switch {
	case errors.As(err, &over):
		return nil, ZipBombError(over.limit)
	case err != nil:
		return nil, noFastPath("%s: %v", zf.Name, err)
	}
	return data, nil
}
