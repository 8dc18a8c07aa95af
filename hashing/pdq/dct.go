package pdq

import "math"

// dctMatrix is the reference's 16×64 DCT-II matrix (rows 1..16 of the full
// 64-point DCT), row-major: D[i][j] = s·cos(π/2/64 · (i+1) · (2j+1)).
//
// As in the reference, s = float32(sqrt(2/64)) and the product s·cos(...) is
// formed in float64 and then rounded to float32. Every entry lies millions of
// float64 ulps away from a float32 rounding boundary, so the table does not
// depend on the last-bit accuracy of the platform's cos; a test pins it.
var dctMatrix = func() (d [16][64]float32) {
	s := float64(float32(math.Sqrt(2.0 / 64.0)))
	for i := range 16 {
		for j := range 64 {
			d[i][j] = float32(s * math.Cos((math.Pi/2.0/64.0)*float64(i+1)*float64(2*j+1)))
		}
	}
	return d
}()

// dct64To16 computes B = D·A·Dᵀ for the 16×64 matrix D, keeping the
// reference's summation order (k ascending, one float32 rounding per product
// and per sum). t is scratch.
//
// Each output is one chain of 64 dependent additions; the loops run eight
// (then four) independent chains side by side, so the chains' latencies
// overlap instead of adding up, without changing any chain's order.
func dct64To16(a *[64][64]float32, t *[16][64]float32, b *[256]float32) {
	d := &dctMatrix
	// T = D·A, eight columns j at a time, each accumulating its 64 terms in
	// ascending k from 0, exactly as the reference.
	for i := range 16 {
		ti := &t[i]
		di := &d[i]
		for j := 0; j < 64; j += 8 {
			var s0, s1, s2, s3, s4, s5, s6, s7 float32
			for k := range 64 {
				dik := di[k]
				ak := (*[8]float32)(a[k][j : j+8])
				s0 += float32(dik * ak[0])
				s1 += float32(dik * ak[1])
				s2 += float32(dik * ak[2])
				s3 += float32(dik * ak[3])
				s4 += float32(dik * ak[4])
				s5 += float32(dik * ak[5])
				s6 += float32(dik * ak[6])
				s7 += float32(dik * ak[7])
			}
			ti[j], ti[j+1], ti[j+2], ti[j+3] = s0, s1, s2, s3
			ti[j+4], ti[j+5], ti[j+6], ti[j+7] = s4, s5, s6, s7
		}
	}
	// B = T·Dᵀ, four outputs j at a time.
	for i := range 16 {
		ti := &t[i]
		for j := 0; j < 16; j += 4 {
			d0, d1, d2, d3 := &d[j], &d[j+1], &d[j+2], &d[j+3]
			var s0, s1, s2, s3 float32
			for k := range 64 {
				x := ti[k]
				s0 += float32(x * d0[k])
				s1 += float32(x * d1[k])
				s2 += float32(x * d2[k])
				s3 += float32(x * d3[k])
			}
			b[i*16+j], b[i*16+j+1], b[i*16+j+2], b[i*16+j+3] = s0, s1, s2, s3
		}
	}
}

// quality is the reference's pdqImageDomainQualityMetric: the sum of
// quantized vertical and horizontal gradients of the 64×64 downsample,
// divided by 90 and capped at 100.
func quality(a *[64][64]float32) int {
	sum := 0
	for i := range 63 {
		for j := range 64 {
			sum += absInt(gradient(a[i][j], a[i+1][j]))
		}
	}
	for i := range 64 {
		for j := range 63 {
			sum += absInt(gradient(a[i][j], a[i][j+1]))
		}
	}
	q := sum / 90
	if q > 100 {
		q = 100
	}
	return q
}

// gradient is the C expression (int)(((u - v) * 100) / 255) in float32,
// truncating toward zero.
func gradient(u, v float32) int {
	return int(float32(float32(u-v)*100) / 255)
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// torben returns the median of m by Torben Mogensen's algorithm, as in the
// reference (N. Devillard's public-domain implementation), in float32.
func torben(m *[256]float32) float32 {
	const n = len(m)
	const half = (n + 1) / 2
	lo, hi := m[0], m[0]
	for _, v := range m[1:] {
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	var less, greater, equal int
	var guess, maxLT, minGT float32
	for {
		guess = (lo + hi) / 2
		less, greater, equal = 0, 0, 0
		maxLT, minGT = lo, hi
		for _, v := range m {
			if v < guess {
				less++
				if v > maxLT {
					maxLT = v
				}
			} else if v > guess {
				greater++
				if v < minGT {
					minGT = v
				}
			} else {
				equal++
			}
		}
		if less <= half && greater <= half {
			break
		} else if less > greater {
			hi = maxLT
		} else {
			lo = minGT
		}
	}
	switch {
	case less >= half:
		return maxLT
	case less+equal >= half:
		return guess
	default:
		return minGT
	}
}

// bitsFromDCT sets bit 16i+j when coefficient [i][j] is strictly greater
// than the median of all 256.
func bitsFromDCT(b *[256]float32) Hash {
	med := torben(b)
	var h Hash
	for k, v := range b {
		if v > med {
			h.setBit(k)
		}
	}
	return h
}

// dihedral computes the hashes of the eight dihedral transforms of the image
// from its 16×16 DCT (row-major), by the reference's sign and transpose rules: a
// left-right flip negates the even-indexed (0-based) columns (odd
// frequencies), a top-bottom flip negates the even-indexed rows, and a
// transpose swaps the axes.
func dihedral(b *[256]float32, out *[8]Hash) {
	var aux [256]float32
	for v := range 8 {
		if v == Original {
			out[v] = bitsFromDCT(b)
			continue
		}
		for i := range 16 {
			for j := range 16 {
				x := b[i*16+j]
				var neg, xpose bool
				switch v {
				case Rot90:
					neg, xpose = j&1 == 0, true
				case Rot180:
					neg = (i+j)&1 != 0
				case Rot270:
					neg, xpose = i&1 == 0, true
				case FlipX:
					neg = i&1 == 0
				case FlipY:
					neg = j&1 == 0
				case FlipPlus1:
					xpose = true
				case FlipMinus1:
					neg, xpose = (i+j)&1 != 0, true
				}
				if neg {
					x = -x
				}
				if xpose {
					aux[j*16+i] = x
				} else {
					aux[i*16+j] = x
				}
			}
		}
		out[v] = bitsFromDCT(&aux)
	}
}
