// Package xlsxw writes XLSX workbooks of text and number cells row by row,
// in memory that does not grow with the number of rows.
//
// Each worksheet's rows are deflated as they arrive into a temporary file
// (unlinked at once, so nothing is left behind whatever happens), with
// their CRC-32 and sizes counted. Save then writes the zip: the small
// parts, and for each worksheet the XML that comes before its rows (whose
// <dimension> is known only once the last row is in) deflated on its own
// and followed by the rows' deflated bytes as they are, which is one valid
// deflate stream; the entry's CRC is combined from the two. Saving costs a
// copy of the compressed rows, not their compression. (archive/zip needs
// an entry's CRC and sizes before its data when they are given, and the
// dimension must come before the rows, hence the spool rather than
// writing the rows into the workbook's zip directly.)
//
// Everything is deflated at flate.BestSpeed: a result workbook is a fifth
// larger than at the default level (4.0 MB rather than 3.4 MB per 100,000
// rows) for a third of the compression time, which is spent while the
// batch runs.
package xlsxw

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/klauspost/compress/flate"
)

// MaxRows is the most rows a worksheet holds (Excel's limit).
const MaxRows = 1048576

// Style is a cell style: bold or not, a solid fill, a font colour and a
// thin bottom border; colours are RGB in hex ("C6EFCE"), "" for none.
type Style struct {
	Bold         bool
	Fill         string
	FontColor    string
	BottomBorder string
}

// Cell is a cell of a row: text, or a number when IsNumber. A cell with
// empty text that is not a number is not written. Style is 0 for none, or
// i+1 for the i-th of the styles given to New.
type Cell struct {
	Text     string
	Number   int64
	IsNumber bool
	Style    int
}

// SheetOptions shape a worksheet.
type SheetOptions struct {
	Widths       []float64 // of columns A, B, …, in characters; 0 = the default
	FreezeHeader bool      // the first row stays in view
	AutoFilter   bool      // a filter over the first row and every row below
}

// Workbook is a workbook being written. It is not safe for concurrent use.
type Workbook struct {
	styles []Style
	rows   *os.File      // the worksheets' deflated rows, unlinked
	out    *bufio.Writer // into rows
	outN   int64         // bytes written to out
	zw     *flate.Writer // deflates the current sheet's XML into out
	sheets []*sheet
	cur    *sheet
	buf    []byte // XML of the current sheet not yet deflated
	err    error  // first error; the workbook is then unusable
}

type sheet struct {
	name  string
	opts  SheetOptions
	rows  int   // rows written
	cols  int   // the widest row's last cell, 1-based
	off   int64 // where its deflated XML starts in rows
	zsize int64 // its length
	crc   uint32
	size  int64 // of its XML from the first row on
}

// bufSize is how much of a sheet's XML is gathered before it is deflated.
const bufSize = 64 << 10

