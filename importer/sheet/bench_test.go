package sheet

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
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
