package hashing

import (
	"image"
	"image/color"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
)

func TestCaptionBand(t *testing.T) {
	photo := testImage(256, 192) // a caption of 10% is 19 rows
	tests := []struct {
		name     string
		img      image.Image
		fromTop  bool
		want     bool
		wantEdge int // first (fromTop) or last+1 row of the picture, ±2
	}{
		{"a caption above is found", fixtures.CaptionAbove(0.10).Apply(photo), true, true, 19},
		{"a caption below is found", fixtures.CaptionBelow(0.10).Apply(photo), false, true, 192},
		{"a tall caption above is found", fixtures.CaptionAbove(0.25).Apply(photo), true, true, 48},
		{"a caption below is not looked for above", fixtures.CaptionBelow(0.10).Apply(photo), true, false, 0},
		{"a picture without a band has none", photo, true, false, 0},
		{"a picture without a band has none below", photo, false, false, 0},
		{"a bar without text is a border, not a caption", framed(photo, 30, 0, 0, 0, color.Black), true, false, 0},
		{"a band taller than a third is not a caption", fixtures.CaptionAbove(0.8).Apply(photo), true, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := toGray(tt.img)
			r, ok := captionBand(g, tt.fromTop)
			if ok != tt.want {
				t.Fatalf("found = %v, want %v (rect %v)", ok, tt.want, r)
			}
			if !ok {
				if r != g.Bounds() {
					t.Errorf("rect %v, want the whole picture %v", r, g.Bounds())
				}
				return
			}
			edge := r.Min.Y
			if !tt.fromTop {
				edge = r.Max.Y
			}
			if edge < tt.wantEdge-2 || edge > tt.wantEdge+2 {
				t.Errorf("picture edge at row %d, want %d±2 (rect %v)", edge, tt.wantEdge, r)
			}
		})
	}
}

func TestCaptionBandTinyImages(t *testing.T) {
	for _, size := range []image.Point{{1, 1}, {1, 40}, {40, 1}, {8, 16}, {3, 3}} {
		g := image.NewGray(image.Rectangle{Max: size})
		for _, top := range []bool{true, false} {
			if r, ok := captionBand(g, top); ok || r != g.Bounds() {
				t.Errorf("%v: got %v, %v", size, r, ok)
			}
		}
	}
}
