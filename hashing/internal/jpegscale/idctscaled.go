// This file is new in hashwatch (not part of Go's image/jpeg).

package jpegscale

// Reduced inverse DCTs.
//
// Each function here turns one 8×8 block of quantized coefficients (natural
// order, as decoded) into an n×n block of output samples (n = 4, 2 or 1),
// where every output sample is the mean of the (8/n)×(8/n) samples that the
// full 8×8 inverse DCT would produce: a box-filtered downscale of the full
// decode, computed directly from the coefficients. This is the approach of
// libjpeg 6b's jidctred.c ("an 8-to-4 step that produces the four averages of
// two adjacent outputs"), derived here independently:
//
// The 1-D JPEG IDCT is x[n] = Σ_k w_k F_k cos((2n+1)kπ/16), w_0 = 1/(2√2),
// w_k = 1/2 otherwise. Using cos(a) + cos(b) = 2 cos((a+b)/2) cos((a-b)/2),
// the mean of two adjacent outputs is
//
//	(x[2m]+x[2m+1])/2 = Σ_k w_k F_k cos(kπ/16) cos((2m+1)kπ/8),
//
// a 4-point IDCT of G_k = w_k F_k cos(kπ/16) in which k = 4 vanishes and
// k = 5, 6, 7 fold onto k = 3, 2, 1 with a minus sign. The mean of four
// adjacent outputs is
//
//	Σ_k w_k F_k sin(kπ/4)/(4 sin(kπ/16)) cos((2m+1)kπ/4),
//
// in which only k = 0, 1, 3, 5, 7 survive. The mean of all eight is F_0/8.
// A 2-D block is the 1-D step on the columns, then on the rows. Unlike the
// full IDCT the results are not clipped per full-resolution sample before
// being averaged, so blocks with overshoot past 0 or 255 (ringing next to
// saturated highlights) differ slightly from a box filter of the full decode.
//
// Fixed point: constants have constBits fractional bits. The column pass
// keeps all of them (int32: for valid input, dequantized coefficients are
// within ±2^11, so column results stay below 2^27); the row pass works in
// int64 and rounds once at the end, so the only error is that of the
// constants, and results are within 1 of the exact box mean (almost always
// equal to it, rounded). Hostile input may overflow the int32 column pass,
// which wraps harmlessly: the result is clipped to [0, 255] and is never
// used as an index.

const constBits = 15

// Fixed-point constants, each round(value * 2^constBits); idctscaled_test.go
// recomputes them from their definitions.
const (
	fixK0 = 11585 // 1/(2√2): the DC weight w_0
	fixK2 = 10703 // ½ cos(2π/16) cos(π/4)
	fixK6 = 4433  // ½ cos(6π/16) cos(π/4)
	fixA1 = 14846 // ½ cos(π/8) cos(π/16)
	fixA3 = 5213  // ½ cos(3π/8) cos(3π/16)
	fixA5 = 3483  // ½ cos(3π/8) cos(5π/16)
	fixA7 = 2953  // ½ cos(π/8) cos(7π/16)
	fixB1 = 6149  // ½ cos(3π/8) cos(π/16)
	fixB3 = 12586 // ½ cos(π/8) cos(3π/16)
	fixB5 = 8410  // ½ cos(π/8) cos(5π/16)
	fixB7 = 1223  // ½ cos(3π/8) cos(7π/16)
	fixD1 = 10498 // 1/(16 sin(π/16))
	fixD3 = 3686  // 1/(16 sin(3π/16))
	fixD5 = 2463  // 1/(16 sin(5π/16))
	fixD7 = 2088  // 1/(16 sin(7π/16))
)

// outShift and outBias turn a row-pass result (2·constBits fractional bits)
// into a sample: round, then level-shift by +128.
const (
	outShift = 2 * constBits
	outBias  = 128<<outShift + 1<<(outShift-1)
)

// clip8 clips a level-shifted sample to a byte.
func clip8(x int32) uint8 {
	if uint32(x) > 255 {
		if x < 0 {
			return 0
		}
		return 255
	}
	return uint8(x)
}

// idct1x1 writes the mean of the block, DC/8, level-shifted and clipped.
// Only the DC coefficient is read: no transform at all. qn is the
// quantization table in natural order, like b.
func idct1x1(b, qn *block, dst []byte) {
	dst[0] = clip8((b[0]*qn[0]+4)>>3 + 128)
}

