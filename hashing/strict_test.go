package hashing

import "testing"

// TestStrictRatio checks the stricter ratio test for pairs beyond a PDQ
// distance: a pair beyond it that is nearer than the background, but not
// clearly nearer, matches without the test and not with it; pairs within
// the distance, and pairs clearly nearer, match either way.
func TestStrictRatio(t *testing.T) {
	// pdqView sets the low bits bits of one PDQ word (word 0 for the
	// background, word 1 for queries, so a query's distance to the
	// background is its bits plus the background's); its 64-bit hashes
	// are all zero, and the clause below reads PDQ only.
	pdqView := func(word, bits int) View {
		var c Code
		if bits > 0 {
			c[word] = 1<<bits - 1
		}
		return View{Name: "v", Hashes: []Hash{{PDQ, c, 100}, {PHash, Code{}, 100}, {DHash, Code{}, 100}}}
	}
	registered := pdqView(0, 0)
	strict := &StrictRatio{AbovePDQ: 31, Ratio: 0.75}
	tests := []struct {
		name string
		// background is how many bits the one background view lies from
		// the registered view (0: no background).
		background int
		// query is the pair's PDQ distance.
		query  int
		strict *StrictRatio
		want   bool
	}{
		// Under a PDQ ≤ 60 clause, a background view 48 bits away is at
		// normalised distance 0.8.
		{"a pair beyond PDQ 31 at ratio 0.83 matches under the plain test", 48, 40, nil, true},
		{"a pair beyond PDQ 31 at ratio 0.83 does not match under the strict one", 48, 40, strict, false},
		{"a pair beyond PDQ 31 at ratio 0.71 matches under the strict one", 48, 34, strict, true},
		{"a pair within PDQ 31 keeps the plain test's factor", 36, 30, strict, true},
		{"a pair within PDQ 31 nearer the background than each other does not match", 24, 30, strict, false},
		{"without a background the strict test does nothing", 0, 40, strict, true},
		{"a strict factor above the plain one does not loosen the test", 48, 50, &StrictRatio{AbovePDQ: 31, Ratio: 2}, false},
		{"a higher AbovePDQ leaves the pair to the plain test", 48, 40, &StrictRatio{AbovePDQ: 45, Ratio: 0.75}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := Rule{Clauses: []Clause{{{Algorithm: PDQ, MaxDistance: 60}}}, MinQuality: 50, Ratio: 1, Strict: tt.strict}
			if tt.background > 0 {
				bg, err := NewBackground([]View{pdqView(0, tt.background)})
				if err != nil {
					t.Fatal(err)
				}
				rule.Background = bg
			}
			ev, ok := rule.Compare(pdqView(1, tt.query), registered)
			if ok != tt.want {
				t.Fatalf("Compare = %v (ratio %.3f), want %v", ok, ev.Ratio, tt.want)
			}
		})
	}
}

// TestDefaultRuleIsStrictBeyondPDQ31 checks that the default rule holds
// pairs beyond PDQ 31 to a stricter ratio than the rest.
func TestDefaultRuleIsStrictBeyondPDQ31(t *testing.T) {
	r := DefaultRule()
	if r.Strict == nil {
		t.Fatal("the default rule has no strict ratio test")
	}
	if r.Strict.AbovePDQ != 31 || r.Strict.Ratio <= 0 || r.Strict.Ratio >= r.Ratio {
		t.Errorf("default strict ratio test %+v with ratio %v: want beyond PDQ 31 a factor in (0, %v)", *r.Strict, r.Ratio, r.Ratio)
	}
}
