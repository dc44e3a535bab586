package importer_test

import (
	"context"
	"path/filepath"
	"testing"

	"userimport/importer"
	"userimport/importer/sqldb"
	"userimport/internal/dirtest"
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
