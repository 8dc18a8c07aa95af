package features

import (
	"image"
	"math"
	"math/rand/v2"
	"sync"
)

// angleBins is the number of steps orientations are quantised to; the
// descriptor pattern is pre-rotated for each.
const angleBins = 32

// patternHalf bounds the pattern's points to ±patternHalf pixels, and
// patternReach is how far a rotated point can lie from the corner.
const (
	patternHalf   = 13
	patternReach  = 19 // ⌈13·√2⌉ + 1, and more than orientRadius
	orientRadius  = 15
	patternPairs  = 256
	patternSigma  = 31.0 / 5
	patternSeed1  = 0x68617368 // "hash"
	patternSeed2  = 0x77617463 // "watc"
	rotatedStride = 4
)

// rotatedPatterns returns, for each angle bin, the pattern's 256 pairs of
// offsets (x1, y1, x2, y2) rotated by that angle. Pairs 2k and 2k+1 are
// mirror images (y negated): see doc.go. Computed once; never changed.
var rotatedPatterns = sync.OnceValue(func() *[angleBins][patternPairs * rotatedStride]int8 {
	r := rand.New(rand.NewPCG(patternSeed1, patternSeed2))
	coord := func() float64 {
		for {
			v := math.Round(r.NormFloat64() * patternSigma)
			if math.Abs(v) <= patternHalf {
				return v
			}
		}
	}
	var base [patternPairs][4]float64
	for k := 0; k < patternPairs; k += 2 {
		var p [4]float64
		for {
			p = [4]float64{coord(), coord(), coord(), coord()}
			same := p[0] == p[2] && p[1] == p[3]
			selfMirror := p[1] == 0 && p[3] == 0
			if !same && !selfMirror {
				break
			}
		}
		base[k] = p
		base[k+1] = [4]float64{p[0], -p[1], p[2], -p[3]}
	}
	out := new([angleBins][patternPairs * rotatedStride]int8)
	for b := range angleBins {
		th := 2 * math.Pi * float64(b) / angleBins
		c, s := math.Cos(th), math.Sin(th)
		for k, p := range base {
			for j := 0; j < 4; j += 2 {
				x, y := p[j], p[j+1]
				out[b][k*rotatedStride+j] = int8(math.Round(c*x - s*y))
				out[b][k*rotatedStride+j+1] = int8(math.Round(s*x + c*y))
			}
		}
	}
	return out
})

// orientation returns the angle bin of the vector from (x, y) to the
// intensity centroid of the disc of radius orientRadius around it.
func orientation(g *image.Gray, x, y int) int {
	var m10, m01 int64
	for v := -orientRadius; v <= orientRadius; v++ {
		row := (y+v)*g.Stride + x
		for u := -orientRadius; u <= orientRadius; u++ {
			if u*u+v*v > orientRadius*orientRadius {
				continue
			}
			i := int64(g.Pix[row+u])
			m10 += int64(u) * i
			m01 += int64(v) * i
		}
	}
	th := math.Atan2(float64(m01), float64(m10))
	b := int(math.Round(th/(2*math.Pi)*angleBins)) % angleBins
	if b < 0 {
		b += angleBins
	}
	return b
}

// describe returns the steered BRIEF descriptor of the corner at (x, y)
// of the smoothed level s, with the pattern rotated to angle bin b: bit k
// is set when the first point of pair k is darker than the second.
func describe(s *image.Gray, x, y, b int) [4]uint64 {
	pat := &rotatedPatterns()[b]
	c := y*s.Stride + x
	var d [4]uint64
	for k := range patternPairs {
		o := pat[k*rotatedStride:]
		p := s.Pix[c+int(o[1])*s.Stride+int(o[0])]
		q := s.Pix[c+int(o[3])*s.Stride+int(o[2])]
		if p < q {
			d[k>>6] |= 1 << (k & 63)
		}
	}
	return d
}
