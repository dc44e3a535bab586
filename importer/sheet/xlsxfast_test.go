package sheet

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"userimport/importer"
	"userimport/importer/sheet/internal/fastxlsx"
)

// readResult is what a source's next returned, for comparing readers.
type readResult struct {
	number int
	cells  string // the cells, quoted
	err    string
}

// readSource calls src.next until io.EOF or limit calls and returns the
// results other than empty rows (whose numbers show in the results after
// them), and the number of calls.
func readSource(t testing.TB, src source, limit int) (results []readResult, calls int) {
	t.Helper()
	for calls < limit {
		cells, number, err := src.next()
		calls++
		if errors.Is(err, io.EOF) {
			results = append(results, readResult{number: number, err: "EOF"})
			return results, calls
		}
		if err != nil {
			var e *importer.Error
			if !errors.As(err, &e) || e.Code != importer.EINVALID {
				t.Fatalf("row %d: error %v (%T) is not an *importer.Error EINVALID", number, err, err)
			}
			results = append(results, readResult{number: number, err: e.Message})
			continue
		}
		if len(cells) > 0 {
			results = append(results, readResult{number: number, cells: fmt.Sprintf("%q", cells)})
		}
	}
	return results, calls
}

// maxCalls is more calls than any worksheet needs: its rows, and the
// empty rows excelize gives for the gaps up to row 1,048,576.
const maxCalls = excelize.TotalRows + 10_000

func openFast(t testing.TB, path string, opts Options) source {
	t.Helper()
	src, err := openFastPath(path, opts)
	if err != nil {
		t.Fatalf("fast reader: %v", err)
	}
	if _, ok := unwrap(src).(*fastXLSXSource); !ok {
		t.Fatalf("fast reader returned a %T", src)
	}
	return src
}

func openExcelize(t testing.TB, path string, opts Options) source {
	t.Helper()
	src, err := openExcelizePath(path, opts)
	if err != nil {
		t.Fatalf("excelize reader: %v", err)
	}
	return src
}

// checkSameRows checks that the fast reader reads the workbook at path and
// gives exactly the rows, numbers and errors the excelize reader gives.
func checkSameRows(t *testing.T, path string, opts Options) []readResult {
	t.Helper()
	fast := openFast(t, path, opts)
	defer fast.close()
	slow := openExcelize(t, path, opts)
	defer slow.close()
	got, gotCalls := readSource(t, fast, maxCalls)
	want, wantCalls := readSource(t, slow, maxCalls)
	compareResults(t, got, want)
	if gotCalls != wantCalls {
		t.Errorf("fast reader: %d calls to the end, excelize reader %d", gotCalls, wantCalls)
	}
	return want
}

func compareResults(t testing.TB, got, want []readResult) {
	t.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w readResult
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Fatalf("result %d:\nfast    %+v\nexcelize %+v", i, g, w)
		}
	}
}

// checkFallback checks that the workbook at path is left to excelize, for
// the reason given, and that openXLSX opens it with excelize.
func checkFallback(t *testing.T, path string, opts Options, reason string) {
	t.Helper()
	_, err := openFastPath(path, opts)
	if !errors.Is(err, fastxlsx.ErrNoFastPath) || !strings.Contains(err.Error(), reason) {
		t.Fatalf("fast reader: %v, want it to leave the workbook to excelize for %q", err, reason)
	}
	src, err := openXLSXPath(path, opts)
	slow, slowErr := openExcelizePath(path, opts)
	switch {
	case err != nil || slowErr != nil:
		if fmt.Sprint(err) != fmt.Sprint(slowErr) {
			t.Fatalf("openXLSX: %v; excelize reader: %v", err, slowErr)
		}
	default:
		defer src.close()
		defer slow.close()
		if _, ok := unwrap(src).(*xlsxSource); !ok {
			t.Fatalf("openXLSX read it with a %T", src)
		}
	}
}

func TestFastXLSX_Files(t *testing.T) {
	var paths []string
	for _, pattern := range []string{"testdata/*.xlsx", "../../samples/*.xlsx", "../../samples/*/*.xlsx"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, m...)
	}
	if len(paths) < 2 {
		t.Fatalf("found only %q", paths)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if rows := checkSameRows(t, path, Options{}); len(rows) < 2 {
				t.Errorf("read only %+v", rows)
			}
		})
	}
}

func TestFastXLSX_Generated(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		var b bytes.Buffer
		if err := Generate(&b, "xlsx", 2000, "contoso.com", seed); err != nil {
			t.Fatal(err)
		}
		checkSameRows(t, writeFile(t, "roster.xlsx", b.Bytes()), Options{})
	}
}

// renderingValues are the values of TestFastXLSX_Rendering, each written
// in every style.
var renderingValues = []any{
	0, 1, -1, 7, 98052, 98052.00000000001, 0.1 + 0.2, 14255550100, 491701234567,
	1234567890123456789, 1e-7, 1.5e-12, -0.5, -0.4, 0.5, 2.5, -2.5, 1e15, 1e16, 1e21, 1e300,
	123.456, 1234.5678901234, 12345678901.5, -98052.75, math.MaxInt64, math.SmallestNonzeroFloat64,
	0.25, 0.9999999, 1.5, 59, 59.5, 60, 60.25, 60.75, 61, 45366, 45366.5, 45366.99999, 45366.999999999,
	2958465, 2958466, 1e7, -45366,
	time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC), time.Date(1900, 2, 28, 12, 0, 0, 0, time.UTC),
	time.Date(1904, 1, 1, 23, 59, 59, 600e6, time.UTC),
	true, false, "", " ", "01234", "josé", "Zoë Müller", "李伟", "_x0041_", "a_x005F_x0042_",
	"line 1\nline 2", "tab\there", "<&>\"'", "  padded  ", "1e5", "12.50", "-0", "TRUE",
}

