package hamming

import "math/bits"

// maxSubBits is the widest substring a table may use. A table's CSR offset
// array has 2^b+1 entries, so 24 bits is 64 MiB per table; wider substrings
// would need hashed buckets, which the cost model never wants anyway.
const maxSubBits = 24

// partition describes how a code of `bits` bits is cut into m disjoint,
// contiguous substrings. Bit j of a code is bit j%64 of word j/64. Substring i
// covers bits [start_i, start_i+width_i); the first bits%m substrings are one
// bit wider than the others.
type partition struct {
	bits, words, m int
	width          []uint8  // width_i in bits
	word           []uint8  // index of the word holding the substring's first bit
	shift          []uint8  // position of that bit inside the word
	cross          []bool   // the substring continues into word[i]+1
	mask           []uint64 // (1<<width_i)-1
	lo, hi         []uint64 // bits of the substring inside word[i] and word[i]+1
}

func newPartition(nbits, m int) partition {
	p := partition{bits: nbits, words: nbits / 64, m: m}
	if m == 0 {
		return p
	}
	p.width = make([]uint8, m)
	p.word = make([]uint8, m)
	p.shift = make([]uint8, m)
	p.cross = make([]bool, m)
	p.mask = make([]uint64, m)
	p.lo = make([]uint64, m)
	p.hi = make([]uint64, m)
	start := 0
	for i := 0; i < m; i++ {
		w := nbits / m
		if i < nbits%m {
			w++
		}
		p.width[i] = uint8(w)
		p.word[i] = uint8(start / 64)
		sh := start % 64
		p.shift[i] = uint8(sh)
		p.mask[i] = uint64(1)<<w - 1
		p.lo[i] = p.mask[i] << sh
		if sh+w > 64 {
			p.cross[i] = true
			p.hi[i] = p.mask[i] >> (64 - sh)
		}
		start += w
	}
	return p
}

// key extracts substring i of code.
func (p *partition) key(code []uint64, i int) uint32 {
	w, sh := p.word[i], p.shift[i]
	v := code[w] >> sh
	if p.cross[i] {
		v |= code[w+1] << (64 - sh)
	}
	return uint32(v & p.mask[i])
}

// subDist is the Hamming distance restricted to substring i, given the XOR
// of the two codes.
func (p *partition) subDist(x []uint64, i int) int {
	w := p.word[i]
	d := bits.OnesCount64(x[w] & p.lo[i])
	if p.cross[i] {
		d += bits.OnesCount64(x[w+1] & p.hi[i])
	}
	return d
}
