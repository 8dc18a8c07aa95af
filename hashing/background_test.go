package hashing

import (
	"bytes"
	"errors"
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
