package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"userimport/importer"
	"userimport/importer/sheet/internal/fastxlsx"
)

// readFuzz opens data as a file and reads it to the end, checking that
// every error is an *importer.Error.
func readFuzz(t *testing.T, data []byte, opts Options) {
	path := filepath.Join(t.TempDir(), "fuzz")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	checkErr := func(err error) {
		var e *importer.Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v (%T) is not an *importer.Error", err, err)
		}
	}
	r, err := Open(path, opts)
	if err != nil {
		checkErr(err)
		return
	}
	defer r.Close()
	r.Header()
	for i := 0; i < 10000; i++ {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			checkErr(err)
		}
	}
	r.Warnings()
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("User Name,Display Name\r\na@x.com,\"A, \"\"B\"\"\"\r\n"), uint8(0))
	f.Add([]byte("version:v1.0\nName [displayName] Required;User name [userPrincipalName] Required\nA;a@x.com\n"), uint8(1))
	f.Add([]byte("\xFF\xFEU\x00P\x00N\x00\t\x00x\x00\n\x00a\x00\t\x00b\x00"), uint8(2))
	f.Add([]byte("UPN|City\na@x.com|K\xF6ln\n\"unclosed|x\n"), uint8(3))
	f.Add([]byte("\xEF\xBB\xBFUPN\n\n\n  \n\u00a0a@x.com\u00a0\n"), uint8(0))
	f.Add([]byte("User Name,Display Name,City\na@x.com,\"Bob\" Smith,Bonn\nc@x.com,Cy,Ulm\n"), uint8(0))
	f.Add([]byte("User Name,Display Name,City\na@x.com,\"Bob,Bonn\nc@x.com,Cy,Ulm\nd@x.com,\"D\"x,\"\"\n"), uint8(0))
	f.Add([]byte("User Name;Display Name\r\na@x.com;\"Line\r\n1;2\"\r\nb@x.com;Zo\xEB\r\nc@x.com;Zo\xC3\xAB\r\n"), uint8(1))
	f.Add([]byte("User Name,Display Name\na@x.com,Ana\n\"\n\"\"\n\"\n"), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		opts := Options{}
		switch mode % 4 {
		case 1:
			opts.Delimiter = ';'
		case 2:
			opts.Encoding = "utf-16le"
		case 3:
			opts.Encoding = "windows-1252"
		}
		readFuzz(t, data, opts)
	})
}

func FuzzXLSX(f *testing.F) {
	f.Add(xlsxBytes(f, [][]any{{"User Name", "Display Name", "ZIP or Postal Code"}, {"a@x.com", "Zoë", 98052}, {}, {"b@x.com", true, 1.5}}))
	f.Add(xlsxBytes(f, [][]any{{"version:v1.0"}, {"UPN"}, {"a@x.com"}}))
	if b, err := os.ReadFile("testdata/libreoffice.xlsx"); err == nil {
		f.Add(b)
	}
	f.Add(zipBytes(f, map[string]string{"xl/workbook.xml": "<workbook/>"}))
	f.Add(zipBytes(f, map[string]string{
		"[Content_Types].xml":        `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
		"xl/workbook.xml":            `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
		"xl/worksheets/sheet1.xml":   `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>UPN</t></is></c></row><row r="3"><c r="A3" t="s"><v>7</v></c><c r="ZZZ3" s="99"><v>1e400</v></c></row></sheetData></worksheet>`,
	}))
	f.Fuzz(func(t *testing.T, data []byte) {
		readFuzz(t, data, Options{MaxUnzipSize: 8 << 20})
	})
}

// fuzzCalls bounds the rows a fuzzed worksheet is read for: every row a
// worksheet can hold, so that no damage hides past a far row number (an
// empty row costs a few nanoseconds).
const fuzzCalls = maxCalls

