package report

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"userimport/importer"
	"userimport/importer/sheet"
	"userimport/internal/corpustest"
	"userimport/report/internal/xlsxw"
)

// blnsPath is the Big List of Naughty Strings, from the package directory.
const blnsPath = "../../shared/corpora/blns/blns.json"

// naughtyStrings returns the shared naughty strings and more of our own:
// what XML cannot hold, OOXML's _xHHHH_ escapes, huge cells.
func naughtyStrings(t *testing.T) []string {
	t.Helper()
	return append(corpustest.NaughtyStrings(t, blnsPath), "\uFFFE\uFFFF\uFFFD",
		" lead", "trail ", "\nnl", "cr\r", "\r\n", "a\r\nb", "&amp; <b> ]]> \"'",
		"_x0041_", "_x005F_", "_x005F_x0041_", "_x0041_x0042_", "_xD800_", "_x005f_", "__x0041__", "_x004", "x0041_",
		strings.Repeat("é", 1<<16), strings.Repeat("😀", 20000),
		strings.Repeat("a", xlsxw.MaxCellChars-1)+"😀", strings.Repeat("&", 40000),
	)
}

// randomStrings returns n strings made of pieces that XML, the OOXML
// escapes and the formula escaping each treat specially.
func randomStrings(n int) []string {
	pieces := []string{
		"_x0041_", "_x005F_", "_x005f_", "_xD800_", "_xDFFF_", "_x", "005F", "_", "x0041_", "x005F_", "0041",
		"&", "<", ">", "\r", "\n", "\t", " ", "\x00", "\x1f", "\x7f", "\xff", "\xed\xa0\x80",
		"é", "😀", "\uFFFE", "\uFFFF", "\uFFFD", "=", "+", "-", "@", "'", "\"", "a", "Z", "0", "F",
	}
	rng := rand.New(rand.NewPCG(7, 11))
	ss := make([]string, n)
	for i := range ss {
		var b strings.Builder
		for range 1 + rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		ss[i] = b.String()
	}
	return ss
}

// TestResults_TextReadsBackAsWritten: every string, naughty or random,
// reads back from the result workbook as it was written (escaped against
// formulas, with what XML cannot hold replaced by U+FFFD, cut at 32,767
// characters), through excelize and through the importer's own reader;
// and exactly as from a workbook that excelize's StreamWriter (the result
// workbook's writer before package xlsxw) wrote, except where that one
// did not read back as written.
func TestResults_TextReadsBackAsWritten(t *testing.T) {
	ss := append(naughtyStrings(t), randomStrings(3000)...)
	if n := compareWithExcelize(t, ss); n > 0 {
		t.Logf("%d of %d strings did not read back as written from excelize's workbook", n, len(ss))
	}
}

// FuzzResultsText is TestResults_TextReadsBackAsWritten for any string.
func FuzzResultsText(f *testing.F) {
	for _, s := range []string{"", "a", "_x0041_", "_x005F_x0041_", "_x0041_x0042_", "_xD800_", "\r\n\t", "\x00\xff", "=1+1", " x "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		compareWithExcelize(t, []string{s})
	})
}

// escapePattern is what OOXML readers decode as the escape of a character.
var escapePattern = regexp.MustCompile(`_x[0-9A-Fa-f]{4}_`)

// readable is what a cell of s reads as: EscapeFormula(s) with each
// character XML cannot hold, and each byte of invalid UTF-8, replaced by
// U+FFFD, cut to 32,767 UTF-16 code units.
func readable(s string) string {
	s = EscapeFormula(s)
	units := 0
	for i, r := range s {
		if units += utf16.RuneLen(r); units > xlsxw.MaxCellChars {
			s = s[:i]
			break
		}
	}
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			r = utf8.RuneError
		}
		b.WriteRune(r) // invalid UTF-8 is ranged over as U+FFFD
	}
	return b.String()
}

