package video

import (
	"image"
	"math"
)

// A picture-in-picture copy shows the video shrunk inside other footage
// (a reaction video, a "watch till the end" frame, a compilation's grid
// cell). Its frame hashes are of the other footage; what gives the inset
// away is its border: straight edges that stay put in every frame while
// the footage on both sides of them changes, around a box of the video's
// own shape (an inset is shrunk, not stretched). insetPicture looks for
// the box whose sides are the strongest such lines, from the frames'
// time-averaged detail, and the query frame gets the box as one more
// view, compared as the frame itself is (see InsetOf).
//
// A line's strength is its mean absolute difference across it, averaged
// over the frames, less the larger of the same measure on the lines
// insetGap pixels to either side: a long straight step stands out of its
// neighbours, texture and blurred edges do not. Every side of the box
// that lies inside the frame must be that strong (insetMinStep grey
// levels), and at least insetMinSides of them must lie inside: two sides
// meeting at a corner are too easily a window or a table's edge.
const (
	insetMinScale = 0.3  // the smallest inset, as a share of the frame's sides
	insetMaxScale = 0.85 // the largest: a 90% box is a crop, not an inset
	insetGap      = 2    // grid pixels to the lines compared with a side
	insetMinStep  = 6    // grey levels a side stands out of its neighbours
	insetMinSides = 3
	// insetMinFrames is the fewest frames an inset is looked for in: a
	// border is known by staying put.
	insetMinFrames = 3
)

// insetPicture returns the box of content that a picture-in-picture copy
// shows the video in, if the frames have one (see above).
func insetPicture(raw []rawFrame, content image.Rectangle) (image.Rectangle, bool) {
	w, h := content.Dx(), content.Dy()
	if len(raw) < insetMinFrames || w < 32 || h < 32 {
		return image.Rectangle{}, false
	}
	r := raw[0].Pix.Rect
	// across[0][x*h+y]: the difference between columns x-1 and x at row
	// y; across[1][y*w+x]: between rows y-1 and y at column x; summed
	// over the frames.
	var across [2][]float64
	across[0], across[1] = make([]float64, w*h), make([]float64, w*h)
	n := 0
	for _, f := range raw {
		if f.Pix.Rect != r {
			continue
		}
		p, stride := f.Pix.Pix, f.Pix.Stride
		at := func(x, y int) int {
			return int(p[(content.Min.Y-r.Min.Y+y)*stride+content.Min.X-r.Min.X+x])
		}
		for y := range h {
			for x := range w {
				if x > 0 {
					across[0][x*h+y] += float64(absInt(at(x, y) - at(x-1, y)))
				}
				if y > 0 {
					across[1][y*w+x] += float64(absInt(at(x, y) - at(x, y-1)))
				}
			}
		}
		n++
	}
	if n < insetMinFrames {
		return image.Rectangle{}, false
	}
	// Running sums along each line, so a stretch's mean takes two reads:
	// cum[0][x*(h+1)+y] sums column edge x over rows below y.
	var cum [2][]float64
	for d, length := range [2]int{h, w} {
		lines := w
		if d == 1 {
			lines = h
		}
		cum[d] = make([]float64, lines*(length+1))
		for l := range lines {
			for i := range length {
				cum[d][l*(length+1)+i+1] = cum[d][l*(length+1)+i] + across[d][l*length+i]/float64(n)
			}
		}
	}
	// step is the strength of line l (a column edge for d 0, a row edge
	// for 1) over [a, b).
	step := func(d, l, a, b int) float64 {
		length, lines := h, w
		if d == 1 {
			length, lines = w, h
		}
		mean := func(l int) float64 {
			return (cum[d][l*(length+1)+b] - cum[d][l*(length+1)+a]) / float64(b-a)
		}
		if l-insetGap < 1 || l+insetGap >= lines {
			return 0
		}
		return mean(l) - max(mean(l-insetGap), mean(l+insetGap))
	}
	best, found := -1.0, image.Rectangle{}
	for bh := int(math.Ceil(insetMinScale * float64(h))); bh <= int(insetMaxScale*float64(h)); bh++ {
		bw := int(math.Round(float64(bh) * float64(w) / float64(h)))
		if bw > w {
			break
		}
		for y0 := 0; y0+bh <= h; y0++ {
			for x0 := 0; x0+bw <= w; x0++ {
				score, inside := math.Inf(1), 0
				side := func(d, l, a, b, lines int) {
					if l <= insetGap || l >= lines-insetGap {
						return // on the frame's edge: not a border
					}
					inside++
					score = min(score, step(d, l, a, b))
				}
				side(0, x0, y0, y0+bh, w)
				side(0, x0+bw, y0, y0+bh, w)
				side(1, y0, x0, x0+bw, h)
				side(1, y0+bh, x0, x0+bw, h)
				if inside >= insetMinSides && score >= insetMinStep && score > best {
					best = score
					found = image.Rect(content.Min.X+x0, content.Min.Y+y0, content.Min.X+x0+bw, content.Min.Y+y0+bh)
				}
			}
		}
	}
	return found, best >= 0
}
