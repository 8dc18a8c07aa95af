package jpegscale

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFixedPointConstants recomputes the reduced IDCT constants from their
// definitions (see idctscaled.go).
func TestFixedPointConstants(t *testing.T) {
	c := func(k float64) float64 { return math.Cos(k * math.Pi / 16) }
	s := func(k float64) float64 { return math.Sin(k * math.Pi / 16) }
	for _, k := range []struct {
		name string
		got  int32
		want float64
	}{
		{"K0", fixK0, 1 / (2 * math.Sqrt2)},
		{"K2", fixK2, 0.5 * c(2) * c(4)},
		{"K6", fixK6, 0.5 * c(6) * c(4)},
		{"A1", fixA1, 0.5 * c(2) * c(1)},
		{"A3", fixA3, 0.5 * c(6) * c(3)},
		{"A5", fixA5, 0.5 * c(6) * c(5)},
		{"A7", fixA7, 0.5 * c(2) * c(7)},
		{"B1", fixB1, 0.5 * c(6) * c(1)},
		{"B3", fixB3, 0.5 * c(2) * c(3)},
		{"B5", fixB5, 0.5 * c(2) * c(5)},
		{"B7", fixB7, 0.5 * c(6) * c(7)},
		{"D1", fixD1, 1 / (16 * s(1))},
		{"D3", fixD3, 1 / (16 * s(3))},
		{"D5", fixD5, 1 / (16 * s(5))},
		{"D7", fixD7, 1 / (16 * s(7))},
	} {
		if want := int32(math.Round(k.want * (1 << constBits))); k.got != want {
			t.Errorf("fix%s = %d, want %d", k.name, k.got, want)
		}
	}
}

// floatIDCT is the textbook 2-D JPEG inverse DCT of natural-order
// coefficients f, before level shift and clipping.
func floatIDCT(f *[64]float64) (out [64]float64) {
	// basis[x][u] = C(u) cos((2x+1)uπ/16) / 2, so that a 1-D pass is a
	// product with basis and the 2-D IDCT is one pass on each axis.
	var basis [8][8]float64
	for x := 0; x < 8; x++ {
		for u := 0; u < 8; u++ {
			c := 0.5
			if u == 0 {
				c = 0.5 / math.Sqrt2
			}
			basis[x][u] = c * math.Cos(float64(2*x+1)*float64(u)*math.Pi/16)
		}
	}
	var tmp [64]float64 // tmp[y*8+u]: columns transformed
	for y := 0; y < 8; y++ {
		for u := 0; u < 8; u++ {
			for v := 0; v < 8; v++ {
				tmp[y*8+u] += basis[y][v] * f[v*8+u]
			}
		}
	}
	for y := 0; y < 8; y++ {
		for x := 0; x < 8; x++ {
			for u := 0; u < 8; u++ {
				out[y*8+x] += basis[x][u] * tmp[y*8+u]
			}
		}
	}
	return out
}

// randomBlock returns quantized coefficients typical of a photo block (large
// DC, AC falling off with frequency, many zeros), a quantization table, and
// the dequantized coefficients as floats.
func randomBlock(rng *rand.Rand) (b, qn block, f [64]float64) {
	for i := range qn {
		qn[i] = int32(1 + rng.IntN(1+i/2))
	}
	b[0] = int32(rng.IntN(160)) - 80
	for i := 1; i < 64; i++ {
		if rng.IntN(3) == 0 {
			r := 1 + i/8 + i%8
			b[i] = int32(rng.IntN(2*(48/r)+1) - 48/r)
		}
	}
	for i := range f {
		f[i] = float64(b[i] * qn[i])
	}
	return b, qn, f
}

// TestReducedIDCTIsBoxMean checks idct4x4, idct2x2 and idct1x1 against the
// box mean of the exact (floating-point) full IDCT on random blocks whose
// full IDCT needs no clipping: every output must be within 1 of the exact
// mean, and almost all equal to it rounded.
func TestReducedIDCTIsBoxMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tested := 0
	off := map[int]int{}
	for tested < 2000 {
		b, qn, f := randomBlock(rng)
		full := floatIDCT(&f)
		clipped := false
		for _, v := range full {
			if v+128 < 0 || v+128 > 255 {
				clipped = true
			}
		}
		if clipped {
			continue
		}
		tested++
		for _, n := range []int{4, 2, 1} {
			var dst [16]byte
			bb := b
			switch n {
			case 4:
				idct4x4(&bb, &qn, dst[:], 4)
			case 2:
				idct2x2(&bb, &qn, dst[:], 4)
			case 1:
				idct1x1(&bb, &qn, dst[:])
			}
			if bb != b {
				t.Fatalf("%dx%d changed its input block", n, n)
			}
			k := 8 / n
			for oy := 0; oy < n; oy++ {
				for ox := 0; ox < n; ox++ {
					var sum float64
					for y := oy * k; y < oy*k+k; y++ {
						for x := ox * k; x < ox*k+k; x++ {
							sum += full[y*8+x]
						}
					}
					exact := sum/float64(k*k) + 128
					got := float64(dst[oy*4+ox])
					if math.Abs(got-exact) > 1 {
						t.Fatalf("%dx%d output (%d,%d) = %v, exact box mean %.3f", n, n, ox, oy, got, exact)
					}
					if got != math.Round(exact) {
						off[n]++
					}
				}
			}
		}
	}
	for _, n := range []int{4, 2, 1} {
		frac := float64(off[n]) / float64(tested*n*n)
		t.Logf("%dx%d: %.2f%% of outputs off the rounded exact mean by 1", n, n, 100*frac)
		if frac > 0.02 {
			t.Errorf("%dx%d: %.2f%% of outputs not the rounded exact mean", n, n, 100*frac)
		}
	}
}
