package hashing

import (
	"context"
	"image"
	"image/color"
	"testing"

	"github.com/disintegration/imaging"
)

func TestGreyTestAgrees(t *testing.T) {
	red := Colour{Chroma: 60}
	red.Bins[0] = 255
	faintRed := red
	faintRed.Chroma = 4
	faintGreen := Colour{Chroma: 4}
	faintGreen.Bins[5] = 255
	colourless := Colour{}
	native := func(pdq int, ratio float64) Evidence {
		return Evidence{Algorithm: PDQ, Distance: pdq, Ratio: ratio,
			Distances: map[Algorithm]int{PDQ: pdq, PHash: 4, DHash: 4}}
	}
	pdqOnly := Evidence{Algorithm: PDQ, Distance: 20, Ratio: 0.95, Distances: map[Algorithm]int{PDQ: 20}}
	test := GreyTest{MinChroma: 8, MaxDistance: 0.8, AbovePDQ: 31, MaxRatio: 0.7}
	for _, tc := range []struct {
		name string
		q, r Colour
		ev   Evidence
		want bool
		how  GreyVerdict
	}{
		{"two coloured pictures are the colour test's", red, red, native(50, 0.95), true, GreyNotApplied},
		{"a match by PDQ alone keeps PDQ's rule", colourless, red, pdqOnly, true, GreyNotApplied},
		{"a greyscale copy near its original stands", colourless, red, native(20, 0.3), true, GreyRatio},
		{"a grey picture little nearer than the background is refused", colourless, red, native(20, 0.8), false, GreyRatio},
		{"two colourless pictures little nearer than the background are refused", colourless, colourless, native(10, 0.75), false, GreyRatio},
		{"two colourless pictures much nearer stand", colourless, colourless, native(10, 0.5), true, GreyRatio},
		{"a faint picture and a coloured one of the same hue stand", faintRed, red, native(50, 0.5), true, GreyHues},
		{"faint pictures of other hues are refused", faintRed, faintGreen, native(50, 0.5), false, GreyHues},
		{"within AbovePDQ the hues are not compared", faintRed, faintGreen, native(31, 0.5), true, GreyRatio},
		{"a faint picture with no hues to compare is judged by the ratio", faintRed, colourless, native(50, 0.5), true, GreyRatio},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, how := test.Agrees(tc.q, tc.r, tc.ev)
			if ok != tc.want || how != tc.how {
				t.Errorf("Agrees = %v, %v; want %v, %v", ok, how, tc.want, tc.how)
			}
		})
	}
}

func TestRuleConfirmAppliesTheGreyTest(t *testing.T) {
	red := Colour{Chroma: 60}
	red.Bins[0] = 255
	q := Fingerprint{Kind: KindImage}
	r := Fingerprint{Kind: KindImage, Colour: red}
	far := Evidence{Algorithm: PDQ, Distance: 40, Ratio: 0.9, Distances: map[Algorithm]int{PDQ: 40, PHash: 6, DHash: 6}}
	rule := Rule{Clauses: []Clause{{{Algorithm: PDQ, MaxDistance: 60}}}, MinQuality: 50,
		Colour: &ColourTest{MinChroma: 8, MaxDistance: 0.8, AbovePDQ: 31}}
	if !rule.Confirm(q, r, far) {
		t.Fatalf("without a grey test the colour test skips a grey picture and the match must stand")
	}
	rule.Grey = &GreyTest{MinChroma: 8, MaxDistance: 0.8, AbovePDQ: 31, MaxRatio: 0.7}
	if rule.Confirm(q, r, far) {
		t.Errorf("a grey picture barely nearer than the background was confirmed through the grey test")
	}
	near := far
	near.Ratio = 0.2
	if !rule.Confirm(q, r, near) {
		t.Errorf("a grey picture far nearer than the background was refused")
	}
	if DefaultRule().Grey == nil {
		t.Errorf("the default rule has no grey test")
	}
}

// TestDefaultRuleGreyPictures checks the grey test in the default rule on
// pictures: grey frames that the rule without it lets match each other
// (the test fails without it) are refused, while greyscale copies of a
// colour picture, edited as re-uploads are, and a frame's own copy still
// match.
func TestDefaultRuleGreyPictures(t *testing.T) {
	src := testImage(320, 240)
	darkOnWhite := frame(160, 200, 8, 6, 255, 40, 255)
	squareThickDark := frame(200, 200, 0, 14, 255, 40, 255)
	palePanel := frame(160, 200, 8, 6, 230, 180, 240)
	thickPalePanel := frame(160, 200, 0, 14, 230, 180, 240)
	aroundDarkOnGrey := frame(160, 200, 8, 6, 128, 220, 20)
	thinAroundDark := frame(160, 200, 20, 2, 128, 220, 20)
	cases := []struct {
		name              string
		query, registered image.Image
		withoutGrey, want bool
	}{
		// These lie within PDQ 31, where the stricter ratio beyond PDQ 31
		// (Rule.Strict) does not look.
		{"a dark frame on white and a square one twice as thick", darkOnWhite, squareThickDark, true, false},
		{"two pale panels with borders of other widths", palePanel, thickPalePanel, true, false},
		{"a light frame around a dark panel on grey and a thinner one further in", aroundDarkOnGrey, thinAroundDark, true, false},
		{"a frame and its own copy", aroundDarkOnGrey, aroundDarkOnGrey, true, true},
		{"a greyscale copy of a colour picture", imaging.Grayscale(src), src, true, true},
		{"a greyscale copy, mirrored", imaging.Grayscale(imaging.FlipH(src)), src, true, true},
		{"a greyscale copy, letterboxed", imaging.Grayscale(framed(src, 40, 0, 40, 0, color.Black)), src, true, true},
		{"a greyscale copy with 10% cut from every side", imaging.Grayscale(imaging.Crop(src, image.Rect(32, 24, 288, 216))), src, true, true},
	}
	h := NewHasher(Limits{})
	ctx := context.Background()
	without := DefaultRule()
	without.Grey = nil
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := h.Pixels(ctx, c.query, ForQuery)
			if err != nil {
				t.Fatal(err)
			}
			r, err := h.Pixels(ctx, c.registered, ForRegistration)
			if err != nil {
				t.Fatal(err)
			}
			if ev, ok := without.Best(q, r); ok != c.withoutGrey {
				t.Errorf("without the grey test: match %v (%v, ratio %.2f), want %v", ok, ev.Distances, ev.Ratio, c.withoutGrey)
			}
			if ev, ok := DefaultRule().Best(q, r); ok != c.want {
				t.Errorf("default rule: match %v (%v, ratio %.2f), want %v", ok, ev.Distances, ev.Ratio, c.want)
			}
		})
	}
}
