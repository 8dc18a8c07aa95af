package hamming

import "math"

// Cost model. All figures are nanoseconds on one core of the reference
// machine (2-core AMD EPYC VM); they only need to be right relative to each
// other. See doc.go for how they were measured.
const (
	// costKey is the CPU work per enumerated key (mask, bounds, store),
	// on top of the cache line it touches.
	costKey = 1.0
	// costRange is the CPU work per non-empty bucket, on top of the cache
	// line holding its slots (256-bit) or inline codes (64-bit).
	costRange = 2.0
	// costVerify256 is the CPU work of one 256-bit candidate (4 popcounts)
	// on top of the cache line holding the code.
	costVerify256 = 1.0
	// costVerify64 is the price of one inline 64-bit candidate (sequential).
	costVerify64 = 0.5
	// costScan256 and costScan64 are the prices of one code in a linear scan
	// (sequential, memory-bandwidth bound at large sizes).
	costScan256 = 1.6
	costScan64  = 0.5
	// costQuery is the fixed per-segment price of using the tables.
	costQuery = 300.0
)

// lineCost is the price of touching one cache line at a random place in
// arrays totalling footprint bytes, with loads prefetched far enough ahead
// that misses overlap: about 1.5 ns when the data fits in L2, 7 ns at 32 MiB
// (L3-sized), 22 ns at 512 MiB and beyond (DRAM and TLB bound). Linear in
// log2(footprint) between these points.
func lineCost(footprint int) float64 {
	lg := math.Log2(float64(max(footprint, 1)))
	switch {
	case lg <= 19:
		return 1.5
	case lg <= 25:
		return 1.5 + (lg-19)*(7-1.5)/6
	case lg <= 29:
		return 7 + (lg-25)*(22-7)/4
	}
	return 22
}

// statLevels is the number of ball radii (0..statLevels-1) for which a
// segment measures the bucket population around its own codes.
const statLevels = 4

// plan is the probing plan of one segment for one radius: per table the
// radius t_i of the ball of keys enumerated around the query's substring
// (-1: table not used). The thresholds satisfy sum(t_i+1) >= r+1, which is
// the generalised pigeonhole condition that makes the search exact.
type plan struct {
	t      []int8
	masks  [][]uint32 // per table: the masks of the ball, nil if not probed
	probes int        // number of keys enumerated
	cost   float64    // estimated cost of the index path, ns
	scan   bool       // a linear scan is estimated to be cheaper
}

// ballSize returns sum_{k<=t} C(b,k), the number of keys within Hamming
// distance t of a b-bit key.
func ballSize(b, t int) float64 {
	if t < 0 {
		return 0
	}
	if t > b {
		t = b
	}
	s, c := 0.0, 1.0
	for k := 0; k <= t; k++ {
		s += c
		c = c * float64(b-k) / float64(k+1)
	}
	return s
}

// binom returns C(b,k) as a float.
func binom(b, k int) float64 {
	if k < 0 || k > b {
		return 0
	}
	c := 1.0
	for i := 0; i < k; i++ {
		c = c * float64(b-i) / float64(i+1)
	}
	return c
}

// keyCost is the expected cost of probing one key whose bucket holds pop
// distinct codes on average.
func keyCost(pop, line float64, nbits int) float64 {
	c := costKey + line + (1-math.Exp(-pop))*(costRange+line)
	if nbits == 64 {
		return c + pop*costVerify64
	}
	return c + pop*(costVerify256+line)
}

// tableCost is the estimated cost of probing one table of width b with
// threshold t, when a key at distance w from the query's substring holds
// pop(w) codes on average.
func tableCost(b, t int, line float64, nbits int, pop func(w int) float64) float64 {
	c := 0.0
	for w := 0; w <= t && w <= b; w++ {
		c += binom(b, w) * keyCost(pop(w), line, nbits)
	}
	return c
}

// scanCost is the estimated cost of a linear scan of n codes.
func scanCost(n, nbits int) float64 {
	if nbits == 64 {
		return float64(n) * costScan64
	}
	return float64(n) * costScan256
}

// remainingCost is the estimated cost of stages 2 and 3 once stage 1 has
// found ranges non-empty buckets holding cands candidates.
func remainingCost(ranges, cands int, line float64, nbits int) float64 {
	c := float64(ranges) * (costRange + line)
	if nbits == 64 {
		return c + float64(cands)*costVerify64
	}
	return c + float64(cands)*(costVerify256+line)
}

// makePlan chooses thresholds minimising the estimated cost subject to
// sum(t_i+1) >= r+1 (dynamic programming over tables and covered budget, with
// the budget capped at r+1), and compares the result with a linear scan of n
// codes. pop(i, w) is the expected number of codes in a bucket of table i
// whose key is at distance w from the query's substring.
func makePlan(p *partition, n, r int, pop func(table, w int) float64, line float64, allowScan bool) *plan {
	pl := &plan{scan: true}
	scan := scanCost(n, p.bits)
	if !allowScan {
		scan = math.Inf(1)
	}
	m := p.m
	if m == 0 || r < 0 || r >= p.bits {
		return pl
	}
	need := r + 1
	inf := math.Inf(1)
	layers := make([][]float64, m+1)
	from := make([][]int16, m+1)
	tch := make([][]int8, m+1)
	layers[0] = make([]float64, need+1)
	for c := range layers[0] {
		layers[0][c] = inf
	}
	layers[0][0] = 0
	for i := 0; i < m; i++ {
		b := int(p.width[i])
		// Cost of each threshold -1..b for this table, cut where the table
		// alone would cost more than a scan.
		var costs []float64
		for t := -1; t <= b; t++ {
			ti := i
			c := tableCost(b, t, line, p.bits, func(w int) float64 { return pop(ti, w) })
			if t >= 0 && c > scan {
				break
			}
			costs = append(costs, c)
		}
		cur := make([]float64, need+1)
		fr := make([]int16, need+1)
		tc := make([]int8, need+1)
		for c := range cur {
			cur[c] = inf
		}
		prev := layers[i]
		for c := 0; c <= need; c++ {
			if prev[c] == inf {
				continue
			}
			for k, cost := range costs {
				t := k - 1
				nc := min(c+t+1, need)
				if v := prev[c] + cost; v < cur[nc] {
					cur[nc], fr[nc], tc[nc] = v, int16(c), int8(t)
				}
			}
		}
		layers[i+1], from[i+1], tch[i+1] = cur, fr, tc
	}
	best := layers[m][need]
	if best == inf || best+costQuery >= scan {
		return pl
	}
	pl.t = make([]int8, m)
	c := need
	for i := m; i >= 1; i-- {
		pl.t[i-1] = tch[i][c]
		c = int(from[i][c])
	}
	pl.scan = false
	pl.cost = best + costQuery
	for i, t := range pl.t {
		pl.probes += int(ballSize(int(p.width[i]), int(t)))
	}
	return pl
}
