package index

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/hashwatch/hashwatch/hashing"
)

// randomPicture is a registered picture's fingerprint with nviews views of
// the three hashes, some missing, with qualities across 0–255.
func randomPicture(rng *rand.Rand, id uint64, nviews int) *Fingerprint {
	f := &Fingerprint{ID: id, Case: "c", Print: hashing.Fingerprint{Kind: hashing.KindImage}}
	for v := range nviews {
		view := hashing.View{Name: []string{"original", "trimmed", "mirror", "crop-c10"}[v%4]}
		if rng.IntN(8) != 0 {
			view.Hashes = append(view.Hashes, hashing.Hash{Algorithm: hashing.PDQ,
				Code: hashing.Code{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}, Quality: rng.IntN(256)})
		}
		if rng.IntN(8) != 0 {
			view.Hashes = append(view.Hashes, hashing.Hash{Algorithm: hashing.PHash, Code: hashing.Code{rng.Uint64()}, Quality: 100})
		}
		if rng.IntN(8) != 0 {
			view.Hashes = append(view.Hashes, hashing.Hash{Algorithm: hashing.DHash, Code: hashing.Code{rng.Uint64()}, Quality: rng.IntN(101)})
		}
		f.Print.Views = append(f.Print.Views, view)
	}
	return f
}

// canonical orders a view's hashes PDQ, pHash, dHash, as view returns them.
func canonical(v hashing.View) hashing.View {
	order := map[hashing.Algorithm]int{hashing.PDQ: 0, hashing.PHash: 1, hashing.DHash: 2}
	hs := slices.Clone(v.Hashes)
	slices.SortStableFunc(hs, func(a, b hashing.Hash) int { return order[a.Algorithm] - order[b.Algorithm] })
	if len(hs) == 0 {
		hs = nil
	}
	return hashing.View{Name: v.Name, Hashes: hs}
}

// TestCompactViewsRoundTrip checks that the matcher's compact form, made
// from a Fingerprint (compactOf) or from the stored packed bytes
// (unpackCompact), gives every view back whole, and that a fingerprint of
// another shape is kept as it is.
func TestCompactViewsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	odd := randomPicture(rng, 99, 3)
	odd.Print.Views[1].Hashes = append(odd.Print.Views[1].Hashes, hashing.Hash{Algorithm: hashing.PHash, Code: hashing.Code{7}, Quality: 100})
	tests := []struct {
		name    string
		f       *Fingerprint
		compact bool
	}{
		{"one view", randomPicture(rng, 1, 1), true},
		{"thirty-one views", randomPicture(rng, 2, 31), true},
		{"no views (a video)", &Fingerprint{ID: 3, Print: hashing.Fingerprint{Kind: hashing.KindVideo}}, false},
		{"two pHashes in a view", odd, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(tt.f.Print.Views)
			m := emptyMatcher()
			cf, short := m.compactOf(tt.f)
			if len(tt.f.Print.Views) != before {
				t.Fatal("compactOf changed its argument")
			}
			if (short != nil) != tt.compact {
				t.Fatalf("compacted %v, want %v", short != nil, tt.compact)
			}
			m.fps[cf.ID] = cf
			if short != nil {
				m.short[cf.ID] = short
			}
			packed, err := packViews(tt.f.Print.Views)
			if err != nil {
				t.Fatal(err)
			}
			m2 := emptyMatcher()
			views2, short2, err := m2.unpackCompact(packed)
			if err != nil {
				t.Fatal(err)
			}
			f2 := &Fingerprint{ID: cf.ID, Print: hashing.Fingerprint{Views: views2}}
			m2.fps[cf.ID] = f2
			if short2 != nil {
				m2.short[cf.ID] = short2
			}
			if len(cf.Print.Views) != len(tt.f.Print.Views) || len(views2) != len(tt.f.Print.Views) {
				t.Fatalf("%d and %d views, want %d", len(cf.Print.Views), len(views2), len(tt.f.Print.Views))
			}
			for vi, want := range tt.f.Print.Views {
				if got := m.view(cf, vi); !reflect.DeepEqual(canonical(got), canonical(want)) {
					t.Errorf("view %d from compactOf = %+v, want %+v", vi, got, want)
				}
				if got := m2.view(f2, vi); !reflect.DeepEqual(canonical(got), canonical(want)) {
					t.Errorf("view %d from unpackCompact = %+v, want %+v", vi, got, want)
				}
			}
		})
	}
}

