package hamming

import (
	"math"
	"slices"
	"sync"
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

// buildInput is a flat list of (id, code) pairs.
type buildInput struct {
	ids   []uint64
	codes []uint64
}

// buildSegment builds a segment from in. Duplicate ids keep the last
// occurrence. m = 0 chooses the number of substrings automatically (see
// chooseM), m < 0 forces a scan-only segment.
func buildSegment(nbits int, in buildInput, m, radiusHint, par int) *segment {
	words := nbits / 64
	n0 := len(in.ids)
	// Sort input positions by id (stable), keep the last of each run.
	sk := makeU64(n0)
	copy(sk, in.ids)
	kept := makeU32(n0)
	for i := range kept {
		kept[i] = uint32(i)
	}
	radixSortPairs(sk, kept)
	keep := make([]bool, n0)
	j := 0
	for i := 0; i < n0; i++ {
		if i+1 < n0 && sk[i+1] == sk[i] {
			continue
		}
		kept[j] = kept[i]
		keep[kept[i]] = true
		j++
	}
	kept = kept[:j]
	sk = nil
	n := len(kept)

	s := &segment{nbits: nbits, words: words, n: n}
	s.plans = make([]atomic.Pointer[plan], nbits+1)
	s.dead = makeU64((n + 63) / 64)

	// Order the kept inputs by the table-0 key of the partition chosen for
	// n codes, copy their codes in that order, sort each bucket by code and
	// drop repeated codes. Reading the inputs sequentially and the codes
	// once keeps this pass cheap at 10M codes.
	m0 := resolveM(nbits, n, m, radiusHint)
	gp := newPartition(nbits, nbits/16) // grouping partition: table 0's key
	if m0 > 0 {
		gp = newPartition(nbits, m0)
	}
	gw := int(gp.width[0])
	order := makeU32(n) // position -> input index
	pc := makeU64(n * words)
	var groups []uint32 // groups[g]: first position of the g-th distinct code
	{
		keys, vals := makeU32(n), makeU32(n)
		c := 0
		for ip := 0; ip < n0; ip++ {
			if keep[ip] {
				keys[c] = gp.key(in.codes[ip*words:], 0)
				vals[c] = uint32(ip)
				c++
			}
		}
		keep = nil
		off := bucketSort(keys, vals, gw, order)
		keys, vals = nil, nil
		for p, ip := range order {
			copy(pc[p*words:p*words+words], in.codes[int(ip)*words:int(ip)*words+words])
		}
		groups = makeU32(n + 1)[:0]
		for k := 0; k+1 < len(off); k++ {
			lo, hi := int(off[k]), int(off[k+1])
			if hi-lo > 1 {
				sortRows(pc, order, lo, hi, words)
			}
			for p := lo; p < hi; p++ {
				if p == lo || !slices.Equal(pc[p*words:p*words+words], pc[(p-1)*words:p*words]) {
					groups = append(groups, uint32(p))
				}
			}
		}
	}
	nc := len(groups)
	groups = append(groups, uint32(n))
	s.nc = nc
	// Compact the distinct codes to the front of pc.
	for g := 0; g < nc; g++ {
		p := int(groups[g])
		copy(pc[g*words:g*words+words], pc[p*words:p*words+words])
	}
	codes := pc[:nc*words]
	if nc < n-n/8 {
		codes = slices.Clone(codes) // do not keep a mostly-duplicate array
	}
	pc = nil

	m = resolveM(nbits, nc, m, radiusHint)
	s.part = newPartition(nbits, m)

	// Slot order: distinct codes by table 0's key (stable). The groups are
	// already in that order when table 0 has the grouping width.
	var gidx []uint32 // slot -> group, nil for the identity
	if m > 0 && int(s.part.width[0]) != gw {
		keys, vals := makeU32(nc), makeU32(nc)
		for g := range keys {
			keys[g] = s.part.key(codes[g*words:], 0)
			vals[g] = uint32(g)
		}
		gidx = makeU32(nc)
		bucketSort(keys, vals, int(s.part.width[0]), gidx)
		perm := makeU64(nc * words)
		for slot, g := range gidx {
			copy(perm[slot*words:slot*words+words], codes[int(g)*words:int(g)*words+words])
		}
		codes = perm
	}
	s.codes = codes
	s.ids = makeU64(n)
	s.idStart = makeU32(nc + 1)
	posOf := makeU32(n0)
	p := 0
	for slot := 0; slot < nc; slot++ {
		g := slot
		if gidx != nil {
			g = int(gidx[slot])
		}
		s.idStart[slot] = uint32(p)
		for _, ip := range order[groups[g]:groups[g+1]] {
			s.ids[p] = in.ids[ip]
			posOf[ip] = uint32(p)
			p++
		}
	}
	s.idStart[nc] = uint32(n)
	order, groups, gidx = nil, nil, nil
	s.byID = makeU32(n)
	for j, ip := range kept {
		s.byID[j] = posOf[ip]
	}
	posOf, kept = nil, nil
	s.idSample = makeU64((n + (1 << idSampleShift) - 1) >> idSampleShift)
	for i := range s.idSample {
		s.idSample[i] = s.ids[s.byID[i<<idSampleShift]]
	}
	s.line = lineCost(s.footprint())
	if m == 0 {
		return s
	}
	s.tabs = make([]table, m)
	if par < 1 {
		par = 1
	}
	var wg sync.WaitGroup
	var next atomic.Int32
	for g := 0; g < min(par, m); g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys, vals := makeU32(nc), makeU32(nc)
			for {
				i := int(next.Add(1)) - 1
				if i >= m {
					return
				}
				s.tabs[i] = s.buildTable(i, keys, vals)
			}
		}()
	}
	wg.Wait()
	s.measure()
	return s
}

