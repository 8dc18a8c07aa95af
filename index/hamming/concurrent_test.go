package hamming

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentSearchesStayExactWhileWritersInsertDeleteAndCompact runs
// searchers against writers and compactions (meant for -race). Codes that no
// writer touches must always be found with their distance; no result may be
// out of range or repeated; and once the writers stop, every search equals
// the reference.
func TestConcurrentSearchesStayExactWhileWritersInsertDeleteAndCompact(t *testing.T) {
	for _, nbits := range []int{64, 256} {
		t.Run(fmt.Sprintf("%d-bit codes", nbits), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(21, uint64(nbits)))
			nBase, nExtra := 4000, 3000
			if raceEnabled {
				nBase, nExtra = 2400, 600
			}
			base := genData(rng, nbits, nBase, "clustered")
			ix := mustBuild(t, base, WithBufferSize(200), WithSubstrings(nbits/16), forceIndex())
			// Ids 0..1999 of base are stable; writers only touch the rest
			// and new ids.
			stable := 2000
			extra := genData(rng, nbits, nExtra, "clustered")
			var stop atomic.Bool
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := 0; g < 3; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(g), 99))
					var got []Match
					for !stop.Load() {
						i := rng.IntN(stable)
						q := base.code(i)
						r := nbits / 8
						got = ix.Search(q, r, got)
						if !slices.Contains(got, Match{ID: base.ids[i], Distance: 0}) {
							errs <- fmt.Errorf("stable id %d not found", base.ids[i])
							return
						}
						for k, m := range got {
							if m.Distance > r || k > 0 && !less(got[k-1], m) {
								errs <- fmt.Errorf("bad result list %v", got)
								return
							}
						}
					}
				}(g)
			}
			ref := &model{nbits: nbits, live: map[uint64][]uint64{}}
			for i, id := range base.ids {
				ref.live[id] = base.code(i)
			}
			var mu sync.Mutex // guards ref between the two writers
			var ww sync.WaitGroup
			for w := 0; w < 2; w++ {
				ww.Add(1)
				go func(w int) {
					defer ww.Done()
					rng := rand.New(rand.NewPCG(uint64(w), 7))
					for i := w; i < len(extra.ids); i += 2 {
						id, c := extra.ids[i], extra.code(i)
						mu.Lock()
						if err := ix.Insert(id, c); err != nil {
							errs <- err
						}
						ref.live[id] = c
						if rng.IntN(3) == 0 {
							victim := base.ids[stable+rng.IntN(len(base.ids)-stable)]
							ix.Delete(victim)
							delete(ref.live, victim)
						}
						mu.Unlock()
						if i%(nExtra/3) == w {
							ix.Compact()
						}
					}
				}(w)
			}
			ww.Wait()
			stop.Store(true)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if ix.Len() != len(ref.live) {
				t.Fatalf("Len() = %d, want %d", ix.Len(), len(ref.live))
			}
			for _, q := range queriesNear(rng, extra, 20, nbits/8) {
				checkSame(t, "after writers", ix.Search(q, nbits/8, nil), ref.scan(q, nbits/8))
			}
		})
	}
}

// TestRandomOperationSequencesMatchAReferenceModel is a property test with a
// fixed seed: random sizes, code widths, data kinds, m, buffer sizes,
// radii and operations, each search checked against the reference.
func TestRandomOperationSequencesMatchAReferenceModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(2024, 6))
	kinds := []string{"uniform", "clustered", "duplicates"}
	rounds := 12
	if testing.Short() || raceEnabled {
		rounds = 4
	}
	for round := 0; round < rounds; round++ {
		nbits := []int{64, 256}[rng.IntN(2)]
		kind := kinds[rng.IntN(len(kinds))]
		n := rng.IntN(6000)
		opts := []Option{WithBufferSize(1 + rng.IntN(500))}
		if rng.IntN(2) == 0 {
			lo := (nbits + maxSubBits - 1) / maxSubBits
			opts = append(opts, WithSubstrings(lo+rng.IntN(nbits/8-lo+1)), forceIndex())
		}
		if rng.IntN(3) == 0 {
			opts = append(opts, WithoutBackgroundCompaction())
		}
		d := genData(rng, nbits, n, kind)
		ix := mustBuild(t, d, opts...)
		ref := &model{nbits: nbits, live: map[uint64][]uint64{}}
		for i, id := range d.ids {
			ref.live[id] = d.code(i)
		}
		more := genData(rng, nbits, 1500, kind)
		ids := slices.Clone(d.ids)
		var got []Match
		for step := 0; step < 1500; step++ {
			switch rng.IntN(6) {
			case 0, 1:
				id, c := more.ids[step], more.code(step)
				if rng.IntN(4) == 0 && len(ids) > 0 {
					id = ids[rng.IntN(len(ids))]
				}
				if err := ix.Insert(id, c); err != nil {
					t.Fatal(err)
				}
				ref.live[id] = c
				ids = append(ids, id)
			case 2:
				if len(ids) > 0 {
					id := ids[rng.IntN(len(ids))]
					ix.Delete(id)
					delete(ref.live, id)
				}
			default:
				var q []uint64
				if rng.IntN(2) == 0 {
					q = slices.Clone(more.code(rng.IntN(len(more.ids))))
				} else {
					q = slices.Clone(d.code(rng.IntN(max(1, len(d.ids))) % max(1, len(d.ids))))
					if len(d.ids) == 0 {
						q = make([]uint64, nbits/64)
					}
				}
				flipBits(rng, q, nbits, rng.IntN(nbits/8))
				r := rng.IntN(nbits/3) - 1
				if rng.IntN(20) == 0 {
					r = nbits + rng.IntN(3)
				}
				got = ix.Search(q, r, got)
				checkSame(t, fmt.Sprintf("round %d (%d-bit %s n=%d) step %d radius %d", round, nbits, kind, n, step, r), got, ref.scan(q, r))
			}
			if step == 1000 && rng.IntN(2) == 0 {
				ix.Compact()
			}
		}
		if ix.Len() != len(ref.live) {
			t.Fatalf("round %d: Len() = %d, want %d", round, ix.Len(), len(ref.live))
		}
	}
}
