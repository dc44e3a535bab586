package importer

// firstRows maps 64-bit key hashes to the row that first had the key: the
// index of the in-file duplicate check, one entry per row. It is an
// open-addressing table of two flat arrays, 12 bytes a slot at a load of at
// most 3/4, about a third of what a Go map of the same entries takes, and
// it holds no pointers, so the garbage collector never scans it.
type firstRows struct {
	hashes []uint64 // 0: empty slot
	rows   []int32
	n      int
}

// firstOrAdd returns the row recorded for hash h, or records row for it
// and returns 0.
func (t *firstRows) firstOrAdd(h uint64, row int32) int32 {
	if h == 0 {
		h = 1 // 0 marks an empty slot
	}
	if t.n >= len(t.hashes)*3/4 {
		t.grow()
	}
	mask := uint64(len(t.hashes) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.hashes[i] {
		case 0:
			t.hashes[i], t.rows[i] = h, row
			t.n++
			return 0
		case h:
			return t.rows[i]
		}
	}
}

// grow doubles the table (from 1,024 slots) and puts the entries back.
func (t *firstRows) grow() {
	old, oldRows := t.hashes, t.rows
	size := max(1024, 2*len(old))
	t.hashes, t.rows = make([]uint64, size), make([]int32, size)
	mask := uint64(size - 1)
	for j, h := range old {
		if h == 0 {
			continue
		}
		i := h & mask
		for t.hashes[i] != 0 {
			i = (i + 1) & mask
		}
		t.hashes[i], t.rows[i] = h, oldRows[j]
	}
}
