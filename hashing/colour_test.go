package hashing

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/hashing/internal/gray"
)

// disc draws a disc of fill on white, with a smaller disc of spot inside
// at the upper left: a shape whose grey hashes do not care what hue it is.
func disc(fill, spot color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 120, 90))
	for y := range 90 {
		for x := range 120 {
			c := color.NRGBA{255, 255, 255, 255}
			if (x-60)*(x-60)+(y-45)*(y-45) < 35*35 {
				c = fill
			}
			if (x-45)*(x-45)+(y-35)*(y-35) < 10*10 {
				c = spot
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func TestColourOf(t *testing.T) {
	orange, blue := color.NRGBA{230, 120, 40, 255}, color.NRGBA{40, 90, 220, 255}
	dark := color.NRGBA{90, 60, 40, 255}
	base := disc(orange, dark)
	for _, tc := range []struct {
		name     string
		a, b     image.Image
		grey     bool    // b's summary is zero (a grey picture)
		min, max float64 // bounds on the distance
	}{
		{"the same picture", base, base, false, 0, 0.01},
		{"its mirror image", base, imaging.FlipH(base), false, 0, 0.05},
		{"turned a quarter", base, imaging.Rotate90(base), false, 0, 0.05},
		{"brighter", base, imaging.AdjustBrightness(base, 20), false, 0, 0.3},
		{"more contrast", base, imaging.AdjustContrast(base, 20), false, 0, 0.3},
		{"padded with black", base, imaging.PasteCenter(imaging.New(200, 150, color.Black), base), false, 0, 0.05},
		{"the same shape in blue", base, disc(blue, dark), false, 0.9, 1},
		{"a greyscale copy", base, imaging.Grayscale(base), true, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := ColourOf(tc.a), ColourOf(tc.b)
			if a.IsZero() {
				t.Fatalf("summary of a coloured picture is zero")
			}
			if b.IsZero() != tc.grey {
				t.Fatalf("summary %+v: zero %v, want %v", b, b.IsZero(), tc.grey)
			}
			if tc.grey {
				return
			}
			if d := ColourDistance(a, b); d < tc.min || d > tc.max {
				t.Errorf("distance %.3f, want %.2f–%.2f (%v vs %v)", d, tc.min, tc.max, a, b)
			}
		})
	}
}

func TestColourBytesRoundTrip(t *testing.T) {
	c := ColourOf(disc(color.NRGBA{200, 30, 60, 255}, color.NRGBA{20, 160, 40, 255}))
	got, ok := ColourFromBytes(c.Bytes())
	if !ok || got != c {
		t.Fatalf("round trip %v → %v, %v", c, got, ok)
	}
	if b := (Colour{}).Bytes(); b != nil {
		t.Errorf("zero Colour encodes as %v, want nil", b)
	}
	if z, ok := ColourFromBytes(nil); !ok || !z.IsZero() {
		t.Errorf("nil decodes as %v, %v; want the zero Colour", z, ok)
	}
	if _, ok := ColourFromBytes(make([]byte, ColourLen-1)); ok {
		t.Errorf("a short summary was accepted")
	}
}

func TestColourTestAgrees(t *testing.T) {
	red := Colour{Chroma: 60}
	red.Bins[0] = 255
	blue := Colour{Chroma: 60}
	blue.Bins[10] = 255
	pale := blue
	pale.Chroma = 5
	test := ColourTest{MinChroma: 10, MaxDistance: 0.5, AbovePDQ: 20}
	for _, tc := range []struct {
		name string
		q, r Colour
		pdq  int
		want bool
		skip bool
	}{
		{"alike colours agree", red, red, 50, true, false},
		{"different colours disagree", red, blue, 50, false, false},
		{"a near-grey side skips the test", red, pale, 50, true, true},
		{"an absent summary skips the test", red, Colour{}, 50, true, true},
		{"a close match skips the test", red, blue, 20, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, d := test.Agrees(tc.q, tc.r, tc.pdq)
			if ok != tc.want || (d < 0) != tc.skip {
				t.Errorf("Agrees = %v, %.2f; want %v, skipped %v", ok, d, tc.want, tc.skip)
			}
		})
	}
}

func TestRuleConfirmAppliesTheColourTest(t *testing.T) {
	red := Colour{Chroma: 60}
	red.Bins[0] = 255
	blue := Colour{Chroma: 60}
	blue.Bins[10] = 255
	v := View{Name: ViewOriginal, Hashes: []Hash{{PDQ, Code{1}, 100}}}
	q := Fingerprint{Kind: KindImage, Views: []View{v}, Colour: red}
	r := Fingerprint{Kind: KindImage, Views: []View{v}, Colour: blue}
	rule := Rule{Clauses: []Clause{{{Algorithm: PDQ, MaxDistance: 31}}}, MinQuality: 50}
	if _, ok := rule.Best(q, r); !ok {
		t.Fatalf("without a colour test the views' match must stand")
	}
	rule.Colour = &ColourTest{MinChroma: 10, MaxDistance: 0.5, AbovePDQ: -1}
	if _, ok := rule.Best(q, r); ok {
		t.Errorf("a red and a blue picture matched through the colour test")
	}
	r.Colour = red
	if _, ok := rule.Best(q, r); !ok {
		t.Errorf("two red pictures were refused by the colour test")
	}
}

// TestBoxYCbCrIsImagingsResize checks the colour summary's own resize of
// YCbCr pictures against imaging's, to the bit, for every subsampling, on
// random pictures smaller, larger and of the same size as the result, and
// on sub-images that do not start at (0, 0).
func TestBoxYCbCrIsImagingsResize(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	}
	var g gray.Scratch
	for _, ratio := range ratios {
		for _, size := range []image.Point{{128, 96}, {40, 30}, {33, 47}, {32, 32}, {7, 5}, {300, 17}} {
			m := image.NewYCbCr(image.Rect(0, 0, size.X+3, size.Y+5), ratio)
			for _, p := range [][]uint8{m.Y, m.Cb, m.Cr} {
				for i := range p {
					p[i] = uint8(rng.IntN(256))
				}
			}
			for _, src := range []*image.YCbCr{m, m.SubImage(image.Rect(3, 5, size.X+3, size.Y+5)).(*image.YCbCr)} {
				want := imaging.Resize(src, colourSide, colourSide, imaging.Box)
				got := boxYCbCr(&g, src, colourSide, colourSide)
				if !bytes.Equal(got.Pix, want.Pix) || got.Rect != want.Rect {
					t.Errorf("%v %v from %v: differs from imaging.Resize", ratio, size, src.Rect.Min)
				}
			}
		}
	}
}

// BenchmarkColourOf is the colour summary of a JPEG's small colour copy:
// 1/8 of a 1024×768 photo, and of a 320×240 one.
func BenchmarkColourOf(b *testing.B) {
	for _, size := range []image.Point{{128, 96}, {40, 30}} {
		m := image.NewYCbCr(image.Rect(0, 0, size.X, size.Y), image.YCbCrSubsampleRatio420)
		src := testImage(size.X, size.Y)
		for y := range size.Y {
			for x := range size.X {
				c := src.NRGBAAt(x, y)
				m.Y[m.YOffset(x, y)], m.Cb[m.COffset(x, y)], m.Cr[m.COffset(x, y)] = color.RGBToYCbCr(c.R, c.G, c.B)
			}
		}
		b.Run(fmt.Sprintf("%dx%d", size.X, size.Y), func(b *testing.B) {
			var g gray.Scratch
			b.ReportAllocs()
			defer cpuPerOp(b)()
			for b.Loop() {
				colourOf(&g, m)
			}
		})
	}
}
