package eval

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/fixtures"
)

// TestThumbsSeeThroughBorders checks the duplicate judge on pictures
// slipped into the pool with borders added (a flag drawn on a drop shadow
// and a transparent canvas, a photo on a white mat): the same picture
// still counts as a duplicate, and another picture on a border does not.
// (Two different pictures on one large mat correlate through the mat, as
// whole thumbnails always did: the judge keeps that leniency so that its
// figures stay comparable with runs before it looked at interiors.)
func TestThumbsSeeThroughBorders(t *testing.T) {
	photos := fixtures.Others()
	a := imaging.Resize(decodePhoto(t, photos[0]), 300, 200, imaging.Lanczos)
	b := imaging.Resize(decodePhoto(t, photos[1]), 300, 200, imaging.Lanczos)
	// shadowed puts img on a transparent canvas with a black shadow
	// offset 4 px to the lower right, as clip-art flags are drawn.
	shadowed := func(img image.Image) image.Image {
		c := image.NewNRGBA(image.Rect(0, 0, 340, 240))
		draw.Draw(c, image.Rect(14, 14, 314, 214), image.NewUniform(color.Black), image.Point{}, draw.Src)
		draw.Draw(c, image.Rect(10, 10, 310, 210), img, image.Point{}, draw.Src)
		return c
	}
	// matted puts img in the middle of a white canvas twice its area.
	matted := func(img image.Image) image.Image {
		c := image.NewNRGBA(image.Rect(0, 0, 420, 280))
		draw.Draw(c, c.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		draw.Draw(c, image.Rect(60, 40, 360, 240), img, image.Point{}, draw.Src)
		return c
	}
	thumb := func(img image.Image) *thumb {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		th, err := newThumb(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return th
	}
	for _, c := range []struct {
		name string
		x, y image.Image
		dup  bool
	}{
		{"the picture and itself on a drop shadow", a, shadowed(a), true},
		{"the picture and itself on a white mat", matted(a), a, true},
		{"itself on a shadow and on a mat", shadowed(a), matted(a), true},
		{"another picture on a drop shadow", a, shadowed(b), false},
		{"another picture on a mat", a, matted(b), false},
		{"another picture on a mat and on a shadow", shadowed(a), matted(b), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := thumb(c.x).correlation(thumb(c.y))
			if got := r >= DuplicateCorrelation; got != c.dup {
				t.Errorf("correlation %.3f: duplicate %v, want %v", r, got, c.dup)
			}
		})
	}
}
