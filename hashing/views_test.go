package hashing

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
)

// The corner cuts are spaced so that every corner crop from 1.5 points
// below the first cut to 1.5 points above the last lies within 1.5 points
// of one: beyond that, on the development photos, the default rule's
// thresholds pass fewer than 0.95–0.98 of the crops (cornerCuts).
func TestEveryCornerCropLiesNearACut(t *testing.T) {
	const reach = 1.5
	lo, hi := float64(cornerCuts[0])-reach, float64(cornerCuts[len(cornerCuts)-1])+reach
	for a := lo; a <= hi; a += 0.25 {
		near := math.Inf(1)
		for _, c := range cornerCuts {
			near = min(near, math.Abs(a-float64(c)))
		}
		if near > reach {
			t.Errorf("a %.2f%% corner crop lies %.2f points from the nearest cut %v, want at most %.1f", a, near, cornerCuts, reach)
		}
	}
}

// A corner crop halfway between two cuts, from any corner, still matches
// its picture under the default rule.
func TestCornerCropsBetweenTheCutsMatch(t *testing.T) {
	src := testImage(480, 360)
	h := NewHasher(Limits{})
	jpg := func(e fixtures.Edit) []byte {
		var b bytes.Buffer
		var img image.Image = src
		if e.Apply != nil {
			img = e.Apply(src)
		}
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	reg, err := h.Image(t.Context(), jpg(fixtures.Edit{}), ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	rule := DefaultRule()
	for i := 1; i < len(cornerCuts); i++ {
		f := float64(cornerCuts[i-1]+cornerCuts[i]) / 200
		for _, e := range []fixtures.Edit{
			fixtures.Crop(f, f, 0, 0), fixtures.Crop(0, f, f, 0), fixtures.Crop(f, 0, 0, f), fixtures.Crop(0, 0, f, f),
		} {
			t.Run(e.Name, func(t *testing.T) {
				q, err := h.Image(t.Context(), jpg(e), ForQuery)
				if err != nil {
					t.Fatal(err)
				}
				ev, ok := rule.Best(q, reg)
				if !ok {
					t.Fatal("no match")
				}
				t.Logf("%s view vs %s view at PDQ %d", ev.QueryView, ev.RegisteredView, ev.Distance)
			})
		}
	}
}
