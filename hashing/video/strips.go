package video

import (
	"image"
	"math"
)

// Strips are the part-of-frame views that whole-frame and centre-crop
// hashes cannot stand in for: re-uploaders cut one side of a 16:9 frame
// by 10–25% (keeping the other side and the full height), and cut 16:9
// footage down to a vertical 9:16, 4:5 or 1:1 centre for phone feeds.
// Such a copy keeps the frame's full height but not its width, so PDQ of
// it lies 80–100 bits from every view of the whole frame.
//
// A strip is defined by its shape, not by a share of the frame: the
// full-height box of a fixed aspect (width over height, in the video's
// own pixels) at the left edge, the right edge, or the centre. Both sides
// hash the same strips, and each is compared only with its like. A copy
// that kept the full height and some edge or the centre contains the
// registered strip at the same place and scale whatever width it kept:
// the left 4:3 strip of a frame cut 10%, 20% or 25% on the right is the
// registered frame's left 4:3 strip; the centre 9:16 strip of a 9:16, 4:5
// or 1:1 centre crop is the registered frame's centre 9:16 strip. So
// three hashes per frame on each side cover a range of cuts, not one.
//
// The shapes: a side strip of 4:3 lies inside every 16:9 frame cut by up
// to 25% on one side (16:9 × 0.75 = 4:3); the centre strip of 9:16 lies
// inside every vertical crop from 9:16 to 16:9. On a frame no wider than
// a strip the strip is the whole frame.
//
// The band is the same idea turned: the full-width box of a fixed aspect
// in the centre, for copies cut at top and bottom (a cinema crop, or
// 5–12% cut from both edges and kept at that shape). Such a copy keeps
// the full width but not the height, and PDQ of it lies 48–64 bits from
// every whole-frame view at 5% cut from each edge and 84–102 at 10%
// (median to maximum, 47 dev photos framed 16:9). A 2.39:1 band lies
// inside every 16:9 frame cut by up to 12.8% at top and at bottom, and is
// the whole of a 2.39:1 cinema crop. On a frame no taller than the band
// the band is the whole frame.
const (
	sideAspect   = 4.0 / 3
	centreAspect = 9.0 / 16
	bandAspect   = 2.39
)

// Which strip a hash is, in the order both sides list them (see
// registeredStrips and QueryStrips); frames hashed before the band have
// the first three.
const (
	stripLeft = iota
	stripRight
	stripCentre
	stripBand
	stripCount
)

// minStripSide is the fewest grid pixels a strip's width may have: a
// narrower strip of the 128-pixel frame is hashed from too few columns
// to say anything (its quality gate would then decide alone).
const minStripSide = 8

// stripRects returns the strips and the band of content, a rectangle of
// the square frameSize grid, for a video whose own pixels are aspect
// (width over height) times wider than a grid pixel is tall: the grid
// squeezes every frame to a square, so a strip of aspect a over content
// of grid height h is a·h/aspect grid pixels wide, and the band of aspect
// b over content of grid width w is w·aspect/b grid pixels tall. An
// aspect of 0 or less (the video's size unknown) counts as 1.
func stripRects(content image.Rectangle, aspect float64) [stripCount]image.Rectangle {
	if !(aspect > 0) || math.IsInf(aspect, 0) {
		aspect = 1
	}
	width := func(a float64) int {
		w := int(math.Round(a * float64(content.Dy()) / aspect))
		return min(max(w, minStripSide), content.Dx())
	}
	side, centre := width(sideAspect), width(centreAspect)
	x0 := content.Min.X + (content.Dx()-centre)/2
	band := int(math.Round(float64(content.Dx()) * aspect / bandAspect))
	band = min(max(band, minStripSide), content.Dy())
	y0 := content.Min.Y + (content.Dy()-band)/2
	return [stripCount]image.Rectangle{
		stripLeft:   image.Rect(content.Min.X, content.Min.Y, content.Min.X+side, content.Max.Y),
		stripRight:  image.Rect(content.Max.X-side, content.Min.Y, content.Max.X, content.Max.Y),
		stripCentre: image.Rect(x0, content.Min.Y, x0+centre, content.Max.Y),
		stripBand:   image.Rect(content.Min.X, y0, content.Max.X, y0+band),
	}
}

// pixelAspect is the width over height of one pixel of the square
// frameSize grid in the video's own pixels: the video's width over its
// height (0 when unknown).
func pixelAspect(width, height int) float64 {
	if width <= 0 || height <= 0 {
		return 0
	}
	return float64(width) / float64(height)
}
