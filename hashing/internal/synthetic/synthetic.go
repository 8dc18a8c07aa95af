// Package synthetic draws layout-only pictures: flat grounds with frames,
// panels, bars, discs, lines and gradients, in grey. Their hashes are what
// a hash of any picture whose structure is a few edges on a flat field
// looks like — a window frame, an empty panel, a button, a moon on a black
// sky — so a background (hashing.Background) that holds them makes the
// rule's ratio test demand a near-identical copy before such a view
// matches, whatever package or site the picture comes from.
package synthetic

import (
	"image"
	"math"
	"math/rand/v2"
)

// Picture returns the i-th picture of the sequence seeded by seed: the
// same arguments always draw the same pixels. It is 64–128 px on each
// side: a flat ground, sometimes a gradient, then one to three of a
// frame, a panel, a disc, a line or a gradient, and half the time a
// slight blur.
func Picture(seed uint64, i int) *image.Gray {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	sizes := [][2]int{{128, 128}, {128, 96}, {96, 128}, {128, 64}, {64, 128}, {128, 112}, {112, 128}, {128, 80}}
	sz := sizes[r.IntN(len(sizes))]
	w, h := sz[0], sz[1]
	c := &canvas{w: w, h: h, v: make([]float64, w*h)}
	c.fill(level(r))
	if r.IntN(4) == 0 {
		c.gradient(r)
	}
	for range 1 + r.IntN(3) {
		switch r.IntN(6) {
		case 0, 1:
			c.frame(r)
		case 2:
			c.panel(r)
		case 3:
			c.disc(r)
		case 4:
			c.line(r)
		case 5:
			c.gradient(r)
		}
	}
	if r.IntN(2) == 0 {
		c.blur(1 + r.IntN(2))
	}
	return c.gray()
}

// level picks a grey level, most often near black, white or mid-grey, as
// interface art and sky pictures are.
func level(r *rand.Rand) float64 {
	switch r.IntN(4) {
	case 0:
		return r.Float64() * 20
	case 1:
		return 235 + r.Float64()*20
	default:
		return r.Float64() * 255
	}
}

// canvas is a picture being drawn, one float64 grey level a pixel.
type canvas struct {
	w, h int
	v    []float64
}

func (c *canvas) fill(l float64) {
	for i := range c.v {
		c.v[i] = l
	}
}

func (c *canvas) set(x, y int, l float64) {
	if x >= 0 && y >= 0 && x < c.w && y < c.h {
		c.v[y*c.w+x] = l
	}
}

// rect returns a random rectangle inside the canvas, each side inset by
// up to maxInset of the canvas's width or height.
func (c *canvas) rect(r *rand.Rand, maxInset float64) (x0, y0, x1, y1 int) {
	x0 = int(r.Float64() * maxInset * float64(c.w))
	x1 = c.w - int(r.Float64()*maxInset*float64(c.w))
	y0 = int(r.Float64() * maxInset * float64(c.h))
	y1 = c.h - int(r.Float64()*maxInset*float64(c.h))
	if x1-x0 < 4 {
		x1 = min(c.w, x0+4)
	}
	if y1-y0 < 4 {
		y1 = min(c.h, y0+4)
	}
	return
}

// inRounded reports whether (x, y) lies inside the rectangle with corners
// rounded to radius rad.
func inRounded(x, y, x0, y0, x1, y1, rad int) bool {
	if x < x0 || y < y0 || x >= x1 || y >= y1 {
		return false
	}
	cx := min(max(x, x0+rad), x1-1-rad)
	cy := min(max(y, y0+rad), y1-1-rad)
	dx, dy := float64(x-cx), float64(y-cy)
	return dx*dx+dy*dy <= float64(rad*rad)
}

// frame draws a rectangular outline, rounded or not, optionally bevelled
// (shaded across its width) and optionally with its inside filled.
func (c *canvas) frame(r *rand.Rand) {
	x0, y0, x1, y1 := c.rect(r, 0.25)
	t := 1 + r.IntN(max(1, min(x1-x0, y1-y0)/6))
	rad := 0
	if r.IntN(2) == 0 {
		rad = r.IntN(max(1, min(x1-x0, y1-y0)/4))
	}
	fl, inner := level(r), -1.0
	if r.IntN(2) == 0 {
		inner = level(r)
	}
	bevel := r.IntN(3) == 0
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			if !inRounded(x, y, x0, y0, x1, y1, rad) {
				continue
			}
			if inRounded(x, y, x0+t, y0+t, x1-t, y1-t, max(0, rad-t)) {
				if inner >= 0 {
					c.set(x, y, inner)
				}
				continue
			}
			l := fl
			if bevel {
				d := min(x-x0, y-y0, x1-1-x, y1-1-y)
				l = fl * (0.5 + 0.5*float64(d)/float64(t))
			}
			c.set(x, y, l)
		}
	}
}

