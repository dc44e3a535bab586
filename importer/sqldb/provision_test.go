package sqldb

import (
	"slices"
	"testing"

	"userimport/importer"
)

// TestChangeKeys: changed columns are found by key and, in journals
// written before keys, by display name, as Planned.ChangedColumns finds
// them.
func TestChangeKeys(t *testing.T) {
	k := newChangeKeys()
	for _, c := range importer.Columns() {
		for _, s := range []string{c.Key(), c.String()} {
			p := &importer.Planned{Changed: []string{s, "no such column"}}
			if got, want := k.columns(p), p.ChangedColumns(); !slices.Equal(got, want) || len(got) != 1 || got[0] != c {
				t.Errorf("%q: %v, want %v (ChangedColumns %v)", s, got, []importer.Column{c}, want)
			}
		}
	}
}
