package hashing

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"reflect"
	"testing"
)

// sprite is testImage's blobs in a centred box, on a ground whose pixels
// are fully transparent and store ground(x, y) as their hidden colour.
func sprite(w, h int, ground func(x, y int) color.NRGBA) *image.NRGBA {
	src := testImage(w/2, h/2)
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := ground(x, y)
			c.A = 0
			if x >= w/4 && x < w/4+w/2 && y >= h/4 && y < h/4+h/2 {
				c = src.NRGBAAt(x-w/4, y-h/4)
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// paletted is img with every colour put in a palette: the GIF-style
// transparency of a palette entry with alpha 0 (PNG's tRNS chunk).
func paletted(img *image.NRGBA) *image.Paletted {
	b := img.Bounds()
	var pal color.Palette
	seen := map[color.NRGBA]uint8{}
	out := image.NewPaletted(b, nil)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.NRGBAAt(x, y)
			i, ok := seen[c]
			if !ok {
				if len(pal) == 256 {
					c = color.NRGBA{R: c.R &^ 31, G: c.G &^ 31, B: c.B &^ 63, A: c.A}
					if i, ok = seen[c]; !ok {
						i = 0
					}
				} else {
					i = uint8(len(pal))
					pal = append(pal, c)
					seen[c] = i
				}
			}
			out.SetColorIndex(x, y, i)
		}
	}
	out.Palette = pal
	return out
}

// flattenedByHand composites img over white from the definition: a pixel
// of alpha 0 shows the ground, one of alpha 255 its own colour.
func flattenedByHand(t *testing.T, img image.Image) *image.NRGBA {
	t.Helper()
	b := img.Bounds()
	out := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			switch c.A {
			case 0:
				c = color.NRGBA{R: 255, G: 255, B: 255, A: 255}
			case 255:
			default:
				t.Fatalf("pixel (%d,%d) has alpha %d: this helper knows only 0 and 255", x, y, c.A)
			}
			out.SetNRGBA(x, y, c)
		}
	}
	return out
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// What a fully transparent pixel hides is never seen, so it must never
// reach a hash: a sprite hashes as it looks composited over white, on
// both sides of a match (crawl and registration), whatever its
// transparent pixels store.
func TestTransparentPixelsHashAsTheirCompositedPicture(t *testing.T) {
	noise := func(x, y int) color.NRGBA {
		v := uint32(x*7919+y*104729) * 2654435761
		return color.NRGBA{R: uint8(v >> 24), G: uint8(v >> 16), B: uint8(v >> 8)}
	}
	black := func(int, int) color.NRGBA { return color.NRGBA{} }
	stripes := func(x, _ int) color.NRGBA {
		if x/8%2 == 0 {
			return color.NRGBA{R: 250, G: 20, B: 20}
		}
		return color.NRGBA{B: 200}
	}
	h := NewHasher(Limits{})
	for _, tc := range []struct {
		name   string
		hidden func(x, y int) color.NRGBA
		pal    bool
	}{
		{"an RGBA PNG hiding noise", noise, false},
		{"an RGBA PNG hiding black", black, false},
		{"an RGBA PNG hiding stripes", stripes, false},
		{"a paletted PNG whose transparent entries hide stripes", stripes, true},
	} {
		t.Run(tc.name+" hashes like its composited copy", func(t *testing.T) {
			var img image.Image = sprite(240, 180, tc.hidden)
			if tc.pal {
				img = paletted(img.(*image.NRGBA))
			}
			data := encodePNG(t, img)
			if dec, _, err := DecodeImage(data, Limits{}); err != nil {
				t.Fatal(err)
			} else if o, ok := dec.(interface{ Opaque() bool }); !ok || !o.Opaque() {
				t.Errorf("decoded %T is not opaque", dec)
			}
			flat := encodePNG(t, flattenedByHand(t, img))
			for _, p := range []Purpose{ForQuery, ForRegistration} {
				got, err := h.Image(t.Context(), data, p)
				if err != nil {
					t.Fatal(err)
				}
				want, err := h.Image(t.Context(), flat, p)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got.Views, want.Views) {
					t.Errorf("purpose %d: the views differ from the composited picture's", p)
				}
				if !reflect.DeepEqual(got.Reference, want.Reference) {
					t.Errorf("purpose %d: the reference PDQ differs from the composited picture's", p)
				}
			}
		})
	}
}

// A translucent pixel is blended with the white ground by its alpha.
func TestTranslucentPixelsBlendWithWhite(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for i := range 16 {
		img.SetNRGBA(i%4, i/4, color.NRGBA{R: 0, G: 100, B: 200, A: 128})
	}
	dec, _, err := DecodeImage(encodePNG(t, img), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	r, g, b, a := dec.At(1, 1).RGBA()
	// 128/255 of the colour plus 127/255 of white, in 8 bits.
	want := [3]float64{127.5 * 255 / 255, (100*128 + 255*127) / 255.0, (200*128 + 255*127) / 255.0}
	for i, v := range []uint32{r, g, b} {
		if d := float64(v>>8) - want[i]; d < -1.5 || d > 1.5 {
			t.Errorf("channel %d = %d, want %.1f", i, v>>8, want[i])
		}
	}
	if a != 0xffff {
		t.Errorf("alpha = %#x, want opaque", a)
	}
}
