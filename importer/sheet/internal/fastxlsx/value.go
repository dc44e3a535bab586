package fastxlsx

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"github.com/xuri/nfp"
)

// cellKind is a cell's t attribute, as excelize's getValueFrom tells them
// apart.
type cellKind uint8

const (
	cellNumber cellKind = iota // no t, "n", "e" or any other
	cellBool                   // "b"
	cellDate                   // "d": an ISO 8601 date and time
	cellShared                 // "s": an index into the shared strings
	cellString                 // "str": a formula's text result
	cellInline                 // "inlineStr"
)

func cellKindOf(t []byte) cellKind {
	switch string(t) {
	case "b":
		return cellBool
	case "d":
		return cellDate
	case "s":
		return cellShared
	case "str":
		return cellString
	case "inlineStr":
		return cellInline
	}
	return cellNumber
}

// cellRenderer gives a cell's value as excelize's xlsxC.getValueFrom gives
// it, with the number formats NormalizeNumberFormats leaves.
type cellRenderer struct {
	sst    *sharedStrings
	styles *cellStyles
}

// value returns the cell's text. Where getValueFrom returns an error,
// which excelize ignores, value returns "". An error from value is where
// excelize panics.
func (r *cellRenderer) value(c *cellData) (string, error) {
	switch c.kind {
	case cellBool:
		switch string(c.value) {
		case "1":
			return "TRUE", nil
		case "0":
			return "FALSE", nil
		}
		return r.styles.format(string(c.value), c.style, false), nil
	case cellDate:
		return r.styles.format(dateSerial(string(c.value)), c.style, true), nil
	case cellShared:
		if len(c.value) == 0 {
			return r.styles.format("", c.style, false), nil
		}
		s, ok, err := r.sst.item(sharedIndex(c.value))
		if !ok {
			return "", err
		}
		return r.styles.format(s, c.style, false), nil
	case cellString:
		return string(c.value), nil
	case cellInline:
		if c.inline {
			return r.styles.format(c.text.String(), c.style, false), nil
		}
		return r.styles.format(string(c.value), c.style, false), nil
	}
	return r.styles.format(roundNumber(c.value), c.style, true), nil
}

