package hamming

import (
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
)

// forceIndex makes segments use their tables whenever they can, so that
// small test indexes exercise the multi-index path instead of scanning.
func forceIndex() Option {
	return func(c *config) error { c.forceIndex = true; return nil }
}

// dataset is a flat (ids, codes) list, as Scan and Load take it.
type dataset struct {
	nbits int
	ids   []uint64
	codes []uint64
}

func (d dataset) words() int { return d.nbits / 64 }

func (d dataset) code(i int) []uint64 { return d.codes[i*d.words() : (i+1)*d.words()] }

// genData returns n codes of the given kind: "uniform" (random bits),
// "clustered" (10% of the bits of one of 8 centres flipped), or
// "duplicates" (30 distinct codes repeated, half of them near each other).
func genData(rng *rand.Rand, nbits, n int, kind string) dataset {
	d := dataset{nbits: nbits, ids: make([]uint64, n), codes: make([]uint64, n*nbits/64)}
	w := d.words()
	centres := make([]uint64, 30*w)
	for i := range centres {
		centres[i] = rng.Uint64()
	}
	for i := 0; i < n; i++ {
		d.ids[i] = rng.Uint64() >> 1 // unique with overwhelming probability
		c := d.code(i)
		switch kind {
		case "uniform":
			for j := range c {
				c[j] = rng.Uint64()
			}
		case "clustered":
			k := rng.IntN(8)
			copy(c, centres[k*w:(k+1)*w])
			flipBits(rng, c, nbits, nbits/10)
		case "duplicates":
			k := rng.IntN(30)
			copy(c, centres[k*w:(k+1)*w])
			if k >= 15 { // near-duplicates of centre 0
				copy(c, centres[:w])
				flipBits(rng, c, nbits, k-15)
			}
		default:
			panic(kind)
		}
	}
	return d
}

// queriesNear returns q query codes: half are stored codes with a few bits
// flipped, half are random.
func queriesNear(rng *rand.Rand, d dataset, q, maxFlip int) [][]uint64 {
	out := make([][]uint64, q)
	for i := range out {
		c := make([]uint64, d.words())
		if i%2 == 0 && len(d.ids) > 0 {
			copy(c, d.code(rng.IntN(len(d.ids))))
			flipBits(rng, c, d.nbits, rng.IntN(maxFlip+1))
		} else {
			for j := range c {
				c[j] = rng.Uint64()
			}
		}
		out[i] = c
	}
	return out
}

func checkSame(t *testing.T, what string, got, want []Match) {
	t.Helper()
	if !slices.Equal(got, want) {
		n := min(len(got), len(want), 5)
		t.Fatalf("%s: got %d matches %v..., want %d matches %v...", what, len(got), got[:n], len(want), want[:n])
	}
}

func mustBuild(t testing.TB, d dataset, opts ...Option) *Index {
	t.Helper()
	ix, err := Build(d.nbits, d.ids, d.codes, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestSearchReturnsExactlyWhatALinearScanReturns(t *testing.T) {
	cases := []struct {
		name  string
		nbits int
		n     int
		kind  string
		opts  []Option
	}{
		{"uniform 256-bit codes, automatic m", 256, 30000, "uniform", nil},
		{"uniform 256-bit codes, 16 tables", 256, 20000, "uniform", []Option{WithSubstrings(16), forceIndex()}},
		{"uniform 256-bit codes, 12 tables of 21-22 bits", 256, 20000, "uniform", []Option{WithSubstrings(12), forceIndex()}},
		{"uniform 256-bit codes, 32 tables of 8 bits", 256, 5000, "uniform", []Option{WithSubstrings(32), forceIndex()}},
		{"clustered 256-bit codes, 16 tables", 256, 20000, "clustered", []Option{WithSubstrings(16), forceIndex()}},
		{"clustered 256-bit codes, automatic m", 256, 20000, "clustered", nil},
		{"duplicate-heavy 256-bit codes, 16 tables", 256, 20000, "duplicates", []Option{WithSubstrings(16), forceIndex()}},
		{"uniform 64-bit codes, automatic m", 64, 30000, "uniform", nil},
		{"uniform 64-bit codes, 4 tables", 64, 20000, "uniform", []Option{WithSubstrings(4), forceIndex()}},
		{"uniform 64-bit codes, 5 tables of 12-13 bits", 64, 20000, "uniform", []Option{WithSubstrings(5), forceIndex()}},
		{"clustered 64-bit codes, 4 tables", 64, 20000, "clustered", []Option{WithSubstrings(4), forceIndex()}},
		{"duplicate-heavy 64-bit codes, 8 tables", 64, 20000, "duplicates", []Option{WithSubstrings(8), forceIndex()}},
	}
	for ci, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if raceEnabled {
				tc.n /= 4
			}
			rng := rand.New(rand.NewPCG(uint64(ci), 7))
			d := genData(rng, tc.nbits, tc.n, tc.kind)
			ix := mustBuild(t, d, tc.opts...)
			if ix.Len() != tc.n {
				t.Fatalf("Len() = %d, want %d", ix.Len(), tc.n)
			}
			radii := []int{0, 1, 2, 5, 10, 20, 31, 40, 64, tc.nbits / 2, tc.nbits - 1, tc.nbits, tc.nbits + 7}
			var got, want []Match
			for qi, q := range queriesNear(rng, d, 40, tc.nbits/8) {
				r := radii[qi%len(radii)]
				got = ix.Search(q, r, got)
				want = Scan(tc.nbits, d.ids, d.codes, q, r, want)
				checkSame(t, fmt.Sprintf("query %d radius %d", qi, r), got, want)
			}
		})
	}
}

