package hashing

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
)

func TestCodeHexRoundTrip(t *testing.T) {
	for _, s := range []string{"0123456789abcdef", "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"} {
		c, n, err := ParseCode(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Hex(n); got != s {
			t.Errorf("round trip %s → %s", s, got)
		}
	}
	for _, bad := range []string{"", "abc", "zz23456789abcdef"} {
		if _, _, err := ParseCode(bad); err == nil {
			t.Errorf("ParseCode(%q) accepted", bad)
		}
	}
}

func TestRuleCompare(t *testing.T) {
	view := func(p, d uint64, q int) View {
		return View{Name: "v", Hashes: []Hash{{PHash, Code{p}, q}, {DHash, Code{d}, q}}}
	}
	rule := Rule{Clauses: []Clause{{{Algorithm: PHash, MaxDistance: 4}, {Algorithm: DHash, MaxDistance: 6}}}, MinQuality: 50}
	tests := []struct {
		name   string
		q, r   View
		want   bool
		wantPD int
	}{
		{"identical views match at distance 0", view(0xff, 0xf0, 100), view(0xff, 0xf0, 100), true, 0},
		{"both algorithms within their thresholds match", view(0xff, 0xff, 100), view(0x0f, 0x03, 100), true, 4},
		{"one algorithm past its threshold does not match", view(0xff, 0xff, 100), view(0xff, 0x00, 100), false, 0},
		{"a low-quality hash never decides", view(0xff, 0xf0, 10), view(0xff, 0xf0, 100), false, 0},
		{"a view missing an algorithm does not match", View{Hashes: []Hash{{PHash, Code{1}, 100}}}, view(1, 1, 100), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, ok := rule.Compare(tt.q, tt.r)
			if ok != tt.want {
				t.Fatalf("Compare = %v, want %v", ok, tt.want)
			}
			if ok && (ev.Algorithm != PHash || ev.Distance != tt.wantPD) {
				t.Errorf("evidence = %+v, want phash distance %d", ev, tt.wantPD)
			}
		})
	}
}

func TestDefaultRuleMatchesEditsOfAPicture(t *testing.T) {
	src := testImage(320, 240)
	h := NewHasher(Limits{})
	ctx := context.Background()
	jpg := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 60}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	reg, err := h.Image(ctx, jpg(src), ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	rule := DefaultRule()
	edits := map[string]image.Image{
		"re-compressed":      src,
		"resized to half":    imaging.Resize(src, 160, 0, imaging.Lanczos),
		"mirrored":           imaging.FlipH(src),
		"letterboxed":        framed(src, 40, 0, 40, 0, color.Black),
		"mirrored and boxed": framed(imaging.FlipH(src), 0, 50, 0, 50, color.White),
	}
	for name, img := range edits {
		t.Run("a "+name+" copy matches", func(t *testing.T) {
			q, err := h.Image(ctx, jpg(img), ForQuery)
			if err != nil {
				t.Fatal(err)
			}
			if ev, ok := rule.Best(q, reg); !ok {
				t.Fatalf("no match")
			} else {
				t.Logf("%s: %s view vs %s view, %s %d", name, ev.QueryView, ev.RegisteredView, ev.Algorithm, ev.Distance)
			}
		})
	}
}

func TestRuleCompareNamesTheClauseThatHeld(t *testing.T) {
	view := func(p, d uint64) View {
		return View{Name: "v", Hashes: []Hash{{PHash, Code{p}, 100}, {DHash, Code{d}, 100}}}
	}
	rule := Rule{Clauses: []Clause{{{Algorithm: PHash, MaxDistance: 2}, {Algorithm: DHash, MaxDistance: 2}}, {{Algorithm: DHash, MaxDistance: 0}}}}
	tests := []struct {
		name string
		q, r View
		want int
	}{
		{"a pair near by both hashes holds by the first clause", view(0xff, 0xff), view(0xfe, 0xfe), 0},
		{"a pair near by dHash only holds by the second", view(0xff, 0xff), view(0x00, 0xff), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, ok := rule.Compare(tt.q, tt.r)
			if !ok || ev.Clause != tt.want {
				t.Errorf("Compare = %+v, %v; want clause %d", ev, ok, tt.want)
			}
		})
	}
}

