package fastxlsx

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"userimport/importer"
)

// The rules both XLSX readers follow: the fast reader here and the
// excelize reader of package sheet, which must read every workbook alike.

// XMLPartLimit is, for a limit on the unpacked size, the size above which
// excelize spills a part to a temporary file rather than hold it in
// memory; it also changes how excelize looks up shared strings (see
// sharedStrings).
func XMLPartLimit(limit int64) int64 { return min(limit, 16<<20) }

// ZipBombError is the *importer.Error EINVALID for a workbook that unpacks
// to more than limit bytes.
func ZipBombError(limit int64) error {
	return importer.Errorf(importer.EINVALID, "%s", zipBombMessage(limit))
}

func zipBombMessage(limit int64) string {
	return fmt.Sprintf("the workbook unpacks to more than %s, the limit for an .xlsx file: it may be a zip bomb; if it is a genuine workbook, save it as .csv", sizeText(limit))
}

// ChooseSheet picks the worksheet to read from the workbook's sheets: the
// first, or the one named want (exactly, else ignoring case).
func ChooseSheet(sheets []string, want string) (string, error) {
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

// NormalizeNumberFormats makes excelize render cells as SPEC §4 wants them
// read: it renders each cell with the number format of its style, and the
// formats are rewritten here once per style rather than looked up per cell.
// Date formats become yyyy-mm-dd. General and scientific formats get
// generalNumFmtID, a number format excelize does not know, so that it
// gives the number as it reads it (at most 15 significant digits, no float
// noise: 98052.00000000001 is 98052) rather than as General shows it in a
// narrow column (4.917012346E+11 for a phone number); PlainInteger then
// writes out the integers it still gives with an exponent. Other formats
// (zero padding such as 00000, text, currency, percent) are kept: the cell
// reads as the admin sees it.
func NormalizeNumberFormats(f *excelize.File) error {
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

// generalNumFmtID is the number format NormalizeNumberFormats gives the
// General and scientific styles: an id neither built in nor, in any
// workbook seen, custom (those start at 164).
const generalNumFmtID = 1 << 30

// PlainInteger is how both readers write a number excelize gives with an
// exponent because it has more than 15 digits (1.23456789012346E+15): as
// the integer it is once rounded to 15 significant digits
// (1234567890123460), up to 10^21; other text is returned as it is. It
// cannot tell a number from a text cell that reads exactly like one in
// that form, and writes both out.
func PlainInteger(s string) string {
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

// PastRowError is the error for the row after last, where a worksheet
// cannot be read on.
func PastRowError(last int, err error) error {
	return importer.Errorf(importer.EINVALID, "row %d: the worksheet cannot be read past row %d: %v", last+1, last, err)
}

// DamagedRowError is the error for a row that cannot be read.
func DamagedRowError(number int, err error) error {
	return importer.Errorf(importer.EINVALID, "row %d: the worksheet is damaged here and the row cannot be read: %v", number, err)
}