// New starts a workbook whose cells may use styles. Its rows are held,
// deflated, in a temporary file in dir named prefix, random characters and
// ".tmp", which is removed at once. The caller must call Close.
func New(dir, prefix string, styles []Style) (*Workbook, error) {
	f, err := os.CreateTemp(dir, prefix+"*.tmp")
	if err != nil {
		return nil, err
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	wb := &Workbook{styles: styles, rows: f, buf: make([]byte, 0, bufSize+4096)}
	wb.out = bufio.NewWriterSize(countWriter{w: f, n: &wb.outN}, 256<<10)
	return wb, nil
}

// Close releases the temporary file. Close after Close does nothing.
func (wb *Workbook) Close() error {
	if wb.rows == nil {
		return nil
	}
	err := wb.rows.Close()
	wb.rows = nil
	if wb.err == nil {
		wb.err = errors.New("xlsxw: workbook closed")
	}
	return err
}

func (wb *Workbook) fail(err error) error {
	if wb.err == nil {
		wb.err = err
	}
	return wb.err
}

// StartSheet ends the current worksheet, if any, and starts the next one,
// named name.
func (wb *Workbook) StartSheet(name string, opts SheetOptions) error {
	if wb.err != nil {
		return wb.err
	}
	if err := wb.EndSheet(); err != nil {
		return err
	}
	wb.cur = &sheet{name: name, opts: opts, off: wb.pos()}
	if wb.zw == nil {
		zw, err := flate.NewWriter(wb.out, flate.BestSpeed)
		if err != nil {
			return wb.fail(err)
		}
		wb.zw = zw
	} else {
		wb.zw.Reset(wb.out)
	}
	return nil
}

// Rows returns how many rows the current worksheet has.
func (wb *Workbook) Rows() int {
	if wb.cur == nil {
		return 0
	}
	return wb.cur.rows
}

// Row adds the next row of the current worksheet. An error is kept: every
// later call returns it.
func (wb *Workbook) Row(cells []Cell) error {
	if wb.err != nil {
		return wb.err
	}
	s := wb.cur
	if s == nil {
		return wb.fail(errors.New("xlsxw: row before StartSheet"))
	}
	if s.rows >= MaxRows {
		return wb.fail(fmt.Errorf("xlsxw: sheet %q is full (%d rows)", s.name, MaxRows))
	}
	s.rows++
	b := append(wb.buf, `<row r="`...)
	b = strconv.AppendInt(b, int64(s.rows), 10)
	b = append(b, `">`...)
	for i, c := range cells {
		if c.Text == "" && !c.IsNumber {
			continue
		}
		s.cols = max(s.cols, i+1)
		b = append(b, `<c r="`...)
		b = appendColumn(b, i+1)
		b = strconv.AppendInt(b, int64(s.rows), 10)
		b = append(b, '"')
		if c.Style > 0 {
			b = append(b, ` s="`...)
			b = strconv.AppendInt(b, int64(c.Style), 10)
			b = append(b, '"')
		}
		if c.IsNumber {
			b = append(b, "><v>"...)
			b = strconv.AppendInt(b, c.Number, 10)
			b = append(b, "</v></c>"...)
			continue
		}
		b = append(b, ` t="inlineStr">`...)
		b = appendInlineText(b, c.Text)
		b = append(b, "</c>"...)
	}
	wb.buf = append(b, "</row>"...)
	if len(wb.buf) >= bufSize {
		return wb.deflate()
	}
	return nil
}

// deflate hands the gathered XML to the sheet's deflater.
func (wb *Workbook) deflate() error {
	s := wb.cur
	s.crc = crc32.Update(s.crc, crc32.IEEETable, wb.buf)
	s.size += int64(len(wb.buf))
	_, err := wb.zw.Write(wb.buf)
	wb.buf = wb.buf[:0]
	if err != nil {
		return wb.fail(err)
	}
	return nil
}

// EndSheet ends the current worksheet, if any: its rows are complete.
func (wb *Workbook) EndSheet() error {
	if wb.err != nil {
		return wb.err
	}
	s := wb.cur
	if s == nil {
		return nil
	}
	wb.buf = append(wb.buf, "</sheetData>"...)
	if s.opts.AutoFilter {
		wb.buf = append(wb.buf, `<autoFilter ref="`...)
		wb.buf = append(wb.buf, s.absoluteRange()...)
		wb.buf = append(wb.buf, `"/>`...)
	}
	wb.buf = append(wb.buf, "</worksheet>"...)
	if err := wb.deflate(); err != nil {
		return err
	}
	if err := wb.zw.Close(); err != nil {
		return wb.fail(err)
	}
	s.zsize = wb.pos() - s.off
	wb.sheets = append(wb.sheets, s)
	wb.cur = nil
	return nil
}

// lastColumn is the sheet's last column, 1-based: its widest row's, or its
// last column with a width when wider, and at least A.
func (s *sheet) lastColumn() int {
	n := max(s.cols, 1)
	if s.opts.AutoFilter {
		n = max(n, len(s.opts.Widths))
	}
	return n
}

// dimension is the range the sheet's cells span, "A1:H12" ("A1" when it
// has none).
func (s *sheet) dimension() string {
	if s.rows == 0 {
		return "A1"
	}
	b := append([]byte("A1:"), columnName(s.lastColumn())...)
	return string(strconv.AppendInt(b, int64(s.rows), 10))
}

// absoluteRange is the range of the sheet's autofilter, "$A$1:$H$12", the
// header row alone when there are no other rows.
func (s *sheet) absoluteRange() string {
	return "$A$1:$" + columnName(s.lastColumn()) + "$" + strconv.Itoa(max(s.rows, 1))
}

// Save ends the current worksheet and writes the workbook to w as a zip
// whose entries are dated modified. The first worksheet is the one shown
// when the workbook is opened.
func (wb *Workbook) Save(w io.Writer, modified time.Time) error {
	if err := wb.EndSheet(); err != nil {
		return err
	}
	if err := wb.out.Flush(); err != nil {
		return wb.fail(err)
	}
	if err := wb.save(w, modified); err != nil {
		return wb.fail(err)
	}
	return nil
}

func (wb *Workbook) save(w io.Writer, modified time.Time) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	modified = modified.UTC().Truncate(time.Second)
	parts := []struct {
		name string
		data []byte
	}{
		{"[Content_Types].xml", wb.contentTypes()},
		{"_rels/.rels", []byte(packageRels)},
		{"docProps/app.xml", []byte(appProps)},
		{"docProps/core.xml", coreProps(modified)},
		{"xl/workbook.xml", wb.workbookXML()},
		{"xl/_rels/workbook.xml.rels", wb.workbookRels()},
		{"xl/styles.xml", wb.stylesXML()},
		{"xl/theme/theme1.xml", []byte(themeXML)},
	}
	for _, p := range parts {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Deflate, Modified: modified})
		if err != nil {
			return err
		}
		if _, err := fw.Write(p.data); err != nil {
			return err
		}
	}
	for i, s := range wb.sheets {
		if err := wb.saveSheet(zw, i, s, modified); err != nil {
			return err
		}
	}
	return zw.Close()
}

