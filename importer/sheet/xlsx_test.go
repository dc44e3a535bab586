package sheet

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"userimport/importer"
	"userimport/importer/sheet/internal/fastxlsx"
)

// zipBytes returns a zip of the given files.
func zipBytes(tb testing.TB, files map[string]string) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// xlsxBytes returns a workbook whose first sheet holds rows from A1.
func xlsxBytes(tb testing.TB, rows [][]any) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			tb.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func TestOpen_XLSX(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	const s = "Sheet1"
	header := []any{"User Name", "Display Name", "ZIP or Postal Code", "Office Phone", "Mobile Phone", "Fax", "Employee ID", "Job Title", "Department", "Block Sign In", "City", "Address"}
	f.SetSheetRow(s, "A1", &header)
	style := func(st *excelize.Style) int {
		id, err := f.NewStyle(st)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	zeros := "00000"
	dmy := "dd/mm/yyyy;@"
	text := "@"
	bold := style(&excelize.Style{Font: &excelize.Font{Bold: true}})
	set := func(cell string, v any, styleID int) {
		t.Helper()
		if err := f.SetCellValue(s, cell, v); err != nil {
			t.Fatal(err)
		}
		if styleID != 0 {
			f.SetCellStyle(s, cell, cell, styleID)
		}
	}
	// Row 2: plain values.
	set("A2", "  josé@contoso.com\u00a0", 0)
	set("B2", "José Núñez", 0)
	set("C2", 98052, 0)
	set("D2", 14255550100, bold)
	set("E2", 14255550100, style(&excelize.Style{NumFmt: 11}))
	set("F2", 0.1+0.2, bold)
	set("G2", 1234, style(&excelize.Style{CustomNumFmt: &zeros}))
	set("H2", time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC), style(&excelize.Style{NumFmt: 14}))
	set("I2", time.Date(2024, 12, 31, 13, 30, 0, 0, time.UTC), style(&excelize.Style{CustomNumFmt: &dmy}))
	set("J2", true, 0)
	set("K2", "01234", style(&excelize.Style{CustomNumFmt: &text}))
	f.SetCellFormula(s, "L2", `CONCAT("1 ","Main St")`)
	// Row 3 is blank, row 4 has a float with noise.
	set("A4", "b@contoso.com", 0)
	set("C4", 98052.00000000001, 0)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	// excelize writes no cached value for a formula: put one in, as Excel
	// would have.
	data := patchZip(t, buf.Bytes(), "xl/worksheets/sheet1.xml", func(x string) string {
		return strings.Replace(x, `<f>CONCAT(&#34;1 &#34;,&#34;Main St&#34;)</f>`, `<f>CONCAT(&#34;1 &#34;,&#34;Main St&#34;)</f><v>1 Main St</v>`, 1)
	})
	data = patchZip(t, data, "xl/worksheets/sheet1.xml", func(x string) string {
		return strings.Replace(x, `<c r="L2" t="str">`, `<c r="L2" t="str">`, 1)
	})
	r, rows := readAll(t, writeFile(t, "w.xlsx", data), Options{})
	if len(rows) != 2 {
		t.Fatalf("rows = %+v", rows)
	}
	got := rows[0]
	want := map[importer.Column]string{
		importer.ColUserName:    "josé@contoso.com",
		importer.ColDisplayName: "José Núñez",
		importer.ColPostalCode:  "98052",
		importer.ColOfficePhone: "14255550100",
		importer.ColMobilePhone: "14255550100",
		importer.ColFax:         "0.3",
		importer.ColEmployeeID:  "01234",
		importer.ColJobTitle:    "2024-03-15",
		importer.ColDepartment:  "2024-12-31",
		importer.ColBlockSignIn: "TRUE",
		importer.ColCity:        "01234",
		importer.ColAddress:     "1 Main St",
	}
	for c, v := range want {
		if g := got.Get(c); g != v {
			t.Errorf("%s = %q, want %q", c, g, v)
		}
	}
	if got.Number != 2 || rows[1].Number != 4 {
		t.Errorf("numbers = %d, %d", got.Number, rows[1].Number)
	}
	if g := rows[1].Get(importer.ColPostalCode); g != "98052" {
		t.Errorf("noisy zip = %q", g)
	}
	if len(r.Warnings()) != 0 {
		t.Errorf("warnings = %q", r.Warnings())
	}
}