func TestSearchOnTinyIndexes(t *testing.T) {
	for _, nbits := range []int{64, 256} {
		for n := 0; n <= 2; n++ {
			for _, opts := range [][]Option{nil, {WithSubstrings(nbits / 16), forceIndex()}} {
				t.Run(fmt.Sprintf("%d codes of %d bits, %d options", n, nbits, len(opts)), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(n), uint64(nbits)))
					d := genData(rng, nbits, n, "uniform")
					ix := mustBuild(t, d, opts...)
					var got, want []Match
					for _, q := range queriesNear(rng, d, 6, 3) {
						for _, r := range []int{-1, 0, 1, 3, nbits / 2, nbits, nbits + 1} {
							got = ix.Search(q, r, got)
							want = Scan(nbits, d.ids, d.codes, q, r, want)
							checkSame(t, fmt.Sprintf("radius %d", r), got, want)
						}
					}
				})
			}
		}
	}
}

func TestSearchAtRadiusZeroOneAndFullWidth(t *testing.T) {
	for _, nbits := range []int{64, 256} {
		t.Run(fmt.Sprintf("%d-bit codes", nbits), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, uint64(nbits)))
			d := genData(rng, nbits, 3000, "uniform")
			ix := mustBuild(t, d, WithSubstrings(nbits/16), forceIndex())
			// A stored code is found at radius 0; one bit away at radius 1
			// but not 0; every code at radius = bits.
			for i := 0; i < 20; i++ {
				c := slices.Clone(d.code(i))
				got := ix.Search(c, 0, nil)
				if !slices.Contains(got, Match{ID: d.ids[i], Distance: 0}) {
					t.Fatalf("code %d not found at radius 0: %v", i, got)
				}
				c[0] ^= 1 << (i % 64)
				if got := ix.Search(c, 0, nil); slices.ContainsFunc(got, func(m Match) bool { return m.ID == d.ids[i] }) {
					t.Fatalf("code %d found at radius 0 one bit away", i)
				}
				got = ix.Search(c, 1, nil)
				if !slices.Contains(got, Match{ID: d.ids[i], Distance: 1}) {
					t.Fatalf("code %d not found at radius 1 one bit away: %v", i, got)
				}
			}
			all := ix.Search(d.code(0), nbits, nil)
			if len(all) != len(d.ids) {
				t.Fatalf("radius %d returned %d codes, want all %d", nbits, len(all), len(d.ids))
			}
			checkSame(t, "full radius", all, Scan(nbits, d.ids, d.codes, d.code(0), nbits, nil))
		})
	}
}

// model is the reference: the live (id, code) pairs.
type model struct {
	nbits int
	live  map[uint64][]uint64
}

func (m *model) scan(q []uint64, r int) []Match {
	var out []Match
	if r < 0 {
		return out
	}
	for id, c := range m.live {
		d := 0
		for i := range c {
			d += bits.OnesCount64(c[i] ^ q[i])
		}
		if d <= r {
			out = append(out, Match{ID: id, Distance: d})
		}
	}
	sortMatches(out)
	return out
}

