package video

import (
	"image"

	"github.com/hashwatch/hashwatch/hashing"
)

// videoBorders returns the part of the frames inside the bars the whole
// video shares: letterbox (above and below) or pillarbox (left and right)
// bars added around every frame.
//
// Bars are found on the mean of the sampled frames, not frame by frame:
// the mean of a bar is still a bar, while sensor noise and compression,
// which spoil a bar's uniformity in single frames, average out, and one
// frame that fails no longer cancels the trim for the whole video. Bars
// come in pairs, centred: each pair is trimmed by the smaller of its two
// sides, so a flat stretch of content along one edge (a sky, a wall, a
// dark floor) is never taken for a bar — it would be trimmed in one copy
// of a video and kept in another, and the two would no longer match.
func videoBorders(raw []rawFrame) image.Rectangle {
	if len(raw) == 0 {
		return image.Rectangle{}
	}
	r := raw[0].Pix.Rect
	sum := make([]uint32, len(raw[0].Pix.Pix))
	n := 0
	for _, f := range raw {
		if f.Pix.Rect != r {
			continue
		}
		for i, v := range f.Pix.Pix {
			sum[i] += uint32(v)
		}
		n++
	}
	mean := image.NewGray(r)
	for i, s := range sum {
		mean.Pix[i] = uint8((s + uint32(n)/2) / uint32(n))
	}
	t := hashing.TrimBorders(mean)
	top, bottom := t.Min.Y-r.Min.Y, r.Max.Y-t.Max.Y
	left, right := t.Min.X-r.Min.X, r.Max.X-t.Max.X
	v, h := min(top, bottom), min(left, right)
	c := image.Rect(r.Min.X+h, r.Min.Y+v, r.Max.X-h, r.Max.Y-v)
	if c.Dx() < 8 || c.Dy() < 8 {
		return r
	}
	return c
}
