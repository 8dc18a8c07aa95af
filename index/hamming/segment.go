package hamming

import (
	"math"
	"sync/atomic"
)

// idSampleShift: every 2^idSampleShift-th id in id order is copied into
// segment.idSample so that id look-ups touch few cache lines.
const idSampleShift = 5

// statSamples is how many stored codes a segment probes at build time to
// measure the bucket population around data-like queries.
const statSamples = 96

// relBlock is the number of keys sharing one uint32 base offset in the
// two-level offset arrays.
const relShift = 6

// table is one substring hash table in CSR form over the segment's distinct
// codes: the codes whose substring equals k are slots[off(k):off(k+1)],
// with off(k) = base[k>>6] + rel[k]. Tables in which some block of 64 keys
// holds 2^16 codes or more use plain uint32 offsets (off) instead.
type table struct {
	base  []uint32 // off(64*j), len 2^width/64 + 2
	rel   []uint16 // off(k) - base[k>>6], len 2^width + 1
	off   []uint32 // plain offsets, len 2^width + 1 (wide tables only)
	slots []uint32 // slot numbers; nil for table 0, whose order is the slot order
	codes []uint64 // 64-bit segments only: the codes, parallel to slots
}

func (t *table) bounds(k uint32) (lo, hi uint32) {
	if t.off != nil {
		return t.off[k], t.off[k+1]
	}
	return t.base[k>>relShift] + uint32(t.rel[k]), t.base[(k+1)>>relShift] + uint32(t.rel[k+1])
}

// segment is an immutable, bulk-built part of the index.
//
// Codes are stored once per distinct value ("slots" 0..nc-1, ordered by table
// 0's key so table 0 needs no slot array and similar codes sit together); the
// ids of slot s are at positions idStart[s]..idStart[s+1]-1. Only the
// tombstone bitset (by position) changes after construction.
type segment struct {
	nbits, words int
	n            int      // ids (positions)
	nc           int      // distinct codes (slots)
	codes        []uint64 // by slot, words per code
	idStart      []uint32 // nc+1 offsets into ids
	ids          []uint64 // by position
	dead         []uint64 // tombstones by position, accessed atomically
	ndead        int      // guarded by Index.mu
	byID         []uint32 // positions in ascending id order
	idSample     []uint64 // ids[byID[i<<idSampleShift]]
	part         partition
	tabs         []table
	pop          [][statLevels]float64 // per table: mean bucket population at key distance w from a stored code
	line         float64               // cost of one random cache line in this segment (see lineCost)
	plans        []atomic.Pointer[plan]
	forceIndex   bool // never fall back to a scan when the tables can answer (tests)
}

// measure probes the tables around a deterministic sample of stored codes
// and records, per table and key distance w < statLevels, the mean number of
// distinct codes in a bucket at that distance (excluding the sampled code
// itself). This is the per-probe candidate count the cost model expects for
// queries that look like the data; for uniform data it is ~nc/2^width.
func (s *segment) measure() {
	m := s.part.m
	s.pop = make([][statLevels]float64, m)
	ns := min(s.nc, statSamples)
	sums := make([][statLevels]float64, m)
	for j := 0; j < ns; j++ {
		slot := int(uint64(j) * uint64(s.nc) / uint64(ns))
		code := s.codes[slot*s.words:]
		for i := 0; i < m; i++ {
			t := &s.tabs[i]
			k := s.part.key(code, i)
			lo, hi := t.bounds(k)
			sums[i][0] += float64(hi-lo) - 1
			levelSums(t, k, 0, int(s.part.width[i]), 1, &sums[i])
		}
	}
	for i := 0; i < m; i++ {
		b := int(s.part.width[i])
		lambda := float64(s.nc) / math.Ldexp(1, b)
		for w := 0; w < statLevels; w++ {
			cnt := binom(b, w) * float64(ns)
			v := lambda
			if cnt > 0 {
				v = sums[i][w] / cnt
			}
			s.pop[i][w] = max(v, lambda*0.5)
		}
	}
}

func levelSums(t *table, key uint32, from, b, depth int, acc *[statLevels]float64) {
	for j := from; j < b; j++ {
		k := key ^ 1<<j
		lo, hi := t.bounds(k)
		acc[depth] += float64(hi - lo)
		if depth+1 < statLevels {
			levelSums(t, k, j+1, b, depth+1, acc)
		}
	}
}

func (s *segment) popAt(i, w int) float64 {
	return s.pop[i][min(w, statLevels-1)]
}

// planFor returns the (cached) probing plan for radius r (0 <= r < nbits).
func (s *segment) planFor(r int) *plan {
	if p := s.plans[r].Load(); p != nil {
		return p
	}
	p := makePlan(&s.part, s.nc, r, s.popAt, s.line, !s.forceIndex)
	if !p.scan {
		p.masks = make([][]uint32, s.part.m)
		for i, t := range p.t {
			p.masks[i] = ballMasks(int(s.part.width[i]), int(t))
		}
	}
	s.plans[r].Store(p)
	return p
}

