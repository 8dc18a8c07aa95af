package hamming

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

func TestKeySorterIsAStableCountingSortWithBucketStarts(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, tc := range []struct {
		name string
		m, n int
		skew bool
	}{
		{"8-bit keys, one partition", 32, 5000, false},
		{"16-bit keys, one partition", 16, 100000, false},
		{"19-20 bit keys, 8-16 partitions", 13, 200000, false},
		{"23-24 bit keys, 128-256 partitions", 11, 300000, false},
		{"24-bit keys all ending in 0xffff", 11, 100000, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPartition(256, tc.m)
			codes := make([]uint64, 4*tc.n)
			for i := range codes {
				codes[i] = rng.Uint64()
				if tc.skew && i%4 == 0 {
					codes[i] |= 0xffff
				}
			}
			src := newKeySource(codes, 4, &p, 0)
			ks := newKeySorter(tc.n)
			ks.count(src, tc.n)
			out := make([]uint32, tc.n)
			covered := 0
			ks.sort(out, func(k0 uint32, starts []uint32) {
				if int(starts[0]) != covered {
					t.Fatalf("partition at key %d starts at %d, want %d", k0, starts[0], covered)
				}
				for j := 0; j+1 < len(starts); j++ {
					for _, r := range out[starts[j]:starts[j+1]] {
						if k := src.key(int(r)); k != k0+uint32(j) {
							t.Fatalf("row %d of key %d in the bucket of key %d", r, k, k0+uint32(j))
						}
					}
				}
				covered = int(starts[len(starts)-1])
			})
			if covered != tc.n {
				t.Fatalf("buckets cover %d rows, want %d", covered, tc.n)
			}
			want := make([]uint32, tc.n)
			for i := range want {
				want[i] = uint32(i)
			}
			slices.SortStableFunc(want, func(a, b uint32) int { return int(src.key(int(a))) - int(src.key(int(b))) })
			if !slices.Equal(out, want) {
				t.Fatal("not the stable order by key")
			}
		})
	}
}

func TestIDOrderIsStableForAnySpreadOfIDs(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, tc := range []struct {
		name string
		gen  func(i int) uint64
	}{
		{"random 64-bit ids", func(int) uint64 { return rng.Uint64() }},
		{"ids of fingerprints and their views", func(i int) uint64 { return uint64(rng.IntN(3000))<<18 | uint64(i%80) }},
		{"many repeats", func(int) uint64 { return uint64(rng.IntN(50)) }},
		{"one id far from the rest", func(i int) uint64 {
			if i == 7 {
				return 1 << 63
			}
			return uint64(rng.IntN(1 << 20))
		}},
		{"all equal", func(int) uint64 { return 42 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, n := range []int{1, 2, 17, 1000, 70000} {
				ids := make([]uint64, n)
				for i := range ids {
					ids[i] = tc.gen(i)
				}
				perm := make([]uint32, n)
				idOrder(ids, perm)
				want := make([]uint32, n)
				for i := range want {
					want[i] = uint32(i)
				}
				slices.SortStableFunc(want, func(a, b uint32) int {
					switch {
					case ids[a] < ids[b]:
						return -1
					case ids[a] > ids[b]:
						return 1
					}
					return 0
				})
				if !slices.Equal(perm, want) {
					t.Fatalf("n=%d: not the stable order by id", n)
				}
			}
		})
	}
}

func TestPermuteRowsMovesEveryRowToItsDestination(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 10))
	for _, words := range []int{1, 4} {
		for _, n := range []int{1, 5, permStretch - 1, permStretch, 3*permStretch + 17} {
			for _, withIDs := range []bool{true, false} {
				t.Run(fmt.Sprintf("%d words, %d rows, ids %v", words, n, withIDs), func(t *testing.T) {
					codes := make([]uint64, n*words)
					for i := range codes {
						codes[i] = rng.Uint64()
					}
					var ids []uint64
					if withIDs {
						ids = make([]uint64, n)
						for i := range ids {
							ids[i] = rng.Uint64()
						}
					}
					dest := make([]uint32, n)
					for i, d := range rng.Perm(n) {
						dest[i] = uint32(d)
					}
					wantCodes := make([]uint64, len(codes))
					wantIDs := make([]uint64, len(ids))
					for r, d := range dest {
						copy(wantCodes[int(d)*words:int(d+1)*words], codes[r*words:(r+1)*words])
						if withIDs {
							wantIDs[d] = ids[r]
						}
					}
					permuteRows(dest, ids, codes, words)
					if !slices.Equal(codes, wantCodes) || !slices.Equal(ids, wantIDs) {
						t.Fatal("rows not at their destinations")
					}
					for i, d := range dest {
						if int(d) != i {
							t.Fatalf("dest[%d] = %d after the move, want the identity", i, d)
						}
					}
				})
			}
		}
	}
}