// compareWithExcelize writes ss, one a row, in the User Name, Display Name
// and Message columns of a result workbook and of a workbook written by
// excelize's StreamWriter, checks that the result workbook reads back as
// written and as excelize's does where that one does, and returns how many
// strings excelize's did not read back as written.
func compareWithExcelize(t *testing.T, ss []string) (excelizeWrong int) {
	t.Helper()
	dir := t.TempDir()
	ours, theirs := filepath.Join(dir, "ours.xlsx"), filepath.Join(dir, "theirs.xlsx")

	w, err := CreateResults(ours, "")
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range ss {
		if err := w.Write(importer.Result{Row: i + 2, UserName: s, DisplayName: s, Message: s, Outcome: importer.Failed}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(sampleSummary()); err != nil {
		t.Fatal(err)
	}
	writeWithExcelize(t, theirs, ss)

	got, old := excelizeCells(t, ours), excelizeCells(t, theirs)
	if len(got) != len(ss) || len(old) != len(ss) {
		t.Fatalf("excelize reads %d rows of the result workbook, %d of excelize's, want %d", len(got), len(old), len(ss))
	}
	oldWrong := make([]bool, len(ss))
	for i, s := range ss {
		want := readable(s)
		for c := range got[i] {
			if got[i][c] != want {
				t.Errorf("row %d (%.60q) column %d: excelize reads %.80q, want %.80q", i+2, s, c, got[i][c], want)
			}
		}
		if old[i][0] != want {
			oldWrong[i] = true
			excelizeWrong++
			if !escapePattern.MatchString(s) {
				t.Errorf("row %d (%.60q): excelize's own workbook reads %.80q, want %.80q", i+2, s, old[i][0], want)
			}
		}
	}

	gotRows, gotErrs := sheetRows(t, ours)
	oldRows, oldErrs := sheetRows(t, theirs)
	if len(gotErrs) > 0 || len(oldErrs) > 0 {
		t.Fatalf("sheet.Open reads errors %q of the result workbook, %q of excelize's", gotErrs, oldErrs)
	}
	// Rows whose cells are blank are skipped: excelize's workbook has
	// blank cells where it dropped text.
	byNumber := map[int]sheetRow{}
	for _, r := range oldRows {
		byNumber[r.number] = r
	}
	for _, r := range gotRows {
		if oldWrong[r.number-2] {
			continue
		}
		if old, ok := byNumber[r.number]; !ok || old != r {
			t.Errorf("sheet.Open reads %+v of the result workbook, %+v of excelize's", r, old)
		}
		delete(byNumber, r.number)
	}
	for _, r := range byNumber {
		if !oldWrong[r.number-2] {
			t.Errorf("sheet.Open reads %+v of excelize's workbook, nothing of the result workbook", r)
		}
	}
	return excelizeWrong
}

// writeWithExcelize writes ss as the results writer did with excelize: a
// header, then the Row number and textCell's value in columns B, C and G.
func writeWithExcelize(t *testing.T, path string, ss []string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	var header []any
	for _, h := range ResultsHeader() {
		header = append(header, h)
	}
	if err := sw.SetRow("A1", header); err != nil {
		t.Fatal(err)
	}
	for i, s := range ss {
		var v any
		if s != "" {
			v = EscapeFormula(s)
		}
		row := []any{i + 2, v, v, "Failed", nil, nil, v}
		if err := sw.SetRow(fmt.Sprintf("A%d", i+2), row); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// excelizeCells returns columns B, C and G of the first sheet's rows after
// the header, as excelize reads them.
func excelizeCells(t *testing.T, path string) [][3]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][3]string
	for n := 0; rows.Next(); n++ {
		cols, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			continue
		}
		var r [3]string
		for i, c := range []int{1, 2, 6} {
			if c < len(cols) {
				r[i] = cols[c]
			}
		}
		out = append(out, r)
	}
	return out
}

type sheetRow struct {
	number                     int
	userName, displayName, why string
}

// sheetRows reads the workbook as an import would (sheet.Open): each row's
// number, User Name and Display Name, and the errors of rows it cannot
// read.
func sheetRows(t *testing.T, path string) (rows []sheetRow, errs []string) {
	t.Helper()
	r, err := sheet.Open(path, sheet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows, errs
		}
		if err != nil {
			errs = append(errs, err.Error())
			if len(errs) > 100 {
				t.Fatalf("too many errors: %v", errs)
			}
			continue
		}
		rows = append(rows, sheetRow{row.Number, row.Cells[importer.ColUserName], row.Cells[importer.ColDisplayName], row.Problem})
	}
}
