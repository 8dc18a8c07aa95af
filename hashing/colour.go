package hashing

import (
	"image"
	"image/color"
	"math"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/hashing/internal/gray"
)

// Every hash a view carries is computed on grey pixels, so two pictures of
// one shape and shading (a blue planet and an orange fruit, a sprite and
// its recoloured sibling) can agree on all of them. A fingerprint
// therefore also keeps a small summary of the picture's colours, Colour,
// which the rule's colour test (Rule.Colour) compares for matches the
// hashes alone leave in doubt.
//
// The summary is a hue histogram: each pixel of a small copy of the
// picture votes for its hue, weighted by its chroma, so grey pixels
// (borders, bars, captions, white or black backgrounds, watermarks) add
// nothing and the histogram does not care where a colour is, which keeps
// it the same under the mirror images, turns, pads and most crops that
// views undo. Brightness, contrast and gamma change chroma but barely hue;
// a greyscale copy has almost no chroma, and the test is skipped for it.

// ColourBins is the number of hue bins in a Colour.
const ColourBins = 16

// ColourLen is the length of an encoded Colour: the bins, then the mean
// chroma.
const ColourLen = ColourBins + 1

// Colour is a picture's hue histogram: Bins holds the share of the
// picture's chroma in each of ColourBins hue sectors (red first, then
// towards yellow, green, blue), summing to about 255; Chroma is the mean
// chroma of its pixels, 0 for a grey picture. The zero Colour means "not
// computed" (fingerprints registered before it existed, partners' PDQ
// lists, videos): the colour test is skipped for it.
type Colour struct {
	Bins   [ColourBins]uint8
	Chroma uint8
}

// IsZero reports whether c was not computed.
func (c Colour) IsZero() bool { return c == Colour{} }

// Bytes encodes c in ColourLen bytes, or nil for the zero Colour.
func (c Colour) Bytes() []byte {
	if c.IsZero() {
		return nil
	}
	b := make([]byte, ColourLen)
	copy(b, c.Bins[:])
	b[ColourBins] = c.Chroma
	return b
}

// ColourFromBytes decodes what Bytes encoded; nil or empty gives the zero
// Colour, and any other length is refused.
func ColourFromBytes(b []byte) (Colour, bool) {
	var c Colour
	if len(b) == 0 {
		return c, true
	}
	if len(b) != ColourLen {
		return c, false
	}
	copy(c.Bins[:], b)
	c.Chroma = b[ColourBins]
	return c, true
}

// colourSide is the side of the copy the histogram is taken from: enough
// pixels for a stable histogram, few enough to cost nothing next to the
// hashes.
const colourSide = 32

// minPixelChroma is the chroma (in 0–255 RGB units) below which a pixel
// counts as grey and does not vote: JPEG's chroma noise and the tint of a
// white or black background stay below it.
const minPixelChroma = 12

// ColourOf computes the colour summary of img (opaque, as decoding leaves
// every picture).
func ColourOf(img image.Image) Colour {
	return colourOf(new(gray.Scratch), img)
}

// colourOf is ColourOf with the resizes' buffers in g.
func colourOf(g *gray.Scratch, img image.Image) Colour {
	var small *image.NRGBA
	if y, ok := img.(*image.YCbCr); ok {
		small = boxYCbCr(g, y, colourSide, colourSide)
	} else {
		small = imaging.Resize(img, colourSide, colourSide, imaging.Box)
	}
	var hist [ColourBins]float64
	total, sum := 0.0, 0.0
	n := 0
	for y := 0; y < small.Rect.Dy(); y++ {
		row := small.Pix[y*small.Stride:]
		for x := 0; x < small.Rect.Dx(); x++ {
			r, g, b := float64(row[4*x]), float64(row[4*x+1]), float64(row[4*x+2])
			// An opponent-colour plane: a runs green→red, b blue→yellow.
			a := r - g
			bb := (r+g)/2 - b
			chroma := math.Hypot(a, bb*2/math.Sqrt(3))
			n++
			sum += chroma
			if chroma < minPixelChroma {
				continue
			}
			hue := math.Atan2(bb*2/math.Sqrt(3), a) // −π..π, 0 = red
			if hue < 0 {
				hue += 2 * math.Pi
			}
			// Soft binning between the two nearest bin centres, so a hue
			// on a bin edge does not flip between bins under a small tone
			// change.
			pos := hue/(2*math.Pi)*ColourBins - 0.5
			lo := math.Floor(pos)
			frac := pos - lo
			i := (int(lo) + ColourBins) % ColourBins
			j := (i + 1) % ColourBins
			hist[i] += chroma * (1 - frac)
			hist[j] += chroma * frac
			total += chroma
		}
	}
	var c Colour
	if n == 0 {
		return c
	}
	c.Chroma = uint8(min(255, math.Round(sum/float64(n))))
	if total > 0 {
		for i, h := range hist {
			c.Bins[i] = uint8(math.Round(h / total * 255))
		}
	}
	// A grey picture's summary is the zero Colour, like one never
	// computed: the test skips both.
	return c
}

