package hashing

import (
	"image"
	"image/color"
	"image/draw"
	"testing"
)

// framed pastes img onto a solid canvas with the given margins.
func framed(img image.Image, top, right, bottom, left int, c color.Color) *image.NRGBA {
	b := img.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx()+left+right, b.Dy()+top+bottom))
	draw.Draw(dst, dst.Rect, image.NewUniform(c), image.Point{}, draw.Src)
	draw.Draw(dst, image.Rect(left, top, left+b.Dx(), top+b.Dy()), img, b.Min, draw.Src)
	return dst
}

func TestTrimBorders(t *testing.T) {
	photo := testImage(400, 300)
	tests := []struct {
		name string
		img  image.Image
		want image.Rectangle // interior, within a tolerance of 2% of a side
	}{
		{"a picture without borders is kept whole", photo, image.Rect(0, 0, 400, 300)},
		{"black letterbox bars are trimmed", framed(photo, 60, 0, 60, 0, color.Black), image.Rect(0, 60, 400, 360)},
		{"white pillarbox bars are trimmed", framed(photo, 0, 80, 0, 80, color.White), image.Rect(80, 0, 480, 300)},
		{"padding on all sides is trimmed", framed(photo, 75, 100, 75, 100, color.NRGBA{30, 120, 200, 255}), image.Rect(100, 75, 500, 375)},
		{"a bar on one side only is trimmed", framed(photo, 0, 0, 50, 0, color.Black), image.Rect(0, 0, 400, 300)},
		{"a flat picture is not trimmed away", image.NewUniform(color.Black), image.Rect(-1e9, -1e9, 1e9, 1e9)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := tt.img
			if u, ok := img.(*image.Uniform); ok {
				img = framed(image.NewNRGBA(image.Rect(0, 0, 200, 100)), 0, 0, 0, 0, u.C)
				tt.want = img.Bounds()
			}
			got := TrimBorders(img)
			tol := max(img.Bounds().Dx(), img.Bounds().Dy()) * 2 / 100
			if abs(got.Min.X-tt.want.Min.X) > tol || abs(got.Min.Y-tt.want.Min.Y) > tol ||
				abs(got.Max.X-tt.want.Max.X) > tol || abs(got.Max.Y-tt.want.Max.Y) > tol {
				t.Fatalf("TrimBorders = %v, want about %v (±%d)", got, tt.want, tol)
			}
			if !got.In(img.Bounds()) {
				t.Fatalf("TrimBorders = %v outside the image %v", got, img.Bounds())
			}
		})
	}
}

func TestTrimBordersTinyImages(t *testing.T) {
	for _, size := range []image.Point{{1, 1}, {1, 500}, {500, 1}, {7, 7}, {9, 2}} {
		img := testImage(size.X, size.Y)
		if got := TrimBorders(img); !got.In(img.Bounds()) || got.Empty() {
			t.Errorf("%v: TrimBorders = %v", size, got)
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