// checkSegment verifies a built segment against the definitions of its
// arrays (doc.go), independently of how it was built: every (id, code)
// pair of the input (the last of repeated ids) is stored exactly once,
// distinct codes once each in table 0's key order, byID and idSample in id
// order, and every table's bucket k holds exactly the slots whose
// substring is k.
func checkSegment(t *testing.T, s *segment, d dataset) {
	t.Helper()
	want := map[uint64][]uint64{}
	for i, id := range d.ids {
		want[id] = d.code(i)
	}
	if s.n != len(want) {
		t.Fatalf("segment holds %d ids, want %d", s.n, len(want))
	}
	w := s.words
	for slot := range s.nc {
		c := s.codes[slot*w : slot*w+w]
		if slot > 0 {
			prev := s.codes[(slot-1)*w : slot*w]
			if slices.Equal(prev, c) {
				t.Fatalf("slots %d and %d hold the same code", slot-1, slot)
			}
			if s.part.m > 0 && s.part.key(prev, 0) > s.part.key(c, 0) {
				t.Fatalf("slot %d is out of table 0's key order", slot)
			}
		}
		if s.idStart[slot] >= s.idStart[slot+1] {
			t.Fatalf("slot %d has no ids", slot)
		}
		for p := s.idStart[slot]; p < s.idStart[slot+1]; p++ {
			if !slices.Equal(want[s.ids[p]], c) {
				t.Fatalf("id %d stored with the wrong code", s.ids[p])
			}
		}
	}
	if int(s.idStart[s.nc]) != s.n {
		t.Fatalf("idStart ends at %d, want %d", s.idStart[s.nc], s.n)
	}
	for j := range s.byID {
		if j > 0 && s.ids[s.byID[j-1]] >= s.ids[s.byID[j]] {
			t.Fatalf("byID out of id order at %d", j)
		}
		if j%(1<<idSampleShift) == 0 && s.idSample[j>>idSampleShift] != s.ids[s.byID[j]] {
			t.Fatalf("idSample %d is wrong", j>>idSampleShift)
		}
	}
	for id := range want {
		if p, ok := s.find(id); !ok || s.ids[p] != id {
			t.Fatalf("find(%d) fails", id)
		}
	}
	for i := range s.tabs {
		tb := &s.tabs[i]
		seen := 0
		for k := range uint32(1) << s.part.width[i] {
			lo, hi := tb.bounds(k)
			for p := lo; p < hi; p++ {
				slot := p
				if i > 0 {
					slot = tb.slots[p]
				}
				code := s.codes[int(slot)*w : int(slot)*w+w]
				if s.part.key(code, i) != k {
					t.Fatalf("table %d: slot %d in bucket %d", i, slot, k)
				}
				if w == 1 && tb.codes[p] != code[0] {
					t.Fatalf("table %d: inline code %d differs from slot %d", i, p, slot)
				}
				seen++
			}
		}
		if seen != s.nc {
			t.Fatalf("table %d holds %d slots, want %d", i, seen, s.nc)
		}
	}
}