func TestFastXLSX_Rendering(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	custom := func(code string) *excelize.Style { return &excelize.Style{CustomNumFmt: &code} }
	styles := []*excelize.Style{
		nil,
		{Font: &excelize.Font{Bold: true}},
		{NumFmt: 1}, {NumFmt: 11}, {NumFmt: 48}, {NumFmt: 49},
		{NumFmt: 14}, {NumFmt: 15}, {NumFmt: 16}, {NumFmt: 17}, {NumFmt: 22}, {NumFmt: 27}, {NumFmt: 30}, {NumFmt: 36}, {NumFmt: 50}, {NumFmt: 57},
		custom("General"), custom("general"), custom("@"), custom("0"), custom("00"), custom("00000"),
		custom("000000000000"), custom("0000000000000000"), custom("00000000000000000000"),
		custom("yyyy-mm-dd"), custom("dd/mm/yyyy;@"), custom("d-mmm-yy"), custom("m/d/yyyy h:mm"),
		custom("[$-409]mmmm d, yyyy;@"), custom(`"Date: "yyyy`), custom("0.00E+00"), custom("##0.0E+0"),
	}
	ids := make([]int, len(styles))
	for i, st := range styles {
		if st == nil {
			continue
		}
		id, err := f.NewStyle(st)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	header := []any{"User Name"}
	for i := range styles {
		header = append(header, fmt.Sprintf("style %d", i))
	}
	if err := f.SetSheetRow("Sheet1", "A1", &header); err != nil {
		t.Fatal(err)
	}
	for r, v := range renderingValues {
		for c := range styles {
			cell, _ := excelize.CoordinatesToCellName(c+2, r+2)
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
			if ids[c] != 0 {
				f.SetCellStyle("Sheet1", cell, cell, ids[c])
			}
		}
		// The same value as a shared string and as a formula's result.
		cell, _ := excelize.CoordinatesToCellName(len(styles)+2, r+2)
		f.SetCellStr("Sheet1", cell, fmt.Sprint(v))
	}
	// Empty rows, cells far apart, rich text.
	f.SetCellValue("Sheet1", "A200", "after a gap")
	f.SetCellValue("Sheet1", "Z201", "far right")
	f.SetCellRichText("Sheet1", "B202", []excelize.RichTextRun{
		{Text: "bold", Font: &excelize.Font{Bold: true, Size: 11, Color: "FF0000"}},
		{Text: " and plain"},
	})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	// Every date format is read as yyyy-mm-dd and scientific as General:
	// the fast reader renders all these styles.
	for _, date1904 := range []bool{false, true} {
		data := buf.Bytes()
		if date1904 {
			data = patchZip(t, data, "xl/workbook.xml", func(x string) string {
				return strings.Replace(x, "<workbookPr", `<workbookPr date1904="1"`, 1)
			})
		}
		rows := checkSameRows(t, writeFile(t, "rendering.xlsx", data), Options{})
		if len(rows) < len(renderingValues) {
			t.Fatalf("read %d rows", len(rows))
		}
	}
}

// TestFastXLSX_FormatsPerCell checks that a number format the fast reader
// does not render itself keeps the workbook on the fast path: excelize
// renders those cells one by one, as the excelize reader would. Only a
// format with a text section (which changes how text reads) leaves the
// workbook to excelize.
func TestFastXLSX_FormatsPerCell(t *testing.T) {
	for _, tt := range []struct {
		name, code string
		id         int
		value      any
		want       string // "" when only compared with the excelize reader
	}{
		{"zip+4", "00000-0000", 0, 980521234, "98052-1234"},
		{"phone", "[<=9999999]###-####;(###) ###-####", 0, 4255550100, "4255550100"},
		{"phone 7 digits", "[<=9999999]###-####;(###) ###-####", 0, 5550100, "5550100"},
		{"ssn", "000-00-0000", 0, 123456789, "123-45-6789"},
		{"phone literal", `"+1 "000-000-0000`, 0, 4255550100, "+1 425-555-0100"},
		{"libreoffice true", `"TRUE";"TRUE";"FALSE"`, 0, 1, "1"},
		{"libreoffice false", `"TRUE";"TRUE";"FALSE"`, 0, 0, "0"},
		{"libreoffice wahr", `"WAHR";"WAHR";"FALSCH"`, 0, 0, "0"},
		{"currency", "#,##0.00 [$€-407]", 0, 1234.5, ""},
		{"dollars", `"$"#,##0.00`, 0, 1234.5, ""},
		{"percent", "", 9, 0.125, ""},
		{"decimals", "", 2, 1234.5, ""},
		{"thousands", "", 3, 1234.5, ""},
		{"fraction", "", 12, 1234.5, ""},
		{"time", "", 18, 0.75, ""},
		{"zeros and decimals", "00000.00", 0, 1234.5, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := formatWorkbook(t, tt.id, tt.code, tt.value)
			rows := checkSameRows(t, path, Options{})
			got := ""
			if len(rows) > 1 {
				got = rows[1].cells
			}
			if tt.want != "" && got != fmt.Sprintf("%q", []string{"a@x.com", tt.want, "text"}) {
				t.Errorf("row 2 = %s, want %q", got, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		name, code string
		id         int
	}{
		{"sections", "0;-0;;@", 0},
		{"accounting", "", 44},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkFallback(t, formatWorkbook(t, tt.id, tt.code, 1234.5), Options{}, "number format")
		})
	}
}

// formatWorkbook writes a workbook whose second row holds value, and a
// text, in the number format id or code.
func formatWorkbook(t *testing.T, id int, code string, value any) string {
	st := &excelize.Style{NumFmt: id}
	if code != "" {
		st.CustomNumFmt = &code
	}
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetRow("Sheet1", "A1", &[]any{"User Name", "Office Phone", "Job Title"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"a@x.com", value, "text"})
	styleID, err := f.NewStyle(st)
	if err != nil {
		t.Fatal(err)
	}
	f.SetCellStyle("Sheet1", "B2", "C2", styleID)
	var buf bytes.Buffer
	f.Write(&buf)
	return writeFile(t, "format.xlsx", buf.Bytes())
}

func TestFastXLSX_Sheets(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"first"})
	f.NewSheet("Users")
	f.SetSheetRow("Users", "A1", &[]any{"User Name"})
	f.SetSheetRow("Users", "A2", &[]any{"a@x.com"})
	f.NewSheet("users ")
	f.SetSheetRow("users ", "A1", &[]any{"other"})
	var buf bytes.Buffer
	f.Write(&buf)
	f.Close()
	path := writeFile(t, "sheets.xlsx", buf.Bytes())
	for _, name := range []string{"", "Users", "USERS", "users "} {
		rows := checkSameRows(t, path, Options{Sheet: name})
		if name == "USERS" && !strings.Contains(rows[1].cells, "a@x.com") {
			t.Errorf("sheet %q: %+v", name, rows)
		}
	}
	for _, name := range []string{"Staff", "user"} {
		_, fastErr := openFastPath(path, Options{Sheet: name})
		_, slowErr := openExcelizePath(path, Options{Sheet: name})
		wantInvalid(t, fastErr, `"`+name+`"`, `"Sheet1", "Users", "users "`)
		if fastErr.Error() != slowErr.Error() {
			t.Errorf("fast: %v\nexcelize: %v", fastErr, slowErr)
		}
	}
	// Two sheets whose names differ in case only: excelize picks either.
	twice := patchZip(t, buf.Bytes(), "xl/workbook.xml", func(x string) string {
		return strings.Replace(x, `name="users "`, `name="USERS"`, 1)
	})
	checkFallback(t, writeFile(t, "twice.xlsx", twice), Options{Sheet: "Users"}, "named")
}

