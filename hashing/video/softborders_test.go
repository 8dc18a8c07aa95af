package video

import (
	"image"
	"testing"
)

// TestSoftBorders checks the view inside blurred-fill bars: smooth bands
// on two opposite sides are trimmed, a smooth band on one side only (a
// sky) is not, and a frame without them keeps its size.
func TestSoftBorders(t *testing.T) {
	textured := func(x, y, i int) int { return 60 + (x*37+y*53+i*5)%150 }
	// blurred draws a slow ramp (a blurred picture) outside rows lo..hi
	// (or columns, with cols) and texture inside.
	blurred := func(lo, hi int, cols bool) func(x, y, i int) int {
		return func(x, y, i int) int {
			c := y
			if cols {
				c = x
			}
			if c < lo || c >= hi {
				return 80 + (x+y)/3
			}
			return textured(x, y, i)
		}
	}
	sky := func(x, y, i int) int {
		if y < frameSize/3 {
			return 200 + x/16
		}
		return textured(x, y, i)
	}
	full := image.Rect(0, 0, frameSize, frameSize)
	tests := []struct {
		name   string
		raw    []rawFrame
		inside image.Rectangle
		covers image.Rectangle
	}{
		{"blurred bars above and below are trimmed", frames(6, 0, 0, 2, blurred(44, 84, false)),
			image.Rect(0, 44, frameSize, 84), image.Rect(0, 46, frameSize, 82)},
		{"blurred bars left and right are trimmed", frames(6, 0, 0, 2, blurred(16, 112, true)),
			image.Rect(16, 0, 112, frameSize), image.Rect(18, 0, 110, frameSize)},
		{"a smooth sky along one edge is kept", frames(6, 0, 0, 2, sky), full, full},
		{"a textured frame keeps its size", frames(3, 0, 0, 2, textured), full, full},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := softBorders(tt.raw, full)
			if !got.In(tt.inside) || !tt.covers.In(got) {
				t.Errorf("content %v, want inside %v and covering %v", got, tt.inside, tt.covers)
			}
		})
	}
}
