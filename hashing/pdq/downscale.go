package pdq

// The reference downsamples with a "Jarosz filter": two rounds of a 1-D box
// filter along the rows and then along the columns (box1DFloat), followed by
// nearest-sample decimation to 64×64 (decimateFloat). Each box output is a
// running float32 sum, updated by adding the entering sample and then
// subtracting the leaving one, divided by the number of samples currently in
// the window. The rounding of every one of those operations shows in the
// hash, so the code below performs exactly the same float32 operations in
// the same order for every output the decimation reads. It only skips work
// whose results are never read, interleaves independent rows and columns
// (each running sum still sees its own operations in order), and divides by
// a power of two as a multiplication by its reciprocal, which rounds
// identically. Nothing else may be rearranged: no reassociation, no
// reciprocal for other divisors, no fused multiply-add.

// windowSize is the reference's computeJaroszFilterWindowSize(dim, 64):
// ceil(dim / 128), the box width of each of the two passes.
func windowSize(dim int) int {
	return (dim + 2*64 - 1) / (2 * 64)
}

// boxGeometry describes box1DFloat's schedule for a window of w samples.
// Output o is written after adding sample o+half-1 (when it exists) and then
// subtracting sample o-lag (when it is not negative); samples 0..half-2 are
// added before output 0.
type boxGeometry struct {
	half int // (w+2)/2: samples added before and including output 0's
	lag  int // w-half+1: output o subtracts sample o-lag
}

func newBoxGeometry(w int) boxGeometry {
	half := (w + 2) / 2
	return boxGeometry{half: half, lag: w - half + 1}
}

// count returns how many samples are in the window at output o of n.
func (g boxGeometry) count(o, n int) int {
	return min(o+g.half, n) - max(o-g.lag+1, 0)
}

// isPow2 reports whether n is a power of two. Dividing by such an n and
// multiplying by its reciprocal give identical float32 results (both are the
// exactly scaled value, correctly rounded), so the hot loops below multiply
// in that case instead of dividing.
func isPow2(n int) bool {
	return n > 0 && n&(n-1) == 0
}

// boxRows4 is box1DFloat on four contiguous rows of equal length n >= w:
// out[r][i] is the windowed mean of in[r] around i, computed exactly as the
// reference does. The four running sums are independent, so interleaving
// them hides the latency of the serial float adds; each row still sees
// exactly the reference's operations in the reference's order. Entries may
// alias one another (the same input and output passed again) to process
// fewer than four rows.
func boxRows4(in, out *[4][]float32, w int) {
	n := len(in[0])
	a0, a1, a2, a3 := in[0][:n], in[1][:n], in[2][:n], in[3][:n]
	b0, b1, b2, b3 := out[0][:n], out[1][:n], out[2][:n], out[3][:n]
	g := newBoxGeometry(w)
	var s0, s1, s2, s3 float32

	// Phase 1: accumulate samples 0..half-2, no writes.
	for i := range g.half - 1 {
		s0 += a0[i]
		s1 += a1[i]
		s2 += a2[i]
		s3 += a3[i]
	}
	// Phase 2: outputs 0..lag-1 add sample o+half-1; growing window.
	for o := range g.lag {
		i := o + g.half - 1
		s0 += a0[i]
		s1 += a1[i]
		s2 += a2[i]
		s3 += a3[i]
		c := float32(o + g.half)
		b0[o] = s0 / c
		b1[o] = s1 / c
		b2[o] = s2 / c
		b3[o] = s3 / c
	}
	// Phase 3: output lag+t adds sample w+t, then subtracts sample t.
	m := n - w
	add0, add1, add2, add3 := a0[w:], a1[w:], a2[w:], a3[w:]
	sub0, sub1, sub2, sub3 := a0[:m], a1[:m], a2[:m], a3[:m]
	d0, d1, d2, d3 := b0[g.lag:][:m], b1[g.lag:][:m], b2[g.lag:][:m], b3[g.lag:][:m]
	if isPow2(w) {
		inv := 1 / float32(w)
		for t := range m {
			s0 += add0[t]
			s1 += add1[t]
			s2 += add2[t]
			s3 += add3[t]
			s0 -= sub0[t]
			s1 -= sub1[t]
			s2 -= sub2[t]
			s3 -= sub3[t]
			d0[t] = s0 * inv
			d1[t] = s1 * inv
			d2[t] = s2 * inv
			d3[t] = s3 * inv
		}
	} else {
		fw := float32(w)
		for t := range m {
			s0 += add0[t]
			s1 += add1[t]
			s2 += add2[t]
			s3 += add3[t]
			s0 -= sub0[t]
			s1 -= sub1[t]
			s2 -= sub2[t]
			s3 -= sub3[t]
			d0[t] = s0 / fw
			d1[t] = s1 / fw
			d2[t] = s2 / fw
			d3[t] = s3 / fw
		}
	}
	// Phase 4: output o = n-half+1.. subtracts sample o-lag; shrinking window.
	for o := n - g.half + 1; o < n; o++ {
		i := o - g.lag
		s0 -= a0[i]
		s1 -= a1[i]
		s2 -= a2[i]
		s3 -= a3[i]
		c := float32(n - i - 1)
		b0[o] = s0 / c
		b1[o] = s1 / c
		b2[o] = s2 / c
		b3[o] = s3 / c
	}
}