// Hand-written workbooks, for what excelize does not write.

const stylesXML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="9"><numFmt numFmtId="164" formatCode="00000"/><numFmt numFmtId="165" formatCode="dd/mm/yyyy"/><numFmt numFmtId="166" formatCode="General"/><numFmt numFmtId="167" formatCode="yyyy-mm-dd"/><numFmt numFmtId="168" formatCode="0000000000000000"/><numFmt numFmtId="169" formatCode="00"/><numFmt numFmtId="170" formatCode="@"/><numFmt numFmtId="171" formatCode="00000-0000"/><numFmt numFmtId="172" formatCode="&quot;TRUE&quot;;&quot;TRUE&quot;;&quot;FALSE&quot;"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="17"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="11" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="167" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="168" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="169" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="170" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="171" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="172" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`

// rawWorkbook returns a workbook of one worksheet written as sheet, with
// the shared strings sst (none if empty) and the styles of stylesXML:
// 0 General, 1 date (14), 2 00000, 3 @, 4 scientific, 5 dd/mm/yyyy, 6 0,
// 7 General (custom), 8 bold, 9 date and time (22), 10 yyyy-mm-dd,
// 11 sixteen zeros, 12 00, 13 @ (custom), 14 00000-0000 (rendered by
// excelize cell by cell), 15 0.00 (2, the same), 16 LibreOffice's booleans.
func rawWorkbook(tb testing.TB, sheet, sst string, date1904 bool) []byte {
	tb.Helper()
	workbookPr := ""
	if date1904 {
		workbookPr = `<workbookPr date1904="1"/>`
	}
	files := map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`,
		"_rels/.rels":                `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` + workbookPr + `<sheets><sheet name="Users" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
		"xl/styles.xml":              stylesXML,
		"xl/worksheets/sheet1.xml":   sheet,
	}
	if sst != "" {
		files["xl/sharedStrings.xml"] = sst
	}
	return zipBytes(tb, files)
}

// sheetXML is a worksheet holding rows.
func sheetXML(rows string) string { return sheetStart + rows + sheetEnd }

const (
	sheetStart = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><dimension ref="A1:C3"/><sheetData>`
	sheetEnd = `</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`
)

// sstXML is a shared strings part holding items.
func sstXML(items string) string { return sstStart + items + sstEnd }

