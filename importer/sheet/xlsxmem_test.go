package sheet

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"userimport/importer"
)

// writeBigSST writes to a file a workbook whose shared strings part holds
// n items, item i being prefix+i, streamed into the zip rather than built
// in memory; the worksheet is sheet.
func writeBigSST(tb testing.TB, sheet string, n int, prefix string) string {
	tb.Helper()
	small := rawWorkbook(tb, sheet, "", false)
	zr, err := zip.NewReader(bytes.NewReader(small), int64(len(small)))
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "big-sst.xlsx")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, flate.BestSpeed) })
	for _, zf := range zr.File {
		w, err := zw.Create(zf.Name)
		if err != nil {
			tb.Fatal(err)
		}
		rc, _ := zf.Open()
		io.Copy(w, rc)
		rc.Close()
	}
	w, err := zw.Create("xl/sharedStrings.xml")
	if err != nil {
		tb.Fatal(err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(sstStart)
	var num []byte
	for i := 0; i < n; i++ {
		bw.WriteString("<si><t>")
		bw.WriteString(prefix)
		num = strconv.AppendInt(num[:0], int64(i), 10)
		bw.Write(num)
		bw.WriteString("</t></si>")
	}
	bw.WriteString(sstEnd)
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestOpen_ManySharedStrings reads a workbook of ten million shared
// strings (a 230 MB part, under the 256 MiB limit), which held as Go
// strings peaked at 412 MB: SPEC §7 allows 300 MB for an import. What the
// reader allocates in all while it opens and reads the workbook bounds its
// peak.
func TestOpen_ManySharedStrings(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a large workbook")
	}
	const n = 10_000_000
	sheet := sheetXML(headerRow +
		`<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>9999999</v></c></row>` +
		`<row r="3"><c r="A3" t="s"><v>5000000</v></c><c r="B3" t="s"><v>123</v></c></row>`)
	path := writeBigSST(t, sheet, n, "")
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var rows []importer.Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	runtime.ReadMemStats(&after)
	if _, ok := r.src.(*fastXLSXSource); !ok {
		t.Errorf("read by a %T, not the fast reader", r.src)
	}
	r.Close()
	want := [][2]string{{"0", "9999999"}, {"5000000", "123"}}
	if len(rows) != 2 {
		t.Fatalf("rows = %+v", rows)
	}
	for i, w := range want {
		if got := [2]string{rows[i].Get(importer.ColUserName), rows[i].Get(importer.ColDisplayName)}; got != w {
			t.Errorf("row %d = %q, want %q", rows[i].Number, got, w)
		}
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("reading %d shared strings allocated %d MB", n, alloc>>20)
	if alloc > 200<<20 {
		t.Errorf("reading %d shared strings allocated %d MB in all, want at most 200 MB", n, alloc>>20)
	}
}
