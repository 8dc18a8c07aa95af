package pdq

import (
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"math"
	"math/rand/v2"
	"testing"
)

// wantLuma is the specification of Luma, pixel by pixel through the
// color models.
func wantLuma(img image.Image) []float32 {
	b := img.Bounds()
	out := make([]float32, 0, b.Dx()*b.Dy())
	m := img.ColorModel()
	grey := m == color.GrayModel || m == color.Gray16Model
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.At(x, y)
			if grey {
				out = append(out, float32(color.GrayModel.Convert(c).(color.Gray).Y))
				continue
			}
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			// The reference's expression, without tables.
			y := float32(lumaFromR*float32(n.R)) + float32(lumaFromG*float32(n.G)) + float32(lumaFromB*float32(n.B))
			out = append(out, y)
		}
	}
	return out
}

func sameFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func fillRandom(rng *rand.Rand, p []uint8) {
	for i := range p {
		p[i] = uint8(rng.IntN(256))
	}
}

// rect has odd, partly negative bounds to exercise offset arithmetic.
var rect = image.Rect(-7, -3, 30, 20)

func TestLumaTypes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))

	gray := image.NewGray(rect)
	fillRandom(rng, gray.Pix)
	gray16 := image.NewGray16(rect)
	fillRandom(rng, gray16.Pix)
	nrgba := image.NewNRGBA(rect)
	fillRandom(rng, nrgba.Pix)
	nrgba64 := image.NewNRGBA64(rect)
	fillRandom(rng, nrgba64.Pix)
	cmyk := image.NewCMYK(rect)
	fillRandom(rng, cmyk.Pix)
	pal := image.NewPaletted(rect, palette.Plan9)
	for i := range pal.Pix {
		pal.Pix[i] = uint8(rng.IntN(len(palette.Plan9)))
	}
	// RGBA: valid premultiplied pixels, a third opaque, some transparent.
	rgba := image.NewRGBA(rect)
	for i := 0; i < len(rgba.Pix); i += 4 {
		a := uint8(rng.IntN(256))
		switch rng.IntN(3) {
		case 0:
			a = 255
		case 1:
			if rng.IntN(4) == 0 {
				a = 0
			}
		}
		for c := range 3 {
			rgba.Pix[i+c] = uint8(rng.IntN(int(a) + 1))
		}
		rgba.Pix[i+3] = a
	}

	// A short palette with translucent entries.
	pt := color.Palette{color.RGBA{10, 20, 30, 40}, color.NRGBA{200, 100, 50, 128}, color.Gray{77}, color.Alpha{0}}
	palT := image.NewPaletted(rect, pt)
	for i := range palT.Pix {
		palT.Pix[i] = uint8(rng.IntN(len(pt)))
	}
	rgba64 := image.NewRGBA64(rect)
	for i := 0; i < len(rgba64.Pix); i += 8 {
		a := uint16(rng.IntN(0x10000))
		for c := range 3 {
			v := uint16(rng.IntN(int(a) + 1))
			rgba64.Pix[i+2*c], rgba64.Pix[i+2*c+1] = uint8(v>>8), uint8(v)
		}
		rgba64.Pix[i+6], rgba64.Pix[i+7] = uint8(a>>8), uint8(a)
	}

	cases := []struct {
		name string
		img  image.Image
	}{
		{"Gray", gray},
		{"Gray16", gray16},
		{"RGBA", rgba},
		{"NRGBA", nrgba},
		{"NRGBA64", nrgba64},
		{"CMYK", cmyk},
		{"Paletted", pal},
		{"Gray/generic", struct{ image.Image }{gray}},
		{"Gray16/generic", struct{ image.Image }{gray16}},
		{"RGBA/generic", struct{ image.Image }{rgba}},
		{"NRGBA/generic", struct{ image.Image }{nrgba}},
		{"Paletted/translucent", palT},
		{"RGBA64", rgba64},
		{"RGBA/sub", rgba.SubImage(image.Rect(-2, 0, 11, 19))},
	}
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		img := image.NewYCbCr(rect, ratio)
		fillRandom(rng, img.Y)
		fillRandom(rng, img.Cb)
		fillRandom(rng, img.Cr)
		cases = append(cases,
			struct {
				name string
				img  image.Image
			}{"YCbCr" + ratio.String(), img},
			struct {
				name string
				img  image.Image
			}{"YCbCr" + ratio.String() + "/sub", img.SubImage(image.Rect(-5, -1, 27, 18))})
		// Non-negative origins, even and odd, take the paired fast path.
		pos := image.NewYCbCr(image.Rect(2, 1, 41, 24), ratio)
		fillRandom(rng, pos.Y)
		fillRandom(rng, pos.Cb)
		fillRandom(rng, pos.Cr)
		for _, sr := range []image.Rectangle{pos.Rect, image.Rect(3, 2, 40, 23), image.Rect(4, 3, 38, 20), image.Rect(5, 1, 40, 22)} {
			cases = append(cases, struct {
				name string
				img  image.Image
			}{"YCbCr" + ratio.String() + "/" + sr.String(), pos.SubImage(sr)})
		}
	}
	for _, c := range cases {
		want := wantLuma(c.img)
		got := Luma(c.img, nil)
		if !sameFloats(got, want) {
			t.Errorf("%s: Luma differs from the color-model specification", c.name)
		}
		// Reusing a larger buffer gives the same values.
		got2 := Luma(c.img, make([]float32, 5000))
		if !sameFloats(got2, want) {
			t.Errorf("%s: Luma with reused dst differs", c.name)
		}
		if b := c.img.Bounds(); b.Dx() >= minDim && b.Dy() >= minDim {
			h := NewHasher()
			a, qa := h.DihedralImage(c.img)
			l, ql := h.DihedralLuma(want, b.Dx(), b.Dy())
			if a != l || qa != ql {
				t.Errorf("%s: DihedralImage differs from DihedralLuma(Luma)", c.name)
			}
		}
	}
}

