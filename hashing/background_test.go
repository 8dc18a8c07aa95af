package hashing

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"
)

func TestBackgroundRoundTrip(t *testing.T) {
	views := []View{
		{Name: "a", Hashes: []Hash{{PDQ, Code{1, 2, 3, 4}, 77}, {PHash, Code{5}, 100}, {DHash, Code{6}, 100}}},
		{Name: "b", Hashes: []Hash{{PDQ, Code{^uint64(0), 0, 9, 1 << 63}, 100}, {PHash, Code{7}, 100}, {DHash, Code{8}, 100}}},
	}
	b, err := NewBackground(views)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := ReadBackground(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if got.Len() != 2 || got.entries[0] != b.entries[0] || got.entries[1] != b.entries[1] {
		t.Errorf("round trip: got %+v, want %+v", got.entries, b.entries)
	}
	if want := []uint64{5, 7}; !slices.Equal(got.phash, want) || !slices.Equal(b.phash, want) {
		t.Errorf("pHash columns %v and %v, want %v", b.phash, got.phash, want)
	}
	if _, err := NewBackground([]View{{Name: "pdq only", Hashes: []Hash{{PDQ, Code{}, 100}}}}); err == nil {
		t.Error("NewBackground accepted a view without pHash and dHash")
	}
	for name, data := range map[string][]byte{
		"empty":          nil,
		"wrong magic":    []byte("XXXX\x01\x00\x00\x00\x00\x00"),
		"wrong version":  []byte("HWBG\x09\x00\x00\x00\x00\x00"),
		"count too high": append([]byte("HWBG\x01\x00\x05\x00\x00\x00"), make([]byte, bgEntrySize)...),
		"truncated":      buf.Bytes()[:buf.Len()-1],
	} {
		if _, err := ReadBackground(data); !errors.Is(err, ErrBadBackground) {
			t.Errorf("%s: err = %v, want ErrBadBackground", name, err)
		}
	}
}

func TestDefaultBackgroundLoads(t *testing.T) {
	if n := DefaultBackground().Len(); n < 1000 {
		t.Fatalf("default background has %d views, want thousands", n)
	}
}

// TestRuleRatioTest checks the background ratio test: a pair that meets a
// clause matches only when it is clearly nearer than the nearest
// background view is to either side.
func TestRuleRatioTest(t *testing.T) {
	view := func(p uint64) View {
		return View{Name: "v", Hashes: []Hash{{PDQ, Code{p, 0, 0, 0}, 100}, {PHash, Code{p}, 100}, {DHash, Code{p}, 100}}}
	}
	// The registered view is 0; one background view lies 8 bits away
	// (normalised 8/16 = 0.5 under a PDQ ≤ 16 clause).
	bg, err := NewBackground([]View{view(0xff), view(0xffff_ffff_ffff_ffff)})
	if err != nil {
		t.Fatal(err)
	}
	rule := Rule{Clauses: []Clause{{{Algorithm: PDQ, MaxDistance: 16}}}, MinQuality: 50, Background: bg}
	tests := []struct {
		name  string
		ratio float64
		query uint64
		want  bool
	}{
		{"an identical copy matches", 1, 0, true},
		{"a pair nearer than the background matches", 1, 0x7, true},
		{"a pair as far as the background does not match", 1, 0xff00, false},
		{"a pair within the clause but beyond the background does not match", 1, 0xfff000, false},
		{"a smaller ratio asks for a nearer pair", 0.25, 0x7, false},
		{"a query view lying on a background view does not match", 1, 0xff, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rule
			r.Ratio = tt.ratio
			ev, ok := r.Compare(view(tt.query), view(0))
			if ok != tt.want {
				t.Fatalf("Compare = %v (%+v), want %v", ok, ev, tt.want)
			}
			if ok && (ev.Ratio < 0 || ev.Ratio >= tt.ratio) {
				t.Errorf("evidence ratio %.3f, want in [0, %.2f)", ev.Ratio, tt.ratio)
			}
		})
	}
	t.Run("without a background the clause alone decides", func(t *testing.T) {
		r := rule
		r.Background = nil
		if _, ok := r.Compare(view(0xfff000), view(0)); !ok {
			t.Error("no match without a background")
		}
	})
}

