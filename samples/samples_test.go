package samples

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"userimport/importer"
	"userimport/importer/sheet"
	"userimport/validate"
)

// TestSamplesRead opens every sample with sheet.Open and reads all of its
// rows: the accented names survive, every given password but the
// deliberately weak one keeps the policy, and only Google's extra columns
// are ignored.
func TestSamplesRead(t *testing.T) {
	tests := []struct {
		file    string
		rows    int
		names   []string // display names, or first names when the file has none
		warning string   // a warning that must be there; any other fails
	}{
		{"new-hires.xlsx", 20, []string{"José Núñez", "Zoë Müller", "Łukasz Wiśniewski", "Søren Jørgensen", "Nguyễn Văn An", "李伟", "Ólafur Jónsson", "Siobhán O'Brien"}, ""},
		{"new-hires.csv", 14, []string{"José Núñez", "Zoë Müller", "Łukasz Wiśniewski", "Chloé Dubois", "Íñigo Ibáñez", "Guðrún Sigurðardóttir"}, ""},
		{"admin-center.csv", 8, []string{"José Núñez", "李伟", "Chloé Dubois"}, ""},
		{"entra-bulk-create.csv", 8, []string{"José Núñez", "Søren Jørgensen", "Ólafur Jónsson"}, ""},
		{"google-workspace.csv", 8, []string{"José", "Łukasz", "Ólafur"}, `ignored columns: "Org Unit Path [Required]", "New Primary Email [UPLOAD ONLY]"`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, err := sheet.Open(filepath.Join(".", tt.file), sheet.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			seen := map[string]bool{}
			n := 0
			for {
				row, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				n++
				if row.Get(importer.ColUserName) == "" {
					t.Errorf("row %d has no user name", row.Number)
				}
				seen[row.Get(importer.ColDisplayName)] = true
				seen[row.Get(importer.ColFirstName)] = true
				if pw := row.Get(importer.ColPassword); pw != "" && pw != "password" {
					alias, _, _ := strings.Cut(row.Get(importer.ColUserName), "@")
					if err := validate.Password(pw, alias); err != nil {
						t.Errorf("row %d: password %q: %v", row.Number, pw, err)
					}
				}
			}
			if n != tt.rows {
				t.Errorf("read %d rows, want %d", n, tt.rows)
			}
			for _, name := range tt.names {
				if !seen[name] {
					t.Errorf("no row named %q", name)
				}
			}
			w := strings.Join(r.Warnings(), "\n")
			if tt.warning == "" && w != "" || !strings.Contains(w, tt.warning) {
				t.Errorf("warnings = %q", w)
			}
		})
	}
}
