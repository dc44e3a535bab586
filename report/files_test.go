package report

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"

	"github.com/xuri/excelize/v2"

	"userimport/importer"
)

func TestReserveResults(t *testing.T) {
	dir := t.TempDir()
	var got []string
	for range 3 {
		f, err := ReserveResults(dir, "hires", false, false)
		if err != nil {
			t.Fatal(err)
		}
		if f.CSV != "" || f.DryRun {
			t.Errorf("ReserveResults without CSV = %+v", f)
		}
		got = append(got, filepath.Base(f.XLSX))
	}
	// A CSV left alone still holds its number: the workbook and CSV of a
	// batch share one.
	if err := os.WriteFile(filepath.Join(dir, "hires.results.4.csv"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ReserveResults(dir, "hires", false, true)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, filepath.Base(f.XLSX), filepath.Base(f.CSV))
	want := []string{"hires.results.xlsx", "hires.results.2.xlsx", "hires.results.3.xlsx", "hires.results.5.xlsx", "hires.results.5.csv"}
	if !slices.Equal(got, want) {
		t.Errorf("reserved %q, want %q", got, want)
	}
	assertContent(t, filepath.Join(dir, "hires.results.4.csv"), "x")
}

// TestReserveResults_NeverOverwritesAnotherBatch is item 6: a dry run and
// a new batch of the same file leave the last real results alone, and a
// resumed batch rewrites its own.
func TestReserveResults_NeverOverwritesAnotherBatch(t *testing.T) {
	dir := t.TempDir()
	first, err := ReserveResults(dir, "hires", false, true)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, first, sampleResults()[:2], sampleSummary())
	before := dumpWorkbook(t, first.XLSX)
	beforeCSV, _ := os.ReadFile(first.CSV)

	dry, err := ReserveResults(dir, "hires", true, true)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(dry.XLSX) != "hires.dry-run.xlsx" || filepath.Base(dry.CSV) != "hires.dry-run.csv" || !dry.DryRun {
		t.Fatalf("dry run files = %+v", dry)
	}
	s := sampleSummary()
	s.DryRun, s.BatchID = true, "dry run"
	writeFiles(t, dry, sampleResults(), s)
	// A second dry run replaces the first.
	dry2, err := ReserveResults(dir, "hires", true, false)
	if err != nil {
		t.Fatal(err)
	}
	if dry2.XLSX != dry.XLSX {
		t.Errorf("second dry run went to %s, want %s", dry2.XLSX, dry.XLSX)
	}
	writeFiles(t, dry2, sampleResults()[:1], s)

	second, err := ReserveResults(dir, "hires", false, true)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(second.XLSX) != "hires.results.2.xlsx" || filepath.Base(second.CSV) != "hires.results.2.csv" {
		t.Fatalf("second batch files = %+v", second)
	}
	writeFiles(t, second, sampleResults()[2:4], sampleSummary())

	// The first batch resumes: it rewrites its own.
	writeFiles(t, ResultFiles{XLSX: first.XLSX, CSV: first.CSV}, sampleResults()[:3], sampleSummary())

	if got := len(readCSV(t, first.CSV)); got != 4 {
		t.Errorf("resumed batch's CSV has %d records, want 4", got)
	}
	if string(dumpWorkbook(t, first.XLSX)) == string(before) {
		t.Error("the resumed batch did not rewrite its workbook")
	}
	_ = beforeCSV
	if got := len(readCSV(t, second.CSV)); got != 3 {
		t.Errorf("second batch's CSV has %d records, want 3", got)
	}
	assertNoTempFiles(t, dir)
}

func TestReserveResults_Concurrent(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			f, err := ReserveResults(dir, "hires", false, true)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[f.XLSX] || seen[f.CSV] {
				t.Errorf("%s reserved twice", f.XLSX)
			}
			seen[f.XLSX], seen[f.CSV] = true, true
		})
	}
	wg.Wait()
	if len(seen) != 32 {
		t.Errorf("%d names reserved, want 32", len(seen))
	}
}