// buildTable builds table i over the distinct codes. keys and vals are
// scratch of length nc.
func (s *segment) buildTable(i int, keys, vals []uint32) table {
	w := int(s.part.width[i])
	words := s.words
	var t table
	var off []uint32
	if i == 0 {
		// The slots are in table-0 key order: count only.
		off = makeU32(1<<w + 1)
		for slot := 0; slot < s.nc; slot++ {
			off[s.part.key(s.codes[slot*words:], 0)+1]++
		}
		for k := 1; k < len(off); k++ {
			off[k] += off[k-1]
		}
		if words == 1 {
			t.codes = s.codes
		}
	} else {
		for slot := 0; slot < s.nc; slot++ {
			keys[slot] = s.part.key(s.codes[slot*words:], i)
			vals[slot] = uint32(slot)
		}
		t.slots = makeU32(s.nc)
		off = bucketSort(keys, vals, w, t.slots)
		if words == 1 {
			t.codes = makeU64(s.nc)
			for p, slot := range t.slots {
				t.codes[p] = s.codes[slot]
			}
		}
	}
	// Two-level offsets unless a block of 64 keys spans 2^16 codes or more.
	nb := len(off)>>relShift + 1
	for j := 0; j < nb-1; j++ {
		hiK := min((j+1)<<relShift, len(off)-1)
		if off[hiK]-off[j<<relShift] >= 1<<16 {
			t.off = off
			return t
		}
	}
	t.base = makeU32(nb + 1)
	for j := range t.base {
		t.base[j] = off[min(j<<relShift, len(off)-1)]
	}
	t.rel = makeU16(len(off))
	for k, o := range off {
		t.rel[k] = uint16(o - t.base[k>>relShift])
	}
	return t
}

// sortRows sorts the codes pc[lo:hi] (rows of words) and the matching
// entries of order by code, with an insertion sort (buckets are tiny unless
// the data is duplicate-heavy, when they are mostly equal already) or, for
// large buckets, a sort of row indices.
func sortRows(pc []uint64, order []uint32, lo, hi, words int) {
	row := func(p int) []uint64 { return pc[p*words : p*words+words] }
	if hi-lo <= 16 {
		var tmp [4]uint64
		for i := lo + 1; i < hi; i++ {
			if slices.Compare(row(i-1), row(i)) <= 0 {
				continue
			}
			copy(tmp[:words], row(i))
			o := order[i]
			j := i
			for j > lo && slices.Compare(row(j-1), tmp[:words]) > 0 {
				copy(row(j), row(j-1))
				order[j] = order[j-1]
				j--
			}
			copy(row(j), tmp[:words])
			order[j] = o
		}
		return
	}
	idx := make([]int, hi-lo)
	for i := range idx {
		idx[i] = lo + i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return slices.Compare(row(a), row(b)) })
	rows := make([]uint64, (hi-lo)*words)
	ord := make([]uint32, hi-lo)
	for i, p := range idx {
		copy(rows[i*words:], row(p))
		ord[i] = order[p]
	}
	copy(pc[lo*words:hi*words], rows)
	copy(order[lo:hi], ord)
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
