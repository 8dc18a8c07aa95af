package video

import (
	"image"
	"slices"
)

// Bars are told from content by three tests: a bar row or column is
// uniform (within barTolerance of its edge's colour, as
// hashing.TrimBorders has it for pictures), still (each pixel varies over
// the video by at most barStill, which sensor noise and compression stay
// within while changing content does not), and paired (see videoBorders).
const (
	barTolerance = 20 // grey levels from the edge colour, on the mean frame
	barStill     = 48 // grey levels a bar pixel may range over the video
	barOutliers  = 2  // percent of a line's pixels allowed to fail
	barMinKeep   = 20 // percent of each dimension that must remain
)

// videoBorders returns the part of the frames inside the bars the whole
// video shares: letterbox (above and below) or pillarbox (left and right)
// bars added around every frame.
//
// Bars are found on the mean of the sampled frames, not frame by frame:
// the mean of a bar is still a bar, while sensor noise and compression,
// which spoil a bar's uniformity in single frames, average out, and one
// frame that fails no longer cancels the trim for the whole video. A line
// must also be still over the video, since the mean of changing content
// (a slideshow, a pan) can be as flat as a bar. Bars come in pairs,
// centred: each pair is trimmed by the smaller of its two sides, so a flat
// stretch of still content along one edge (a sky, a wall, a dark floor) is
// never taken for a bar — it would be trimmed in one copy of a video and
// kept in another, and the two would no longer match.
func videoBorders(raw []rawFrame) image.Rectangle {
	if len(raw) == 0 {
		return image.Rectangle{}
	}
	r := raw[0].Pix.Rect
	w, h := r.Dx(), r.Dy()
	sum := make([]uint32, w*h)
	lo := slices.Repeat([]uint8{255}, w*h)
	hi := make([]uint8, w*h)
	n := 0
	for _, f := range raw {
		if f.Pix.Rect != r || f.Pix.Stride != w {
			continue
		}
		for i, v := range f.Pix.Pix[:w*h] {
			sum[i] += uint32(v)
			lo[i], hi[i] = min(lo[i], v), max(hi[i], v)
		}
		n++
	}
	mean := make([]int, w*h)
	for i, s := range sum {
		mean[i] = int((s + uint32(n)/2) / uint32(n))
	}
	// bar reports whether the n pixels at offsets start, start+step, ...
	// form a bar line of colour ref.
	bar := func(start, step, count, ref int) bool {
		bad := 0
		for k := range count {
			i := start + k*step
			if d := mean[i] - ref; d > barTolerance || d < -barTolerance || int(hi[i])-int(lo[i]) > barStill {
				bad++
			}
		}
		return bad*100 <= barOutliers*count
	}
	ref := func(start, step, count int) int {
		v := make([]int, count)
		for k := range v {
			v[k] = mean[start+k*step]
		}
		slices.Sort(v)
		return v[count/2]
	}
	top, bottom := 0, 0
	if c := ref(0, 1, w); bar(0, 1, w, c) {
		for top < h && bar(top*w, 1, w, c) {
			top++
		}
	}
	if c := ref((h-1)*w, 1, w); bar((h-1)*w, 1, w, c) {
		for bottom < h-top && bar((h-1-bottom)*w, 1, w, c) {
			bottom++
		}
	}
	v := min(top, bottom)
	if h-2*v < h*barMinKeep/100 {
		v = 0
	}
	left, right := 0, 0
	rows := h - 2*v
	if c := ref(v*w, w, rows); bar(v*w, w, rows, c) {
		for left < w && bar(v*w+left, w, rows, c) {
			left++
		}
	}
	if c := ref(v*w+w-1, w, rows); bar(v*w+w-1, w, rows, c) {
		for right < w-left && bar(v*w+w-1-right, w, rows, c) {
			right++
		}
	}
	hz := min(left, right)
	if w-2*hz < w*barMinKeep/100 {
		hz = 0
	}
	// Step one pixel further in on trimmed sides, past the bar's blurred
	// edge.
	if v > 0 {
		v++
	}
	if hz > 0 {
		hz++
	}
	return image.Rect(r.Min.X+hz, r.Min.Y+v, r.Max.X-hz, r.Max.Y-v)
}

// Soft bars are the "blurred background" of social media: a video fitted
// into a canvas of another shape (a landscape clip in a square or
// vertical frame, a 4:3 clip in 16:9) whose bars are filled with a
// blurred, enlarged copy of the video instead of a flat colour. They are
// neither uniform nor still, so videoBorders keeps them; what gives them
// away is that every frame is smooth along them. A line is soft when its
// mean absolute difference between neighbouring pixels along the line,
// averaged over the frames, is under softShare of that of the video's
// busiest lines (their softTop-th percentile) and under softMax grey
// levels: a measure relative to the video, not tuned to one blur.
const (
	softShare = 0.25
	softTop   = 90 // percentile of line detail taken as the video's
	softMax   = 4  // grey levels per pixel: no bar is busier
)

// softBorders returns the part of content inside soft bars, found as
// videoBorders finds bars: in centred pairs, each pair trimmed by its
// smaller side, at least barMinKeep percent kept. It returns content when
// there are none. A flat sky and floor would pass for soft bars too, so
// the result only ever adds a view of a query frame (see hashFrames),
// never replaces the frame as the video's bars do.
func softBorders(raw []rawFrame, content image.Rectangle) image.Rectangle {
	if len(raw) == 0 || content.Dx() < 8 || content.Dy() < 8 {
		return content
	}
	r := raw[0].Pix.Rect
	w, h := content.Dx(), content.Dy()
	rowD := make([]float64, h) // detail along each row
	colD := make([]float64, w) // along each column
	n := 0
	for _, f := range raw {
		if f.Pix.Rect != r {
			continue
		}
		p, stride := f.Pix.Pix, f.Pix.Stride
		for y := range h {
			row := p[(content.Min.Y-r.Min.Y+y)*stride+(content.Min.X-r.Min.X):]
			s := 0
			for x := 1; x < w; x++ {
				s += absInt(int(row[x]) - int(row[x-1]))
			}
			rowD[y] += float64(s) / float64(w-1)
		}
		for x := range w {
			col := p[(content.Min.Y-r.Min.Y)*stride+(content.Min.X-r.Min.X)+x:]
			s := 0
			for y := 1; y < h; y++ {
				s += absInt(int(col[y*stride]) - int(col[(y-1)*stride]))
			}
			colD[x] += float64(s) / float64(h-1)
		}
		n++
	}
	if n == 0 {
		return content
	}
	limit := func(d []float64) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		top := s[min(len(s)-1, len(s)*softTop/100)] / float64(n)
		return min(softShare*top, softMax)
	}
	// pair counts the soft lines from each end of d, inward, and returns
	// the smaller count (0 unless both ends are soft).
	pair := func(d []float64, lim float64) int {
		a, b := 0, 0
		for a < len(d) && d[a]/float64(n) < lim {
			a++
		}
		for b < len(d)-a && d[len(d)-1-b]/float64(n) < lim {
			b++
		}
		v := min(a, b)
		if len(d)-2*v < len(d)*barMinKeep/100 {
			return 0
		}
		return v
	}
	v := pair(rowD, limit(rowD))
	hz := pair(colD, limit(colD))
	// Past the blur's edge, as for bars.
	if v > 0 {
		v++
	}
	if hz > 0 {
		hz++
	}
	return image.Rect(content.Min.X+hz, content.Min.Y+v, content.Max.X-hz, content.Max.Y-v)
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
