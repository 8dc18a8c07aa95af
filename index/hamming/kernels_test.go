package hamming

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKernelsAgreeWithTheirPortableVersions checks the platform kernels
// (assembly on amd64) against the Go reference versions on random tables.
func TestKernelsAgreeWithTheirPortableVersions(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for round := 0; round < 20; round++ {
		w := 1 + rng.IntN(14)
		n := rng.IntN(3000)
		off := make([]uint32, 1<<w+1)
		for i := 0; i < n; i++ {
			off[rng.IntN(1<<w)+1]++
		}
		for k := 1; k < len(off); k++ {
			off[k] += off[k-1]
		}
		tb := table{}
		nb := len(off)>>relShift + 1
		tb.base = make([]uint32, nb+1)
		for j := range tb.base {
			tb.base[j] = off[min(j<<relShift, len(off)-1)]
		}
		tb.rel = make([]uint16, len(off))
		for k, o := range off {
			tb.rel[k] = uint16(o - tb.base[k>>relShift])
		}
		key := uint32(rng.IntN(1 << w))
		masks := ballMasks(w, rng.IntN(min(w, 3)+1))
		a, b := make([]uint64, len(masks)), make([]uint64, len(masks))
		na, nb2 := probeRel(tb.base, tb.rel, key, masks, a), probeRelGo(tb.base, tb.rel, key, masks, b)
		if na != nb2 || !slices.Equal(a[:na], b[:nb2]) {
			t.Fatalf("probeRel differs")
		}
		na, nb2 = probeOff(off, key, masks, a), probeOffGo(off, key, masks, b)
		if na != nb2 || !slices.Equal(a[:na], b[:nb2]) {
			t.Fatalf("probeOff differs")
		}
		rng2 := a[:na]
		total := 0
		for _, rg := range rng2 {
			total += int(uint32(rg) - uint32(rg>>32))
		}
		slots := make([]uint32, n)
		for i := range slots {
			slots[i] = uint32(rng.IntN(max(n, 1)))
		}
		ca, cb := make([]uint32, total), make([]uint32, total)
		if x, y := gatherSlots(slots, rng2, ca), gatherSlotsGo(slots, rng2, cb); x != y || !slices.Equal(ca, cb) {
			t.Fatalf("gatherSlots differs")
		}
		codes := make([]uint64, 4*max(n, 1))
		for i := range codes {
			codes[i] = rng.Uint64() & rng.Uint64() & rng.Uint64() // sparse, so some match
		}
		q := [4]uint64{}
		r := rng.IntN(60)
		oa, ob := make([]uint64, total), make([]uint64, total)
		if x, y := verify256(codes, ca, &q, r, oa), verify256Go(codes, ca, &q, r, ob); x != y || !slices.Equal(oa[:x], ob[:y]) {
			t.Fatalf("verify256 differs")
		}
		sa, sb := make([]uint64, len(codes)), make([]uint64, len(codes))
		if x, y := scan256(codes, &q, r, sa), scan256Go(codes, &q, r, sb); x != y || !slices.Equal(sa[:x], sb[:y]) {
			t.Fatalf("scan256 differs")
		}
		if x, y := scan64(codes, q[0], r/4, sa), scan64Go(codes, q[0], r/4, sb); x != y || !slices.Equal(sa[:x], sb[:y]) {
			t.Fatalf("scan64 differs")
		}
		c64 := codes[:max(n, 1)]
		if x, y := verify64(c64, rng2, q[0], r/4, oa), verify64Go(c64, rng2, q[0], r/4, ob); x != y || !slices.Equal(oa[:x], ob[:y]) {
			t.Fatalf("verify64 differs")
		}
	}
}
