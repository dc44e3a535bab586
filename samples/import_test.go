package samples

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"userimport/importer"
	"userimport/importer/argon2id"
	"userimport/importer/sheet"
	"userimport/internal/dirtest"
	"userimport/report"
)

// TestSamplesImport keeps the samples importable: each one, imported for
// real into a fresh demo directory, creates its good rows, and only
// new-hires.xlsx's deliberate mistakes fail, each with its message.
func TestSamplesImport(t *testing.T) {
	tests := []struct {
		file    string
		created int
		failed  map[int]string // row → a part of its message
	}{
		{"new-hires.xlsx", 14, map[int]string{
			16: "User Name: two periods in a row",
			17: `not a verified domain`,
			18: `Licenses: no such license "VISIOCLIENT"`,
			19: "User Name: duplicate of row 2",
			20: "Password: must have at least three of",
			21: "Usage Location: is not a country code",
		}},
		{"new-hires.csv", 14, nil},
		{"admin-center.csv", 8, nil},
		{"entra-bulk-create.csv", 8, nil},
		{"google-workspace.csv", 8, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			db := dirtest.Demo(t, "sqlite:"+filepath.Join(dir, "userimport.db"))
			actor, _ := db.User(ctx, dirtest.Admin)
			path := filepath.Join(".", tt.file)
			rep, err := importer.Run(ctx, db, importer.Options{
				FileName: filepath.Base(path), Mode: importer.ModeCreate, OutDir: dir, RequirePasswordChange: true, Actor: actor,
				Open:    func() (importer.RowSource, error) { return sheet.Open(path, sheet.Options{}) },
				Hasher:  argon2id.NewHasher(argon2id.InsecureTestParams(), 0),
				Outputs: report.Outputs(),
			})
			var failed *importer.RowsFailedError
			if err != nil && !(errors.As(err, &failed) && len(tt.failed) > 0) {
				t.Fatalf("import: %v", err)
			}
			if rep.Summary.Created != tt.created || rep.Summary.Failed != len(tt.failed) {
				t.Fatalf("created %d, failed %d; want %d and %d", rep.Summary.Created, rep.Summary.Failed, tt.created, len(tt.failed))
			}
			f, err := excelize.OpenFile(rep.ResultsPath)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, _ := f.GetRows("Results")
			for _, r := range rows[1:] {
				want, bad := tt.failed[atoi(r[0])]
				msg := ""
				if len(r) > 6 {
					msg = r[6]
				}
				switch {
				case bad && (r[3] != "Failed" || !strings.Contains(msg, want)):
					t.Errorf("row %s: %s %q, want Failed with %q", r[0], r[3], msg, want)
				case !bad && r[3] != "Created":
					t.Errorf("row %s: %s %q, want Created", r[0], r[3], msg)
				}
			}
		})
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
