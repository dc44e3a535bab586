package sheet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/xuri/excelize/v2"

	"userimport/importer"
)

// rosterFile writes a generated roster of n rows to a temporary file.
func rosterFile(tb testing.TB, format string, n int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "roster."+format)
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := Generate(f, format, n, "contoso.com", 1); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// readRows reads every row of path and returns how many there were and the
// heap in use, after a collection, when the last row had been read.
func readRows(tb testing.TB, path string) (rows int, heap uint64) {
	r, err := Open(path, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		rows++
	}
	// Two collections: the first only moves what sync.Pools hold (the
	// roster generator's 16 MiB buffers) to their victim caches.
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return rows, m.HeapInuse
}

func benchmarkRead(b *testing.B, format string) {
	const n = 100_000
	path := rosterFile(b, format, n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if got, _ := readRows(b, path); got != n {
			b.Fatalf("read %d rows", got)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkReadCSV100k(b *testing.B)  { benchmarkRead(b, "csv") }
func BenchmarkReadXLSX100k(b *testing.B) { benchmarkRead(b, "xlsx") }

// TestMemoryFlat checks that reading does not hold on to rows: the heap
// after reading 200,000 rows is about what it is after 10,000.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("writes large files")
	}
	for _, tt := range []struct {
		format     string
		small, big int
	}{
		{"csv", 10_000, 200_000},
		{"xlsx", 10_000, 100_000},
	} {
		t.Run(tt.format, func(t *testing.T) {
			_, small := readRows(t, rosterFile(t, tt.format, tt.small))
			_, big := readRows(t, rosterFile(t, tt.format, tt.big))
			t.Logf("heap in use after %d rows: %d KiB; after %d rows: %d KiB", tt.small, small>>10, tt.big, big>>10)
			if big > small+8<<20 {
				t.Errorf("heap grew from %d KiB to %d KiB", small>>10, big>>10)
			}
		})
	}
}

// formatsRosterFile writes a workbook of n rows whose ZIP codes are ZIP+4
// numbers (00000-0000) and whose phones are numbers in a phone format,
// formats the fast reader has excelize render cell by cell.
func formatsRosterFile(tb testing.TB, n int) string {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	zip4, phone := "00000-0000", `"+1 "000-000-0000`
	zipStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &zip4})
	if err != nil {
		tb.Fatal(err)
	}
	phoneStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &phone})
	if err != nil {
		tb.Fatal(err)
	}
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	sw.SetRow("A1", []any{"User Name", "Display Name", "ZIP or Postal Code", "Office Phone"})
	for i := 2; i <= n+1; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i)
		err := sw.SetRow(cell, []any{
			fmt.Sprintf("user%d@contoso.com", i), fmt.Sprintf("User %d", i),
			excelize.Cell{StyleID: zipStyle, Value: 980520000 + i%10000},
			excelize.Cell{StyleID: phoneStyle, Value: 4255550000 + i%10000},
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "formats.xlsx")
	if err := f.SaveAs(path); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkReadXLSXFormats100k reads 100,000 rows with two numbers each in
// formats rendered by excelize cell by cell; the workbook stays on the
// fast reader (it went to the excelize reader whole: 12k rows/s).
func BenchmarkReadXLSXFormats100k(b *testing.B) {
	const n = 100_000
	path := formatsRosterFile(b, n)
	r, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, ok := r.src.(*fastXLSXSource); !ok {
		b.Fatalf("read by a %T, not the fast reader", r.src)
	}
	row, _ := r.Next()
	if got := row.Get(importer.ColPostalCode); got != "98052-0002" {
		b.Fatalf("ZIP+4 = %q", got)
	}
	r.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if got, _ := readRows(b, path); got != n {
			b.Fatalf("read %d rows", got)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
}
