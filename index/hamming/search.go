package hamming

import "sync/atomic"

// scratch is per-query working memory, pooled by the Index.
type scratch struct {
	rng     []uint64 // non-empty probed buckets: lo<<32 | hi
	tabEnd  []int    // end of each table's buckets in rng
	cand    []uint32 // candidate slots, grouped by table
	candEnd []int    // end of each table's candidates in cand
	out     []uint64 // kernel output: slot or position <<32 | distance
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

// search appends to dst the live codes of s within distance r of q
// (0 <= r). Order is unspecified.
//
// The work is split into flat stages whose memory loads are independent of
// each other and prefetched ahead (see kernels.go), so that many cache misses
// are in flight at once:
//
//  1. probe: for every key of every table's ball read the bucket bounds;
//  2. gather: copy the slot numbers of the non-empty buckets into one
//     candidate list (256-bit codes; 64-bit codes are stored inline in the
//     buckets and skip this stage);
//  3. verify: compute the full distance of every candidate and report the
//     matches, each from one table only.
func (s *segment) search(q []uint64, r int, sc *scratch, dst []Match) []Match {
	if s.n == 0 {
		return dst
	}
	if r >= s.nbits {
		return s.scan(q, r, dst)
	}
	pl := s.planFor(r)
	if pl.scan {
		return s.scan(q, r, dst)
	}
	m := s.part.m
	sc.tabEnd = grow(sc.tabEnd, m)
	sc.candEnd = grow(sc.candEnd, m)
	sc.rng = grow(sc.rng, pl.probes)
	tabEnd, rng := sc.tabEnd, sc.rng
	// Stage 1.
	n := 0
	for i := 0; i < m; i++ {
		if ms := pl.masks[i]; ms != nil {
			k := s.part.key(q, i)
			t := &s.tabs[i]
			if t.off != nil {
				n += probeOff(t.off, k, ms, rng[n:])
			} else {
				n += probeRel(t.base, t.rel, k, ms, rng[n:])
			}
		}
		tabEnd[i] = n
	}
	total := 0
	for _, rg := range rng[:n] {
		total += int(uint32(rg) - uint32(rg>>32))
	}
	// The exact candidate count is now known: fall back to a scan if
	// verifying them would cost more.
	if !s.forceIndex && remainingCost(n, total, s.line, s.nbits) > scanCost(s.nc, s.nbits) {
		return s.scan(q, r, dst)
	}
	sc.out = grow(sc.out, total)
	out := sc.out
	if s.words == 1 {
		start := 0
		for i, end := range tabEnd {
			if end == start {
				continue
			}
			t := &s.tabs[i]
			k := verify64(t.codes, rng[start:end], q[0], r, out)
			for _, o := range out[:k] {
				slot := uint32(o >> 32)
				if t.slots != nil {
					slot = t.slots[slot]
				}
				x := [1]uint64{s.codes[slot] ^ q[0]}
				dst = s.report(x[:], slot, int(uint32(o)), i, pl, dst)
			}
			start = end
		}
		return dst
	}
	// Stage 2.
	sc.cand = grow(sc.cand, total)
	cand, candEnd := sc.cand, sc.candEnd
	c, start := 0, 0
	for i, end := range tabEnd {
		if slots := s.tabs[i].slots; slots != nil {
			c += gatherSlots(slots, rng[start:end], cand[c:])
		} else {
			for _, rg := range rng[start:end] {
				for slot := uint32(rg >> 32); slot < uint32(rg); slot++ {
					cand[c] = slot
					c++
				}
			}
		}
		candEnd[i] = c
		start = end
	}
	// Stage 3: one pass over every table's candidates; the table of a
	// match is recovered from its index.
	k := verify256(s.codes, cand[:c], (*[4]uint64)(q), r, out)
	i := 0
	for _, o := range out[:k] {
		j := int(o >> 32)
		for j >= candEnd[i] {
			i++
		}
		slot := cand[j]
		cd := s.codes[slot*4 : slot*4+4 : slot*4+4]
		x := [4]uint64{cd[0] ^ q[0], cd[1] ^ q[1], cd[2] ^ q[2], cd[3] ^ q[3]}
		dst = s.report(x[:], slot, int(uint32(o)), i, pl, dst)
	}
	return dst
}

// report appends the live ids of slot, a match at distance d found in table
// i, unless an earlier table's ball also contains it (x is the XOR of the
// code and the query). Every match lies in at least one ball (pigeonhole),
// each table visits a slot at most once, so every match is reported exactly
// once without a visited set.
func (s *segment) report(x []uint64, slot uint32, d, i int, pl *plan, dst []Match) []Match {
	for j := 0; j < i; j++ {
		if t := int(pl.t[j]); t >= 0 && s.part.subDist(x, j) <= t {
			return dst
		}
	}
	for p := s.idStart[slot]; p < s.idStart[slot+1]; p++ {
		if !s.isDead(p) {
			dst = append(dst, Match{ID: s.ids[p], Distance: d})
		}
	}
	return dst
}

// scan is the linear-scan path of a segment (over its distinct codes).
func (s *segment) scan(q []uint64, r int, dst []Match) []Match {
	var out [scanChunk]uint64
	w := s.words
	for lo := 0; lo < s.nc; lo += scanChunk {
		hi := min(lo+scanChunk, s.nc)
		k := scanCodes(w, s.codes[lo*w:hi*w], q, r, out[:])
		for _, o := range out[:k] {
			dst = s.expand(uint32(lo)+uint32(o>>32), int(uint32(o)), dst)
		}
	}
	return dst
}

// scanCodes runs the scan kernel for the code width.
func scanCodes(words int, codes, q []uint64, r int, out []uint64) int {
	if words == 1 {
		return scan64(codes, q[0], r, out)
	}
	return scan256(codes, (*[4]uint64)(q), r, out)
}

func (s *segment) expand(slot uint32, d int, dst []Match) []Match {
	for p := s.idStart[slot]; p < s.idStart[slot+1]; p++ {
		if !s.isDead(p) {
			dst = append(dst, Match{ID: s.ids[p], Distance: d})
		}
	}
	return dst
}

// scanLive appends every code among the first n within distance r of q
// whose tombstone bit is clear (dead may be nil).
func scanLive(words int, ids, codes, dead []uint64, n int, q []uint64, r int, dst []Match) []Match {
	var out [scanChunk]uint64
	for lo := 0; lo < n; lo += scanChunk {
		hi := min(lo+scanChunk, n)
		k := scanCodes(words, codes[lo*words:hi*words], q, r, out[:])
		for _, o := range out[:k] {
			i := lo + int(o>>32)
			if dead != nil && atomic.LoadUint64(&dead[i>>6])&(1<<(i&63)) != 0 {
				continue
			}
			dst = append(dst, Match{ID: ids[i], Distance: int(uint32(o))})
		}
	}
	return dst
}
