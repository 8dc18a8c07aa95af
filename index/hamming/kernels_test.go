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

func TestBucketSortIsAStableCountingSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, tc := range []struct{ w, n int }{{4, 100}, {16, 50000}, {20, 40000}, {22, 5000}} {
		keys := make([]uint32, tc.n)
		vals := make([]uint32, tc.n)
		for i := range keys {
			keys[i] = uint32(rng.IntN(1 << tc.w))
			vals[i] = uint32(i)
		}
		out := make([]uint32, tc.n)
		off := bucketSort(keys, vals, tc.w, out)
		want := slices.Clone(vals)
		slices.SortStableFunc(want, func(a, b uint32) int { return int(keys[a]) - int(keys[b]) })
		if !slices.Equal(out, want) {
			t.Fatalf("w=%d n=%d: wrong order", tc.w, tc.n)
		}
		for k := 0; k < 1<<tc.w; k++ {
			for _, v := range out[off[k]:off[k+1]] {
				if keys[v] != uint32(k) {
					t.Fatalf("w=%d: value with key %d in bucket %d", tc.w, keys[v], k)
				}
			}
		}
	}
}

func TestRadixSortIsStable(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, n := range []int{0, 1, 10, 63, 64, 1000, 20000} {
		keys := make([]uint64, n)
		vals := make([]uint32, n)
		for i := range keys {
			keys[i] = rng.Uint64() >> (rng.IntN(4) * 20)
			if i > 0 && rng.IntN(5) == 0 {
				keys[i] = keys[rng.IntN(i)]
			}
			vals[i] = uint32(i)
		}
		type kv struct {
			k uint64
			v uint32
		}
		want := make([]kv, n)
		for i := range want {
			want[i] = kv{keys[i], vals[i]}
		}
		slices.SortStableFunc(want, func(a, b kv) int {
			if a.k < b.k {
				return -1
			} else if a.k > b.k {
				return 1
			}
			return 0
		})
		radixSortPairs(keys, vals)
		for i := range want {
			if keys[i] != want[i].k || vals[i] != want[i].v {
				t.Fatalf("n=%d: position %d differs", n, i)
			}
		}
	}
}
