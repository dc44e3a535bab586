package importer

import "testing"

// TestColumnKeys: every column has a key of its own that leads back to it,
// and a journal written with display names (before keys) still reads.
func TestColumnKeys(t *testing.T) {
	seen := map[string]Column{}
	for c := range Column(NumColumns) {
		k := c.Key()
		if k == "" || k == c.String() {
			t.Errorf("%v: key %q", c, k)
		}
		if other, dup := seen[k]; dup {
			t.Errorf("%v and %v share the key %q", c, other, k)
		}
		seen[k] = c
		if got, ok := ColumnOf(k); !ok || got != c {
			t.Errorf("ColumnOf(%q) = %v, %v; want %v", k, got, ok, c)
		}
		if got, ok := ColumnOf(c.String()); !ok || got != c {
			t.Errorf("ColumnOf(%q) = %v, %v; want %v", c.String(), got, ok, c)
		}
	}
	if ColJobTitle.Key() != "jobTitle" || ColEmployeeID.Key() != "employeeId" {
		t.Errorf("keys %q %q, want the JSON field names", ColJobTitle.Key(), ColEmployeeID.Key())
	}
	p := Planned{Changed: []string{"jobTitle", "Department"}}
	if got := p.ChangedNames(); len(got) != 2 || got[0] != "Job Title" || got[1] != "Department" {
		t.Errorf("ChangedNames = %q", got)
	}
}