const (
	sstStart = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="9" uniqueCount="9">`
	sstEnd = `</sst>`
)

// headerRow is a worksheet's first row, with our User Name column.
const headerRow = `<row r="1"><c r="A1" t="inlineStr"><is><t>User Name</t></is></c><c r="B1" t="inlineStr"><is><t>Display Name</t></is></c></row>`

const someStrings = `<si><t>zero</t></si><si><t xml:space="preserve"> one &amp; &lt;1&gt; </t></si><si><r><rPr><b/><sz val="11"/><color theme="1"/><rFont val="Calibri"/><family val="2"/><charset val="128"/><scheme val="minor"/></rPr><t>Ja</t></r><r><t xml:space="preserve">pan </t></r><rPh sb="0" eb="2"><t>ジャ</t></rPh><phoneticPr fontId="1" type="noConversion"/></si><si><t>a_x000D_b_x005F_x0041_c_x0041__xD800_</t></si><si/><si><t>first</t><t>last</t><r><t>run</t></r></si><si><t><![CDATA[<cdata> & ]]></t></si><si><t>line&#13;&#10;two` + "\r\n" + `three</t></si><si><t>&#233;&#x4E2D;&quot;&apos;</t><extLst><ext/></extLst></si>`

// rawCases are worksheets (and shared strings) written by hand, for the
// shapes only other programs write and for damage.
var rawCases = []struct {
	name, sheet, sst string
}{
	{"shared strings", sheetXML(headerRow + `<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c><c r="C2" t="s"><v>2</v></c><c r="D2" t="s"><v>3</v></c><c r="E2" t="s"><v>4</v></c><c r="F2" t="s"><v>5</v></c><c r="G2" t="s"><v>6</v></c><c r="H2" t="s"><v>7</v></c><c r="I2" t="s"><v>8</v></c></row>`), sstXML(someStrings)},
	{"prefixed", `<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>b</x:t></x:is></x:c></x:row><x:row r="2"><x:c r="A2"><x:v>42</x:v></x:c></x:row></x:sheetData></x:worksheet>`,
		`<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:si><x:t>pre</x:t></x:si></x:sst>`},
	{"no r attributes", sheetXML(`<row><c t="inlineStr"><is><t>UPN</t></is></c><c t="inlineStr"><is><t>City</t></is></c></row><row><c><v>1</v></c><c/><c><v>3</v></c></row><row r="5"><c><v>5</v></c></row><row><c r="C6"><v>6</v></c><c><v>7</v></c></row>`), ""},
	{"gaps", sheetXML(headerRow + `<row r="3"><c r="C3"><v>3</v></c></row><row r="7" spans="1:6"><c r="F7" t="inlineStr"><is><t>seven</t></is></c></row><row r="8"/><row r="9"></row><row r="10"><c r="A10" s="1"/><c r="B10" t="inlineStr"><is><t/></is></c></row><row r="12"><c r="XFD12"><v>1</v></c></row>`), ""},
	{"entities and text", sheetXML(headerRow + "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t xml:space=\"preserve\"> a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233; &#x1F600; </t></is></c><c r=\"B2\" t=\"inlineStr\"><is><t>l1\r\nl2\rl3&#13;</t></is></c><c r=\"C2\" t=\"inlineStr\"><is><t><![CDATA[x<y>&amp;]]></t></is></c><c r=\"D2\" t=\"str\"><v>&lt;str&gt;</v></c><c r=\"E2\" t=\"inlineStr\"><is><t>_x0041__x005f_x_x00e9_</t></is></c><c r=\"F2\"><v><![CDATA[42]]></v></c><c r=\"G2\" t=\"inlineStr\"><is><t>\u00a0nbsp\u00a0</t></is></c></row>"), ""},
	{"rich inline", sheetXML(headerRow + `<row r="2"><c r="A2" t="inlineStr"><is><r><rPr><b val="1"/><i val="false"/><sz val="10.5"/><color rgb="FF0000FF" tint="-0.5" indexed="3" auto="0"/><u val="single"/><vertAlign val="superscript"/></rPr><t>Rich</t></r><r><t xml:space="preserve"> text</t></r><rPh sb="0" eb="1"><t>ル</t></rPh><phoneticPr fontId="0"/></is></c><c r="B2" t="inlineStr"><is><t>one</t></is><is><t>two</t><r><t>+run</t></r></is></c><c r="C2" t="inlineStr"><v>v not is</v></c><c r="D2" t="inlineStr"/></row>`), ""},
	{"dates", sheetXML(headerRow + `<row r="2"><c r="A2" t="d"><v>2024-03-15T00:00:00Z</v></c><c r="B2" t="d" s="1"><v>2024-03-15T13:30:00Z</v></c><c r="C2" t="d" s="10"><v>20240315T120000Z</v></c><c r="D2" t="d" s="1"><v>2024-03-15 10:00:00Z</v></c><c r="E2" t="d" s="1"><v>2024-03-15T00:00:00</v></c><c r="F2" t="d" s="1"><v>1899-12-01T00:00:00Z</v></c><c r="G2" t="d" s="5"><v>20240315T120000,5</v></c><c r="H2" s="1"><v>45366.99999999</v></c><c r="I2" s="9"><v>60</v></c><c r="J2" s="5"><v>0.5</v></c><c r="K2" s="1"><v>-3</v></c><c r="L2" s="1"><v>1e6</v></c></row>`), ""},
	{"formulas and types", sheetXML(headerRow + `<row r="2"><c r="A2" t="str"><f>A1&amp;"x"</f><v>User Namex</v></c><c r="B2"><f>1+1</f><v>2</v></c><c r="C2"><f>1+1</f></c><c r="D2" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="E2" t="b"><v>1</v></c><c r="F2" t="b"><v>0</v></c><c r="G2" t="b" s="2"><v>2</v></c><c r="H2"><f t="shared" ref="H2:H3" si="0">B2*2</f><v>4</v></c><c r="I2" t="n"><v>12.50</v></c><c r="J2" t="foo" s="2"><v>12.5</v></c><c r="K2" t="str"/><c r="L2" t="e"><v>#N/A</v></c></row><row r="3"><c r="H3"><f t="shared" si="0"/><v>8</v></c><c r="I3"><f aca="false" ca="1" dt2D="0" bx="true"/></c></row>`), ""},
	{"numbers", sheetXML(headerRow + `<row r="2"><c r="A2"><v>98052.00000000001</v></c><c r="B2"><v>1.5E+3</v></c><c r="C2"><v> 42</v></c><c r="D2"><v>0x1p-2</v></c><c r="E2"><v>NaN</v></c><c r="F2"><v>Inf</v></c><c r="G2"><v>-0</v></c><c r="H2"><v>007</v></c><c r="I2"><v>1_000</v></c><c r="J2"><v>123456789012345678</v></c><c r="K2"><v>1e400</v></c><c r="L2"><v></v></c><c r="M2"><v>+5</v></c></row>` +
		`<row r="3"><c r="A3" s="2"><v>NaN</v></c><c r="B3" s="2"><v>Inf</v></c><c r="C3" s="2"><v>-Inf</v></c><c r="D3" s="6"><v>-0.4</v></c><c r="E3" s="8"><v>491701234567</v></c><c r="F3" s="7"><v>-491701234567</v></c><c r="G3" s="4"><v>14255550100</v></c><c r="H3" s="1"><v>NaN</v></c><c r="I3" s="1"><v>Inf</v></c><c r="J3" s="2"><v>123456789012345678</v></c><c r="K3" s="3"><v>1.50</v></c><c r="L3" s="2"><v>x</v></c></row>` +
		`<row r="4"><c r="A4" s="11"><v>123.5</v></c><c r="B4" s="11"><v>1234567890123456789</v></c><c r="C4" s="11"><v>-0.000001</v></c><c r="D4" s="12"><v>7.5</v></c><c r="E4" s="12"><v>-123.45</v></c><c r="F4" s="13"><v>1e20</v></c><c r="G4" s="11" t="inlineStr"><is><t>text</t></is></c><c r="H4" s="11"><v>1.5e-20</v></c></row>`), ""},
	{"styles out of range", sheetXML(headerRow + `<row r="2"><c r="A2" s="99"><v>45366</v></c><c r="B2" s="-1"><v>45366</v></c><c r="C2" s="x" t="inlineStr"><is><t>skipped</t></is></c><c r="D2" s="+1"><v>45366</v></c><c r="E2" s="99999999999999999999"><v>1</v></c><c r="F2" t="inlineStr" s="1"><is><t>text in a date style</t></is></c></row>`), ""},
	{"shared string indexes", sheetXML(headerRow + `<row r="2"><c r="A2" t="s"><v>5</v></c><c r="B2" t="s"><v>-1</v></c><c r="C2" t="s"><v>abc</v></c><c r="D2" t="s"><v> 1 </v></c><c r="E2" t="s"><v></v></c><c r="F2" t="s"/><c r="G2" t="s"><f>x</f><v>9</v></c><c r="H2" t="s"><v>99999999999999999999</v></c></row>`), sstXML(`<si><t>only</t></si><si><t>second</t></si>`)},
	{"no shared strings", sheetXML(headerRow + `<row r="2"><c r="A2" t="s"><v>0</v></c></row>`), ""},
	{"cell references", sheetXML(headerRow + `<row r="2"><c r="$C$2"><v>1</v></c><c r="e2"><v>2</v></c><c r="A2"><v>3</v></c><c r=""><v>4</v></c><c r="AA002"><v>5</v></c></row><row r="3"><c r="1A"><v>1</v></c></row><row r="4"><c r="A0"><v>1</v></c></row><row r="5"><c r="XFE5"><v>1</v></c></row><row r="6"><c r="A1048577"><v>1</v></c></row><row r="7"><c r="A7" r="B7"><v>1</v></c></row>`), ""},
	{"row numbers", sheetXML(headerRow + `<row r="x"><c r="A2"><v>1</v></c></row><row r="5"><c r="A5"><v>5</v></c></row><row r="3"><c r="A3"><v>3</v></c></row><row r="0"><c><v>0</v></c></row><row r="+9"><c><v>9</v></c></row><row r=" 10"><c><v>10</v></c></row><row r="-3"><c><v>-3</v></c></row><row r="11" r="12"><c><v>12</v></c></row>`), ""},
	{"row past the last", sheetXML(headerRow + `<row r="2"><c><v>2</v></c></row><row r="1048577"><c><v>1</v></c></row><row r="3"><c><v>3</v></c></row>`), ""},
	{"row far past the last", sheetXML(headerRow + `<row r="99999999999999999999"><c><v>1</v></c></row><row r="4"><c><v>4</v></c></row>`), ""},
	{"last row", sheetXML(headerRow + `<row r="1048576"><c r="B1048576"><v>1</v></c></row>`), ""},
	{"bad formula attribute", sheetXML(headerRow + `<row r="2"><c r="A2"><v>1</v><f ca="maybe">x</f><v>2</v></c><c r="B2"><f si="x"/><v>3</v></c><c r="C2"><f si=""/><v>4</v></c></row>`), ""},
	{"bad rich text attribute", sheetXML(headerRow + `<row r="2"><c r="A2" t="inlineStr"><is><t>A</t><r><rPr><sz val="big"/></rPr><t>B</t></r><r><t>C</t></r></is></c><c r="B2" t="inlineStr"><is><r><t>ok</t></r><rPh sb="-1"><t>x</t></rPh><t>after</t></is></c><c r="C2" t="inlineStr"><is><phoneticPr fontId="z"/><t>z</t></is></c><c r="D2" t="inlineStr"><is><r><rPr><b val=" true "/><color theme=" 1" tint="" auto="yes"/></rPr><t>D</t></r></is></c></row><row r="3"><c r="A3"><v>3</v></c></row>`), ""},
	{"bool run properties", sheetXML(headerRow + `<row r="2"><c r="A2" t="inlineStr"><is><r><rPr><b val="true "/></rPr><t>A</t></r></is></c><c r="B2" t="inlineStr"><is><r><rPr><i val=""/><strike>x</strike><b val="1" val="x"/><outline x:val="0" xmlns:x="urn:x"/><shadow/><condense val="T"/><extend val="False"/></rPr><t>B</t></r></is></c><c r="C2" t="inlineStr"><is><t>C</t><r><rPr><b val=" 1"/></rPr><t>dropped</t></r><t>not read</t></is></c></row><row r="3"><c r="A3"><v>3</v></c></row>`), ""},
	{"bool run property with a child", sheetXML(headerRow + `<row r="2"><c r="A2" t="inlineStr"><is><r><rPr><b><x/><c r="C2"><v>in b</v></c></b></rPr><t>A</t></r></is></c><c r="B2"><v>2</v></c></row><row r="3"><c r="A3"><v>3</v></c></row>`), ""},
	{"nested elements", sheetXML(headerRow + `<row r="2"><c r="A2"><c/><v>1</v></c><c r="B2"><x><v>2</v></x></c><c r="C2"><v>3<b>not</b>4</v></c><c r="D2" xmlns:o="urn:other"><o:c/><v>5</v></c><c r="E2" t="inlineStr"><is><t>t<b>x</b>u</t></is></c></row>`), ""},
	{"comments and instructions", "<?xml version=\"1.0\"?>\r\n<!DOCTYPE worksheet>\r\n<!-- generated -->\r\n" + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><!-- rows --><row r="1"><?pi x?><c r="A1" t="inlineStr"><is><t>a<!-- c -->b</t></is></c></row>` + "\r\n" + `<row r="2"><c r="A2"><v>2</v></c></row></sheetData></worksheet>`, ""},
	{"rows outside sheetData", `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><row r="1"><c t="inlineStr"><is><t>early</t></is></c></row><sheetData><row r="2"><c><v>2</v></c></row></sheetData><row r="4"><c><v>4</v></c></row></worksheet>`, ""},
	{"no sheetData", `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>`, ""},
	{"empty part", ``, ""},
	{"byte-order mark", "\ufeff" + sheetXML(headerRow), ""},
	{"namespaces", `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:a="urn:a"><sheetData><row r="1" xmlns:a="urn:b"><c r="A1" t="inlineStr" a:t="x"><is xmlns="urn:c"><t>ns</t></is></c><a:c r="B1"><v>1</v></a:c></row></sheetData></worksheet>`, ""},
	{"damaged: cut short", sheetXML(headerRow + `<row r="2"><c r="A2"><v>2</v></c></row>`)[:300], ""},
	{"damaged: bad tag", sheetXML(headerRow + `<row r="2"><c r="A2"><v>2</v></c></row><row r="3"><c r="A3"><v>3</v></x></c></row>`), ""},
	{"damaged: bad entity", sheetXML(headerRow + `<row r="2"><c r="A2" t="inlineStr"><is><t>&nbsp;</t></is></c></row>`), ""},
	{"damaged: control character", sheetXML(headerRow + "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>a\x01b</t></is></c></row>"), ""},
	{"damaged: bad UTF-8", sheetXML(headerRow + "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>a\xffb</t></is></c></row>"), ""},
	{"damaged: after the rows", sheetXML(headerRow+`<row r="2"><c r="A2"><v>2</v></c></row>`) + `<oops`, ""},
	{"damaged: encoding", `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + headerRow + `<?xml version="1.0" encoding="ISO-8859-1"?><row r="2"><c><v>2</v></c></row></sheetData></worksheet>`, ""},
}

// isWellFormed reports whether encoding/xml reads doc to the end.
func isWellFormed(doc []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		if _, err := d.Token(); err != nil {
			return err.Error() == "EOF"
		}
	}
}