// ColourTest is the rule's colour test: a pair of pictures whose hashes
// match must also have similar hue histograms, unless either picture is
// near grey or lacks a colour summary.
type ColourTest struct {
	// MinChroma is the mean chroma below which a picture counts as grey
	// and the test is skipped.
	MinChroma int
	// MaxDistance is the largest hue-histogram distance (1 minus the
	// histograms' intersection, 0–1) two matching pictures may have.
	MaxDistance float64
	// AbovePDQ applies the test only to matches whose PDQ distance is
	// above it (-1: to every match).
	AbovePDQ int
}

// ColourDistance is 1 minus the intersection of two hue histograms: 0 for
// the same distribution of hues, 1 for none in common.
func ColourDistance(a, b Colour) float64 {
	inter := 0
	ta, tb := 0, 0
	for i := range a.Bins {
		inter += int(min(a.Bins[i], b.Bins[i]))
		ta += int(a.Bins[i])
		tb += int(b.Bins[i])
	}
	t := max(ta, tb)
	if t == 0 {
		return 0
	}
	return 1 - float64(inter)/float64(t)
}

// Agrees reports whether the colour test lets a match between query and
// registered with PDQ distance pdq through, and the distance it measured
// (-1 when skipped).
func (t ColourTest) Agrees(query, registered Colour, pdq int) (bool, float64) {
	if pdq <= t.AbovePDQ || query.IsZero() || registered.IsZero() {
		return true, -1
	}
	if int(query.Chroma) < t.MinChroma || int(registered.Chroma) < t.MinChroma {
		return true, -1
	}
	d := ColourDistance(query, registered)
	return d <= t.MaxDistance, d
}

// boxYCbCr is imaging.Resize(src, w, h, imaging.Box) for a YCbCr picture
// (always opaque), to the bit, on the calling goroutine: JPEGs, whose
// colour summaries this takes, arrive as YCbCr, and imaging would convert
// every pixel to NRGBA and start goroutines for a 32×32 result. imaging
// converts with color.YCbCrToRGB's arithmetic and resizes each channel of
// an opaque picture on its own, as package gray's BoxRGB does.
func boxYCbCr(g *gray.Scratch, src *image.YCbCr, w, h int) *image.NRGBA {
	b := src.Rect
	sw, sh := b.Dx(), b.Dy()
	// Each chroma sample covers 1<<hs × 1<<vs pixels; the chroma column of
	// every pixel column is computed once (image.YCbCr's COffset).
	hs, vs := 0, 0
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio440:
		vs = 1
	case image.YCbCrSubsampleRatio411:
		hs = 2
	case image.YCbCrSubsampleRatio410:
		hs, vs = 2, 1
	}
	if b.Min.X < 0 || b.Min.Y < 0 {
		// Shifts round towards −∞, COffset's divisions towards 0.
		return imaging.Resize(src, w, h, imaging.Box)
	}
	cx := make([]int, sw)
	for x := range cx {
		cx[x] = (b.Min.X+x)>>hs - b.Min.X>>hs
	}
	rgb := make([]uint8, 3*sw*sh)
	for y := 0; y < sh; y++ {
		ys := src.Y[y*src.YStride : y*src.YStride+sw]
		cRow := ((b.Min.Y+y)>>vs - b.Min.Y>>vs) * src.CStride
		cbs, crs := src.Cb[cRow:], src.Cr[cRow:]
		o := rgb[3*y*sw : 3*(y+1)*sw]
		for x, yv := range ys {
			o[3*x], o[3*x+1], o[3*x+2] = color.YCbCrToRGB(yv, cbs[cx[x]], crs[cx[x]])
		}
	}
	small := g.BoxRGB(rgb, sw, sh, w, h)
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		dst.Pix[4*i], dst.Pix[4*i+1], dst.Pix[4*i+2], dst.Pix[4*i+3] = small[3*i], small[3*i+1], small[3*i+2], 255
	}
	return dst
}
