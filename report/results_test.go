package report

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"userimport/importer"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// formulaLike are values a spreadsheet would take for formulas.
var formulaLike = []string{"=1+1", "+SUM(A1)", "-2", "@x", "\tx", "\rx"}

// sampleResults covers every outcome and license status, formula-looking
// values, blank cells and non-ASCII text.
func sampleResults() []importer.Result {
	rs := []importer.Result{
		{Row: 2, UserName: "alice@contoso.com", DisplayName: "Alice Zhang", Outcome: importer.Created,
			LicenseStatus: importer.StatusAssigned, UserID: "0b6f3f0e-8a4b-4c39-9d1f-2f1e0a7c1a01",
			Licenses: []importer.LicenseResult{{SKU: "ENTERPRISEPACK", Status: importer.LicenseAssigned}}},
		{Row: 3, UserName: "bob@contoso.com", DisplayName: "Bob Müller", Outcome: importer.Created,
			LicenseStatus: importer.StatusPending, UserID: "0b6f3f0e-8a4b-4c39-9d1f-2f1e0a7c1a02",
			Licenses: []importer.LicenseResult{
				{SKU: "ENTERPRISEPACK", Status: importer.LicenseAssigned},
				{SKU: "EMS", Status: importer.LicensePending},
			},
			Message: "Licenses: EMS waits for a free seat"},
		{Row: 5, UserName: "carol@contoso.com", DisplayName: "Carol", Outcome: importer.Updated,
			LicenseStatus: importer.StatusNone, UserID: "0b6f3f0e-8a4b-4c39-9d1f-2f1e0a7c1a03"},
		{Row: 6, UserName: "dan@contoso.com", DisplayName: "Dan", Outcome: importer.Unchanged,
			LicenseStatus: importer.StatusNone, UserID: "0b6f3f0e-8a4b-4c39-9d1f-2f1e0a7c1a04"},
		{Row: 7, UserName: "jakob..smith@contoso.com", Outcome: importer.Failed, LicenseStatus: importer.StatusNone,
			Message: `User Name: two periods in a row are not allowed ("jakob..smith"); Display Name: required when First Name and Last Name are blank`},
	}
	for i, v := range formulaLike {
		rs = append(rs, importer.Result{
			Row: 10 + i, UserName: v, DisplayName: v, Outcome: importer.Failed,
			LicenseStatus: importer.StatusNone, Message: v,
			Licenses: []importer.LicenseResult{{SKU: v, Status: importer.LicensePending}},
		})
	}
	return rs
}

func sampleSummary() importer.Summary {
	start := time.Date(2025, 3, 4, 9, 30, 0, 0, time.UTC)
	return importer.Summary{
		File:        "new-hires.xlsx",
		SHA256:      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		BatchID:     "7d1c2b8e-1111-4222-8333-944455556666",
		Mode:        "create",
		ActingAdmin: "admin@contoso.com",
		Started:     start,
		Finished:    start.Add(83*time.Second + 400*time.Millisecond),
		Rows:        11, Created: 2, Updated: 1, Unchanged: 1, Failed: 7,
		LicensesAssigned: 2, LicensesPending: 1, Warnings: 1,
		Products: []importer.Product{
			{SKU: "ENTERPRISEPACK", Seats: 25, Assigned: 2, Pending: 0},
			{SKU: "EMS", Seats: 0, Assigned: 0, Pending: 1},
		},
	}
}

