package xlsxw

import "hash/crc32"

// crc32Combine returns the CRC-32 (IEEE) of a followed by b from crcA, the
// CRC of a, crcB, the CRC of b, and lenB, the length of b. A worksheet's
// rows are checksummed as they are deflated, before the XML that precedes
// them (with the sheet's dimension) is known.
//
// The CRC of a message is its polynomial times x^32, reduced modulo the
// generator (with the register preset and inverted, which the lengths make
// cancel out here): appending lenB bytes multiplies a's CRC by x^(8·lenB),
// and the CRCs of the parts then add (xor).
func crc32Combine(crcA, crcB uint32, lenB int64) uint32 {
	if lenB <= 0 {
		return crcA
	}
	return mulModP(xPow8n(lenB), crcA) ^ crcB
}

// Polynomials modulo the IEEE generator are held as the CRC register holds
// them: reflected, x^0 in the top bit, x^31 in bit 0.
const (
	xPow0 uint32 = 1 << 31
	xPow8 uint32 = 1 << (31 - 8)
)

// mulModP returns a·b modulo the generator.
func mulModP(a, b uint32) uint32 {
	var p uint32
	for m := xPow0; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		// b = b·x
		if b&1 != 0 {
			b = b>>1 ^ crc32.IEEE
		} else {
			b >>= 1
		}
	}
	return p
}

// xPow8n returns x^(8n) modulo the generator, by squaring.
func xPow8n(n int64) uint32 {
	p, sq := xPow0, xPow8 // sq = x^(8·2^i)
	for ; n > 0; n >>= 1 {
		if n&1 != 0 {
			p = mulModP(p, sq)
		}
		sq = mulModP(sq, sq)
	}
	return p
}
