package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode"

	"github.com/gocarina/gocsv"
	"golang.org/x/text/width"
)

// table is what list and show print: records (a slice of structs whose
// fields are cells, named by their csv tags) for the table and CSV
// formats, and the value itself for JSON.
type table struct {
	header  []string
	rows    [][]string
	records any
	value   any
}

// newTable makes the table of records, a slice of structs of cell fields
// tagged with their column names: the CSV is gocsv's marshalling of them,
// the table the same cells.
func newTable(records, value any) table {
	t := table{records: records, value: value}
	v := reflect.ValueOf(records)
	typ := v.Type().Elem()
	for i := range typ.NumField() {
		t.header = append(t.header, typ.Field(i).Tag.Get("csv"))
	}
	for i := range v.Len() {
		row := make([]string, typ.NumField())
		for j := range row {
			row[j] = v.Index(i).Field(j).String()
		}
		t.rows = append(t.rows, row)
	}
	return t
}

// cell is a cell of a listing. In CSV it is written so that a spreadsheet
// never reads it as a formula (csvSafe).
type cell string

// MarshalCSV is gocsv's hook for the CSV text of a cell.
func (c cell) MarshalCSV() (string, error) { return csvSafe(string(c)), nil }

func validFormat(f string) error {
	switch f {
	case "table", "json", "csv":
		return nil
	}
	return &usageError{fmt.Sprintf("--format %q: use table, json or csv", f)}
}

func (t table) print(w io.Writer, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(t.value)
	case "csv":
		// gocsv's own writer settings are global: it writes through ours.
		cw := csv.NewWriter(w)
		if err := gocsv.MarshalCSV(t.records, gocsv.NewSafeCSVWriter(cw)); err != nil {
			return fmt.Errorf("write CSV: %w", err)
		}
		cw.Flush()
		return cw.Error()
	default:
		return t.printTable(w)
	}
}

// printTable prints the rows in columns aligned by how wide each cell is on
// a terminal (a CJK character takes two columns, a combining mark none),
// two spaces apart. Control characters in cells (line breaks, tabs, escape
// sequences from a hostile file) are shown as U+FFFD, so that a cell can
// neither break the layout nor drive the terminal.
func (t table) printTable(w io.Writer) error {
	rows := make([][]string, 0, len(t.rows)+1)
	rows = append(rows, t.header)
	rows = append(rows, t.rows...)
	var widths []int
	for r, row := range rows {
		clean := make([]string, len(row))
		for i, c := range row {
			clean[i] = printable(c)
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(clean[i]))
		}
		rows[r] = clean
	}
	bw := bufio.NewWriter(w)
	for _, row := range rows {
		var line strings.Builder
		for i, c := range row {
			line.WriteString(c)
			if i < len(row)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		bw.WriteString(strings.TrimRight(line.String(), " "))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// printable replaces the control characters of s with U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return unicode.ReplacementChar
		}
		return r
	}, s)
}

// displayWidth is how many terminal columns s takes.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) || r == '\u200d' || unicode.In(r, unicode.Variation_Selector):
		case width.LookupRune(r).Kind() == width.EastAsianWide || width.LookupRune(r).Kind() == width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func yesNo(b bool) cell {
	if b {
		return "Yes"
	}
	return "No"
}