// writeResults writes rs and s to xlsx (and csv, if not empty).
func writeResults(t testing.TB, xlsx, csvPath string, rs []importer.Result, s importer.Summary) {
	t.Helper()
	w, err := CreateResults(xlsx, csvPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(s); err != nil {
		t.Fatal(err)
	}
}

func TestResults_Golden(t *testing.T) {
	dir := t.TempDir()
	xlsx, csvPath := filepath.Join(dir, "new-hires.results.xlsx"), filepath.Join(dir, "new-hires.results.csv")
	writeResults(t, xlsx, csvPath, sampleResults(), sampleSummary())

	golden(t, "testdata/results.xlsx.golden", dumpWorkbook(t, xlsx))
	csvBytes, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/results.csv.golden", csvBytes)
	assertNoTempFiles(t, dir)
}

func TestResults_FormulaLikeValuesAreText(t *testing.T) {
	dir := t.TempDir()
	xlsx, csvPath := filepath.Join(dir, "f.results.xlsx"), filepath.Join(dir, "f.results.csv")
	rs := sampleResults()
	writeResults(t, xlsx, csvPath, rs, sampleSummary())

	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs := readCSV(t, csvPath)
	for i, v := range formulaLike {
		sheetRow := 6 + i + 1 // header, 5 ordinary rows
		want := "'" + v
		for _, col := range []string{"B", "C", "G"} {
			ref := fmt.Sprintf("%s%d", col, sheetRow)
			got, err := f.GetCellValue(ResultsSheet, ref)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("xlsx %s = %q, want %q", ref, got, want)
			}
			if formula, _ := f.GetCellFormula(ResultsSheet, ref); formula != "" {
				t.Errorf("xlsx %s has formula %q", ref, formula)
			}
			if typ, _ := f.GetCellType(ResultsSheet, ref); typ != excelize.CellTypeInlineString {
				t.Errorf("xlsx %s has type %v, want an inline string", ref, typ)
			}
		}
		if got, _ := f.GetCellValue(ResultsSheet, fmt.Sprintf("F%d", sheetRow)); got != "'"+v+" (pending)" {
			t.Errorf("xlsx licenses %q, want %q", got, "'"+v+" (pending)")
		}
		rec := recs[sheetRow-1]
		for _, c := range []int{1, 2, 6} {
			if rec[c] != want {
				t.Errorf("csv row %d column %d = %q, want %q", sheetRow, c+1, rec[c], want)
			}
		}
	}
	// Row numbers are numbers.
	if typ, _ := f.GetCellType(ResultsSheet, "A2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("A2 has type %v, want a number", typ)
	}
}

