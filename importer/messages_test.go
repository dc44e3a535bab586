package importer_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"userimport/importer"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"

	"github.com/xuri/excelize/v2"
)

// TestUpsertSaysWhatChanged: an Updated row's message names the columns
// that changed, and an Unchanged row of a file without names shows the
// directory's display name.
func TestUpsertSaysWhatChanged(t *testing.T) {
	dirtest.EachDemo(t, func(t *testing.T, url string, db *sqldb.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		first := writeCSV(t, dir, "staff.csv", "User Name,First Name,Last Name,Job Title,Department", 2, func(i int) string {
			return []string{"", "ann@contoso.com,Ann,Lee,Clerk,Sales", "bo@contoso.com,Bo,Chen,Clerk,Sales"}[i]
		})
		if _, err := importer.Run(ctx, db, options(t, db, first)); err != nil {
			t.Fatal(err)
		}
		second := writeCSV(t, dir, "moves.csv", "User Name,Job Title,Department", 2, func(i int) string {
			return []string{"", "ann@contoso.com,Manager,Marketing", "bo@contoso.com,Clerk,Sales"}[i]
		})
		o := options(t, db, second)
		o.Mode = importer.ModeUpsert
		rep, err := importer.Run(ctx, db, o)
		if err != nil {
			t.Fatal(err)
		}
		rows := results(t, rep.ResultsPath)
		if rows[0]["Outcome"] != "Updated" || rows[0]["Message"] != "Changed: Job Title, Department" {
			t.Errorf("row 2: %q %q, want Updated with \"Changed: Job Title, Department\"", rows[0]["Outcome"], rows[0]["Message"])
		}
		if rows[1]["Outcome"] != "Unchanged" || rows[1]["Display Name"] != "Bo Chen" {
			t.Errorf("row 3: %q, display name %q; want Unchanged with the directory's \"Bo Chen\"", rows[1]["Outcome"], rows[1]["Display Name"])
		}
		if filepath.Base(rep.ResultsPath) != "moves.results.xlsx" {
			t.Errorf("results at %s", rep.ResultsPath)
		}
	})
}

// TestWarningsInSummary: each warning about the file is a line of the
// workbook's Summary, not only a log line; a file with a header and no
// rows says so.
func TestWarningsInSummary(t *testing.T) {
	db := dirtest.Demo(t, "sqlite:"+filepath.Join(t.TempDir(), "userimport.db"))
	dir := t.TempDir()
	path := writeCSV(t, dir, "odd.csv", "User Name,Display Name,Shoe Size", 1, func(int) string { return "odd@contoso.com,Odd,44" })
	rep, err := importer.Run(context.Background(), db, options(t, db, path))
	if err != nil {
		t.Fatal(err)
	}
	if w := summaryValues(t, rep.ResultsPath, "Warning"); len(w) != 1 || !strings.Contains(w[0], "Shoe Size") {
		t.Errorf("Summary warnings %q, want the ignored column", w)
	}
	empty := writeCSV(t, dir, "empty.csv", "User Name,Display Name", 0, nil)
	rep, err = importer.Run(context.Background(), db, options(t, db, empty))
	if err != nil {
		t.Fatal(err)
	}
	if w := summaryValues(t, rep.ResultsPath, "Warning"); len(w) != 1 || !strings.Contains(w[0], "no data rows") {
		t.Errorf("Summary warnings of a header-only file %q", w)
	}
}

// summaryValues returns the values of the Summary sheet's lines of item.
func summaryValues(tb testing.TB, path, item string) []string {
	tb.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Summary")
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if len(r) == 2 && r[0] == item {
			out = append(out, r[1])
		}
	}
	return out
}