func TestSearchAfterInterleavedInsertsAndDeletes(t *testing.T) {
	for _, nbits := range []int{64, 256} {
		for _, bg := range []bool{true, false} {
			t.Run(fmt.Sprintf("%d-bit codes, background compaction %v", nbits, bg), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(5, uint64(nbits)))
				opts := []Option{WithBufferSize(300), WithSubstrings(nbits / 16), forceIndex()}
				if !bg {
					opts = append(opts, WithoutBackgroundCompaction())
				}
				base := genData(rng, nbits, 5000, "clustered")
				ix := mustBuild(t, base, opts...)
				ref := &model{nbits: nbits, live: map[uint64][]uint64{}}
				for i, id := range base.ids {
					ref.live[id] = base.code(i)
				}
				extra := genData(rng, nbits, 4000, "clustered")
				ids := slices.Clone(base.ids)
				steps := 4000
				if raceEnabled {
					steps = 1200
				}
				var got []Match
				for step := 0; step < steps; step++ {
					switch op := rng.IntN(10); {
					case op < 5: // insert a new code
						id, c := extra.ids[step], extra.code(step)
						if err := ix.Insert(id, c); err != nil {
							t.Fatal(err)
						}
						ref.live[id] = c
						ids = append(ids, id)
					case op < 7: // replace the code of an existing id
						id := ids[rng.IntN(len(ids))]
						c := slices.Clone(extra.code(rng.IntN(len(extra.ids))))
						if err := ix.Insert(id, c); err != nil {
							t.Fatal(err)
						}
						ref.live[id] = c
					default: // delete, sometimes an id that is gone already
						id := ids[rng.IntN(len(ids))]
						_, had := ref.live[id]
						if ix.Delete(id) != had {
							t.Fatalf("Delete(%d) = %v, want %v", id, !had, had)
						}
						delete(ref.live, id)
					}
					if step%50 == 0 {
						q := extra.code(rng.IntN(len(extra.ids)))
						r := rng.IntN(nbits / 4)
						got = ix.Search(q, r, got)
						checkSame(t, fmt.Sprintf("step %d radius %d", step, r), got, ref.scan(q, r))
					}
					if ix.Len() != len(ref.live) {
						t.Fatalf("step %d: Len() = %d, want %d", step, ix.Len(), len(ref.live))
					}
				}
				ix.Compact()
				st := ix.Stats()
				if st.Segments != 1 || st.Buffered != 0 || st.Tombstones != 0 {
					t.Fatalf("after Compact: %+v, want one segment and no buffer or tombstones", st)
				}
				for _, q := range queriesNear(rng, base, 30, nbits/8) {
					r := nbits / 8
					checkSame(t, "after compaction", ix.Search(q, r, got), ref.scan(q, r))
				}
			})
		}
	}
}

func TestInsertReplacesTheCodeOfAnExistingID(t *testing.T) {
	ix, _ := New(64)
	a, b := []uint64{0}, []uint64{^uint64(0)}
	if err := ix.Insert(7, a); err != nil {
		t.Fatal(err)
	}
	if err := ix.Insert(7, b); err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 1 {
		t.Fatalf("Len() = %d, want 1", ix.Len())
	}
	if got := ix.Search(a, 10, nil); len(got) != 0 {
		t.Fatalf("old code still found: %v", got)
	}
	checkSame(t, "new code", ix.Search(b, 0, nil), []Match{{ID: 7, Distance: 0}})
}

func TestLoadKeepsTheLastOfRepeatedIDsAndReplacesStoredOnes(t *testing.T) {
	ix, _ := New(64, WithSubstrings(4), forceIndex())
	if err := ix.Insert(1, []uint64{0xff}); err != nil {
		t.Fatal(err)
	}
	ids := []uint64{1, 2, 2, 3}
	codes := []uint64{0x0f, 0xf0, 0xf00, 0xf000}
	if err := ix.Load(ids, codes); err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 3 {
		t.Fatalf("Len() = %d, want 3", ix.Len())
	}
	got := ix.Search([]uint64{0}, 4, nil)
	checkSame(t, "after Load", got, []Match{{ID: 1, Distance: 4}, {ID: 2, Distance: 4}, {ID: 3, Distance: 4}})
	if got := ix.Search([]uint64{0xf0}, 0, nil); len(got) != 0 {
		t.Fatalf("replaced code of id 2 still found: %v", got)
	}
}

