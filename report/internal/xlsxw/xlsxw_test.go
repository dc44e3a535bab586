package xlsxw

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAppendInlineText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"alice", "<is><t>alice</t></is>"},
		{"a&b<c>d\"e'f", "<is><t>a&amp;b&lt;c&gt;d\"e'f</t></is>"},
		{" lead", `<is><t xml:space="preserve"> lead</t></is>`},
		{"trail\n", "<is><t xml:space=\"preserve\">trail\n</t></is>"},
		{"\tx", `<is><t xml:space="preserve">&#x9;x</t></is>`},
		{"a\r\nb", "<is><t>a&#xD;\nb</t></is>"},
		{"a\x00b\x1fc\x7f", "<is><t>a\uFFFDb\uFFFDc\x7f</t></is>"},
		{"\xffé\xed\xa0\x80", "<is><t>\uFFFDé\uFFFD\uFFFD\uFFFD</t></is>"},
		{"\uFFFE\uFFFF\uFFFD😀", "<is><t>\uFFFD\uFFFD\uFFFD😀</t></is>"},
		{"_x0041_", "<is><t>_x005F_x0041_</t></is>"},
		{"_x005F_", "<is><t>_x005F_x005F_</t></is>"},
		{"_x0041_x0042_", "<is><t>_x005F_x0041_x005F_x0042_</t></is>"},
		{"_xD800_", "<is><t>_x005F_xD800_</t></is>"},
		{"_x004_ _x00G1_ x0041_ _x0041", "<is><t>_x004_ _x00G1_ x0041_ _x0041</t></is>"},
	} {
		if got := string(appendInlineText(nil, tt.in)); got != tt.want {
			t.Errorf("appendInlineText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("a", MaxCellChars-1)
	for _, tt := range []struct{ in, want string }{
		{long + "é", long + "é"},
		{long + "ab", long + "a"},
		{long + "😀", long},               // two UTF-16 units: one too many
		{long[1:] + "😀", long[1:] + "😀"}, // exactly the limit
	} {
		if got := truncate(tt.in); got != tt.want {
			t.Errorf("truncate(…%q) = …%q (%d bytes), want …%q", tt.in[len(tt.in)-4:], got[max(len(got)-4, 0):], len(got), tt.want[len(tt.want)-4:])
		}
	}
}

// TestWorkbook_Zip writes a workbook of several sheets, one of them long
// enough to be deflated in many pieces, and checks every entry: archive/zip
// reads it whole (its CRC and sizes are checked at the end), its XML is
// well formed, and the sheets hold the rows written.
func TestWorkbook_Zip(t *testing.T) {
	dir := t.TempDir()
	wb, err := New(dir, ".x.", []Style{{Bold: true, Fill: "DDEBF7", BottomBorder: "8EA9DB"}, {FontColor: "006100"}})
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("the temporary file is visible: %v", ents)
	}
	const long = 20000
	sheets := []struct {
		name string
		rows int
		opts SheetOptions
	}{
		{"Results", long, SheetOptions{Widths: []float64{8, 36.5}, FreezeHeader: true, AutoFilter: true}},
		{"Empty", 0, SheetOptions{}},
		{"It's", 3, SheetOptions{Widths: []float64{0, 10}}},
	}
	for _, s := range sheets {
		if err := wb.StartSheet(s.name, s.opts); err != nil {
			t.Fatal(err)
		}
		for i := range s.rows {
			cells := []Cell{{Number: int64(i), IsNumber: true, Style: 1}, {Text: fmt.Sprintf("row %d <&>", i), Style: 2}, {}}
			if err := wb.Row(cells); err != nil {
				t.Fatal(err)
			}
		}
	}
	var out bytes.Buffer
	modified := time.Date(2025, 3, 4, 9, 31, 23, 0, time.UTC)
	if err := wb.Save(&out, modified); err != nil {
		t.Fatal(err)
	}

	zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if zr.File[0].Name != "[Content_Types].xml" {
		t.Errorf("first entry %s, want [Content_Types].xml", zr.File[0].Name)
	}
	parts := map[string]string{}
	for _, zf := range zr.File {
		if !zf.Modified.Equal(modified) {
			t.Errorf("%s dated %v, want %v", zf.Name, zf.Modified, modified)
		}
		if zf.ReaderVersion != 20 || zf.CreatorVersion&0xff != 20 {
			t.Errorf("%s: zip versions %d, %d, want 2.0 (20) as archive/zip writes", zf.Name, zf.ReaderVersion, zf.CreatorVersion)
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		if err := wellFormed(data); err != nil {
			t.Errorf("%s is not well-formed XML: %v", zf.Name, err)
		}
		parts[zf.Name] = string(data)
	}
	first := parts["xl/worksheets/sheet1.xml"]
	for _, want := range []string{
		`<dimension ref="A1:B20000"/>`, `tabSelected="1"`, `state="frozen"`,
		`<col min="2" max="2" width="36.5" customWidth="1"/>`,
		`<row r="20000"><c r="A20000" s="1"><v>19999</v></c><c r="B20000" s="2" t="inlineStr"><is><t>row 19999 &lt;&amp;&gt;</t></is></c></row>`,
		`<autoFilter ref="$A$1:$B$20000"/>`,
	} {
		if !strings.Contains(first, want) {
			t.Errorf("sheet1.xml lacks %s", want)
		}
	}
	if got := parts["xl/worksheets/sheet2.xml"]; !strings.Contains(got, `<dimension ref="A1"/>`) || strings.Contains(got, "tabSelected") {
		t.Errorf("the empty sheet: %s", got)
	}
	if got := parts["xl/worksheets/sheet3.xml"]; !strings.Contains(got, `<dimension ref="A1:B3"/>`) || strings.Contains(got, `min="1"`) {
		t.Errorf("the third sheet: %s", got)
	}
	book := parts["xl/workbook.xml"]
	for _, want := range []string{`<sheet name="It&#39;s" sheetId="3" r:id="rId3"/>`, `localSheetId="0" hidden="1">&#39;Results&#39;!$A$1:$B$20000<`} {
		if !strings.Contains(book, want) {
			t.Errorf("workbook.xml lacks %s: %s", want, book)
		}
	}
}

func wellFormed(data []byte) error {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// TestWorkbook_KeepsErrors: once a write fails, every later call fails.
func TestWorkbook_KeepsErrors(t *testing.T) {
	wb, err := New(t.TempDir(), ".x.", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := wb.Row([]Cell{{Text: "a"}}); err == nil {
		t.Fatal("a row before any sheet was accepted")
	}
	if err := wb.StartSheet("S", SheetOptions{}); err == nil {
		t.Error("StartSheet after an error succeeded")
	}
	if err := wb.Save(io.Discard, time.Now()); err == nil {
		t.Error("Save after an error succeeded")
	}
	if err := wb.Close(); err != nil {
		t.Error(err)
	}
	if err := wb.Close(); err != nil {
		t.Error("second Close:", err)
	}
}

func TestWorkbook_FullSheet(t *testing.T) {
	wb, err := New(filepath.Join(t.TempDir()), ".x.", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer wb.Close()
	if err := wb.StartSheet("S", SheetOptions{}); err != nil {
		t.Fatal(err)
	}
	wb.cur.rows = MaxRows - 1
	if err := wb.Row([]Cell{{Text: "last"}}); err != nil {
		t.Fatal(err)
	}
	if err := wb.Row([]Cell{{Text: "one too many"}}); err == nil {
		t.Error("row 1,048,577 was accepted")
	}
}
