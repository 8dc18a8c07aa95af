package hashing

import (
	"image"
	"image/draw"

	"github.com/disintegration/imaging"
)

// Border trimming finds the interior of a picture inside uniform bars:
// letterbox (above and below), pillarbox (left and right) and padding onto a
// solid canvas. It works on a small grey thumbnail, which is fast and
// ignores JPEG ringing along the bar edges.
const (
	trimThumb     = 256 // long side of the analysis thumbnail, in pixels
	trimTolerance = 20  // grey levels a border pixel may differ from the edge colour
	trimOutliers  = 2   // percent of pixels in a border line allowed outside the tolerance
	trimMinKeep   = 20  // percent of each dimension that must remain
)

// TrimBorders returns the part of img inside uniform borders, or img's own
// bounds when there are none worth trimming. Each side is trimmed against its
// own edge colour, so a black letterbox above a white caption band works too.
func TrimBorders(img image.Image) image.Rectangle {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 8 || h < 8 {
		return b
	}
	thumb, ok := img.(*image.Gray)
	if !ok || w > trimThumb || h > trimThumb {
		thumb = greyThumb(img, trimThumb)
	}
	tb := thumb.Bounds()
	tw, th := tb.Dx(), tb.Dy()
	at := func(x, y int) int { return int(thumb.Pix[thumb.PixOffset(tb.Min.X+x, tb.Min.Y+y)]) }

	uniformRow := func(y, ref int) bool {
		bad := 0
		for x := 0; x < tw; x++ {
			if d := at(x, y) - ref; d > trimTolerance || d < -trimTolerance {
				bad++
			}
		}
		return bad*100 <= trimOutliers*tw
	}
	uniformCol := func(x, ref, y0, y1 int) bool {
		bad := 0
		for y := y0; y < y1; y++ {
			if d := at(x, y) - ref; d > trimTolerance || d < -trimTolerance {
				bad++
			}
		}
		return bad*100 <= trimOutliers*(y1-y0)
	}
	rowRef := func(y int) int { return median(func(i int) int { return at(i, y) }, tw) }

	top, bottom := 0, th
	if ref := rowRef(0); uniformRow(0, ref) {
		for top < th && uniformRow(top, ref) {
			top++
		}
	}
	if ref := rowRef(th - 1); uniformRow(th-1, ref) {
		for bottom > top && uniformRow(bottom-1, ref) {
			bottom--
		}
	}
	if bottom-top < th*trimMinKeep/100 {
		return b
	}
	colRef := func(x int) int { return median(func(i int) int { return at(x, top+i) }, bottom-top) }
	left, right := 0, tw
	if ref := colRef(0); uniformCol(0, ref, top, bottom) {
		for left < tw && uniformCol(left, ref, top, bottom) {
			left++
		}
	}
	if ref := colRef(tw - 1); uniformCol(tw-1, ref, top, bottom) {
		for right > left && uniformCol(right-1, ref, top, bottom) {
			right--
		}
	}
	if right-left < tw*trimMinKeep/100 {
		return b
	}
	if top == 0 && left == 0 && bottom == th && right == tw {
		return b
	}
	// Map back to full resolution, stepping one thumbnail pixel inwards on
	// trimmed sides so that no blurred bar edge survives.
	inward := func(v, limit int, trimmed bool, dir int) int {
		if trimmed {
			v += dir
		}
		return min(max(v, 0), limit)
	}
	x0 := inward(left, tw, left > 0, 1) * w / tw
	x1 := inward(right, tw, right < tw, -1) * w / tw
	y0 := inward(top, th, top > 0, 1) * h / th
	y1 := inward(bottom, th, bottom < th, -1) * h / th
	r := image.Rect(b.Min.X+x0, b.Min.Y+y0, b.Min.X+x1, b.Min.Y+y1)
	if r.Dx() < w*trimMinKeep/100 || r.Dy() < h*trimMinKeep/100 || r.Empty() {
		return b
	}
	return r
}

// greyThumb scales img so its long side is at most long pixels and converts
// it to 8-bit grey.
func greyThumb(img image.Image, long int) *image.Gray {
	b := img.Bounds()
	src := img
	if b.Dx() > long || b.Dy() > long {
		src = imaging.Fit(img, long, long, imaging.Box)
	}
	g := image.NewGray(image.Rect(0, 0, src.Bounds().Dx(), src.Bounds().Dy()))
	draw.Draw(g, g.Rect, src, src.Bounds().Min, draw.Src)
	return g
}

// median returns the median of n values produced by at.
func median(at func(int) int, n int) int {
	var hist [256]int
	for i := 0; i < n; i++ {
		hist[at(i)]++
	}
	seen := 0
	for v, c := range hist {
		seen += c
		if seen*2 >= n {
			return v
		}
	}
	return 0
}
