package report

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"userimport/importer"
)

// BenchmarkResults writes result workbooks (with the CSV) of 100,000 and
// 1,000,000 rows and reports rows/s and the peak heap in use, sampled every
// 10 ms, which must not grow with the number of rows. Run it alone:
//
//	go test ./report -run '^$' -bench Results -benchtime 1x
func BenchmarkResults(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			dir := b.TempDir()
			rs := benchResults(n)
			peak := startHeapSampler()
			b.ResetTimer()
			for i := range b.N {
				xlsx := filepath.Join(dir, fmt.Sprintf("bench%d.results.xlsx", i))
				w, err := CreateResults(xlsx, filepath.Join(dir, fmt.Sprintf("bench%d.results.csv", i)))
				if err != nil {
					b.Fatal(err)
				}
				for row := range n {
					if err := w.Write(rs(row)); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(sampleSummary()); err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					if fi, err := os.Stat(xlsx); err == nil {
						b.ReportMetric(float64(fi.Size())/(1<<20), "xlsx-MB")
					}
				}
				_ = os.Remove(xlsx)
			}
			b.StopTimer()
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
		})
	}
}

// benchResults returns a realistic result for each row without holding n
// of them.
func benchResults(n int) func(int) importer.Result {
	lic := []importer.LicenseResult{{SKU: "ENTERPRISEPACK", Status: importer.LicenseAssigned}}
	return func(i int) importer.Result {
		r := importer.Result{
			Row:           i + 2,
			UserName:      fmt.Sprintf("user%07d@contoso.com", i),
			DisplayName:   fmt.Sprintf("User Number %d", i),
			Outcome:       importer.Created,
			LicenseStatus: importer.StatusAssigned,
			Licenses:      lic,
			UserID:        fmt.Sprintf("0b6f3f0e-8a4b-4c39-9d1f-%012d", i),
		}
		if i%50 == 0 {
			r.Outcome, r.LicenseStatus, r.Licenses, r.UserID = importer.Failed, importer.StatusNone, nil, ""
			r.Message = fmt.Sprintf(`User Name: two periods in a row are not allowed ("user..%d")`, i)
		}
		return r
	}
}

// startHeapSampler samples HeapInuse until the returned function is
// called, which returns the peak.
func startHeapSampler() func() uint64 {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > peak.Load() {
			peak.Store(ms.HeapInuse)
		}
	}
	wg.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		sample()
		return peak.Load()
	}
}