func TestFastXLSX_Raw(t *testing.T) {
	for _, tt := range rawCases {
		t.Run(tt.name, func(t *testing.T) {
			for _, date1904 := range []bool{false, true} {
				path := writeFile(t, "raw.xlsx", rawWorkbook(t, tt.sheet, tt.sst, date1904))
				if isWellFormed([]byte(tt.sheet)) {
					checkSameRows(t, path, Options{})
					continue
				}
				// Damaged: the same rows up to the damage, then an error
				// for the row where it is (excelize ends the sheet there
				// without one).
				fast := openFast(t, path, Options{})
				slow := openExcelize(t, path, Options{})
				got, _ := readSource(t, fast, maxCalls)
				want, _ := readSource(t, slow, maxCalls)
				checkDamaged(t, got, want)
				fast.close()
				slow.close()
			}
		})
	}
}

// checkDamaged checks the fast reader's results for a worksheet whose XML
// is damaged: up to its error for the damage, the same results as
// excelize's (whose last row may be cut short), then the end. A reader
// that stops before the damage (at the end of sheetData after a damaged
// row, or at the last row a worksheet holds) gives excelize's results.
// (That the scanner finds all the damage encoding/xml finds is
// FuzzScanner's to check.)
func checkDamaged(t testing.TB, got, want []readResult) {
	t.Helper()
	for i, g := range got {
		if strings.Contains(g.err, "XML syntax error") || strings.Contains(g.err, "zip: ") {
			if len(got) != i+2 || got[i+1].err != "EOF" {
				t.Fatalf("after the damage: %+v", got[i+1:])
			}
			return
		}
		if i >= len(want) || g != want[i] {
			t.Fatalf("result %d before the damage:\nfast    %+v\nexcelize %+v", i, g, want[min(i, len(want)-1)])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("no error for the damage: %+v", got)
	}
}

// TestFastXLSX_CutShort covers the one well-formed worksheet excelize
// stops reading early without an error: the fast reader stops there too,
// and says so.
func TestFastXLSX_CutShort(t *testing.T) {
	sheet := sheetXML(headerRow + `<row r="2"><c r="A2" t="inlineStr"><is><r><rPr><b><x/></b></rPr><t>A</t></r></is></c></row><row r="3"><c r="A3"><v>3</v></c></row>`)
	path := writeFile(t, "cut.xlsx", rawWorkbook(t, sheet, "", false))
	rows := checkSameRows(t, path, Options{})
	if last := rows[len(rows)-1]; last.number != 2 {
		t.Errorf("read to row %d", last.number)
	}
	r, _ := readAll(t, path, Options{})
	if w := strings.Join(r.Warnings(), "|"); !strings.Contains(w, "damaged after row 2") {
		t.Errorf("warnings = %q", w)
	}
}

func TestFastXLSX_RawFallback(t *testing.T) {
	sheet := sheetXML(headerRow + `<row r="2"><c r="A2" t="s"><v>0</v></c></row>`)
	for _, tt := range []struct{ name, sheet, sst, reason string }{
		{"sst count", sheet, `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="many"><si><t>x</t></si></sst>`, "shared strings"},
		{"sst namespace", sheet, `<sst><si><t>x</t></si></sst>`, "shared strings"},
		{"sst root", sheet, `<root xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>x</t></si></root>`, "shared strings"},
		{"sst bad run", sheet, sstXML(`<si><r><rPr><sz val="x"/></rPr><t>x</t></r></si>`), "shared strings"},
		{"sst nested item", sheet, sstXML(`<extLst><si><t>x</t></si></extLst>`), "shared strings"},
		{"sst damaged", sheet, sstXML(`<si><t>x</si>`), "shared strings"},
		{"sst strict", sheet, `<sst xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main"><si><t>x</t></si></sst>`, "strict"},
		{"sst encoding", sheet, `<?xml version="1.0" encoding="ISO-8859-1"?>` + sstXML(`<si><t>x</t></si>`), "UTF-8"},
		{"sheet encoding", `<?xml version="1.0" encoding="windows-1252"?>` + sheet[strings.Index(sheet, "?>")+2:], "", "UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkFallback(t, writeFile(t, "raw.xlsx", rawWorkbook(t, tt.sheet, tt.sst, false)), Options{}, tt.reason)
		})
	}
}