// roundNumber is getValueFrom's reading of a number: at most 15
// significant digits, so 98052.00000000001 is 98052, and no exponent up to
// there.
func roundNumber(v []byte) string {
	if n := len(v); n > 0 && n <= 15 && (v[0] != '0' || n == 1) {
		if _, ok := digits(v); ok {
			return string(v) // already as FormatFloat writes it
		}
	}
	s := string(v)
	if ok, precision, f := isNumeric(s); ok {
		if precision > 15 {
			return strconv.FormatFloat(f, 'G', 15, 64)
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return s
}

// isNumeric is excelize's: whether s is a number, and its significant
// digits as FormatFloat writes them without exponent (a sign counts).
func isNumeric(s string) (bool, int, float64) {
	if strings.Contains(s, "_") {
		return false, 0, 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return false, 0, 0
	}
	n := strconv.FormatFloat(f, 'f', -1, 64)
	return true, len(n) - strings.Count(n, "."), f
}

// sharedIndex reads a shared string cell's value as getValueFrom does:
// strconv.Atoi of the trimmed text, its error ignored.
func sharedIndex(v []byte) int {
	if n, ok := digits(v); ok {
		return n
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(v)))
	return n
}

// dateSerial is getCellDate's reading of a t="d" cell: the serial number
// of an ISO 8601 date and time excelize can parse (counted in the 1900
// date system whatever the workbook's), else the text as it is.
func dateSerial(v string) string {
	layout := "20060102T150405.999"
	if strings.HasSuffix(v, "Z") {
		layout = "20060102T150405Z"
		if strings.Contains(v, "-") {
			layout = "2006-01-02T15:04:05Z"
		}
	} else if strings.Contains(v, "-") {
		layout = "2006-01-02 15:04:05Z"
	}
	t, err := time.Parse(layout, strings.ReplaceAll(v, ",", "."))
	if err != nil {
		return v
	}
	return strconv.FormatFloat(timeToExcelTime(t), 'G', 15, 64)
}

var (
	excelMinTime1900      = time.Date(1899, time.December, 31, 0, 0, 0, 0, time.UTC)
	excelBuggyPeriodStart = time.Date(1900, time.March, 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)
)

// timeToExcelTime is excelize's timeToExcelTime(t, false), which it does
// not export: days since 1899-12-31, counting the 29 February 1900 that
// Lotus 1-2-3 and Excel believe in.
func timeToExcelTime(t time.Time) float64 {
	const (
		day         = 24 * time.Hour
		maxDuration = 290 * 364 * day
	)
	if t.Before(excelMinTime1900) {
		return 0
	}
	tt, diff, result := t, t.Sub(excelMinTime1900), 0.0
	for diff >= maxDuration {
		result += float64(maxDuration / day)
		tt = tt.Add(-maxDuration)
		diff = tt.Sub(excelMinTime1900)
	}
	rem := diff % day
	result += float64(diff-rem)/float64(day) + float64(rem)/float64(day)
	if t.After(excelBuggyPeriodStart) {
		result++
	}
	return result
}

// bstrUnmarshal is excelize's decoding of the _xHHHH_ escapes OOXML uses
// for characters XML cannot hold (_x005F_ is an underscore), applied to
// shared and inline strings.
func bstrUnmarshal(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	cursor := 0
	for i := 0; i+7 <= len(s); {
		if s[i] != '_' || s[i+1] != 'x' || s[i+6] != '_' || !isHex4(s[i+2:i+6]) {
			i++
			continue
		}
		b.WriteString(s[cursor:i])
		if s[i:i+7] == "_x005F_" {
			b.WriteByte('_')
		} else {
			r, _ := strconv.Unquote(`"\u` + s[i+2:i+6] + `"`) // a surrogate reads as nothing
			b.WriteString(r)
		}
		i += 7
		cursor = i
	}
	b.WriteString(s[cursor:])
	return b.String()
}

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// styleKind is a number format the fast reader renders as excelize does.
type styleKind uint8

const (
	styleRaw      styleKind = iota // the value as stored (style 0)
	styleGeneral                   // General and scientific, after NormalizeNumberFormats
	styleText                      // @
	styleDate                      // yyyy-mm-dd, what NormalizeNumberFormats makes of dates
	styleZeros                     // 0, 00000, …: a whole number padded with zeros
	styleExcelize                  // any other format without a text section: excelize renders each number
)

// cellStyles renders values as excelize's formattedValue does with the
// number formats of a workbook's cell styles.
type cellStyles struct {
	kinds    []styleKind // by style index
	widths   []int       // zeros of a styleZeros format
	date1904 bool
	// book renders the numbers of styleExcelize styles, each style in its
	// own cell of a scratch worksheet (cells).
	book  *excelize.File
	cells []string
}

// scratchSheet is the worksheet of book where styleExcelize numbers are
// rendered.
const scratchSheet = "userimport scratch"

// newCellStyles reads book's styles after NormalizeNumberFormats. The
// styles are rendered here, or number by number by book (which must stay
// open as long as the styles are used); a style whose format would change
// text (a text section, as in 0;-0;;@) leaves the workbook to excelize.
func newCellStyles(book *excelize.File) (*cellStyles, error) {
	props, err := book.GetWorkbookProps()
	if err != nil {
		return nil, noFastPath("workbook properties: %v", err)
	}
	st := &cellStyles{date1904: props.Date1904 != nil && *props.Date1904, book: book}
	ss := book.Styles
	if ss == nil || ss.CellXfs == nil {
		return st, nil
	}
	xfs := ss.CellXfs.Xf
	st.kinds, st.widths, st.cells = make([]styleKind, len(xfs)), make([]int, len(xfs)), make([]string, len(xfs))
	for i := 1; i < len(xfs); i++ { // style 0 is never formatted
		id := 0
		if xfs[i].NumFmtID != nil {
			id = *xfs[i].NumFmtID
		}
		code, ok := "", false
		if ss.NumFmts != nil {
			for _, nf := range ss.NumFmts.NumFmt { // getCustomNumFmtCode: the first
				if nf.NumFmtID == id {
					code, ok = nf.FormatCode, true
					if nf.FormatCode16 != "" {
						code = nf.FormatCode16
					}
					break
				}
			}
		}
		if !ok {
			switch id {
			case 0, generalNumFmtID:
				code = "General"
			case 1:
				code = "0"
			case 49:
				code = "@"
			case 41, 42, 43, 44: // accounting: a text section
				return nil, noFastPath("style %d has the built-in number format %d", i, id)
			default:
				if err := st.byExcelize(i); err != nil {
					return nil, err
				}
				continue
			}
		}
		switch {
		case strings.EqualFold(code, "General"):
			st.kinds[i] = styleGeneral
		case code == "@":
			st.kinds[i] = styleText
		case code == "yyyy-mm-dd":
			st.kinds[i] = styleDate
		case code != "" && strings.Trim(code, "0") == "":
			st.kinds[i], st.widths[i] = styleZeros, len(code)
		case hasTextSection(code):
			return nil, noFastPath("style %d has the number format %q", i, code)
		default:
			if err := st.byExcelize(i); err != nil {
				return nil, err
			}
		}
	}
	return st, nil
}

// hasTextSection reports whether excelize's parser finds a section for
// text in a number format: only such a format changes how text reads.
func hasTextSection(code string) bool {
	p := nfp.NumberFormatParser()
	for _, sec := range p.Parse(code) {
		if sec.Type == nfp.TokenSectionText {
			return true
		}
	}
	return false
}

// byExcelize has book render the numbers of style s: a currency, a ZIP+4
// (00000-0000), a phone or SSN format, LibreOffice's booleans
// ("TRUE";"TRUE";"FALSE") are rendered by excelize's own number formatting,
// cell by cell, rather than the workbook being left to the excelize reader
// for one such style.
func (st *cellStyles) byExcelize(s int) error {
	if idx, _ := st.book.GetSheetIndex(scratchSheet); idx < 0 {
		if _, err := st.book.NewSheet(scratchSheet); err != nil {
			return noFastPath("scratch sheet: %v", err)
		}
	}
	cell := "A" + strconv.Itoa(s+1)
	if err := st.book.SetCellStyle(scratchSheet, cell, cell, s); err != nil {
		return noFastPath("style %d: %v", s, err)
	}
	st.kinds[s], st.cells[s] = styleExcelize, cell
	return nil
}

// format is formattedValue for a value of style s; numeric says the cell
// is a number or a date, whose values number formats change (text is
// shown as it is by every styleKind).
func (st *cellStyles) format(v string, s int, numeric bool) string {
	if s <= 0 || s >= len(st.kinds) || !numeric {
		return v
	}
	k := st.kinds[s]
	if k == styleRaw || k == styleText || k == styleGeneral {
		// General: NormalizeNumberFormats has excelize give the number as
		// it reads it.
		return v
	}
	ok, _, number := isNumeric(v)
	if !ok {
		return v
	}
	switch k {
	case styleDate:
		return isoDate(v, number, st.date1904)
	case styleZeros:
		return zeroPadded(v, number, st.widths[s])
	case styleExcelize:
		// v is a number as excelize reads it (idempotent to read again).
		if err := st.book.SetCellDefault(scratchSheet, st.cells[s], v); err != nil {
			return v
		}
		out, _ := st.book.GetCellValue(scratchSheet, st.cells[s])
		return out
	}
	return v
}

// isoDate is excelize's rendering of the serial number in the format
// yyyy-mm-dd, with its own view of the days before 1 March 1900: serial 0
// is 1900-01-00 and 60 is 1900-02-29.
func isoDate(v string, number float64, date1904 bool) string {
	if number < 0 {
		return v
	}
	t, _ := excelize.ExcelDateToTime(number, date1904)
	t = t.Add(time.Duration(math.Round(float64(t.Nanosecond())/1e9)) * time.Second)
	year, month, day := t.Year(), int(t.Month()), t.Day()
	if number < 2 {
		year, month = 1900, 1
	}
	switch {
	case number < 1:
		day = 0
	case number < 60:
		next, _ := excelize.ExcelDateToTime(number+1, date1904)
		day = next.Day()
	case number < 61:
		month, day = 2, 29
	}
	return strconv.Itoa(year) + "-" + twoDigits(month) + "-" + twoDigits(day)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// zeroPadded is excelize's numberHandler for a format of width zeros:
// the number rounded half away from zero, padded to width digits, with a
// minus sign before a negative one; past 15 digits, a long number is
// written out whole.
func zeroPadded(v string, number float64, width int) string {
	sign := ""
	if !(number >= 0) {
		sign = "-"
	}
	whole := strconv.FormatFloat(math.Abs(number), 'f', -1, 64)
	if i := strings.IndexByte(whole, '.'); i >= 0 {
		whole = whole[:i]
	}
	n := max(len(whole), width)
	if n > 15 {
		if ok, precision, f := isNumeric(v); ok && precision > 15 {
			return sign + strings.TrimLeft(strconv.FormatFloat(f, 'f', -1, 64), "-")
		}
	}
	return sign + fmt.Sprintf("%0*.0f", n, math.Abs(math.Round(number)))
}

// sharedStrings are a workbook's shared strings.
type sharedStrings struct {
	items stringTable
	// spilled: excelize keeps a shared strings part larger than its
	// in-memory limit in a temporary file and looks items up there, where
	// an index past the end reads as the number itself and a negative one
	// panics; in memory, an index out of range reads as nothing.
	spilled bool
}

// item returns the item i as getValueFrom looks it up: ok is false for
// nothing, with an error where excelize panics.
func (s *sharedStrings) item(i int) (string, bool, error) {
	switch {
	case i >= 0 && i < s.items.len():
		return s.items.get(i), true, nil
	case !s.spilled:
		return "", false, nil
	case i < 0:
		return "", false, fmt.Errorf("shared string %d does not exist", i)
	}
	return strconv.Itoa(i), true, nil
}

var sstAttrs = map[string]attrType{"count": attrInt, "uniqueCount": attrInt} // xlsxSST

// readSharedStrings reads xl/sharedStrings.xml whole, through budget. Any
// part that excelize would not read the same way (it decodes a part held
// in memory whole, and one it spilled item by item) leaves the workbook
// to excelize: the fast reader takes only what both read alike.
func readSharedStrings(parts map[string]*zip.File, budget *unzipBudget, inMemory int64) (*sharedStrings, error) {
	zf, ok := parts["xl/sharedStrings.xml"]
	if !ok {
		return &sharedStrings{}, nil
	}
	sst := &sharedStrings{spilled: zf.FileInfo().Size() > inMemory}
	rc, err := zf.Open()
	if err != nil {
		return nil, noFastPath("shared strings: %v", err)
	}
	defer rc.Close()
	// excelize rewrites the strict namespaces in the part before decoding.
	strict := &markerReader{r: budget.reader(rc), marker: []byte("purl.oclc.org")}
	sc := newXMLScanner(strict)
	if !sc.utf8() {
		return nil, noFastPath("the shared strings are not encoded as UTF-8")
	}
	err = readItems(sc, sst.spilled, &sst.items)
	var over *overLimitError
	switch {
	case errors.As(err, &over):
		return nil, ZipBombError(over.limit)
	case strict.found:
		return nil, noFastPath("the shared strings use the strict namespaces")
	case err != nil:
		return nil, noFastPath("shared strings: %v", err)
	}
	return sst, nil
}

// readItems reads the items of a shared strings part: an <sst> in the
// main namespace whose children <si> are the items. An item anywhere else,
// which one of excelize's two ways of reading would count and the other
// not, is an error, as is anything encoding/xml would not decode.
func readItems(sc *xmlScanner, spilled bool, items *stringTable) error {
	for kind := sc.next(); kind != tokenStart; kind = sc.next() {
		if kind == tokenNone {
			return sc.failure() // no element: no items
		}
	}
	if string(sc.local) != "sst" || sc.resolve(sc.space, sc.local, sc.level) != mainNamespace {
		return fmt.Errorf("the part is <%s>, not <sst>", sc.local)
	}
	if err := checkAttrs(sc.attrs, sstAttrs); err != nil {
		return err
	}
	var item richText
	var buf []byte
	for {
		switch sc.next() {
		case tokenNone:
			return sc.eofError()
		case tokenStart:
			if string(sc.local) != "si" {
				continue
			}
			if sc.level != 2 {
				return errors.New("a string item outside <sst>")
			}
			item.reset()
			bad, err := decodeItem(sc, &item)
			if bad != nil {
				return bad
			}
			if err != nil {
				return err
			}
			buf = item.appendTo(buf[:0])
			if err := items.add(buf); err != nil {
				return err
			}
		case tokenEnd:
			if sc.level > 1 {
				continue
			}
			if spilled {
				// Read item by item, the rest of the part counts too.
				for kind := sc.next(); kind != tokenNone; kind = sc.next() {
					if kind == tokenStart && string(sc.local) == "si" {
						return errors.New("a string item after <sst>")
					}
				}
				if err := sc.failure(); err != nil {
					return err
				}
			}
			return nil
		}
	}
}

// markerReader notes whether the bytes read through it hold marker.
type markerReader struct {
	r      io.Reader
	marker []byte
	tail   []byte
	found  bool
}

func (m *markerReader) Read(p []byte) (int, error) {
	n, err := m.r.Read(p)
	if n > 0 && !m.found {
		k := min(n, len(m.marker)-1)
		seam := append(append([]byte(nil), m.tail...), p[:k]...)
		m.found = bytes.Contains(seam, m.marker) || bytes.Contains(p[:n], m.marker)
		if n >= len(m.marker)-1 {
			m.tail = append(m.tail[:0], p[n-len(m.marker)+1:n]...)
		} else {
			m.tail = append(m.tail, p[:n]...)
			m.tail = m.tail[max(0, len(m.tail)-len(m.marker)+1):]
		}
	}
	return n, err
}
