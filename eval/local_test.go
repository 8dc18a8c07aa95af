package eval

import (
	"slices"
	"testing"
)

func TestCountLocalCountsPairsTheRuleMissedPerThreshold(t *testing.T) {
	corr := func(a, b string) float64 {
		if a == "dup" {
			return 0.95
		}
		return 0.1
	}
	cases := []struct {
		name  string
		min   int
		pairs []PoolLocalPair
		want  []PoolLocalCount
	}{
		{"no pairs give one empty row", 6, nil, []PoolLocalCount{{MinInliers: 6}}},
		{"pairs the rule matched too add nothing, duplicates apart",
			6,
			[]PoolLocalPair{
				{Query: "a", Registered: "x", Inliers: 8},
				{Query: "b", Registered: "x", Inliers: 7, HashMatched: true},
				{Query: "dup", Registered: "y", Inliers: 6},
			},
			[]PoolLocalCount{{6, 1, 1}, {7, 1, 0}, {8, 1, 0}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := &PoolLocal{MinInliers: c.min, Pairs: c.pairs}
			l.countLocal(corr)
			if !slices.Equal(l.ByThreshold, c.want) {
				t.Errorf("got %+v, want %+v", l.ByThreshold, c.want)
			}
		})
	}
}
