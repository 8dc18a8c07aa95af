package features

import "image"

// ring is FAST's circle of 16 pixels at radius 3, in order.
var ring = [16][2]int{
	{0, -3}, {1, -3}, {2, -2}, {3, -1}, {3, 0}, {3, 1}, {2, 2}, {1, 3},
	{0, 3}, {-1, 3}, {-2, 2}, {-3, 1}, {-3, 0}, {-3, -1}, {-2, -2}, {-1, -3},
}

// detect returns g's FAST-9 corners at least border pixels from its
// edges, each scored by the Harris measure, after keeping only those
// whose score is the largest among their 8 neighbours. score is scratch
// of at least w×h zeros, left zero on return.
func detect(g *image.Gray, threshold int, score []float64) []candidate {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if w < 2*border+1 || h < 2*border+1 {
		return nil
	}
	var off [16]int
	for i, r := range ring {
		off[i] = r[1]*g.Stride + r[0]
	}
	var corners []candidate
	for y := border; y < h-border; y++ {
		for x := border; x < w-border; x++ {
			i := y*g.Stride + x
			p := int(g.Pix[i])
			hi, lo := p+threshold, p-threshold
			// An arc of 9 holds at least two of the four compass pixels.
			n := 0
			for _, k := range [4]int{0, 4, 8, 12} {
				v := int(g.Pix[i+off[k]])
				if v > hi || v < lo {
					n++
				}
			}
			if n < 2 {
				continue
			}
			var bright, dark uint32
			for k := range 16 {
				v := int(g.Pix[i+off[k]])
				if v > hi {
					bright |= 1 << k
				} else if v < lo {
					dark |= 1 << k
				}
			}
			if !arc9(bright) && !arc9(dark) {
				continue
			}
			s := harris(g, x, y)
			if s <= 0 {
				continue
			}
			score[y*w+x] = s
			corners = append(corners, candidate{x: x, y: y, score: s})
		}
	}
	var kept []candidate
	for _, c := range corners {
		best := true
		for dy := -1; dy <= 1 && best; dy++ {
			for dx := -1; dx <= 1; dx++ {
				if (dx != 0 || dy != 0) && score[(c.y+dy)*w+c.x+dx] > c.score {
					best = false
					break
				}
			}
		}
		if best {
			kept = append(kept, c)
		}
	}
	for _, c := range corners {
		score[c.y*w+c.x] = 0
	}
	return kept
}

// arc9 reports whether the 16-bit ring mask m has 9 contiguous set bits,
// going round.
func arc9(m uint32) bool {
	m32 := m | m<<16
	run := m32
	for i := 1; i < 9; i++ {
		run &= m32 >> i
	}
	return run&0xffff != 0
}

// harris is the Harris corner measure det(M) − 0.04·trace(M)² of Sobel
// gradients over the 7×7 block around (x, y), which must lie at least 4
// pixels inside the picture.
func harris(g *image.Gray, x, y int) float64 {
	var a, b, c int64
	st := g.Stride
	pix := g.Pix
	for v := y - 3; v <= y+3; v++ {
		for u := x - 3; u <= x+3; u++ {
			i := v*st + u
			nw, n, ne := int(pix[i-st-1]), int(pix[i-st]), int(pix[i-st+1])
			w, e := int(pix[i-1]), int(pix[i+1])
			sw, s, se := int(pix[i+st-1]), int(pix[i+st]), int(pix[i+st+1])
			gx := (ne + 2*e + se) - (nw + 2*w + sw)
			gy := (sw + 2*s + se) - (nw + 2*n + ne)
			a += int64(gx * gx)
			b += int64(gy * gy)
			c += int64(gx * gy)
		}
	}
	det := float64(a)*float64(b) - float64(c)*float64(c)
	tr := float64(a + b)
	return det - 0.04*tr*tr
}