// saveSheet writes worksheet i's entry: its head deflated and flushed to a
// byte boundary (a sync flush ends no stream), then its rows' complete
// deflate stream.
func (wb *Workbook) saveSheet(zw *zip.Writer, i int, s *sheet, modified time.Time) error {
	head := s.head(i == 0)
	var headZ bytes.Buffer
	fz, err := flate.NewWriter(&headZ, flate.BestSpeed)
	if err != nil {
		return err
	}
	if _, err := fz.Write(head); err != nil {
		return err
	}
	if err := fz.Flush(); err != nil {
		return err
	}
	// CreateRaw writes the fields it is given, no more: the versions and
	// dates are set as CreateHeader sets them (2.0, from Modified).
	date, tod := msDosTime(modified)
	fw, err := zw.CreateRaw(&zip.FileHeader{
		Name:               sheetPart(i),
		CreatorVersion:     zipVersion20,
		ReaderVersion:      zipVersion20,
		Method:             zip.Deflate,
		Modified:           modified,
		ModifiedDate:       date,
		ModifiedTime:       tod,
		Extra:              extendedTimestamp(modified),
		CRC32:              crc32Combine(crc32.ChecksumIEEE(head), s.crc, s.size),
		CompressedSize64:   uint64(headZ.Len()) + uint64(s.zsize),
		UncompressedSize64: uint64(len(head)) + uint64(s.size),
	})
	if err != nil {
		return err
	}
	if _, err := fw.Write(headZ.Bytes()); err != nil {
		return err
	}
	_, err = io.Copy(fw, io.NewSectionReader(wb.rows, s.off, s.zsize))
	return err
}

// zipVersion20 is version 2.0 of the zip format, which has deflate.
const zipVersion20 = 20

// msDosTime is t (UTC) as a zip entry's MS-DOS date and time of day, to
// two seconds.
func msDosTime(t time.Time) (date, tod uint16) {
	t = t.UTC()
	date = uint16(t.Day() + int(t.Month())<<5 + max(t.Year()-1980, 0)<<9)
	tod = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tod
}

// extendedTimestamp is the zip extra field (0x5455) that dates an entry to
// the second, in Unix time.
func extendedTimestamp(t time.Time) []byte {
	u := uint32(t.Unix())
	return []byte{0x55, 0x54, 5, 0, 1, byte(u), byte(u >> 8), byte(u >> 16), byte(u >> 24)}
}