func TestEscapeFormula(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"alice", "alice"},
		{"=1+1", "'=1+1"},
		{"+1", "'+1"},
		{"-2", "'-2"},
		{"@x", "'@x"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"a=b", "a=b"},
		{" =1", " =1"},
		{"'=1", "'=1"},
	} {
		if got := EscapeFormula(tt.in); got != tt.want {
			t.Errorf("EscapeFormula(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestResults_ReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	xlsx, csvPath := filepath.Join(dir, "r.results.xlsx"), filepath.Join(dir, "r.results.csv")
	for _, p := range []string{xlsx, csvPath} {
		if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w, err := CreateResults(xlsx, csvPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sampleResults() {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	// Until Close, the old files stand and the new ones are hidden.
	assertContent(t, xlsx, "old")
	assertContent(t, csvPath, "old")
	if n := len(tempFiles(t, dir)); n != 2 {
		t.Errorf("%d temporary files before Close, want 2", n)
	}
	if err := w.Close(sampleSummary()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(sampleSummary()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	w.Abort() // after Close: nothing
	assertNoTempFiles(t, dir)
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatalf("the new workbook does not open: %v", err)
	}
	f.Close()
	if got := len(readCSV(t, csvPath)); got != len(sampleResults())+1 {
		t.Errorf("CSV has %d records, want %d", got, len(sampleResults())+1)
	}
}

func TestResults_Abort(t *testing.T) {
	dir := t.TempDir()
	xlsx, csvPath := filepath.Join(dir, "a.results.xlsx"), filepath.Join(dir, "a.results.csv")
	if err := os.WriteFile(xlsx, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := CreateResults(xlsx, csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(sampleResults()[0]); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	w.Abort()
	assertContent(t, xlsx, "old")
	if _, err := os.Stat(csvPath); !os.IsNotExist(err) {
		t.Errorf("CSV exists after Abort: %v", err)
	}
	assertNoTempFiles(t, dir)
	if err := w.Write(sampleResults()[1]); err == nil {
		t.Error("Write after Abort succeeded")
	}
}

func TestResults_RowsOutOfOrder(t *testing.T) {
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "o.results.xlsx")
	w, err := CreateResults(xlsx, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(importer.Result{Row: 3, Outcome: importer.Created}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(importer.Result{Row: 3, Outcome: importer.Created}); err == nil {
		t.Fatal("a repeated row was accepted")
	}
	if err := w.Close(sampleSummary()); err == nil {
		t.Fatal("Close after a failed Write succeeded")
	}
	if _, err := os.Stat(xlsx); !os.IsNotExist(err) {
		t.Errorf("workbook exists after a failed batch: %v", err)
	}
	assertNoTempFiles(t, dir)
}

func TestResults_NoDirectory(t *testing.T) {
	_, err := CreateResults(filepath.Join(t.TempDir(), "missing", "x.results.xlsx"), "")
	if err == nil {
		t.Fatal("CreateResults in a missing directory succeeded")
	}
}

// TestResults_RelativePath: a workbook named without a directory is
// written in the working directory, and so is the spool of its rows, not
// in $TMPDIR.
func TestResults_RelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("TMPDIR", filepath.Join(dir, "missing"))
	writeResults(t, "rel.results.xlsx", "", sampleResults(), sampleSummary())
	f, err := excelize.OpenFile(filepath.Join(dir, "rel.results.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	assertNoTempFiles(t, dir)
}

func TestResults_NoRows(t *testing.T) {
	dir := t.TempDir()
	xlsx := filepath.Join(dir, "empty.results.xlsx")
	s := sampleSummary()
	s.Finished = time.Time{} // interrupted
	s.Products = nil
	w, err := ResultFiles{XLSX: xlsx, Now: func() time.Time { return s.Started.Add(time.Hour) }}.Create()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(s); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/empty.xlsx.golden", dumpWorkbook(t, xlsx))
}

// TestResults_MoreRowsThanASheet checks the spill to "Results 2", … with a
// small sheet; the real limit is excelize.TotalRows.
func TestResults_MoreRowsThanASheet(t *testing.T) {
	dir := t.TempDir()
	xlsx, csvPath := filepath.Join(dir, "big.results.xlsx"), filepath.Join(dir, "big.results.csv")
	w, err := CreateResults(xlsx, csvPath)
	if err != nil {
		t.Fatal(err)
	}
	w.sheetRows = 3
	for i := range 7 {
		r := importer.Result{Row: i + 2, UserName: fmt.Sprintf("u%d@contoso.com", i), Outcome: importer.Created, LicenseStatus: importer.StatusNone}
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(sampleSummary()); err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/spill.xlsx.golden", dumpWorkbook(t, xlsx))
	if got := len(readCSV(t, csvPath)); got != 8 {
		t.Errorf("CSV has %d records, want 8", got)
	}
}

// golden compares got with the file name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test ./report -update to accept):\n%s", name, lineDiff(string(want), string(got)))
	}
}

// lineDiff lists the lines that differ, enough to see what changed.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, w, g)
		}
	}
	return b.String()
}

// dumpWorkbook describes, as text, what matters of a result workbook: its
// sheets, defined names, frozen panes, autofilters, column widths and every
// cell with its type and the styles we set.
func dumpWorkbook(t testing.TB, path string) []byte {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "sheets: %s\n", strings.Join(f.GetSheetList(), ", "))
	fmt.Fprintf(&b, "active: %s\n", f.GetSheetName(f.GetActiveSheetIndex()))
	for _, dn := range f.GetDefinedName() {
		fmt.Fprintf(&b, "defined name: %s scope=%s refers to %s\n", dn.Name, dn.Scope, dn.RefersTo)
	}
	fmt.Fprintf(&b, "zip entries dated: %s\n", strings.Join(zipDates(t, path), ", "))
	filters, dims := autoFilters(t, path), dimensions(t, path)
	for i, sheet := range f.GetSheetList() {
		fmt.Fprintf(&b, "\n== %s\n", sheet)
		p, err := f.GetPanes(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if p.Freeze {
			fmt.Fprintf(&b, "frozen: xSplit=%d ySplit=%d topLeftCell=%s\n", p.XSplit, p.YSplit, p.TopLeftCell)
		}
		if ref, ok := filters[fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1)]; ok {
			fmt.Fprintf(&b, "autofilter: %s\n", ref)
		}
		fmt.Fprintf(&b, "dimension: %s\n", dims[fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1)])
		var widths []string
		for col := 1; col <= 8; col++ {
			name, _ := excelize.ColumnNumberToName(col)
			w, err := f.GetColWidth(sheet, name)
			if err != nil {
				t.Fatal(err)
			}
			widths = append(widths, fmt.Sprintf("%s=%g", name, w))
		}
		fmt.Fprintf(&b, "widths: %s\n", strings.Join(widths, " "))

		rows, err := f.Rows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for r := 1; rows.Next(); r++ {
			cols, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			for c, v := range cols {
				ref, _ := excelize.CoordinatesToCellName(c+1, r)
				style := cellStyle(t, f, sheet, ref)
				if v == "" && style == "" {
					continue
				}
				typ, _ := f.GetCellType(sheet, ref)
				formula, _ := f.GetCellFormula(sheet, ref)
				fmt.Fprintf(&b, "%s %s %q%s", ref, cellTypeName(typ), v, style)
				if formula != "" {
					fmt.Fprintf(&b, " FORMULA=%q", formula)
				}
				b.WriteString("\n")
			}
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return []byte(b.String())
}

func cellStyle(t testing.TB, f *excelize.File, sheet, ref string) string {
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	if id == 0 {
		return ""
	}
	s, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	if s.Font != nil && s.Font.Bold {
		parts = append(parts, "bold")
	}
	if len(s.Fill.Color) > 0 {
		parts = append(parts, "fill="+s.Fill.Color[0])
	}
	if s.Font != nil && s.Font.Color != "" {
		parts = append(parts, "font="+s.Font.Color)
	}
	if len(parts) == 0 {
		return ""
	}
	return " [" + strings.Join(parts, " ") + "]"
}

func cellTypeName(t excelize.CellType) string {
	switch t {
	case excelize.CellTypeUnset:
		return "n" // a <c> without t= holds a number
	case excelize.CellTypeNumber:
		return "n"
	case excelize.CellTypeInlineString:
		return "inlineStr"
	case excelize.CellTypeSharedString:
		return "sharedStr"
	case excelize.CellTypeFormula:
		return "formula"
	case excelize.CellTypeBool:
		return "bool"
	case excelize.CellTypeDate:
		return "date"
	default:
		return fmt.Sprintf("type%d", t)
	}
}

// autoFilters maps each worksheet part of the zip to its autoFilter range;
// excelize reads it back from no API.
func autoFilters(t testing.TB, path string) map[string]string {
	return worksheetAttr(t, path, regexp.MustCompile(`<autoFilter ref="([^"]+)"`))
}

// dimensions maps each worksheet part of the zip to the range its
// <dimension> element declares, which readers in read-only mode trust.
func dimensions(t testing.TB, path string) map[string]string {
	return worksheetAttr(t, path, regexp.MustCompile(`<dimension ref="([^"]+)"`))
}

// zipDates lists the distinct modification times of the zip's entries.
func zipDates(t testing.TB, path string) []string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	seen := map[string]bool{}
	var out []string
	for _, zf := range zr.File {
		d := zf.Modified.UTC().Format(time.RFC3339)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	sort.Strings(out)
	return out
}

func worksheetAttr(t testing.TB, path string, re *regexp.Regexp) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string]string{}
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if m := re.FindSubmatch(data); m != nil {
			out[zf.Name] = string(m[1])
		}
	}
	return out
}

func readCSV(t testing.TB, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte(csvBOM)) {
		t.Errorf("%s does not start with a UTF-8 BOM", path)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte(csvBOM)))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func assertContent(t testing.TB, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s changed: %.40q", path, got)
	}
}

// tempFiles lists the hidden temporary files in dir.
func tempFiles(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") && strings.HasSuffix(e.Name(), ".tmp") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

func assertNoTempFiles(t testing.TB, dir string) {
	t.Helper()
	if tmp := tempFiles(t, dir); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}
