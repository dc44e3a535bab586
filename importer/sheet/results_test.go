package sheet

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"userimport/importer"
	"userimport/report"
)

// TestFastXLSX_ResultWorkbook: a result workbook (package report) that an
// admin imports again, after fixing its failed rows, is read by the fast
// reader, every sheet of it, with exactly the rows the excelize reader
// gives.
func TestFastXLSX_ResultWorkbook(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hires.results.xlsx")
	w, err := report.CreateResults(path, "")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"alice@contoso.com", "=1+1", " bob@contoso.com ", "_x0041_@contoso.com", "zoë@contoso.com", "a\tb", ""}
	for i := range 300 {
		r := importer.Result{Row: i + 2, UserName: names[i%len(names)], DisplayName: fmt.Sprintf("User %d", i),
			Outcome: importer.Failed, LicenseStatus: importer.StatusNone, Message: "User Name: bad"}
		if i%3 == 0 {
			r.Outcome, r.LicenseStatus, r.UserID, r.Message = importer.Created, importer.StatusAssigned, fmt.Sprintf("id-%d", i), ""
			r.Licenses = []importer.LicenseResult{{SKU: "SPB", Status: importer.LicenseAssigned}}
		}
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Date(2025, 3, 4, 9, 30, 0, 0, time.UTC)
	s := importer.Summary{File: "hires.xlsx", Started: start, Finished: start.Add(time.Minute), Rows: 300, Feed: true,
		Leavers: []importer.Leaver{{UserName: "left@contoso.com", EmployeeID: "E1", Outcome: importer.Disabled}}}
	if err := w.Close(s); err != nil {
		t.Fatal(err)
	}

	for _, sheet := range []string{report.ResultsSheet, report.SummarySheet, report.LeaversSheet} {
		if rows := checkSameRows(t, path, Options{Sheet: sheet}); len(rows) < 2 {
			t.Errorf("sheet %s: %d rows read", sheet, len(rows))
		}
	}

	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	row, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if row.Number != 2 || row.Cells[importer.ColUserName] != "alice@contoso.com" || row.Cells[importer.ColDisplayName] != "User 0" {
		t.Errorf("first row read %d %q %q", row.Number, row.Cells[importer.ColUserName], row.Cells[importer.ColDisplayName])
	}
}