func TestLoadSeqMatchesLoad(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	d := genData(rng, 256, 2000, "uniform")
	ix, _ := New(256)
	err := ix.LoadSeq(func(yield func(uint64, []uint64) bool) {
		for i, id := range d.ids {
			if !yield(id, d.code(i)) {
				return
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queriesNear(rng, d, 10, 20) {
		checkSame(t, "LoadSeq", ix.Search(q, 40, nil), Scan(256, d.ids, d.codes, q, 40, nil))
	}
}

func TestTablesWithHugeKeyBlocksUsePlainOffsets(t *testing.T) {
	// 70,000 distinct codes that are zero outside their last word: the
	// tables over the first three words put every code in bucket 0, a block
	// of more than 2^16 codes.
	rng := rand.New(rand.NewPCG(9, 9))
	d := genData(rng, 256, 70000, "uniform")
	for i := range d.ids {
		c := d.code(i)
		c[0], c[1], c[2] = 0, 0, 0
	}
	ix := mustBuild(t, d, WithSubstrings(16), forceIndex())
	s := ix.st.Load().segs[0]
	if s.part.m != 16 || s.tabs[1].off == nil || s.tabs[15].off != nil {
		t.Fatalf("expected plain offsets in tables 0-11 only, got m=%d", s.part.m)
	}
	for _, q := range queriesNear(rng, d, 6, 3) {
		checkSame(t, "wide tables", ix.Search(q, 3, nil), Scan(256, d.ids, d.codes, q, 3, nil))
	}
}

func TestInvalidArgumentsAreRejected(t *testing.T) {
	if _, err := New(128); !errors.Is(err, ErrBits) {
		t.Errorf("New(128): %v, want ErrBits", err)
	}
	for _, o := range []Option{WithSubstrings(0), WithSubstrings(65), WithRadiusHint(-1), WithBufferSize(0)} {
		if _, err := New(256, o); !errors.Is(err, ErrOption) {
			t.Errorf("bad option accepted: %v", err)
		}
	}
	if _, err := New(256, WithSubstrings(10)); !errors.Is(err, ErrOption) {
		t.Errorf("26-bit substrings accepted: %v", err)
	}
	ix, _ := New(256)
	if err := ix.Insert(1, []uint64{1}); !errors.Is(err, ErrCodeLength) {
		t.Errorf("short code accepted: %v", err)
	}
	if err := ix.Load([]uint64{1, 2}, make([]uint64, 4)); !errors.Is(err, ErrCodeLength) {
		t.Errorf("mismatched Load accepted: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Search with a short code did not panic")
		}
	}()
	ix.Search([]uint64{1}, 3, nil)
}

func TestPlansSatisfyThePigeonholeCondition(t *testing.T) {
	for _, nbits := range []int{64, 256} {
		for _, m := range []int{nbits / 24, nbits / 16, nbits / 8} {
			if m*24 < nbits {
				m++
			}
			p := newPartition(nbits, m)
			for _, n := range []int{1000, 1 << 20, 1 << 24} {
				for r := 0; r < nbits; r++ {
					pl := makePlan(&p, n, r, func(i, w int) float64 { return float64(n) / float64(uint64(1)<<p.width[i]) }, 10, true)
					if pl.scan {
						continue
					}
					cover := 0
					for i, t := range pl.t {
						if int(t) > int(p.width[i]) {
							panic("threshold wider than substring")
						}
						cover += int(t) + 1
					}
					if cover < r+1 {
						t.Fatalf("bits %d m %d n %d r %d: thresholds %v cover %d < r+1", nbits, m, n, r, pl.t, cover)
					}
				}
			}
		}
	}
}

func TestTheCostModelScansSmallOrHopelessCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	small := mustBuild(t, genData(rng, 256, 500, "uniform"))
	if m := small.Stats().Substrings[0]; m != 0 {
		t.Errorf("500 codes got %d tables, want a scan-only segment", m)
	}
	big := mustBuild(t, genData(rng, 256, 40000, "uniform"))
	s := big.st.Load().segs[0]
	if s.part.m == 0 {
		t.Fatalf("40,000 codes got no tables")
	}
	if !s.planFor(120).scan {
		t.Errorf("radius 120 should be scanned")
	}
	if s.planFor(8).scan {
		t.Errorf("radius 8 should use the tables")
	}
}