// TestCompactMatcherMatchesWholeViews checks that matching with the
// compact form, by the default rule and by a rule searching dHash first
// (whose index is built lazily, then kept current by add and remove),
// returns what comparing the query with every registered view whole
// returns.
func TestCompactMatcherMatchesWholeViews(t *testing.T) {
	rules := []struct {
		name string
		rule hashing.Rule
	}{
		{"default", hashing.DefaultRule()},
		{"dHash first", hashing.Rule{Clauses: []hashing.Clause{{
			{Algorithm: hashing.DHash, MaxDistance: 12}, {Algorithm: hashing.PHash, MaxDistance: 14}}}}},
	}
	for _, rt := range rules {
		t.Run(rt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 12))
			fps := map[uint64]*Fingerprint{}
			for id := uint64(1); id <= 200; id++ {
				fps[id] = randomPicture(rng, id, 8)
			}
			m, err := newMatcher(fps)
			if err != nil {
				t.Fatal(err)
			}
			matched := 0
			for q := range 60 {
				switch q {
				case 20: // after the lazy index exists: a registration
					f := randomPicture(rng, 201, 8)
					fps[201] = f
					if err := m.add(f); err != nil {
						t.Fatal(err)
					}
				case 40: // and a withdrawal
					delete(fps, 7)
					m.remove(7)
				}
				// A query near a registered view: its hashes with a few
				// bits flipped.
				ids := make([]uint64, 0, len(fps))
				for id := range fps {
					ids = append(ids, id)
				}
				slices.Sort(ids)
				if q >= 20 && q%2 == 0 {
					ids = []uint64{201}
				}
				src := fps[ids[rng.IntN(len(ids))]].Print.Views[rng.IntN(8)]
				qv := hashing.View{Name: hashing.ViewOriginal}
				for _, h := range src.Hashes {
					for range rng.IntN(6) {
						b := rng.IntN(h.Algorithm.Bits())
						h.Code[b/64] ^= 1 << (b % 64)
					}
					h.Quality = 100
					qv.Hashes = append(qv.Hashes, h)
				}
				query := hashing.Fingerprint{Kind: hashing.KindImage, Views: []hashing.View{qv}}
				want := map[uint64]int{}
				for id, f := range fps {
					for _, rv := range f.Print.Views {
						if ev, ok := rt.rule.Compare(qv, rv); ok {
							if d, seen := want[id]; !seen || ev.Distance < d {
								want[id] = ev.Distance
							}
						}
					}
				}
				got := map[uint64]int{}
				for _, mt := range m.match(query, rt.rule) {
					got[mt.Fingerprint] = mt.Evidence.Distance
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("query %d: matches %v, comparing whole views %v", q, got, want)
				}
				matched += len(got)
			}
			if matched == 0 {
				t.Fatal("no query matched: the test compares nothing")
			}
		})
	}
}

// TestEagerAlgorithmsCoverTheDefaultRule keeps eagerAlgorithm in step
// with the default rule: every algorithm a clause of it searches by is
// indexed when the matcher is built, not on a crawl's first search.
func TestEagerAlgorithmsCoverTheDefaultRule(t *testing.T) {
	for _, c := range hashing.DefaultRule().Clauses {
		if !eagerAlgorithm(c[0].Algorithm) {
			t.Errorf("the default rule searches by %s, which is indexed lazily", c[0].Algorithm)
		}
	}
}