// isDead reports whether position p is tombstoned.
func (s *segment) isDead(p uint32) bool {
	return atomic.LoadUint64(&s.dead[p>>6])&(1<<(p&63)) != 0
}

// kill tombstones position p; it reports whether it was live.
func (s *segment) kill(p uint32) bool {
	old := atomic.OrUint64(&s.dead[p>>6], 1<<(p&63))
	return old&(1<<(p&63)) == 0
}

// find returns the position holding id, dead or alive.
func (s *segment) find(id uint64) (uint32, bool) {
	smp := s.idSample
	lo, hi := 0, len(smp)
	for lo < hi { // first sample > id
		mid := int(uint(lo+hi) >> 1)
		if smp[mid] <= id {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == 0 {
		return 0, false
	}
	b := (lo - 1) << idSampleShift
	e := min(b+1<<idSampleShift, s.n)
	for b < e {
		mid := int(uint(b+e) >> 1)
		v := s.ids[s.byID[mid]]
		switch {
		case v == id:
			return s.byID[mid], true
		case v < id:
			b = mid + 1
		default:
			e = mid
		}
	}
	return 0, false
}

// resolveM returns the number of substrings of a segment of nc distinct
// codes: the requested m if it is positive and its tables fit the memory
// bound, 0 (scan only) if m is negative, the automatic choice otherwise.
func resolveM(nbits, nc, m, radiusHint int) int {
	if m < 0 {
		return 0
	}
	if m > 0 {
		p := newPartition(nbits, m)
		if tableBytes(&p, nc) <= tableBudget(nc) {
			return m
		}
	}
	return chooseM(nbits, nc, radiusHint)
}

// chooseM picks the number of substrings for a segment of nc distinct codes:
// the m minimising the model's cost at the hint radius, among those whose
// tables fit the memory budget (see tableBudget). 0 means scan only.
func chooseM(nbits, nc, radiusHint int) int {
	if nc < minIndexed {
		return 0
	}
	r := min(max(radiusHint, 0), nbits-1)
	line := lineCost(footprintOf(nbits, nc, nc))
	best, bestCost := 0, scanCost(nc, nbits)
	for m := (nbits + maxSubBits - 1) / maxSubBits; m <= nbits/4; m++ {
		p := newPartition(nbits, m)
		if tableBytes(&p, nc) > tableBudget(nc) {
			continue
		}
		pl := makePlan(&p, nc, r, func(i, w int) float64 {
			return float64(nc) / math.Ldexp(1, int(p.width[i]))
		}, line, true)
		if !pl.scan && pl.cost < bestCost {
			best, bestCost = m, pl.cost
		}
	}
	return best
}

// minIndexed: below this many distinct codes a segment is always scanned.
const minIndexed = 1024

// tableBytesPerCode and tableBytesFixed bound the memory of a segment's
// tables: tableBytes <= tableBytesPerCode*nc + tableBytesFixed. With 32 bytes
// of code, 8 of id, 4 of id index and 4 of id offsets this keeps a large
// 256-bit segment under 120 bytes per code.
const (
	tableBytesPerCode = 68
	tableBytesFixed   = 4 << 20
)

func tableBudget(nc int) int { return tableBytesPerCode*nc + tableBytesFixed }

// tableBytes is the memory of the m tables of a segment of nc distinct
// codes: two-level offset arrays plus, for tables 1..m-1, a uint32 slot per
// code (and, for 64-bit codes, an inline copy of the code).
func tableBytes(p *partition, nc int) int {
	per := 4
	if p.bits == 64 {
		per = 12
	}
	b := (p.m - 1) * per * nc
	for _, w := range p.width {
		b += 2*(1<<w+1) + 4*((1<<w)>>relShift+2)
	}
	return b
}

// footprint is the size of the arrays a query touches at random.
func (s *segment) footprint() int {
	return footprintOf(s.nbits, s.nc, s.n) + tableBytes(&s.part, s.nc)
}

func footprintOf(nbits, nc, n int) int { return nc*nbits/8 + 4*nc }

// memBytes estimates the heap bytes of the segment.
func (s *segment) memBytes() int {
	b := 8*len(s.ids) + 8*len(s.codes) + 4*len(s.idStart) + 8*len(s.dead) + 4*len(s.byID) + 8*len(s.idSample)
	for i, t := range s.tabs {
		b += 4*len(t.base) + 2*len(t.rel) + 4*len(t.off) + 4*len(t.slots)
		if i > 0 {
			b += 8 * len(t.codes)
		}
	}
	return b
}
