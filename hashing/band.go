package hashing

import "image"

// Caption bands are what meme-style reposts add above or below a picture: a
// strip of one colour, with text in it, the full width of the picture. Fixed
// cuts (queryViews) remove a band only when its height happens to match;
// captionBand finds the band's actual edge from row statistics, the way
// TrimBorders finds uniform bars, so the view without it is the picture as
// it was.
const (
	bandMaxPercent = 35 // a band covers at most this percent of the height
	bandMinPercent = 3  // and at least this percent
	bandBackground = 5  // percent of a text row's pixels showing the band colour, at least
)

// captionBand looks for a caption band along the top (fromTop) or bottom
// edge of img and returns the rows left without it. It reports false when
// there is none: the band must start with a uniform row (the colour of the
// band), hold at least one row that is not uniform but still shows the band
// colour between its marks (text), and end with a uniform row of the band
// colour. The band ends at the last such uniform row before the first row
// that shows no band colour at all (a row of picture), which must come
// within bandMaxPercent of the height.
func captionBand(img *image.Gray, fromTop bool) (image.Rectangle, bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 8 || h < 16 {
		return b, false
	}
	rowAt := func(i int) []uint8 {
		y := b.Min.Y + i
		if !fromTop {
			y = b.Max.Y - 1 - i
		}
		o := img.PixOffset(b.Min.X, y)
		return img.Pix[o : o+w]
	}
	near := func(row []uint8, ref int) int {
		n := 0
		for _, p := range row {
			if d := int(p) - ref; d <= trimTolerance && d >= -trimTolerance {
				n++
			}
		}
		return n
	}
	first := rowAt(0)
	ref := median(func(i int) int { return int(first[i]) }, w)
	uniform := func(n int) bool { return (w-n)*100 <= trimOutliers*w }
	if !uniform(near(first, ref)) {
		return b, false
	}
	end, sawText, closed := 0, false, false // end: rows [0, end) are band
	for i := 1; i < h*bandMaxPercent/100 && !closed; i++ {
		n := near(rowAt(i), ref)
		switch {
		case uniform(n):
			if sawText {
				end = i + 1
			}
		case n*100 >= bandBackground*w:
			sawText = true
		default:
			closed = true // a row of picture: the band is over
		}
	}
	if !closed || end == 0 || end < h*bandMinPercent/100 {
		return b, false
	}
	r := b
	if fromTop {
		r.Min.Y += end
	} else {
		r.Max.Y -= end
	}
	return r, true
}