// TestFastXLSX_Package covers how the worksheet part is found.
func TestFastXLSX_Package(t *testing.T) {
	sheet := sheetXML(headerRow + `<row r="2"><c r="A2" t="inlineStr"><is><t>a@x.com</t></is></c></row>`)
	good := rawWorkbook(t, sheet, "", false)
	rename := func(data []byte, from, to string) []byte {
		zr := mustZip(t, data)
		files := map[string]string{}
		for name, body := range zr {
			if name == from {
				name = to
			}
			files[name] = body
		}
		return zipBytes(t, files)
	}
	relsTo := func(target string) []byte {
		return patchZip(t, good, "xl/_rels/workbook.xml.rels", func(x string) string {
			return strings.Replace(x, `Target="/xl/worksheets/sheet1.xml"`, `Target="`+target+`"`, 1)
		})
	}
	for name, data := range map[string][]byte{
		"absolute target": good,
		"relative target": relsTo("worksheets/sheet1.xml"),
		"dotted target":   relsTo("./worksheets/../worksheets/sheet1.xml"),
		"backslashes":     rename(good, "xl/worksheets/sheet1.xml", `xl\worksheets\sheet1.xml`),
		"odd name":        rename(relsTo("data/users.xml"), "xl/worksheets/sheet1.xml", "xl/data/users.xml"),
	} {
		t.Run(name, func(t *testing.T) {
			checkSameRows(t, writeFile(t, "p.xlsx", data), Options{})
		})
	}
	withSST := rawWorkbook(t, sheetXML(`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`), sstXML(`<si><t>User Name</t></si>`), false)
	t.Run("shared strings name case", func(t *testing.T) {
		checkSameRows(t, writeFile(t, "p.xlsx", rename(withSST, "xl/sharedStrings.xml", "XL/SHAREDSTRINGS.XML")), Options{})
	})
	t.Run("missing part", func(t *testing.T) {
		checkFallback(t, writeFile(t, "p.xlsx", relsTo("worksheets/nothing.xml")), Options{}, "no part")
	})
	t.Run("other workbook part", func(t *testing.T) {
		moved := rename(good, "xl/workbook.xml", "xl/book.xml")
		moved = patchZip(t, moved, "_rels/.rels", func(x string) string {
			return strings.Replace(x, `Target="xl/workbook.xml"`, `Target="xl/book.xml"`, 1)
		})
		checkFallback(t, writeFile(t, "p.xlsx", moved), Options{}, "workbook part")
	})
	t.Run("part twice", func(t *testing.T) {
		twice := rename(good, "xl/styles.xml", `xl\styles.xml`)
		twice = mustAddFile(t, twice, "xl/styles.xml", stylesXML)
		checkFallback(t, writeFile(t, "p.xlsx", twice), Options{}, "twice")
	})
}

