package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// table is what list and show print: a header and rows of cells for the
// table and CSV formats, and the value itself for JSON.
type table struct {
	header []string
	rows   [][]string
	value  any
}

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
		cw := csv.NewWriter(w)
		cw.Write(t.header)
		for _, r := range t.rows {
			esc := make([]string, len(r))
			for i, c := range r {
				esc[i] = csvSafe(c)
			}
			cw.Write(esc)
		}
		cw.Flush()
		return cw.Error()
	default:
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(t.header, "\t"))
		for _, r := range t.rows {
			clean := make([]string, len(r))
			for i, c := range r {
				clean[i] = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(c)
			}
			fmt.Fprintln(tw, strings.Join(clean, "\t"))
		}
		return tw.Flush()
	}
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}