// backgroundProbes are views near and far from the default background:
// some of its own entries (distance 0), the same with a few bits flipped,
// and views of arbitrary codes.
func backgroundProbes(b *Background) []View {
	var out []View
	for i := 0; i < len(b.entries); i += len(b.entries)/23 + 1 {
		e := b.entries[i]
		for _, flip := range []uint64{0, 0x0101, 0xf0f0_0000_0000_00ff} {
			out = append(out, View{Name: "probe", Hashes: []Hash{
				{PDQ, Code{e.pdq[0] ^ flip, e.pdq[1], e.pdq[2] ^ flip<<3, e.pdq[3]}, int(e.quality)},
				{PHash, Code{e.phash ^ flip}, 100}, {DHash, Code{e.dhash ^ flip>>1}, 100},
			}})
		}
	}
	out = append(out, View{Name: "arbitrary", Hashes: []Hash{{PDQ, Code{0x1234_5678_9abc_def0, 42, 7, 1 << 40}, 90}, {PHash, Code{0xdead_beef_0bad_f00d}, 100}, {DHash, Code{0x0f0f_0f0f_0f0f_0f0f}, 100}}})
	out = append(out, View{Name: "pdq only", Hashes: []Hash{{PDQ, Code{5, 6, 7, 8}, 80}}})
	return out
}

// TestNearestMatchesAPlainScan checks Background.nearest, which reads the
// pHash column apart, against a plain scan of the entries written from
// its definition, on the default background and the default rule's
// clauses.
func TestNearestMatchesAPlainScan(t *testing.T) {
	b := DefaultBackground()
	r := DefaultRule()
	for _, v := range backgroundProbes(b) {
		for ci, c := range r.Clauses {
			want := 1e9
			usable := true
			for _, term := range c {
				h, ok := v.Hash(term.Algorithm)
				if (!ok && !term.IfPresent) || (ok && h.Quality < r.MinQuality) {
					usable = false
				}
			}
			for i := range b.entries {
				if !usable {
					break
				}
				e := &b.entries[i]
				n, skip := 0.0, false
				for _, term := range c {
					h, ok := v.Hash(term.Algorithm)
					if !ok {
						continue
					}
					var d int
					switch term.Algorithm {
					case PDQ:
						if int(e.quality) < r.MinQuality {
							skip = true
						}
						d = e.pdq.Distance(h.Code)
					case PHash:
						d = Code{e.phash}.Distance(h.Code)
					case DHash:
						d = Code{e.dhash}.Distance(h.Code)
					}
					n = max(n, float64(d)/float64(max(term.MaxDistance, 1)))
				}
				if !skip {
					want = min(want, n)
				}
			}
			if got := b.nearest(v, c, r.MinQuality); got != want {
				t.Errorf("view %s clause %d: nearest %v, a plain scan %v", v.Name, ci, got, want)
			}
		}
	}
}

// TestCompareMemoIsCompare checks that comparing pairs through one
// NearMemo, views repeated in any order, gives Compare's answer each time.
func TestCompareMemoIsCompare(t *testing.T) {
	r := DefaultRule()
	probes := backgroundProbes(r.Background)
	var memo NearMemo
	for i, q := range probes {
		for _, g := range []View{probes[(i*7)%len(probes)], probes[(i+1)%len(probes)], q} {
			want, wantOK := r.Compare(q, g)
			got, ok := r.CompareMemo(q, g, &memo)
			if ok != wantOK || !reflect.DeepEqual(got, want) {
				t.Fatalf("pair %d: CompareMemo %+v %v, Compare %+v %v", i, got, ok, want, wantOK)
			}
		}
	}
	if len(memo.m) == 0 {
		t.Error("the memo remembered nothing")
	}
}

// BenchmarkBackgroundNearest times one scan of the default background for
// each of the default rule's clauses.
func BenchmarkBackgroundNearest(b *testing.B) {
	r := DefaultRule()
	probes := backgroundProbes(r.Background)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		v := probes[i%len(probes)]
		for _, c := range r.Clauses {
			r.Background.nearest(v, c, r.MinQuality)
		}
		i++
	}
}
