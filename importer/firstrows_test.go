package importer

import (
	"math/rand/v2"
	"testing"
)

// TestFirstRows checks the table against a Go map over a million random
// hashes with repeats, including the hash 0 and hashes that collide in the
// low bits.
func TestFirstRows(t *testing.T) {
	var table firstRows
	want := map[uint64]int32{}
	r := rand.New(rand.NewPCG(1, 2))
	hashes := []uint64{0, 1, 1 << 40, 2 << 40, 3 << 40} // 0 and 1 share a slot; the rest share low bits
	for range 1_000_000 {
		hashes = append(hashes, r.Uint64())
	}
	for i := range 200_000 {
		hashes = append(hashes, hashes[r.IntN(len(hashes))], hashes[i])
	}
	for i, h := range hashes {
		row := int32(i + 2)
		key := max(h, 1)
		first, seen := want[key]
		if !seen {
			want[key] = row
		}
		if got := table.firstOrAdd(h, row); got != first {
			t.Fatalf("hash %#x at row %d: first row %d, want %d", h, row, got, first)
		}
	}
	if table.n != len(want) {
		t.Fatalf("%d entries, want %d", table.n, len(want))
	}
}
