package features

import (
	"image"
)

// fitGray scales g to long pixels on its long side (up or down), or
// returns nil when g has no pixels.
func fitGray(g *image.Gray, long int) *image.Gray {
	if g == nil || long < 1 {
		return nil
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if w < 1 || h < 1 {
		return nil
	}
	var dw, dh int
	if w >= h {
		dw, dh = long, max(1, int((int64(h)*int64(long)+int64(w)/2)/int64(w)))
	} else {
		dw, dh = max(1, int((int64(w)*int64(long)+int64(h)/2)/int64(h))), long
	}
	return resizeGray(g, dw, dh)
}

// tap is one source sample of a resampled pixel, weighted out of 1<<12.
type tap struct {
	i, w int
}

// axisTaps returns, for each of dst output positions, the source samples
// (of src) that make it: an area average when shrinking, a linear
// interpolation when growing. Integer weights keep the result the same on
// every machine.
func axisTaps(src, dst int) [][]tap {
	out := make([][]tap, dst)
	const one = 1 << 12
	for o := range dst {
		var taps []tap
		if src >= dst {
			// Output o covers source [o*src/dst, (o+1)*src/dst), measured
			// in 1/dst of a source pixel.
			lo, hi := o*src, (o+1)*src
			total := 0
			for i := lo / dst; i*dst < hi && i < src; i++ {
				a, b := max(lo, i*dst), min(hi, (i+1)*dst)
				if b > a {
					taps = append(taps, tap{i, b - a})
					total += b - a
				}
			}
			sum := 0
			for k := range taps {
				taps[k].w = taps[k].w * one / total
				sum += taps[k].w
			}
			taps[0].w += one - sum
		} else {
			// Centre of output o in source pixels, times 2*dst.
			c := (2*o+1)*src - dst
			if c < 0 {
				c = 0
			}
			i0 := c / (2 * dst)
			frac := (c - i0*2*dst) * one / (2 * dst)
			i1 := min(i0+1, src-1)
			taps = []tap{{i0, one - frac}, {i1, frac}}
		}
		out[o] = taps
	}
	return out
}

// resizeGray resamples g to w×h.
func resizeGray(g *image.Gray, w, h int) *image.Gray {
	if w < 1 || h < 1 {
		return nil
	}
	sw, sh := g.Rect.Dx(), g.Rect.Dy()
	xt, yt := axisTaps(sw, w), axisTaps(sh, h)
	// Horizontal pass into 12-bit fixed point rows, then vertical.
	mid := make([]int32, w*sh)
	for y := range sh {
		row := g.Pix[g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y):]
		for x, taps := range xt {
			s := 0
			for _, t := range taps {
				s += int(row[t.i]) * t.w
			}
			mid[y*w+x] = int32(s)
		}
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for y, taps := range yt {
		for x := range w {
			s := int64(0)
			for _, t := range taps {
				s += int64(mid[t.i*w+x]) * int64(t.w)
			}
			out.Pix[y*out.Stride+x] = uint8(min(255, (s+1<<23)>>24))
		}
	}
	return out
}

// blur smooths g with a separable binomial kernel (1 4 6 4 1)/16 applied
// twice (σ ≈ 1.4), so that descriptors compare local averages rather than
// single noisy pixels. Edges are clamped.
func blur(g *image.Gray) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	a := make([]int32, w*h)
	for y := range h {
		copy8to32(a[y*w:(y+1)*w], g.Pix[g.PixOffset(g.Rect.Min.X, g.Rect.Min.Y+y):])
	}
	b := make([]int32, w*h)
	for range 2 {
		binomial(a, b, w, h, 1, w)
		binomialRows(b, a, w, h)
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for i, v := range a {
		out.Pix[i] = uint8(v)
	}
	return out
}

func copy8to32(dst []int32, src []uint8) {
	for i := range dst {
		dst[i] = int32(src[i])
	}
}

// binomial filters src into dst along one axis of n samples (step apart),
// for each of m lines (stride apart), rounding back to 0–255.
func binomial(src, dst []int32, n, m, step, stride int) {
	for l := range m {
		base := l * stride
		at := func(i int) int32 { return src[base+min(max(i, 0), n-1)*step] }
		for i := range n {
			var s int32
			if i >= 2 && i < n-2 {
				k := base + i*step
				s = src[k-2*step] + 4*src[k-step] + 6*src[k] + 4*src[k+step] + src[k+2*step]
			} else {
				s = at(i-2) + 4*at(i-1) + 6*at(i) + 4*at(i+1) + at(i+2)
			}
			dst[base+i*step] = (s + 8) >> 4
		}
	}
}

// binomialRows is binomial down the columns of a w×h plane, walking it row
// by row (the same sums as binomial(src, dst, h, w, w, 1), in the order
// memory holds them).
func binomialRows(src, dst []int32, w, h int) {
	row := func(y int) []int32 {
		y = min(max(y, 0), h-1)
		return src[y*w : (y+1)*w]
	}
	for y := range h {
		r0, r1, r2, r3, r4 := row(y-2), row(y-1), row(y), row(y+1), row(y+2)
		out := dst[y*w : (y+1)*w]
		for x := range out {
			out[x] = (r0[x] + 4*r1[x] + 6*r2[x] + 4*r3[x] + r4[x] + 8) >> 4
		}
	}
}
