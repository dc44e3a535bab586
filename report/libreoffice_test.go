package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"userimport/importer"
)

// TestResults_LibreOffice checks that LibreOffice opens the workbook and
// finds every row and cell in both sheets. It is skipped when soffice is
// not installed, unless USERIMPORT_TEST_LIBREOFFICE=require.
func TestResults_LibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		if os.Getenv("USERIMPORT_TEST_LIBREOFFICE") == "require" {
			t.Fatal("soffice not found, and USERIMPORT_TEST_LIBREOFFICE=require")
		}
		t.Skip("soffice not found: LibreOffice check skipped (apt-get install libreoffice-calc-nogui; USERIMPORT_TEST_LIBREOFFICE=require makes this fail)")
	}
	if testing.Short() {
		t.Skip("LibreOffice check skipped in -short mode")
	}

	dir := t.TempDir()
	xlsx, csvPath := filepath.Join(dir, "lo.results.xlsx"), filepath.Join(dir, "lo.results.csv")
	rs := sampleResults()
	for i := range 500 {
		rs = append(rs, importer.Result{
			Row: 100 + i, UserName: fmt.Sprintf("user%03d@contoso.com", i), DisplayName: fmt.Sprintf("User %d", i),
			Outcome: importer.Created, LicenseStatus: importer.StatusAssigned, UserID: fmt.Sprintf("id-%d", i),
			Licenses: []importer.LicenseResult{{SKU: "SPB", Status: importer.LicenseAssigned}},
		})
	}
	writeResults(t, xlsx, csvPath, rs, sampleSummary())

	// A fresh profile per run: LibreOffice refuses to share one, and a
	// stale lock from another run would hang it.
	profile := filepath.Join(dir, "lo-profile")
	out := filepath.Join(dir, "out")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Filter options: comma, double quote, UTF-8, from line 1, …, and
	// sheet -1: every sheet, each to <name>-<sheet>.csv (LibreOffice 7.2+).
	cmd := exec.CommandContext(ctx, soffice,
		"-env:UserInstallation=file://"+profile,
		"--headless", "--norestore", "--nolockcheck",
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
		"--outdir", out, xlsx)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	output, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("soffice timed out: %s", output)
	}
	if err != nil {
		t.Fatalf("soffice: %v: %s", err, output)
	}

	results := readLibreOfficeCSV(t, filepath.Join(out, "lo.results-Results.csv"))
	want := readCSV(t, csvPath)
	if len(results) != len(want) {
		t.Fatalf("LibreOffice read %d lines of Results, want %d (%s)", len(results), len(want), output)
	}
	for i := range want {
		if !slices.Equal(results[i], want[i]) {
			t.Errorf("Results line %d: LibreOffice read %q, want %q", i+1, results[i], want[i])
		}
	}

	summary := readLibreOfficeCSV(t, filepath.Join(out, "lo.results-Summary.csv"))
	items := summaryItems(sampleSummary())
	if len(summary) != len(items)+1 {
		t.Fatalf("LibreOffice read %d lines of Summary, want %d", len(summary), len(items)+1)
	}
	for i, it := range items {
		if got, want := summary[i+1], []string{it.item, fmt.Sprint(it.value)}; !slices.Equal(got, want) {
			t.Errorf("Summary line %d: LibreOffice read %q, want %q", i+2, got, want)
		}
	}
}

func readLibreOfficeCSV(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}