func TestBuildInPlaceHoldsExactlyTheInputAndSearchesLikeAScan(t *testing.T) {
	cases := []struct {
		name  string
		nbits int
		n     int
		kind  string
		m     int
		dups  string // "ids": some ids repeated; "codes": two thirds of codes repeated
	}{
		{"uniform 256-bit codes in 16-bit tables", 256, 30000, "uniform", 16, ""},
		{"uniform 256-bit codes in 19-20 bit tables (several partitions)", 256, 300000, "uniform", 13, "ids"},
		{"clustered 256-bit codes", 256, 40000, "clustered", 0, "ids"},
		{"duplicate-heavy 256-bit codes", 256, 20000, "duplicates", 16, "ids"},
		{"repeated codes change the table count (slots renumbered)", 256, 700000, "uniform", 0, "codes"},
		{"repeated codes leave too few for tables", 256, 2700, "uniform", 0, "codes"},
		{"64-bit codes in 16-bit tables", 64, 60000, "uniform", 4, "ids"},
		{"duplicate-heavy 64-bit codes in 8-bit tables", 64, 20000, "duplicates", 8, ""},
		{"64-bit codes, 4-bit tables", 64, 3000, "uniform", 16, ""},
		{"already in id order", 256, 5000, "uniform", 16, "sorted"},
	}
	for ci, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if raceEnabled && tc.n > 100000 {
				t.Skip("too large under the race detector")
			}
			rng := rand.New(rand.NewPCG(uint64(ci), 11))
			d := genData(rng, tc.nbits, tc.n, tc.kind)
			w := d.words()
			switch tc.dups {
			case "ids":
				for i := range d.ids {
					if rng.IntN(10) == 0 {
						d.ids[i] = d.ids[rng.IntN(tc.n)]
					}
				}
			case "codes":
				for i := 1; i < tc.n; i++ {
					if rng.IntN(3) > 0 {
						j := rng.IntN(i)
						copy(d.codes[i*w:(i+1)*w], d.codes[j*w:(j+1)*w])
					}
				}
			case "sorted":
				for i := range d.ids {
					d.ids[i] = uint64(i)
				}
			}
			opts := []Option{forceIndex(), WithRadiusHint(map[int]int{64: 10, 256: 31}[tc.nbits])}
			if tc.m > 0 {
				opts = append(opts, WithSubstrings(tc.m))
			}
			ix, err := BuildOwned(tc.nbits, slices.Clone(d.ids), slices.Clone(d.codes), opts...)
			if err != nil {
				t.Fatal(err)
			}
			segs := ix.st.Load().segs
			if len(segs) != 1 {
				t.Fatalf("%d segments, want 1", len(segs))
			}
			checkSegment(t, segs[0], d)
			// The reference scan sees the last code of each id.
			last := map[uint64]int{}
			for i, id := range d.ids {
				last[id] = i
			}
			var ref dataset
			ref.nbits = tc.nbits
			for id, i := range last {
				ref.ids = append(ref.ids, id)
				ref.codes = append(ref.codes, d.code(i)...)
			}
			var got, want []Match
			for qi, q := range queriesNear(rng, d, 30, tc.nbits/8) {
				r := []int{0, 3, 10, 31, tc.nbits / 4}[qi%5]
				got = ix.Search(q, r, got)
				want = Scan(tc.nbits, ref.ids, ref.codes, q, r, want)
				checkSame(t, fmt.Sprintf("query %d radius %d", qi, r), got, want)
			}
		})
	}
}

func TestBuildInPlaceAllocatesLittleBeyondWhatItKeeps(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(12, 12))
	d := genData(rng, 256, n, "uniform")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ix, err := BuildOwned(256, d.ids, d.codes)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	input := 8 * (len(d.ids) + len(d.codes))
	kept := ix.Stats().ApproxBytes - input
	took := int(after.TotalAlloc - before.TotalAlloc)
	// Beyond what it keeps the build allocates a uint16 of key bits per
	// code and goroutine, the id sort's buckets (a uint32 per 4 codes) and
	// per goroutine some 2 MiB of counters and a partition's buffer;
	// everything else is reused or kept.
	par := runtime.GOMAXPROCS(0)
	limit := kept + (2*par+1)*n + par*(2<<20) + 4<<20
	t.Logf("build of %d codes allocated %d MB, keeps %d MB besides its input", n, took>>20, kept>>20)
	if took > limit {
		t.Fatalf("build allocated %d bytes, want at most %d (it keeps %d besides its input)", took, limit, kept)
	}
}
