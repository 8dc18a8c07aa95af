package hamming

import "math/bits"

// The hot loops of a search, as "kernels" over flat arrays. The functions
// below are the portable reference versions; on amd64 the same loops are
// implemented in assembly with software prefetching (kernels_amd64.s), which
// is what makes the random accesses overlap. kernels_test.go checks that
// both agree.

// probeRelGo looks up bucket key^mask for every mask in a two-level offset
// table and stores lo<<32|hi in out, keeping only non-empty buckets. It
// returns the number stored. out must have room for len(masks) entries.
func probeRelGo(base []uint32, rel []uint16, key uint32, masks []uint32, out []uint64) int {
	n := 0
	out = out[:len(masks)]
	for _, mk := range masks {
		k := key ^ mk
		lo := base[k>>relShift] + uint32(rel[k])
		hi := base[(k+1)>>relShift] + uint32(rel[k+1])
		out[n] = uint64(lo)<<32 | uint64(hi)
		if hi > lo {
			n++
		}
	}
	return n
}

// probeOffGo is probeRelGo for a plain uint32 offset table.
func probeOffGo(off []uint32, key uint32, masks []uint32, out []uint64) int {
	n := 0
	out = out[:len(masks)]
	for _, mk := range masks {
		k := key ^ mk
		lo, hi := off[k], off[k+1]
		out[n] = uint64(lo)<<32 | uint64(hi)
		if hi > lo {
			n++
		}
	}
	return n
}

// gatherSlotsGo copies slots[lo:hi] of every range into out and returns the
// number copied.
func gatherSlotsGo(slots []uint32, rng []uint64, out []uint32) int {
	n := 0
	for _, rg := range rng {
		n += copy(out[n:], slots[uint32(rg>>32):uint32(rg)])
	}
	return n
}

// verify256Go computes the distance of q to the 256-bit code of every
// candidate slot and stores j<<32|distance in out for the candidates cand[j]
// within r. It returns the number stored; out must have room for len(cand)
// entries.
func verify256Go(codes []uint64, cand []uint32, q *[4]uint64, r int, out []uint64) int {
	n := 0
	out = out[:len(cand)]
	for j, slot := range cand {
		c := codes[slot*4 : slot*4+4 : slot*4+4]
		d := bits.OnesCount64(c[0]^q[0]) + bits.OnesCount64(c[1]^q[1]) +
			bits.OnesCount64(c[2]^q[2]) + bits.OnesCount64(c[3]^q[3])
		if d <= r {
			out[n] = uint64(j)<<32 | uint64(d)
			n++
		}
	}
	return n
}

// verify64Go computes the distance of q to codes[j] for every j in every
// range and stores j<<32|distance in out for those within r. It returns the
// number stored; out must have room for all the ranges' codes.
func verify64Go(codes []uint64, rng []uint64, q uint64, r int, out []uint64) int {
	n := 0
	for _, rg := range rng {
		lo, hi := uint32(rg>>32), uint32(rg)
		for j, c := range codes[lo:hi] {
			if d := bits.OnesCount64(c ^ q); d <= r {
				out[n] = uint64(lo+uint32(j))<<32 | uint64(d)
				n++
			}
		}
	}
	return n
}

// scanChunk is how many codes a scan kernel call examines; its output
// buffer needs that many entries.
const scanChunk = 1024

// scan256Go stores j<<32|distance in out for every 256-bit code j of codes
// within r of q, and returns the number stored (out must have room for
// len(codes)/4 entries).
func scan256Go(codes []uint64, q *[4]uint64, r int, out []uint64) int {
	n := 0
	for j := 0; j+4 <= len(codes); j += 4 {
		c := codes[j : j+4 : j+4]
		d := bits.OnesCount64(c[0]^q[0]) + bits.OnesCount64(c[1]^q[1]) +
			bits.OnesCount64(c[2]^q[2]) + bits.OnesCount64(c[3]^q[3])
		if d <= r {
			out[n] = uint64(j>>2)<<32 | uint64(d)
			n++
		}
	}
	return n
}

// scan64Go is scan256Go for 64-bit codes.
func scan64Go(codes []uint64, q uint64, r int, out []uint64) int {
	n := 0
	for j, c := range codes {
		if d := bits.OnesCount64(c ^ q); d <= r {
			out[n] = uint64(j)<<32 | uint64(d)
			n++
		}
	}
	return n
}