func sheetPart(i int) string { return "xl/worksheets/sheet" + strconv.Itoa(i+1) + ".xml" }

const (
	nsMain  = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
	nsRel   = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
	xmlDecl = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
)

// head is the sheet's XML before its first row.
func (s *sheet) head(active bool) []byte {
	b := []byte(xmlDecl)
	b = append(b, `<worksheet xmlns="`+nsMain+`" xmlns:r="`+nsRel+`"><dimension ref="`...)
	b = append(b, s.dimension()...)
	b = append(b, `"/><sheetViews><sheetView`...)
	if active {
		b = append(b, ` tabSelected="1"`...)
	}
	b = append(b, ` workbookViewId="0">`...)
	if s.opts.FreezeHeader {
		b = append(b, `<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>`+
			`<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>`...)
	}
	b = append(b, `</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>`...)
	var cols []byte
	for i, w := range s.opts.Widths {
		if w <= 0 {
			continue
		}
		n := strconv.Itoa(i + 1)
		cols = append(cols, `<col min="`+n+`" max="`+n+`" width="`...)
		cols = strconv.AppendFloat(cols, w, 'f', -1, 64)
		cols = append(cols, `" customWidth="1"/>`...)
	}
	if len(cols) > 0 {
		b = append(b, "<cols>"...)
		b = append(b, cols...)
		b = append(b, "</cols>"...)
	}
	return append(b, "<sheetData>"...)
}