// TestLumaYCbCrMatchesRGBA checks the YCbCr path against converting the
// decoded image to RGBA with draw.Draw first.
func TestLumaYCbCrMatchesRGBA(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	img := image.NewYCbCr(image.Rect(0, 0, 33, 17), image.YCbCrSubsampleRatio420)
	fillRandom(rng, img.Y)
	fillRandom(rng, img.Cb)
	fillRandom(rng, img.Cr)
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, image.Point{}, draw.Src)
	if !sameFloats(Luma(img, nil), Luma(rgba, nil)) {
		t.Error("Luma(YCbCr) differs from Luma of the image drawn into RGBA")
	}
}

func TestUnpremultiply(t *testing.T) {
	for a := range 256 {
		for v := 0; v <= a; v++ {
			c := color.NRGBAModel.Convert(color.RGBA{uint8(v), 0, 0, uint8(a)}).(color.NRGBA)
			if got := unpremultiply(uint8(v), uint8(a)); got != c.R {
				t.Fatalf("unpremultiply(%d, %d) = %d, want %d", v, a, got, c.R)
			}
		}
	}
}

func TestLumaEmpty(t *testing.T) {
	if l := Luma(image.NewRGBA(image.Rectangle{}), nil); len(l) != 0 {
		t.Errorf("Luma(empty) has %d values", len(l))
	}
}

// TestYCbCrLumaExhaustive checks the precomputed-chroma conversion against
// color.YCbCrToRGB for every (Y, Cb, Cr).
func TestYCbCrLumaExhaustive(t *testing.T) {
	for cb := range 256 {
		for cr := range 256 {
			tr, tg, tb := chromaTerms(uint8(cb), uint8(cr))
			for y := range 256 {
				R, G, B := color.YCbCrToRGB(uint8(y), uint8(cb), uint8(cr))
				if got, want := ycbcrLuma(uint8(y), tr, tg, tb), rgbLuma(R, G, B); got != want {
					t.Fatalf("Y=%d Cb=%d Cr=%d: %v, want %v", y, cb, cr, got, want)
				}
			}
		}
	}
}

// TestLumaCoefficients checks that the float32 constants equal the
// reference's, which C++ obtains by rounding the double literals 0.299,
// 0.587 and 0.114 to float (two roundings; Go rounds the exact decimal
// once).
func TestLumaCoefficients(t *testing.T) {
	for _, c := range []struct {
		got  float32
		want float64
	}{{lumaFromR, 0.299}, {lumaFromG, 0.587}, {lumaFromB, 0.114}} {
		d := c.want // a float64 variable, so the conversion rounds at run time
		if c.got != float32(d) {
			t.Errorf("coefficient %v != float32(float64(%v)) = %v", c.got, c.want, float32(d))
		}
	}
}
