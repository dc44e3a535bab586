package sheet

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"userimport/importer"
)

// openXLSX opens a workbook's worksheet. The fast reader (xlsxfast.go)
// reads it when it can give exactly the cells the excelize reader would;
// the excelize reader reads the other workbooks.
func openXLSX(ra io.ReaderAt, size int64, opts Options) (source, error) {
	src, err := openFastXLSX(ra, size, opts)
	if errors.Is(err, errNoFastPath) {
		return openExcelizeXLSX(io.NewSectionReader(ra, 0, size), opts)
	}
	return src, err
}

// xlsxSource streams a worksheet's rows with excelize's Rows iterator: the
// worksheet part is decoded as it is read, never held whole.
type xlsxSource struct {
	f      *excelize.File
	rows   *excelize.Rows
	name   string // the worksheet's
	number int
	done   bool
}

// openExcelizeXLSX opens the workbook r holds with excelize, which reads
// it into memory whole (as excelize.OpenFile does too).
func openExcelizeXLSX(r io.Reader, opts Options) (source, error) {
	limit := unzipLimit(opts)
	// Parts larger than UnzipXMLSizeLimit are unpacked to a temporary file
	// and streamed from there rather than held in memory.
	f, err := excelize.OpenReader(r, excelize.Options{
		UnzipSizeLimit:    limit,
		UnzipXMLSizeLimit: xmlPartLimit(limit),
	})
	if err != nil {
		if f != nil {
			f.Close()
		}
		if strings.Contains(err.Error(), "unzip size") || strings.Contains(err.Error(), "exceeds") {
			return nil, zipBombError(limit)
		}
		return nil, importer.Errorf(importer.EINVALID,
			"the workbook is damaged and cannot be read (%v): open it in Excel and save it again as .xlsx or .csv", err)
	}
	name, err := chooseSheet(f.GetSheetList(), opts.Sheet)
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &xlsxSource{f: f, name: name}
	if err := normalizeNumberFormats(f); err != nil {
		f.Close()
		return nil, stylesError(err)
	}
	s.rows, err = f.Rows(name)
	if err != nil {
		f.Close()
		return nil, importer.Errorf(importer.EINVALID, "worksheet %q cannot be read (%v): is it a chart sheet? Save the data as .xlsx or .csv", name, err)
	}
	return s, nil
}

// unzipLimit is the uncompressed size opts allow a workbook.
func unzipLimit(opts Options) int64 {
	if opts.MaxUnzipSize > 0 {
		return opts.MaxUnzipSize
	}
	return DefaultMaxUnzipSize
}

// xmlPartLimit is the size above which excelize spills a part to a
// temporary file rather than hold it in memory; it also changes how
// excelize looks up shared strings (see sharedStrings).
func xmlPartLimit(limit int64) int64 { return min(limit, 16<<20) }

func zipBombError(limit int64) error {
	return importer.Errorf(importer.EINVALID, "%s", zipBombMessage(limit))
}

func zipBombMessage(limit int64) string {
	return fmt.Sprintf("the workbook unpacks to more than %s, the limit for an .xlsx file: it may be a zip bomb; if it is a genuine workbook, save it as .csv", sizeText(limit))
}

func stylesError(err error) error {
	return importer.Errorf(importer.EINVALID, "the workbook's styles are damaged (%v): open it in Excel and save it again as .xlsx or .csv", err)
}

// chooseSheet picks the worksheet to read from the workbook's sheets: the
// first, or the one named want (exactly, else ignoring case).
func chooseSheet(sheets []string, want string) (string, error) {
	if len(sheets) == 0 {
		return "", importer.Errorf(importer.EINVALID, "the workbook has no worksheet: save it again as .xlsx or .csv")
	}
	if want == "" {
		return sheets[0], nil
	}
	name := ""
	for _, sh := range sheets {
		if sh == want || name == "" && strings.EqualFold(sh, want) {
			name = sh
		}
	}
	if name == "" {
		quoted := make([]string, len(sheets))
		for i, sh := range sheets {
			quoted[i] = fmt.Sprintf("%q", sh)
		}
		return "", importer.Errorf(importer.EINVALID, "the workbook has no worksheet %q; its worksheets are: %s", want, strings.Join(quoted, ", "))
	}
	return name, nil
}

func sizeText(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// normalizeNumberFormats makes excelize render cells as SPEC §4 wants them
// read: it renders each cell with the number format of its style, and the
// formats are rewritten here once per style rather than looked up per cell.
// Date formats become yyyy-mm-dd. General and scientific formats get
// generalNumFmtID, a number format excelize does not know, so that it
// gives the number as it reads it (at most 15 significant digits, no float
// noise: 98052.00000000001 is 98052) rather than as General shows it in a
// narrow column (4.917012346E+11 for a phone number); plainInteger then
// writes out the integers it still gives with an exponent. Other formats
// (zero padding such as 00000, text, currency, percent) are kept: the cell
// reads as the admin sees it.
func normalizeNumberFormats(f *excelize.File) error {
	var kinds []formatKind
	for i := 0; ; i++ {
		st, err := f.GetStyle(i)
		if err != nil {
			break
		}
		code := ""
		if st.CustomNumFmt != nil {
			code = *st.CustomNumFmt
		}
		kinds = append(kinds, classifyFormat(st.NumFmt, code))
	}
	if f.Styles == nil || f.Styles.CellXfs == nil {
		return nil
	}
	if f.Styles.NumFmts != nil {
		for _, nf := range f.Styles.NumFmts.NumFmt {
			if nf.NumFmtID == generalNumFmtID {
				return fmt.Errorf("number format %d is taken", generalNumFmtID)
			}
		}
	}
	var dateID *int
	for i, k := range kinds {
		if i >= len(f.Styles.CellXfs.Xf) {
			break
		}
		switch k {
		case formatDate:
			if dateID == nil {
				iso := "yyyy-mm-dd"
				id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &iso})
				if err != nil {
					return err
				}
				dateID = f.Styles.CellXfs.Xf[id].NumFmtID
			}
			f.Styles.CellXfs.Xf[i].NumFmtID = dateID
		case formatGeneral:
			general := generalNumFmtID
			f.Styles.CellXfs.Xf[i].NumFmtID = &general
		}
	}
	return nil
}