func (wb *Workbook) contentTypes() []byte {
	b := []byte(xmlDecl + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
		`<Override PartName="/xl/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/>` +
		`<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
		`<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>`)
	for i := range wb.sheets {
		b = append(b, `<Override PartName="/`+sheetPart(i)+`" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`...)
	}
	return append(b, "</Types>"...)
}

const packageRels = xmlDecl + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="` + nsRel + `/officeDocument" Target="xl/workbook.xml"/>` +
	`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
	`<Relationship Id="rId3" Type="` + nsRel + `/extended-properties" Target="docProps/app.xml"/>` +
	`</Relationships>`

const appProps = xmlDecl + `<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">` +
	`<Application>userimport</Application></Properties>`

func coreProps(modified time.Time) []byte {
	t := modified.Format(time.RFC3339)
	return []byte(xmlDecl + `<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ` +
		`xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" ` +
		`xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		`<dcterms:created xsi:type="dcterms:W3CDTF">` + t + `</dcterms:created>` +
		`<dcterms:modified xsi:type="dcterms:W3CDTF">` + t + `</dcterms:modified></cp:coreProperties>`)
}

func (wb *Workbook) workbookXML() []byte {
	b := []byte(xmlDecl + `<workbook xmlns="` + nsMain + `" xmlns:r="` + nsRel + `">` +
		`<bookViews><workbookView activeTab="0"/></bookViews><sheets>`)
	for i, s := range wb.sheets {
		n := strconv.Itoa(i + 1)
		b = append(b, `<sheet name="`...)
		b = appendAttr(b, s.name)
		b = append(b, `" sheetId="`+n+`" r:id="rId`+n+`"/>`...)
	}
	b = append(b, "</sheets>"...)
	var names []byte
	for i, s := range wb.sheets {
		if !s.opts.AutoFilter {
			continue
		}
		// The filter's range, as Excel records it for each filtered sheet.
		names = append(names, `<definedName name="_xlnm._FilterDatabase" localSheetId="`+strconv.Itoa(i)+`" hidden="1">`...)
		names = appendAttr(names, quoteSheet(s.name)+"!"+s.absoluteRange())
		names = append(names, "</definedName>"...)
	}
	if len(names) > 0 {
		b = append(b, "<definedNames>"...)
		b = append(b, names...)
		b = append(b, "</definedNames>"...)
	}
	return append(b, "</workbook>"...)
}

// quoteSheet quotes a sheet name for a formula: 'Results 2'.
func quoteSheet(name string) string {
	q := []byte{'\''}
	for i := 0; i < len(name); i++ {
		if name[i] == '\'' {
			q = append(q, '\'')
		}
		q = append(q, name[i])
	}
	return string(append(q, '\''))
}

func (wb *Workbook) workbookRels() []byte {
	b := []byte(xmlDecl + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	for i := range wb.sheets {
		n := strconv.Itoa(i + 1)
		b = append(b, `<Relationship Id="rId`+n+`" Type="`+nsRel+`/worksheet" Target="worksheets/sheet`+n+`.xml"/>`...)
	}
	b = append(b, `<Relationship Id="rId`+strconv.Itoa(len(wb.sheets)+1)+`" Type="`+nsRel+`/styles" Target="styles.xml"/>`...)
	b = append(b, `<Relationship Id="rId`+strconv.Itoa(len(wb.sheets)+2)+`" Type="`+nsRel+`/theme" Target="theme/theme1.xml"/>`...)
	return append(b, "</Relationships>"...)
}

// stylesXML is the stylesheet: the default style (Calibri 11), then one
// cell format per Style, each with its own font, fill and border.
func (wb *Workbook) stylesXML() []byte {
	const font = `<sz val="11"/>%s<name val="Calibri"/><family val="2"/>`
	var fonts, fills, borders, xfs []byte
	fonts = fmt.Appendf(fonts, "<font>"+font+"</font>", "")
	fills = append(fills, `<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>`...)
	borders = append(borders, `<border><left/><right/><top/><bottom/><diagonal/></border>`...)
	xfs = append(xfs, `<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>`...)
	nFills, nBorders := 2, 1
	for i, st := range wb.styles {
		fonts = append(fonts, "<font>"...)
		if st.Bold {
			fonts = append(fonts, "<b/>"...)
		}
		color := ""
		if st.FontColor != "" {
			color = `<color rgb="FF` + st.FontColor + `"/>`
		}
		fonts = fmt.Appendf(fonts, font+"</font>", color)
		fillID, borderID := 0, 0
		if st.Fill != "" {
			fills = append(fills, `<fill><patternFill patternType="solid"><fgColor rgb="FF`+st.Fill+`"/></patternFill></fill>`...)
			fillID = nFills
			nFills++
		}
		if st.BottomBorder != "" {
			borders = append(borders, `<border><left/><right/><top/><bottom style="thin"><color rgb="FF`+st.BottomBorder+`"/></bottom><diagonal/></border>`...)
			borderID = nBorders
			nBorders++
		}
		xfs = fmt.Appendf(xfs, `<xf numFmtId="0" fontId="%d" fillId="%d" borderId="%d" xfId="0" applyFont="1"`, i+1, fillID, borderID)
		if fillID > 0 {
			xfs = append(xfs, ` applyFill="1"`...)
		}
		if borderID > 0 {
			xfs = append(xfs, ` applyBorder="1"`...)
		}
		xfs = append(xfs, "/>"...)
	}
	b := []byte(xmlDecl + `<styleSheet xmlns="` + nsMain + `">`)
	b = fmt.Appendf(b, `<fonts count="%d">%s</fonts>`, len(wb.styles)+1, fonts)
	b = fmt.Appendf(b, `<fills count="%d">%s</fills>`, nFills, fills)
	b = fmt.Appendf(b, `<borders count="%d">%s</borders>`, nBorders, borders)
	b = append(b, `<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>`...)
	b = fmt.Appendf(b, `<cellXfs count="%d">%s</cellXfs>`, len(wb.styles)+1, xfs)
	b = append(b, `<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`...)
	return b
}

func appendAttr(b []byte, s string) []byte {
	var buf bytes.Buffer
	_ = xml.EscapeText(&buf, []byte(s))
	return append(b, buf.Bytes()...)
}

// appendColumn appends the letters of column n (1 = A).
func appendColumn(b []byte, n int) []byte {
	if n <= 26 {
		return append(b, byte('A'+n-1))
	}
	return append(b, columnName(n)...)
}

func columnName(n int) string {
	var name []byte
	for ; n > 0; n = (n - 1) / 26 {
		name = append([]byte{byte('A' + (n-1)%26)}, name...)
	}
	return string(name)
}

// pos is the offset in the temporary file of the next byte written.
func (wb *Workbook) pos() int64 { return wb.outN + int64(wb.out.Buffered()) }

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n *int64
}

func (c countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	*c.n += int64(n)
	return n, err
}
