package sheet

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"userimport/importer"
)

func readNight(t *testing.T, path string) []importer.Row {
	t.Helper()
	r, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows []importer.Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
}

// TestNextNight: the second night has the first's people less the
// leavers, the movers changed but for their user names, and joiners with
// fresh employee IDs, no user name and clashing names; the same seed gives
// the same file.
func TestNextNight(t *testing.T) {
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			first := filepath.Join(dir, "night1."+format)
			var b bytes.Buffer
			if err := Generate(&b, format, 200, "contoso.com", 3); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(first, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			next := func(seed int64) []byte {
				var out bytes.Buffer
				if err := NextNight(&out, format, first, Changes{Leavers: 20, Movers: 30, Joiners: 25, Seed: seed}); err != nil {
					t.Fatal(err)
				}
				return out.Bytes()
			}
			second := filepath.Join(dir, "night2."+format)
			data := next(9)
			if err := os.WriteFile(second, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if format == "csv" && !bytes.Equal(data, next(9)) {
				t.Error("the same seed gave another night")
			}
			before := map[string]importer.Row{}
			for _, r := range readNight(t, first) {
				before[r.Cells[importer.ColEmployeeID]] = r
			}
			rows := readNight(t, second)
			if len(rows) != 200-20+25 {
				t.Fatalf("%d rows, want %d", len(rows), 200-20+25)
			}
			kept, moved, renamed, joiners := 0, 0, 0, 0
			var joinerNames []string
			for _, r := range rows {
				old, ok := before[r.Cells[importer.ColEmployeeID]]
				if !ok {
					joiners++
					if r.Cells[importer.ColUserName] != "" {
						t.Errorf("joiner %s has a user name", r.Cells[importer.ColEmployeeID])
					}
					joinerNames = append(joinerNames, r.Cells[importer.ColFirstName]+" "+r.Cells[importer.ColLastName])
					continue
				}
				kept++
				if r.Cells[importer.ColUserName] != old.Cells[importer.ColUserName] {
					t.Errorf("%s: user name changed", old.Cells[importer.ColUserName])
				}
				if r.Cells[importer.ColDepartment] != old.Cells[importer.ColDepartment] {
					moved++
				}
				if r.Cells[importer.ColLastName] != old.Cells[importer.ColLastName] {
					renamed++
				}
			}
			if kept != 180 || moved != 30 || renamed != 15 || joiners != 25 {
				t.Errorf("kept %d, moved %d, renamed %d, joiners %d; want 180, 30, 15, 25", kept, moved, renamed, joiners)
			}
			if joinerNames[0] != joinerNames[1] {
				t.Errorf("the first two joiners are %q and %q, want the same name", joinerNames[0], joinerNames[1])
			}
		})
	}
}

func TestNextNightTooMany(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "n.csv")
	var b bytes.Buffer
	_ = Generate(&b, "csv", 5, "", 1)
	_ = os.WriteFile(first, b.Bytes(), 0o644)
	err := NextNight(io.Discard, "csv", first, Changes{Leavers: 4, Movers: 2})
	if importer.ErrorCode(err) != importer.EINVALID {
		t.Errorf("6 changes of 5 rows: %v", err)
	}
}