// patchZip returns data with the zip entry name rewritten by edit.
func patchZip(tb testing.TB, data []byte, name string, edit func(string) string) []byte {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			tb.Fatal(err)
		}
		var body bytes.Buffer
		body.ReadFrom(rc)
		rc.Close()
		b := body.String()
		if zf.Name == name {
			b = edit(b)
		}
		w, _ := zw.Create(zf.Name)
		w.Write([]byte(b))
	}
	zw.Close()
	return out.Bytes()
}

func TestOpen_XLSX1904(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetRow("Sheet1", "A1", &[]any{"User Name", "Job Title"})
	f.SetCellValue("Sheet1", "A2", "a@x.com")
	// 45366 days after 1904-01-01 is 2028-03-16; in 1900 it is 2024-03-15.
	f.SetCellValue("Sheet1", "B2", 45366)
	id, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	f.SetCellStyle("Sheet1", "B2", "B2", id)
	var buf bytes.Buffer
	f.Write(&buf)
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"1900", buf.Bytes(), "2024-03-15"},
		{"1904", patchZip(t, buf.Bytes(), "xl/workbook.xml", func(x string) string {
			return strings.Replace(x, "<workbookPr", `<workbookPr date1904="1"`, 1)
		}), "2028-03-16"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, rows := readAll(t, writeFile(t, "d.xlsx", tt.data), Options{})
			if got := rows[0].Get(importer.ColJobTitle); got != tt.want {
				t.Errorf("date = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOpen_XLSXStrings(t *testing.T) {
	// Shared and inline strings, as other programs write them, and a sheet
	// chosen by name.
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"nothing here"})
	f.NewSheet("Users")
	f.SetSheetRow("Users", "A1", &[]any{"User Name", "Display Name", "City"})
	f.SetSheetRow("Users", "A2", &[]any{"zoë@contoso.com", "Zoë", "Łódź"})
	var buf bytes.Buffer
	f.Write(&buf)
	f.Close()
	data := patchZip(t, buf.Bytes(), "xl/worksheets/sheet2.xml", func(x string) string {
		// Turn C2 into an inline string.
		i := strings.Index(x, `<c r="C2"`)
		j := strings.Index(x[i:], "</c>") + i + 4
		return x[:i] + `<c r="C2" t="inlineStr"><is><t>Łódź inline</t></is></c>` + x[j:]
	})
	path := writeFile(t, "s.xlsx", data)
	_, rows := readAll(t, path, Options{Sheet: "users"})
	if len(rows) != 1 || rows[0].Get(importer.ColDisplayName) != "Zoë" || rows[0].Get(importer.ColCity) != "Łódź inline" || rows[0].Get(importer.ColUserName) != "zoë@contoso.com" {
		t.Errorf("rows = %+v", rows)
	}
	_, err := Open(path, Options{Sheet: "Staff"})
	wantInvalid(t, err, `"Staff"`, `"Sheet1", "Users"`)
	_, err = Open(path, Options{})
	wantInvalid(t, err, `"User Name"`, `"nothing here"`)
}

func TestOpen_XLSXEntraVersionLine(t *testing.T) {
	data := xlsxBytes(t, [][]any{{"version:v1.0"}, {"Name [displayName] Required", "User name [userPrincipalName] Required"}, {"Ana", "ana@contoso.com"}})
	_, rows := readAll(t, writeFile(t, "e.xlsx", data), Options{})
	if len(rows) != 1 || rows[0].Number != 3 || rows[0].Get(importer.ColDisplayName) != "Ana" {
		t.Errorf("rows = %+v", rows)
	}
}