// mustZip returns the files of a zip.
func mustZip(tb testing.TB, data []byte) map[string]string {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		tb.Fatal(err)
	}
	files := map[string]string{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			tb.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(rc)
		rc.Close()
		files[zf.Name] = b.String()
	}
	return files
}

func mustAddFile(tb testing.TB, data []byte, name, body string) []byte {
	tb.Helper()
	files := mustZip(tb, data)
	files[name] = body
	return zipBytes(tb, files)
}

// TestFastXLSX_UnzipLimit checks the limit on the unpacked size: by the
// sizes the zip declares, as excelize checks it but without its overflow,
// and by the bytes actually unpacked.
func TestFastXLSX_UnzipLimit(t *testing.T) {
	var rows strings.Builder
	rows.WriteString(headerRow)
	for i := 2; i <= 3000; i++ {
		fmt.Fprintf(&rows, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>user%d@contoso.com</t></is></c></row>`, i, i, i)
	}
	data := rawWorkbook(t, sheetXML(rows.String()), "", false)
	path := writeFile(t, "big.xlsx", data)
	t.Run("OK", func(t *testing.T) {
		src := openFast(t, path, Options{MaxUnzipSize: 1 << 20})
		defer src.close()
		got, _ := readSource(t, src, maxCalls)
		if len(got) != 3001 || got[len(got)-1].err != "EOF" {
			t.Fatalf("read %d results, last %+v", len(got), got[len(got)-1])
		}
	})
	t.Run("Declared", func(t *testing.T) {
		_, err := openFastPath(path, Options{MaxUnzipSize: 64 << 10})
		wantInvalid(t, err, "zip bomb", "65536 bytes")
	})
	t.Run("Overflow", func(t *testing.T) {
		// A size past 2^63 reads as negative to excelize, which adds it
		// up: the total looks small.
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		zw := zip.NewWriter(&out)
		for _, zf := range zr.File {
			hdr := zf.FileHeader
			if zf.Name == "xl/worksheets/sheet1.xml" {
				hdr.UncompressedSize64 = 1<<64 - 1
			}
			w, err := zw.CreateRaw(&hdr)
			if err != nil {
				t.Fatal(err)
			}
			rc, _ := zf.OpenRaw()
			io.Copy(w, rc)
		}
		zw.Close()
		_, err = Open(writeFile(t, "overflow.xlsx", out.Bytes()), Options{})
		wantInvalid(t, err, "zip bomb")
	})
}

// TestFastXLSX_LibreOffice has LibreOffice Calc write workbooks from CSV,
// detecting numbers and dates as a user's import would, and checks the
// fast reader reads them as excelize does. It is skipped when soffice is
// not installed, unless USERIMPORT_TEST_LIBREOFFICE=require.
func TestFastXLSX_LibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("USERIMPORT_TEST_LIBREOFFICE") == "require" {
			t.Fatal("soffice not found, and USERIMPORT_TEST_LIBREOFFICE=require")
		}
		t.Skip("soffice not found: LibreOffice check skipped")
	}
	if testing.Short() {
		t.Skip("LibreOffice check skipped in -short mode")
	}
	dir := t.TempDir()
	var roster bytes.Buffer
	if err := Generate(&roster, "csv", 300, "contoso.com", 7); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"roster.csv": roster.String(),
		"values.csv": "User Name,Employee ID,Office Phone,ZIP or Postal Code,Job Title,Department,Fax\n" +
			"a@x.com,00123,14255550100,98052,2024-03-15,03/15/2024,1.5\n" +
			"b@x.com,123,+49 30 1234567,00-950,15.03.2024,x,-7\n" +
			"c@x.com,1e5,491701234567,98052-1234,2024-03-15 13:30,0.1,12345678901234567\n",
		// Calc reads TRUE as a boolean shown by a number format of
		// sections, which the fast reader leaves to excelize.
		"booleans.csv": "User Name,Block Sign In\na@x.com,TRUE\nb@x.com,FALSE\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// A fresh profile per run: LibreOffice refuses to share one. Filter
	// options: comma, double quote, UTF-8, from line 1, and detect
	// special numbers (dates) as Calc does when a user opens a CSV file.
	cmd := exec.CommandContext(ctx, soffice,
		"-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--headless", "--norestore", "--nolockcheck",
		"--infilter=CSV:44,34,76,1,,0,false,true,true",
		"--convert-to", "xlsx", "--outdir", dir,
		filepath.Join(dir, "roster.csv"), filepath.Join(dir, "values.csv"), filepath.Join(dir, "booleans.csv"))
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v: %s", err, output)
	}
	for _, name := range []string{"roster.xlsx", "values.xlsx", "booleans.xlsx"} {
		t.Run(name, func(t *testing.T) {
			rows := checkSameRows(t, filepath.Join(dir, name), Options{})
			if len(rows) < 3 {
				t.Errorf("rows = %+v", rows)
			}
		})
	}
}

// TestFastXLSX_SpilledSharedStrings covers a shared strings part larger
// than excelize keeps in memory: excelize looks its items up in a
// temporary file, where an index past the end reads as the number itself
// (17000 reads as "17000", which in memory reads as nothing) and a
// negative one panics.
func TestFastXLSX_SpilledSharedStrings(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a large workbook")
	}
	var items strings.Builder
	const n = 17_000
	for i := range n {
		fmt.Fprintf(&items, "<si><t>item %d %s</t></si>", i, strings.Repeat("x", 1000))
	}
	if items.Len() <= 16<<20 {
		t.Fatalf("shared strings of %d bytes", items.Len())
	}
	sheet := sheetXML(headerRow +
		`<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>16999</v></c><c r="C2" t="s"><v>17000</v></c><c r="D2" t="s"><v>abc</v></c><c r="E2" t="s"><v>99999999999999999999</v></c></row>` +
		`<row r="3"><c r="A3" t="s"><v>-1</v></c></row><row r="4"><c r="A4" t="s"><v>1</v></c></row>`)
	path := writeFile(t, "spilled.xlsx", rawWorkbook(t, sheet, sstXML(items.String()), false))
	fast := openFast(t, path, Options{})
	defer fast.close()
	slow := openExcelize(t, path, Options{})
	defer slow.close()
	got, _ := readSource(t, fast, maxCalls)
	want, _ := readSource(t, slow, maxCalls)
	// Row 3 is damaged for both, the messages differ: excelize's is its
	// panic.
	for _, results := range [][]readResult{got, want} {
		if len(results) != 5 || !strings.HasPrefix(results[2].err, "row 3: the worksheet is damaged here") {
			t.Fatalf("results %+v", results)
		}
		results[2].err = "damaged"
	}
	compareResults(t, got, want)
	if !strings.Contains(got[1].cells, `"17000"`) || !strings.Contains(got[1].cells, `"9223372036854775807"`) {
		t.Errorf("row 2 = %s", got[1].cells)
	}
}

// TestXLSX_GeneralNumbers checks the rule both readers follow for a number
// in General or scientific style, or in no style: at most 15 significant
// digits, and integers without an exponent (a 12-digit phone number read
// as 4.917012346E+11 before).
func TestXLSX_GeneralNumbers(t *testing.T) {
	tests := []struct {
		value any
		want  string
	}{
		{491701234567, "491701234567"},
		{4917012345678, "4917012345678"},
		{14255550100, "14255550100"},
		{123456789012345, "123456789012345"},
		{1234567890123456789, "1234567890123460000"},
		{1e16, "10000000000000000"},
		{98052.00000000001, "98052"},
		{0.1 + 0.2, "0.3"},
		{12345678901.5, "12345678901.5"},
		{-491701234567, "-491701234567"},
		{1.5, "1.5"},
		{1e21, "1E+21"},
	}
	f := excelize.NewFile()
	defer f.Close()
	sci := "0.00E+00"
	general := "General"
	var ids []int
	for _, st := range []*excelize.Style{
		{Font: &excelize.Font{Bold: true}}, {NumFmt: 11}, {NumFmt: 48}, {CustomNumFmt: &sci}, {CustomNumFmt: &general},
	} {
		id, err := f.NewStyle(st)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	ids = append(ids, 0)
	f.SetSheetRow("Sheet1", "A1", &[]any{"User Name"})
	for r, tt := range tests {
		for c, id := range ids {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
			f.SetCellValue("Sheet1", cell, tt.value)
			if id != 0 {
				f.SetCellStyle("Sheet1", cell, cell, id)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, "general.xlsx", buf.Bytes())
	for name, src := range map[string]source{"fast": openFast(t, path, Options{}), "excelize": openExcelize(t, path, Options{})} {
		t.Run(name, func(t *testing.T) {
			defer src.close()
			src.next() // the header
			for _, tt := range tests {
				cells, number, err := src.next()
				if err != nil {
					t.Fatal(err)
				}
				for c, got := range cells {
					if got != tt.want {
						t.Errorf("row %d, style %d: %v reads as %q, want %q", number, ids[c], tt.value, got, tt.want)
					}
				}
				if len(cells) != len(ids) {
					t.Errorf("row %d: %d cells", number, len(cells))
				}
			}
		})
	}
}