func writeFiles(t *testing.T, f ResultFiles, rs []importer.Result, s importer.Summary) {
	t.Helper()
	w, err := f.Create()
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

// TestResults_DryRun: the dry run's workbook says on its Summary that
// nothing was changed, and shows no user ID for a user it would create.
func TestResults_DryRun(t *testing.T) {
	dir := t.TempDir()
	f, err := ReserveResults(dir, "hires", true, true)
	if err != nil {
		t.Fatal(err)
	}
	s := sampleSummary()
	s.DryRun, s.BatchID = true, "dry run"
	writeFiles(t, f, sampleResults(), s)

	x, err := excelize.OpenFile(f.XLSX)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	item, _ := x.GetCellValue(SummarySheet, "A2")
	if item != DryRunItem {
		t.Errorf("Summary A2 = %q, want %q", item, DryRunItem)
	}
	rows, err := x.GetRows(ResultsSheet)
	if err != nil {
		t.Fatal(err)
	}
	csvRows := readCSV(t, f.CSV)
	for i, r := range sampleResults() {
		wantID := r.UserID
		if r.Outcome == importer.Created {
			wantID = ""
		}
		var gotID string
		if row := rows[i+1]; len(row) > 7 {
			gotID = row[7]
		}
		if gotID != wantID {
			t.Errorf("row %d (%s): User ID %q, want %q", r.Row, r.Outcome, gotID, wantID)
		}
		if got := csvRows[i+1][7]; got != wantID {
			t.Errorf("CSV row %d (%s): User ID %q, want %q", r.Row, r.Outcome, got, wantID)
		}
	}

	// A real batch's Summary has no such line, and keeps its IDs.
	real := filepath.Join(dir, "hires.results.xlsx")
	writeResults(t, real, "", sampleResults()[:1], sampleSummary())
	y, err := excelize.OpenFile(real)
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if item, _ := y.GetCellValue(SummarySheet, "A2"); item == DryRunItem {
		t.Error("a real batch's Summary says dry run")
	}
	if id, _ := y.GetCellValue(ResultsSheet, "H2"); id != sampleResults()[0].UserID {
		t.Errorf("a real batch's User ID = %q", id)
	}
}

// TestResults_ModeUnderUmask000: outputs are 0644 at most, the notice
// 0600, whatever the umask.
func TestResults_ModeUnderUmask000(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	for _, dry := range []bool{false, true} {
		f, err := ReserveResults(dir, "m", dry, true)
		if err != nil {
			t.Fatal(err)
		}
		if !dry {
			assertMode(t, f.XLSX, 0o644) // the reservation
			assertMode(t, f.CSV, 0o644)
		}
		writeFiles(t, f, sampleResults()[:2], sampleSummary())
		assertMode(t, f.XLSX, 0o644)
		assertMode(t, f.CSV, 0o644)
	}
	n, err := CreateNotice(dir, "m", sampleHeader())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.AddUser("a@x.com", "Aaaaaaaa1!", true); err != nil {
		t.Fatal(err)
	}
	if err := n.AddUser("b@x.com", "Bbbbbbbb1!", false); err != nil { // rewrites the notice
		t.Fatal(err)
	}
	n.Close()
	assertMode0600(t, n.Path())
}

// noisyResults returns n results whose messages do not compress, to fill a
// small disk.
func noisyResults(n int) []importer.Result {
	rs := make([]importer.Result, n)
	for i := range rs {
		rs[i] = importer.Result{Row: i + 2, UserName: fmt.Sprintf("user%d@contoso.com", i), Outcome: importer.Failed,
			LicenseStatus: importer.StatusNone, Message: rand.Text() + rand.Text() + rand.Text()}
	}
	return rs
}

// TestResults_FullDisk is item 8: a full disk while writing the workbook
// is an error from Write or Close, never silence, and leaves no temporary
// file; the next writer in the folder works and leaves none either.
func TestResults_FullDisk(t *testing.T) {
	for _, withCSV := range []bool{false, true} {
		t.Run(fmt.Sprintf("CSV=%v", withCSV), func(t *testing.T) {
			dir := mountTmpfs(t, "128k")
			f, err := ReserveResults(dir, "big", false, withCSV)
			if err != nil {
				t.Fatal(err)
			}
			w, err := f.Create()
			if err != nil {
				t.Fatal(err)
			}
			var werr error
			for _, r := range noisyResults(4000) {
				if werr = w.Write(r); werr != nil {
					break
				}
			}
			cerr := w.Close(sampleSummary())
			if cerr == nil {
				t.Fatal("Close on a full disk succeeded")
			}
			if werr != nil && !errors.Is(werr, syscall.ENOSPC) {
				t.Errorf("Write error = %v, want ENOSPC", werr)
			}
			if !errors.Is(cerr, syscall.ENOSPC) {
				t.Errorf("Close error = %v, want ENOSPC", cerr)
			}
			assertNoTempFiles(t, dir)
			if fi, err := os.Stat(f.XLSX); err != nil || fi.Size() != 0 {
				t.Errorf("the reserved workbook is not left empty: %v, %v", fi, err)
			}

			// Abort after a failure on a full disk leaves nothing either.
			w2, err := ResultFiles{XLSX: filepath.Join(dir, "other.results.xlsx")}.Create()
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range noisyResults(300) {
				if w2.Write(r) != nil {
					break
				}
			}
			w2.Abort()
			assertNoTempFiles(t, dir)

			// The next writer in the same folder.
			small := ResultFiles{XLSX: filepath.Join(dir, "small.results.xlsx")}
			writeFiles(t, small, sampleResults()[:3], sampleSummary())
			assertNoTempFiles(t, dir)
			x, err := excelize.OpenFile(small.XLSX)
			if err != nil {
				t.Fatalf("the next workbook does not open: %v", err)
			}
			x.Close()
		})
	}
}

// TestResults_StaleTempFiles: a writer killed with -9 leaves its temporary
// file; the next writer of that base name removes it, but never the file
// of a writer still at work.
func TestResults_StaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	killedWriter(t, dir, "hires")
	killedWriter(t, dir, "other")
	if got := tempFiles(t, dir); len(got) != 2 {
		t.Fatalf("killed writers left %q, want 2 files", got)
	}
	// A writer at work in this process (another one would hold its lock
	// the same way).
	live, err := createTemp(filepath.Join(dir, "hires.results.2.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()

	f, err := ReserveResults(dir, "hires", false, false)
	if err != nil {
		t.Fatal(err)
	}
	got := tempFiles(t, dir)
	want := []string{filepath.Base(live.Name())}
	for _, name := range got {
		if name != want[0] && filepath.Base(name)[:7] == ".other." {
			want = append(want, name)
		}
	}
	slices.Sort(want)
	if !slices.Equal(got, want) || len(want) != 2 {
		t.Errorf("after the next hires writer: %q, want the live one and other's", got)
	}
	// other's is removed by other's next writer, here a resume.
	writeFiles(t, ResultFiles{XLSX: filepath.Join(dir, "other.results.xlsx")}, sampleResults()[:1], sampleSummary())
	if got := tempFiles(t, dir); !slices.Equal(got, []string{filepath.Base(live.Name())}) {
		t.Errorf("after other's resume: %q", got)
	}
	_ = f
}

// killedWriter runs this test binary as a writer of dir/<base>.results.xlsx
// and kills it with SIGKILL in the middle of writing.
func killedWriter(t *testing.T, dir, base string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperResultsWriter$")
	cmd.Env = append(os.Environ(), "REPORT_HELPER_RESULTS="+filepath.Join(dir, base+".results.xlsx"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "writing\n" {
		_ = cmd.Process.Kill()
		t.Fatalf("helper said %q, %v", line, err)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
}

// TestHelperResultsWriter is the process killedWriter kills.
func TestHelperResultsWriter(t *testing.T) {
	path := os.Getenv("REPORT_HELPER_RESULTS")
	if path == "" {
		t.Skip("run by TestResults_StaleTempFiles")
	}
	w, err := CreateResults(path, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sampleResults() {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Println("writing")
	select {} // until killed
}
