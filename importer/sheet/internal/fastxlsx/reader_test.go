package fastxlsx

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/xuri/excelize/v2"
)

// TestUnpackedLimit checks the count of the bytes actually unpacked, as if
// the zip declared less than it holds (archive/zip reads no more than
// declared, so the budget is made small instead): the rows up to the
// limit, then the zip-bomb error for the next, then the end.
func TestUnpackedLimit(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetRow("Sheet1", "A1", &[]any{"User Name"})
	for i := 2; i <= 5000; i++ { // numbers, so that the worksheet is what grows
		f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i), &[]any{i, i})
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	r, err := openFastParts(zr, Options{Limit: 1 << 30}, &unzipBudget{left: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows := 0
	var last error
	for i := 0; i < 10_000; i++ {
		_, _, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			last = err
			continue
		}
		rows++
	}
	if rows < 100 || rows >= 5000 || last == nil || !strings.Contains(last.Error(), "zip bomb") || !strings.Contains(last.Error(), "65536 bytes") {
		t.Errorf("%d rows, then %v", rows, last)
	}
}

func TestBudgetReader(t *testing.T) {
	for _, tt := range []struct {
		size, limit int64
		over        bool
	}{
		{100, 100, false}, {100, 1000, false}, {101, 100, true}, {0, 0, false}, {1, 0, true},
	} {
		b := &unzipBudget{left: tt.limit}
		n, err := io.Copy(io.Discard, b.reader(iotest.HalfReader(bytes.NewReader(make([]byte, tt.size)))))
		var over *overLimitError
		if errors.As(err, &over) != tt.over || n > tt.limit || !tt.over && err != nil {
			t.Errorf("%d bytes, limit %d: read %d, %v", tt.size, tt.limit, n, err)
		}
	}
}

func TestMarkerReader(t *testing.T) {
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"purl.oclc.org", true}, {"xx purl.oclc.org yy", true}, {"purl.oclc.or", false}, {"urn:purl", false}, {"", false},
	} {
		for _, r := range []io.Reader{strings.NewReader(tt.text), iotest.OneByteReader(strings.NewReader(tt.text)), iotest.HalfReader(strings.NewReader(tt.text))} {
			m := &markerReader{r: r, marker: []byte("purl.oclc.org")}
			if _, err := io.Copy(io.Discard, m); err != nil || m.found != tt.want {
				t.Errorf("%q: found %v, %v", tt.text, m.found, err)
			}
		}
	}
}

func TestPlainInteger(t *testing.T) {
	for in, want := range map[string]string{
		"1.23456789012346E+15":  "1234567890123460",
		"-1E+16":                "-10000000000000000",
		"1E+21":                 "1E+21",
		"1.5E-05":               "1.5E-05",
		"4.94065645841247E-324": "4.94065645841247E-324",
		"Ebba":                  "Ebba",
		"E+":                    "E+",
		"12E+3x":                "12E+3x",
		"98052":                 "98052",
	} {
		if got := PlainInteger(in); got != want {
			t.Errorf("PlainInteger(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStringTable(t *testing.T) {
	var tab stringTable
	long := string(bytes.Repeat([]byte("x"), tableChunk+10))
	var want []string
	for i := 0; i < 3*tableBlock; i++ {
		s := fmt.Sprintf("item %d", i)
		switch i % 100_000 {
		case 7:
			s = ""
		case 8:
			s = long
		case 9:
			s = long[:tableChunk-3] // fits a chunk with its prefix only at its start
		}
		want = append(want, s)
		if err := tab.add([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if tab.len() != len(want) {
		t.Fatalf("len = %d, want %d", tab.len(), len(want))
	}
	for i, w := range want {
		if got := tab.get(i); got != w {
			t.Fatalf("item %d = %.20q (%d bytes), want %.20q (%d bytes)", i, got, len(got), w, len(w))
		}
	}
}