// generalNumFmtID is the number format normalizeNumberFormats gives the
// General and scientific styles: an id neither built in nor, in any
// workbook seen, custom (those start at 164).
const generalNumFmtID = 1 << 30

// plainInteger is how both readers write a number excelize gives with an
// exponent because it has more than 15 digits (1.23456789012346E+15): as
// the integer it is once rounded to 15 significant digits
// (1234567890123460), up to 10^21; other text is returned as it is. It
// cannot tell a number from a text cell that reads exactly like one in
// that form, and writes both out.
func plainInteger(s string) string {
	i := strings.IndexByte(s, 'E')
	if i < 0 || i+2 >= len(s) || s[i+1] != '+' {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1e21 {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

type formatKind int

const (
	formatOther   formatKind = iota
	formatDate               // rendered as yyyy-mm-dd
	formatGeneral            // General or scientific: the number as it is
)

// classifyFormat tells dates, General and scientific notation from the
// other number formats, by built-in id or by the letters of a custom format
// code outside its quoted text, escapes and [bracketed] parts. Two kinds
// of format that excelize renders wrongly are read as General too.
func classifyFormat(id int, code string) formatKind {
	if code == "" {
		switch id {
		case 14, 15, 16, 17, 22, 27, 28, 29, 30, 31, 34, 35, 36, 50, 51, 52, 53, 54, 57, 58:
			return formatDate
		case 0, 11, 48:
			return formatGeneral
		}
		return formatOther
	}
	var b strings.Builder
	quoted, bracket := false, false
	runes := []rune(code)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case quoted:
			quoted = r != '"'
		case bracket:
			bracket = r != ']'
		case r == '"':
			quoted = true
		case r == '[':
			bracket = true
		case r == '\\' || r == '_' || r == '*':
			i++
		default:
			b.WriteRune(r)
		}
	}
	c := strings.ToLower(b.String())
	switch {
	case strings.Contains(c, "e+") || strings.Contains(c, "e-"), c == "general":
		return formatGeneral
	case strings.Contains(code, "[<") || strings.Contains(code, "[>") || strings.Contains(code, "[="):
		// A condition, as in the phone format
		// [<=9999999]###-####;(###) ###-####: excelize ignores it and
		// renders 4255550100 as 425555-0100. The number is the phone.
		return formatGeneral
	case strings.Trim(c, "; ") == "":
		// Only text in quotes, as in LibreOffice's booleans
		// "TRUE";"TRUE";"FALSE": excelize never uses a zero section and
		// reads 0 as TRUE. 1 and 0 are read as the booleans they are.
		return formatGeneral
	case strings.ContainsAny(c, "yd"):
		return formatDate
	}
	return formatOther
}

func (s *xlsxSource) next() (cells []string, number int, err error) {
	if s.done {
		return nil, s.number, io.EOF
	}
	// excelize indexes its shared strings with the cell's number as it
	// stands when they are spilled to a temporary file, and panics on a
	// negative one: that row is damaged, not the program.
	defer func() {
		if p := recover(); p != nil {
			cells, number, err = nil, s.number, damagedRowError(s.number, fmt.Errorf("%v", p))
		}
	}()
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, s.number + 1, pastRowError(s.number, err)
		}
		return nil, s.number, io.EOF
	}
	s.number++
	if s.number > excelize.TotalRows {
		// excelize counts on past a row number out of range; a worksheet
		// ends at TotalRows.
		s.done = true
		return nil, s.number, pastRowError(s.number-1, excelize.ErrMaxRows)
	}
	cells, err = s.rows.Columns()
	if err != nil {
		return nil, s.number, damagedRowError(s.number, err)
	}
	for i, c := range cells {
		cells[i] = plainInteger(c)
	}
	return cells, s.number, nil
}

func pastRowError(last int, err error) error {
	return importer.Errorf(importer.EINVALID, "row %d: the worksheet cannot be read past row %d: %v", last+1, last, err)
}

func damagedRowError(number int, err error) error {
	return importer.Errorf(importer.EINVALID, "row %d: the worksheet is damaged here and the row cannot be read: %v", number, err)
}

func (s *xlsxSource) warnings() []string { return nil }

func (s *xlsxSource) sheet() string { return s.name }

func (s *xlsxSource) close() error {
	err := s.rows.Close()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, excelize.ErrMaxRows) {
		return nil
	}
	return err
}