// panel draws a filled rectangle, rounded or not (a button, a bar, a
// window), anywhere on the canvas.
func (c *canvas) panel(r *rand.Rand) {
	x0, y0, x1, y1 := c.rect(r, 0.45)
	rad := 0
	if r.IntN(2) == 0 {
		rad = r.IntN(max(1, min(x1-x0, y1-y0)/2))
	}
	l := level(r)
	grad := r.IntN(3) == 0
	l2 := level(r)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			if inRounded(x, y, x0, y0, x1, y1, rad) {
				v := l
				if grad {
					f := float64(x-x0) / float64(max(1, x1-x0-1))
					v = l*(1-f) + l2*f
				}
				c.set(x, y, v)
			}
		}
	}
}

// disc draws a disc or ellipse, flat, shaded from one side, or cut to a
// crescent.
func (c *canvas) disc(r *rand.Rand) {
	cx := float64(c.w) * (0.2 + 0.6*r.Float64())
	cy := float64(c.h) * (0.2 + 0.6*r.Float64())
	rx := float64(min(c.w, c.h)) * (0.1 + 0.4*r.Float64())
	ry := rx
	if r.IntN(3) == 0 {
		ry = rx * (0.5 + r.Float64())
	}
	l := level(r)
	mode := r.IntN(3)
	ang := r.Float64() * 2 * math.Pi
	sx, sy := math.Cos(ang), math.Sin(ang)
	dark := level(r)
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
			if dx*dx+dy*dy > 1 {
				continue
			}
			v := l
			switch mode {
			case 1: // lit from one side
				f := (dx*sx + dy*sy + 1) / 2
				v = l*f + dark*(1-f)
			case 2: // crescent: the part outside a shifted disc is lit
				ex, ey := dx-0.6*sx, dy-0.6*sy
				if ex*ex+ey*ey <= 1 {
					v = dark
				}
			}
			c.set(x, y, v)
		}
	}
}

// line draws a straight horizontal or vertical line 1–4 pixels wide.
func (c *canvas) line(r *rand.Rand) {
	t := 1 + r.IntN(4)
	l := level(r)
	if r.IntN(2) == 0 {
		y := r.IntN(c.h)
		for yy := y; yy < y+t; yy++ {
			for x := 0; x < c.w; x++ {
				c.set(x, yy, l)
			}
		}
		return
	}
	x := r.IntN(c.w)
	for xx := x; xx < x+t; xx++ {
		for y := 0; y < c.h; y++ {
			c.set(xx, y, l)
		}
	}
}

// gradient blends the canvas with a linear or radial ramp between two
// levels.
func (c *canvas) gradient(r *rand.Rand) {
	a, b := level(r), level(r)
	radial := r.IntN(3) == 0
	ang := r.Float64() * 2 * math.Pi
	sx, sy := math.Cos(ang), math.Sin(ang)
	mix := 0.5 + 0.5*r.Float64()
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			u, v := float64(x)/float64(c.w)-0.5, float64(y)/float64(c.h)-0.5
			var f float64
			if radial {
				f = min(1, math.Hypot(u, v)*1.6)
			} else {
				f = min(1, max(0, u*sx+v*sy+0.5))
			}
			g := a*(1-f) + b*f
			i := y*c.w + x
			c.v[i] = c.v[i]*(1-mix) + g*mix
		}
	}
}

// blur softens edges with a box filter of radius rad, as scaling does.
func (c *canvas) blur(rad int) {
	out := make([]float64, len(c.v))
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			s, n := 0.0, 0
			for yy := max(0, y-rad); yy <= min(c.h-1, y+rad); yy++ {
				for xx := max(0, x-rad); xx <= min(c.w-1, x+rad); xx++ {
					s += c.v[yy*c.w+xx]
					n++
				}
			}
			out[y*c.w+x] = s / float64(n)
		}
	}
	c.v = out
}

// gray rounds the canvas to an 8-bit grey picture.
func (c *canvas) gray() *image.Gray {
	g := image.NewGray(image.Rect(0, 0, c.w, c.h))
	for i, v := range c.v {
		g.Pix[i] = uint8(min(255, max(0, math.Round(v))))
	}
	return g
}
