package eval

import (
	"testing"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
)

// view builds a view whose codes differ from zero in the first n bits of
// each algorithm, so that distances between views are differences of n.
func view(name string, pdq, phash, dhash, quality int) hashing.View {
	bits := func(n int) hashing.Code {
		var c hashing.Code
		for i := range n {
			c[i/64] |= 1 << (63 - i%64)
		}
		return c
	}
	return hashing.View{Name: name, Hashes: []hashing.Hash{
		{Algorithm: hashing.PDQ, Code: bits(pdq), Quality: quality},
		{Algorithm: hashing.PHash, Code: bits(phash), Quality: 100},
		{Algorithm: hashing.DHash, Code: bits(dhash), Quality: 100},
	}}
}

func TestNearestFalse(t *testing.T) {
	rule := hashing.Rule{
		Clauses: []hashing.Clause{
			{{Algorithm: hashing.PHash, MaxDistance: 10}, {Algorithm: hashing.DHash, MaxDistance: 14}, {Algorithm: hashing.PDQ, MaxDistance: 76}},
			{{Algorithm: hashing.PDQ, MaxDistance: 31}},
		},
		MinQuality: 50,
	}
	query := hashing.Fingerprint{Views: []hashing.View{view("original", 0, 0, 0, 100)}}
	reg := func(source string, views ...hashing.View) *index.Fingerprint {
		return &index.Fingerprint{Source: source, Print: hashing.Fingerprint{Views: views}}
	}
	tests := []struct {
		name       string
		all        []*index.Fingerprint
		wantMargin int
		wantPDQ    int
		wantPair   string
	}{
		{"the photo itself is not a false pair", []*index.Fingerprint{reg("self.jpg", view("original", 0, 0, 0, 100))}, -1, -1, ""},
		{"the margin is the largest excess of the nearest clause", []*index.Fingerprint{
			reg("a.jpg", view("original", 80, 12, 3, 100)),  // AND clause misses by 4 (pdq), PDQ alone by 49
			reg("b.jpg", view("mirror", 100, 20, 30, 100)),  // misses by 16
			reg("self.jpg", view("original", 0, 0, 0, 100)), // ignored
		}, 4, 80, "original/original"},
		{"a false match has margin 0", []*index.Fingerprint{reg("a.jpg", view("rot90", 20, 40, 40, 100))}, 0, 20, "original/rot90"},
		{"flat hashes take no part", []*index.Fingerprint{reg("a.jpg", view("original", 0, 0, 0, 10))}, -1, -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nearestFalse(query, tt.all, "self.jpg", rule)
			if got.margin != tt.wantMargin || got.pair != tt.wantPair {
				t.Errorf("margin %d pair %q, want %d %q", got.margin, got.pair, tt.wantMargin, tt.wantPair)
			}
			if d, ok := got.dist[hashing.PDQ]; (ok || tt.wantPDQ >= 0) && d != tt.wantPDQ {
				t.Errorf("nearest pdq %d (present %v), want %d", d, ok, tt.wantPDQ)
			}
		})
	}
}