// FuzzXLSXFast is the fast XLSX reader's differential fuzz test: a
// fuzzed worksheet and shared strings part in a valid workbook must not
// make it panic or hang, and whenever excelize reads the worksheet, the
// fast reader (unless it leaves the workbook to excelize) must give the
// same rows, or, for XML that encoding/xml refuses, the same rows up to
// an error for the damage. The flags choose the 1904 date system and
// whether the fuzzed bytes are whole parts or the rows of a worksheet and
// the items of a shared strings part, which keeps most inputs readable.
func FuzzXLSXFast(f *testing.F) {
	for _, c := range rawCases {
		f.Add([]byte(c.sheet), []byte(c.sst), uint8(0))
		rows, wrapped := strings.CutPrefix(c.sheet, sheetStart)
		items, sstWrapped := strings.CutPrefix(c.sst, sstStart)
		if wrapped && (sstWrapped || c.sst == "") {
			f.Add([]byte(strings.TrimSuffix(rows, sheetEnd)), []byte(strings.TrimSuffix(items, sstEnd)), uint8(fuzzRows|fuzzItems))
		}
	}
	f.Add([]byte(headerRow+`<row r="2"><c r="A2" s="1"><v>45366</v></c><c r="B2" s="5"><v>1.5</v></c></row>`), []byte(nil), uint8(fuzz1904|fuzzRows))
	f.Add([]byte(headerRow+`<row r="2"><c r="A2" s="14"><v>980521234</v></c><c r="B2" s="15"><v>-1234.565</v></c><c r="C2" s="16"><v>0</v></c><c r="D2" s="14" t="s"><v>0</v></c><c r="E2" s="15" t="e"><v>#N/A</v></c></row>`), []byte(`<si><t>12</t></si>`), uint8(fuzzRows|fuzzItems))
	f.Add([]byte(headerRow+`<row r="2"><c r="A2" s="4"><v>491701234567</v></c><c r="B2" s="8"><v>1234567890123456789</v></c><c r="C2"><v>1E+16</v></c><c r="D2" t="str"><f>1</f></c></row>`), []byte(nil), uint8(fuzzRows))
	f.Fuzz(func(t *testing.T, sheet, sst []byte, flags uint8) {
		sheetPart, sstPart := string(sheet), string(sst)
		if flags&fuzzRows != 0 {
			sheetPart = sheetXML(sheetPart)
		}
		if flags&fuzzItems != 0 {
			sstPart = sstXML(sstPart)
		}
		path := writeFile(t, "fuzz.xlsx", rawWorkbook(t, sheetPart, sstPart, flags&fuzz1904 != 0))
		opts := Options{MaxUnzipSize: 8 << 20}
		fast, err := openFastPath(path, opts)
		if errors.Is(err, fastxlsx.ErrNoFastPath) {
			return
		}
		slow, slowErr := openExcelizePath(path, opts)
		if slowErr == nil {
			defer slow.close()
		}
		if err != nil {
			if slowErr == nil || err.Error() != slowErr.Error() {
				t.Fatalf("fast reader: %v; excelize reader: %v", err, slowErr)
			}
			return
		}
		defer fast.close()
		got, gotCalls := readSource(t, fast, fuzzCalls)
		if slowErr != nil {
			return // excelize refuses the workbook
		}
		want, wantCalls := readSource(t, slow, fuzzCalls)
		switch {
		case isWellFormed([]byte(sheetPart)):
			compareResults(t, got, want)
			if gotCalls != wantCalls {
				t.Fatalf("fast reader: %d calls, excelize reader %d", gotCalls, wantCalls)
			}
		case gotCalls < fuzzCalls:
			checkDamaged(t, got, want)
		}
	})
}

// FuzzXLSXFast's flags.
const (
	fuzz1904  = 1 << iota // the 1904 date system
	fuzzRows              // the sheet bytes are the rows of sheetXML
	fuzzItems             // the sst bytes are the items of sstXML
)

// FuzzCSVRecords checks the record reader against encoding/csv on the text
// both read alike: what encoding/csv reads without an error under RFC 4180
// (no bare quotes, nothing after a closing quote). encoding/csv skips
// empty lines, which the record reader gives as blank rows; those are left
// out of both; so are a trailing CR at the end of the file, which
// encoding/csv drops and the reader's caller trims, and files of more
// than maxRecordLines lines.
func FuzzCSVRecords(f *testing.F) {
	f.Add([]byte("a,b\r\n\"c,\"\"d\"\"\",\"e\r\nf\"\n\n,\n"), false)
	f.Add([]byte("x;\"y;z\"\n1;2"), true)
	f.Fuzz(func(t *testing.T, data []byte, semicolon bool) {
		comma := ','
		if semicolon {
			comma = ';'
		}
		if len(data) > 0 && data[len(data)-1] == '\r' || bytes.Count(data, []byte("\n")) >= maxRecordLines {
			return // a cell of maxRecordLines lines is broken quoting on purpose
		}
		cr := csv.NewReader(bytes.NewReader(data))
		cr.Comma, cr.FieldsPerRecord = comma, -1
		want, err := cr.ReadAll()
		if err != nil {
			return
		}
		rr := &recordReader{br: bufio.NewReader(bytes.NewReader(data)), comma: []byte(string(comma)), maxBytes: 1 << 20}
		var got [][]string
		for {
			rec, err := rr.read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("read: %v; encoding/csv read %q", err, want)
			}
			got = append(got, append([]string(nil), rec...))
		}
		notBlank := func(recs [][]string) [][]string {
			var out [][]string
			for _, r := range recs {
				if len(r) != 1 || r[0] != "" {
					out = append(out, r)
				}
			}
			return out
		}
		if g, w := fmt.Sprintf("%q", notBlank(got)), fmt.Sprintf("%q", notBlank(want)); g != w {
			t.Fatalf("records\n%s\nencoding/csv\n%s", g, w)
		}
	})
}