// bombBytes returns an xlsx whose worksheet unpacks to size bytes (rounded
// up to a MiB), built without compressing them all: one MiB of a comment
// is deflated once, with a sync flush so that it stands alone and ends on
// a byte, and the worksheet's stream is that block repeated, then a final
// empty block. declared is the size the zip says it unpacks to; 0 says
// the truth.
func bombBytes(tb testing.TB, size int, declared uint64) []byte {
	tb.Helper()
	good := xlsxBytes(tb, [][]any{{"User Name"}, {"a@x.com"}})
	zr, _ := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	chunk := bytes.Repeat([]byte("<!-- boom boom boom boom -->"), (1<<20)/28+1)[:1<<20]
	var block, end bytes.Buffer
	fw, _ := flate.NewWriter(&block, flate.BestCompression)
	fw.Write(chunk)
	fw.Flush()
	fw, _ = flate.NewWriter(&end, flate.BestCompression)
	fw.Close()
	n := (size + len(chunk) - 1) / len(chunk)
	var sum uint32
	for i := 0; i < n; i++ {
		sum = crc32.Update(sum, crc32.IEEETable, chunk)
	}
	stream := append(bytes.Repeat(block.Bytes(), n), end.Bytes()...)
	if declared == 0 {
		declared = uint64(n * len(chunk))
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		if zf.Name == "xl/worksheets/sheet1.xml" {
			w, err := zw.CreateRaw(&zip.FileHeader{
				Name: zf.Name, Method: zip.Deflate, CRC32: sum,
				CompressedSize64: uint64(len(stream)), UncompressedSize64: declared,
			})
			if err != nil {
				tb.Fatal(err)
			}
			w.Write(stream)
			continue
		}
		w, _ := zw.Create(zf.Name)
		rc, _ := zf.Open()
		io.Copy(w, rc)
		rc.Close()
	}
	zw.Close()
	return out.Bytes()
}

// countingReaderAt counts the bytes read from a file.
type countingReaderAt struct {
	r io.ReaderAt
	n int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

// TestOpen_ZipBomb checks that a workbook whose zip says it unpacks to more
// than the limit is refused from its zip directory: before its worksheet
// is unpacked at all, by the fast reader, and without excelize reading it
// into memory.
func TestOpen_ZipBomb(t *testing.T) {
	data := bombBytes(t, 512<<20, 0)
	if len(data) > 4<<20 {
		t.Fatalf("bomb is %d bytes", len(data))
	}
	if zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	} else if rc, err := zr.Open("xl/worksheets/sheet1.xml"); err != nil {
		t.Fatal(err)
	} else if n, err := io.Copy(io.Discard, rc); err != nil || n != 512<<20 {
		t.Fatalf("the bomb unpacks to %d bytes (%v)", n, err)
	}
	path := writeFile(t, "bomb.xlsx", data)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Open(path, Options{})
	runtime.ReadMemStats(&after)
	wantInvalid(t, err, "zip bomb", "256 MiB")
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", alloc)
	}
	// What was read of the file: its zip directory, not the worksheet's
	// compressed stream (1.3 MB).
	file := &countingReaderAt{r: bytes.NewReader(data)}
	_, err = openXLSX(file, int64(len(data)), Options{})
	wantInvalid(t, err, "zip bomb", "256 MiB")
	if file.n > 64<<10 {
		t.Errorf("refusing the bomb read %d bytes of its %d", file.n, len(data))
	}
	if _, err := openFastPath(path, Options{}); errors.Is(err, fastxlsx.ErrNoFastPath) {
		t.Errorf("the fast reader left the bomb to excelize: %v", err)
	}
	// A smaller limit refuses smaller workbooks.
	_, err = Open(writeFile(t, "small.xlsx", bombBytes(t, 2<<20, 0)), Options{MaxUnzipSize: 1 << 20})
	wantInvalid(t, err, "zip bomb", "1 MiB")
}

// TestOpen_ZipLyingSize checks a zip entry that says it unpacks to little
// but unpacks to much: it is unpacked only as far as it says (archive/zip
// refuses to read more), so the worksheet is cut short and the file
// refused, having read a few KiB of the entry's 1.3 MB.
func TestOpen_ZipLyingSize(t *testing.T) {
	data := bombBytes(t, 512<<20, 1000)
	liar := writeFile(t, "liar.xlsx", data)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Open(liar, Options{})
	runtime.ReadMemStats(&after)
	wantInvalid(t, err)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("refusing the liar allocated %d bytes", alloc)
	}
	file := &countingReaderAt{r: bytes.NewReader(data)}
	src, err := openFastXLSX(file, int64(len(data)), Options{})
	if err != nil {
		t.Fatalf("the fast reader did not open it: %v", err)
	}
	_, _, err = src.next()
	wantInvalid(t, err, "row 1", "zip: not a valid zip file")
	src.close()
	if file.n > 128<<10 {
		t.Errorf("reading the liar read %d bytes of its %d", file.n, len(data))
	}
}

