package fastxlsx

import (
	"encoding/binary"
	"errors"
	"unsafe"
)

// stringTable holds a workbook's shared strings in few, large allocations.
// Ten million items held as Go strings cost a string header and an
// allocation each, and the slice of them doubles as it grows (412 MB for
// ten million short items); here an item costs its bytes, a length prefix
// and a 4-byte position, and nothing is ever copied to grow. What it holds
// is bounded by the bytes of XML it was read from, which the limit on the
// unpacked size bounds.
//
// Items are stored as a uvarint length then the bytes, in chunks of
// tableChunk bytes that an item never straddles (one longer than a chunk
// gets a chunk of its own). A position is chunk<<tableShift | offset.
type stringTable struct {
	chunks    [][]byte
	positions [][]uint32 // by item, in blocks of tableBlock
	n         int
	empty     uint32 // the position of an empty item, once there is one
	hasEmpty  bool
}

const (
	tableShift = 20
	tableChunk = 1 << tableShift
	tableBlock = 1 << 18
)

// errTableFull is a table whose positions no longer fit in 32 bits: more
// than 4 GiB of strings.
var errTableFull = errors.New("more than 4 GiB of shared strings")

// add appends an item made of b's bytes.
func (t *stringTable) add(b []byte) error {
	var pos uint32
	switch {
	case len(b) == 0 && t.hasEmpty:
		pos = t.empty
	default:
		var prefix [binary.MaxVarintLen64]byte
		k := binary.PutUvarint(prefix[:], uint64(len(b)))
		need := k + len(b)
		last := len(t.chunks) - 1
		if last < 0 || len(t.chunks[last])+need > tableChunk {
			if len(t.chunks) >= 1<<(32-tableShift) {
				return errTableFull
			}
			t.chunks = append(t.chunks, make([]byte, 0, max(need, tableChunk)))
			last++
		}
		c := t.chunks[last]
		pos = uint32(last)<<tableShift | uint32(len(c))
		c = append(append(c, prefix[:k]...), b...)
		t.chunks[last] = c
		if len(b) == 0 {
			t.empty, t.hasEmpty = pos, true
		}
	}
	if t.n%tableBlock == 0 {
		t.positions = append(t.positions, make([]uint32, 0, tableBlock))
	}
	blk := &t.positions[len(t.positions)-1]
	*blk = append(*blk, pos)
	t.n++
	return nil
}

// len is the number of items.
func (t *stringTable) len() int { return t.n }

// get returns item i, 0 ≤ i < len. The string shares the table's bytes,
// which are never written again once an item is added, so it stays valid
// for as long as it is used.
func (t *stringTable) get(i int) string {
	pos := t.positions[i/tableBlock][i%tableBlock]
	c := t.chunks[pos>>tableShift][pos&(tableChunk-1):]
	n, k := binary.Uvarint(c)
	if n == 0 {
		return ""
	}
	return unsafe.String(&c[k], int(n))
}