// TestRuleOptionalThresholds checks IfPresent: a threshold on an algorithm
// one side lacks (an imported PDQ-only fingerprint) is skipped, one on a
// hash both sides have still applies, and a weak hash still fails it.
func TestRuleOptionalThresholds(t *testing.T) {
	rule := Rule{Clauses: []Clause{{{Algorithm: PDQ, MaxDistance: 31}, {Algorithm: PHash, MaxDistance: 4, IfPresent: true}}}, MinQuality: 50}
	pdqOnly := View{Name: "imported", Hashes: []Hash{{PDQ, Code{}, 100}}}
	native := func(ph uint64, q int) View {
		return View{Name: "native", Hashes: []Hash{{PDQ, Code{}, 100}, {PHash, Code{ph}, q}}}
	}
	tests := []struct {
		name string
		q, r View
		want bool
	}{
		{"a PDQ-only registered fingerprint matches by PDQ alone", native(0xffff, 100), pdqOnly, true},
		{"both with pHash near match", native(0x7, 100), native(0, 100), true},
		{"both with pHash far do not match", native(0xffff, 100), native(0, 100), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := rule.Compare(tt.q, tt.r); ok != tt.want {
				t.Errorf("Compare = %v, want %v", ok, tt.want)
			}
		})
	}
}

func TestParseRuleRoundTrip(t *testing.T) {
	want := DefaultRule()
	got, err := ParseRule(want.String(), want.MinQuality)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("ParseRule(%q) = %q", want.String(), got.String())
	}
	for _, bad := range []string{"", "(pdq<31)", "(pdq<=x)", "(phash?<=4 & pdq<=31)", "(md5<=3)"} {
		if _, err := ParseRule(bad, 50); err == nil {
			t.Errorf("ParseRule(%q) accepted", bad)
		}
	}
}

// A stored match result is reused only under the rule that made it, and a
// rule is more than its clauses: switching a test on or changing its
// parameters must change Key, while the same rule always gives the same Key.
func TestRuleKeyNamesEveryTest(t *testing.T) {
	base := DefaultRule()
	if base.Key() != DefaultRule().Key() {
		t.Fatal("the default rule's key differs between two calls")
	}
	if !strings.HasPrefix(base.Key(), base.String()) {
		t.Errorf("key %q does not start with the clauses %q", base.Key(), base.String())
	}
	changed := map[string]func(r *Rule){
		"verifier off":         func(r *Rule) { r.Verify = nil },
		"verifier gate":        func(r *Rule) { v := *r.Verify; v.MinInliers++; r.Verify = &v },
		"colour test off":      func(r *Rule) { r.Colour = nil },
		"grey test off":        func(r *Rule) { r.Grey = nil },
		"strict ratio off":     func(r *Rule) { r.Strict = nil },
		"ratio":                func(r *Rule) { r.Ratio += 0.1 },
		"background off":       func(r *Rule) { r.Background = nil },
		"minimum quality":      func(r *Rule) { r.MinQuality++ },
		"a clause's threshold": func(r *Rule) { r.Clauses = []Clause{{{Algorithm: PDQ, MaxDistance: 30}}} },
	}
	for name, change := range changed {
		t.Run(name, func(t *testing.T) {
			r := DefaultRule()
			change(&r)
			if r.Key() == base.Key() {
				t.Errorf("key unchanged: %q", r.Key())
			}
		})
	}
}

// A crawled picture hashed in other views can match what it did not
// before (or stop matching), so a stored result made from other query
// views must not be reused: they are part of Key.
func TestRuleKeyNamesTheQueryViews(t *testing.T) {
	before := DefaultRule().Key()
	saved := queryViews
	t.Cleanup(func() { queryViews = saved })
	queryViews = cutViews([]int{9, 15})
	if DefaultRule().Key() == before {
		t.Errorf("key unchanged with other query views: %q", before)
	}
}
