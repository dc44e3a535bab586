package sheet

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"userimport/importer"
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