// boxRowsSampled4 runs box1DFloat over four rows like boxRows4 but computes
// only the outputs at positions idx (non-decreasing, each < n), storing
// row r's output idx[k] in out[r][k]. The running sums are the reference's;
// only divisions whose results are never read are skipped. Entries may
// alias as in boxRows4.
func boxRowsSampled4(in *[4][]float32, w int, idx *[64]int, out *[4]*[64]float32) {
	n := len(in[0])
	a0, a1, a2, a3 := in[0][:n], in[1][:n], in[2][:n], in[3][:n]
	o0, o1, o2, o3 := out[0], out[1], out[2], out[3]
	g := newBoxGeometry(w)
	var s0, s1, s2, s3 float32
	for i := range g.half - 1 {
		s0 += a0[i]
		s1 += a1[i]
		s2 += a2[i]
		s3 += a3[i]
	}
	next := 0
	// Phase 2: outputs 0..lag-1.
	for o := range g.lag {
		i := o + g.half - 1
		s0 += a0[i]
		s1 += a1[i]
		s2 += a2[i]
		s3 += a3[i]
		for ; next < 64 && idx[next] == o; next++ {
			c := float32(o + g.half)
			o0[next], o1[next], o2[next], o3[next] = s0/c, s1/c, s2/c, s3/c
		}
	}
	// Phase 3: output lag+t adds sample w+t, then subtracts sample t.
	m := n - w
	add0, add1, add2, add3 := a0[w:], a1[w:], a2[w:], a3[w:]
	sub0, sub1, sub2, sub3 := a0[:m], a1[:m], a2[:m], a3[:m]
	fw := float32(w)
	t := 0
	for next < 64 {
		target := idx[next] - g.lag // phase-3 step of the next sample
		if target >= m {
			break
		}
		for ; t <= target; t++ {
			s0 += add0[t]
			s1 += add1[t]
			s2 += add2[t]
			s3 += add3[t]
			s0 -= sub0[t]
			s1 -= sub1[t]
			s2 -= sub2[t]
			s3 -= sub3[t]
		}
		for ; next < 64 && idx[next]-g.lag == target; next++ {
			o0[next], o1[next], o2[next], o3[next] = s0/fw, s1/fw, s2/fw, s3/fw
		}
	}
	if next == 64 {
		return
	}
	for ; t < m; t++ {
		s0 += add0[t]
		s1 += add1[t]
		s2 += add2[t]
		s3 += add3[t]
		s0 -= sub0[t]
		s1 -= sub1[t]
		s2 -= sub2[t]
		s3 -= sub3[t]
	}
	// Phase 4: output o = n-half+1.. subtracts sample o-lag.
	for o := n - g.half + 1; next < 64; o++ {
		i := o - g.lag
		s0 -= a0[i]
		s1 -= a1[i]
		s2 -= a2[i]
		s3 -= a3[i]
		for ; next < 64 && idx[next] == o; next++ {
			c := float32(n - i - 1)
			o0[next], o1[next], o2[next], o3[next] = s0/c, s1/c, s2/c, s3/c
		}
	}
}

// columnStep advances running column sums by one output row of box1DFloat
// along the columns: add the entering row (if any), then subtract the
// leaving row (if any), then divide by cnt into out.
func columnStep(sums, add, sub, out []float32, cnt int) {
	c := float32(cnt)
	out = out[:len(sums)]
	switch {
	case add != nil && sub != nil:
		add = add[:len(sums)]
		sub = sub[:len(sums)]
		if isPow2(cnt) {
			inv := 1 / c
			for x, s := range sums {
				s += add[x]
				s -= sub[x]
				sums[x] = s
				out[x] = s * inv
			}
			return
		}
		for x, s := range sums {
			s += add[x]
			s -= sub[x]
			sums[x] = s
			out[x] = s / c
		}
	case add != nil:
		add = add[:len(sums)]
		for x, s := range sums {
			s += add[x]
			sums[x] = s
			out[x] = s / c
		}
	case sub != nil:
		sub = sub[:len(sums)]
		for x, s := range sums {
			s -= sub[x]
			sums[x] = s
			out[x] = s / c
		}
	}
}

// addRow adds row into sums elementwise.
func addRow(sums, row []float32) {
	row = row[:len(sums)]
	for x := range sums {
		sums[x] += row[x]
	}
}