// TestOpen_LibreOffice reads a workbook LibreOffice Calc saved:
// testdata/libreoffice.xlsx is testdata/libreoffice.csv converted with
// soffice --headless --infilter=CSV:44,34,76,1 --convert-to xlsx.
func TestOpen_LibreOffice(t *testing.T) {
	r, rows := readAll(t, "testdata/libreoffice.xlsx", Options{})
	if len(r.Warnings()) != 0 {
		t.Errorf("warnings = %q", r.Warnings())
	}
	if len(rows) != 3 {
		t.Fatalf("rows = %+v", rows)
	}
	tests := []struct {
		row  int
		col  importer.Column
		want string
	}{
		{0, importer.ColDisplayName, "José Núñez"},
		{0, importer.ColOfficePhone, "14255550100"},
		{0, importer.ColPostalCode, "98052"},
		{0, importer.ColLicenses, "ENTERPRISEPACK"},
		{1, importer.ColFirstName, "Zoë"},
		{1, importer.ColOfficePhone, "4930123456"},
		{2, importer.ColUserName, "lukasz.wisniewski@fabrikam.com"},
		{2, importer.ColLastName, "Wiśniewski"},
		{2, importer.ColPostalCode, "00-950"},
		{2, importer.ColJobTitle, "2024-03-15"},
		{2, importer.ColUsageLocation, "PL"},
	}
	for _, tt := range tests {
		if got := rows[tt.row].Get(tt.col); got != tt.want {
			t.Errorf("row %d %s = %q, want %q", rows[tt.row].Number, tt.col, got, tt.want)
		}
	}
	if rows[2].Number != 4 {
		t.Errorf("number = %d", rows[2].Number)
	}
}

func TestOpen_XLSXFarRow(t *testing.T) {
	// A row far down the sheet after the header: the rows between are
	// skipped quickly and the numbers stay right.
	data := patchZip(t, xlsxBytes(t, [][]any{{"User Name"}, {"a@x.com"}}), "xl/worksheets/sheet1.xml", func(x string) string {
		return strings.NewReplacer(`r="2"`, `r="1048576"`, `r="A2"`, `r="A1048576"`).Replace(x)
	})
	start := time.Now()
	_, rows := readAll(t, writeFile(t, "far.xlsx", data), Options{})
	if len(rows) != 1 || rows[0].Number != 1048576 {
		t.Errorf("rows = %+v", rows)
	}
	t.Logf("took %v", time.Since(start))
}

// TestOpen_XLSXUncalculatedFormula checks a workbook written by a program
// that does not calculate: a formula cell without a saved value read as
// blank, and the row failed as "User Name: required". The row's problem
// now says what happened and what to do.
func TestOpen_XLSXUncalculatedFormula(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	const s = "Sheet1"
	f.SetSheetRow(s, "A1", &[]any{"User Name", "Display Name", "Notes", "Department"})
	f.SetCellFormula(s, "A2", `LOWER("ANA@X.COM")`) // excelize saves no value
	f.SetCellValue(s, "B2", "Ana")
	f.SetSheetRow(s, "A3", &[]any{"bo@x.com", "Bo"})
	f.SetCellFormula(s, "C3", `"note"`) // not one of our columns
	f.SetSheetRow(s, "A4", &[]any{"cy@x.com", "Cy"})
	f.SetCellFormula(s, "D4", `"Sales"`)
	f.SetCellFormula(s, "A5", `"di@x.com"`)
	f.SetCellFormula(s, "D6", `"Sales"`) // a row with nothing else
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	// Row 5's formula has a value saved, as Excel saves it.
	data := patchZip(t, buf.Bytes(), "xl/worksheets/sheet1.xml", func(x string) string {
		return strings.Replace(x, `<f>&#34;di@x.com&#34;</f>`, `<f>&#34;di@x.com&#34;</f><v>di@x.com</v>`, 1)
	})
	_, rows := readAll(t, writeFile(t, "formulas.xlsx", data), Options{})
	got := make(map[int]string)
	for _, row := range rows {
		got[row.Number] = row.Problem
	}
	const fix = "holds a formula that was never calculated, so the file has no value for it: open the file in Excel or LibreOffice, save it, and import it again"
	want := map[int]string{
		2: "User Name (cell A2): " + fix,
		3: "",
		4: "Department (cell D4): " + fix,
		5: "",
		6: "Department (cell D6): " + fix,
	}
	for n, w := range want {
		if g, ok := got[n]; !ok || g != w {
			t.Errorf("row %d problem = %q (read: %v), want %q", n, g, ok, w)
		}
	}
	if len(rows) != len(want) {
		t.Errorf("rows = %+v", rows)
	}
}