// idct4x4 writes the 4×4 means of 2×2 samples of the block's full IDCT to
// dst (row stride stride). qn is the quantization table in natural order.
// Row and column 4 of the coefficients do not contribute.
func idct4x4(b, qn *block, dst []byte, stride int) {
	// ws holds the column pass: 4 rows of 8 columns (column 4 unused).
	var ws [4 * 8]int32
	for u := 0; u < 8; u++ {
		if u == 4 {
			continue
		}
		c1, c2, c3 := b[1*8+u], b[2*8+u], b[3*8+u]
		c5, c6, c7 := b[5*8+u], b[6*8+u], b[7*8+u]
		h0 := b[u] * qn[u] * fixK0
		if c1|c2|c3|c5|c6|c7 == 0 {
			// Only the DC term of this column: all four outputs equal.
			ws[0*8+u], ws[1*8+u], ws[2*8+u], ws[3*8+u] = h0, h0, h0, h0
			continue
		}
		f1, f2, f3 := c1*qn[1*8+u], c2*qn[2*8+u], c3*qn[3*8+u]
		f5, f6, f7 := c5*qn[5*8+u], c6*qn[6*8+u], c7*qn[7*8+u]

		// The 8-to-4 step (see the file comment); the row pass below
		// repeats it in int64.
		ea := f2*fixK2 - f6*fixK6
		e0, e1 := h0+ea, h0-ea
		o0 := f1*fixA1 + f3*fixA3 - f5*fixA5 - f7*fixA7
		o1 := f1*fixB1 - f3*fixB3 + f5*fixB5 - f7*fixB7
		ws[0*8+u] = e0 + o0
		ws[1*8+u] = e1 + o1
		ws[2*8+u] = e1 - o1
		ws[3*8+u] = e0 - o0
	}
	for m := 0; m < 4; m++ {
		w := ws[m*8 : m*8+8 : m*8+8]
		o := dst[m*stride : m*stride+4 : m*stride+4]
		h0 := int64(w[0])*fixK0 + outBias
		if w[1]|w[2]|w[3]|w[5]|w[6]|w[7] == 0 {
			v := clip8(int32(h0 >> outShift))
			o[0], o[1], o[2], o[3] = v, v, v, v
			continue
		}
		w1, w2, w3 := int64(w[1]), int64(w[2]), int64(w[3])
		w5, w6, w7 := int64(w[5]), int64(w[6]), int64(w[7])
		ea := w2*fixK2 - w6*fixK6
		e0, e1 := h0+ea, h0-ea
		o0 := w1*fixA1 + w3*fixA3 - w5*fixA5 - w7*fixA7
		o1 := w1*fixB1 - w3*fixB3 + w5*fixB5 - w7*fixB7
		o[0] = clip8(int32((e0 + o0) >> outShift))
		o[1] = clip8(int32((e1 + o1) >> outShift))
		o[2] = clip8(int32((e1 - o1) >> outShift))
		o[3] = clip8(int32((e0 - o0) >> outShift))
	}
}

// idct2x2 writes the 2×2 means of 4×4 samples of the block's full IDCT to
// dst (row stride stride). qn is the quantization table in natural order.
// Only rows and columns 0, 1, 3, 5 and 7 of the coefficients contribute.
func idct2x2(b, qn *block, dst []byte, stride int) {
	// The column pass, 8-to-2 on columns 0, 1, 3, 5, 7, into rows t0, t1.
	var t0, t1 [8]int64
	for _, u := range [...]int{0, 1, 3, 5, 7} {
		h := b[u] * qn[u] * fixK0
		o := b[1*8+u]*qn[1*8+u]*fixD1 - b[3*8+u]*qn[3*8+u]*fixD3 +
			b[5*8+u]*qn[5*8+u]*fixD5 - b[7*8+u]*qn[7*8+u]*fixD7
		t0[u], t1[u] = int64(h+o), int64(h-o)
	}
	// The row pass.
	h := t0[0]*fixK0 + outBias
	o := t0[1]*fixD1 - t0[3]*fixD3 + t0[5]*fixD5 - t0[7]*fixD7
	dst[0], dst[1] = clip8(int32((h+o)>>outShift)), clip8(int32((h-o)>>outShift))
	h = t1[0]*fixK0 + outBias
	o = t1[1]*fixD1 - t1[3]*fixD3 + t1[5]*fixD5 - t1[7]*fixD7
	dst[stride], dst[stride+1] = clip8(int32((h+o)>>outShift)), clip8(int32((h-o)>>outShift))
}

// zigzag maps a natural-order coefficient index to its zig-zag index: the
// inverse of unzig, used to find a coefficient's quantizer.
var zigzag = func() (z [blockSize]int) {
	for zig, nat := range unzig {
		z[nat] = zig
	}
	return z
}()
