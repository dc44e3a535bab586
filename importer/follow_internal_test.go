package importer

import (
	"fmt"
	"testing"
)

// TestFollowerKeeps: the follower keeps the results of a chunk written
// whole only when every chunk before it is complete, at most maxKept
// chunks, and gives back only those that go on from the last row written,
// so that the workbook gets every row once, in order (the others are read
// from the journal).
func TestFollowerKeeps(t *testing.T) {
	res := func(first, last int) []Result {
		var rs []Result
		for n := first; n <= last; n++ {
			rs = append(rs, Result{Row: n})
		}
		return rs
	}
	ranges := func(ks []kept) string {
		s := ""
		for _, k := range ks {
			s += fmt.Sprintf("(%d,%d]", k.after, k.last)
		}
		return s
	}
	t.Run("InOrder", func(t *testing.T) {
		f := newFollower()
		f.register(0, 6, 0, res(2, 6))
		f.register(1, 11, 0, res(7, 11))
		if got := ranges(f.take(0)); got != "(0,6](6,11]" {
			t.Errorf("take(0) = %s, want (0,6](6,11]", got)
		}
		if f.doneUpTo() != 11 {
			t.Errorf("done up to %d, want 11", f.doneUpTo())
		}
		f.register(2, 16, 0, res(12, 16))
		if got := ranges(f.take(11)); got != "(11,16]" {
			t.Errorf("take(11) = %s, want (11,16]", got)
		}
	})
	t.Run("BehindAnIncompleteChunk", func(t *testing.T) {
		f := newFollower()
		f.register(0, 6, 5, nil)         // rows still being hashed
		f.register(1, 11, 0, res(7, 11)) // complete, but behind chunk 0: not kept
		f.done(0, 5)
		f.register(2, 16, 0, res(12, 16)) // the next: kept
		if got := ranges(f.take(0)); got != "" {
			t.Errorf("take(0) = %s: rows 2–11 are the journal's to give first", got)
		}
		f.register(3, 21, 0, res(17, 21))
		if got := ranges(f.take(16)); got != "(16,21]" {
			t.Errorf("take(16) = %s, want (16,21]", got)
		}
	})
	t.Run("AtMostMaxKept", func(t *testing.T) {
		f := newFollower()
		last := 1
		for c := range maxKept + 2 {
			f.register(c, last+5, 0, res(last+1, last+5))
			last += 5
		}
		ks := f.take(0)
		if len(ks) != maxKept {
			t.Fatalf("%d chunks kept, want %d", len(ks), maxKept)
		}
		// The chunk after the last kept one was not kept: one registered
		// now goes on from it, not from the rows written.
		f.register(maxKept+2, last+5, 0, res(last+1, last+5))
		if got := ranges(f.take(ks[len(ks)-1].last)); got != "" {
			t.Errorf("take = %s after a chunk that was not kept", got)
		}
	})
}
