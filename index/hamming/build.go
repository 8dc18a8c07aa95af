package hamming

import (
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
)

// A segment is bulk-built in place. The input's id and code arrays are
// reordered where they lie and become the segment's own ids and codes, so
// a build needs no copy of its input. Its two uint32 arrays of scratch per
// code become byID and the first table's slot array; beyond what the
// segment keeps it allocates a uint16 per code and goroutine and some
// 2 MiB of counters per goroutine. At 8M 256-bit codes that is some 40 MB,
// where a build that copied its input and sorted (key, value) pairs took
// more than the segment itself. Memory not taken is memory the garbage
// collector need not find: the heap's peak during a build stays close to
// what it holds after (TestBuildInPlaceAllocatesLittleBeyondWhatItKeeps).
//
// The steps:
//
//  1. Rows (id and code) are ordered by id: a counting sort on the id's
//     high bits into buckets of a few rows, each then sorted, gives the
//     permutation, and permuteRows moves the rows along it in place; of
//     repeated ids the last is kept.
//  2. Rows are ordered by table 0's key (keySorter: a counting sort over at
//     most 256 partitions of the key's high bits, then one in cache per
//     partition on its low 16 bits) and moved in place again; each key's
//     rows, now adjacent, are sorted by code. Identical codes are then
//     adjacent: their ids stay together and the distinct codes are
//     compacted to the front, numbered by slot. byID is the inverse of the
//     permutation, since the rows were in id order before it.
//  3. Each further table sorts the slots by its key into its slot array
//     and writes its offsets directly from the sort's counts.

// buildInput is a flat list of (id, code) pairs. buildSegment owns both
// arrays: it reorders them in place and keeps them.
type buildInput struct {
	ids   []uint64
	codes []uint64
}

// maxSegmentCodes is the most codes one segment holds: positions and slots
// are uint32.
const maxSegmentCodes = 1<<31 - 1

// buildSegment builds a segment from in, taking ownership of its arrays.
// Duplicate ids keep the last occurrence. m = 0 chooses the number of
// substrings automatically (see chooseM), m < 0 forces a scan-only
// segment. par bounds the goroutines building tables.
func buildSegment(nbits int, in buildInput, m, radiusHint, par int) *segment {
	words := nbits / 64
	ids, codes := in.ids, in.codes
	n0 := len(ids)
	scratch, dest := makeU32(n0), makeU32(n0)
	ks := newKeySorter(n0)

	// 1. Rows in id order, repeated ids dropped.
	n := sortByID(ids, codes, words, scratch, dest)
	ids, codes = shrink(ids[:n], n), codes[:n*words]

	s := &segment{nbits: nbits, words: words, n: n}
	s.plans = make([]atomic.Pointer[plan], nbits+1)
	s.dead = makeU64((n + 63) / 64)

	// 2. Rows in table-0 key order of the partition chosen for n codes,
	// then by code; identical codes become one slot.
	m0 := resolveM(nbits, n, m, radiusHint)
	gp := newPartition(nbits, nbits/16) // grouping partition: table 0's key
	if m0 > 0 {
		gp = newPartition(nbits, m0)
	}
	order := scratch[:n]
	src := newKeySource(codes, words, &gp, 0)
	ks.count(src, n)
	ks.sort(order, nil)
	// The rows move to their key's place (dest, the inverse of order, is
	// left the identity), then each key's run, now adjacent, is sorted by
	// code, with order, which holds each row's rank in id order, moved
	// along. byID, the positions in id order, is then order's inverse.
	byID := dest[:n]
	for p, r := range order {
		byID[r] = uint32(p)
	}
	permuteRows(byID, ids, codes, words)
	sortRuns(src, n, ids, order)
	for p, r := range order {
		byID[r] = uint32(p)
	}
	s.byID = shrink(byID, n)
	idStart := makeU32(n + 1)
	nc := 0
	for p := 0; p < n; p++ {
		row := codes[p*words : p*words+words]
		if p > 0 && slices.Equal(row, codes[(p-1)*words:p*words]) {
			continue
		}
		idStart[nc] = uint32(p)
		if nc != p {
			copy(codes[nc*words:nc*words+words], row)
		}
		nc++
	}
	idStart[nc] = uint32(n)
	s.nc = nc
	codes = shrink(codes[:nc*words], nc*words)
	idStart = shrink(idStart[:nc+1], nc+1)

	// The number of tables for nc distinct codes; if table 0's key is not
	// the grouping key, renumber the slots in its order.
	m = resolveM(nbits, nc, m, radiusHint)
	s.part = newPartition(nbits, m)
	if m > 0 && s.part.width[0] != gp.width[0] {
		ids, idStart = s.renumber(ids, codes, idStart, scratch[:nc], ks)
	}
	s.ids, s.codes, s.idStart = ids, codes, idStart
	// The scratch array becomes a table's slot array if it fits.
	spare := make(chan []uint32, 1)
	if cap(scratch)-nc <= nc/8 {
		spare <- scratch[:nc]
	}
	scratch, dest = nil, nil
	s.idSample = makeU64((n + (1 << idSampleShift) - 1) >> idSampleShift)
	for i := range s.idSample {
		s.idSample[i] = s.ids[s.byID[i<<idSampleShift]]
	}
	s.line = lineCost(s.footprint())
	if m == 0 {
		return s
	}

	// 3. The tables.
	s.tabs = make([]table, m)
	var wg sync.WaitGroup
	var next atomic.Int32
	for g := range min(max(par, 1), m) {
		wg.Go(func() {
			wks := ks
			if g > 0 {
				wks = newKeySorter(nc)
			}
			for {
				i := int(next.Add(1)) - 1
				if i >= m {
					return
				}
				s.tabs[i] = s.buildTable(i, wks, spare)
			}
		})
	}
	wg.Wait()
	s.measure()
	return s
}

// shrink returns s, or a copy of it if its array is more than an eighth
// larger than n elements (a build must not keep a mostly unused array).
func shrink[T uint32 | uint64](s []T, n int) []T {
	if cap(s)-n <= n/8 {
		return s
	}
	c := make([]T, n)
	adviseHuge(c)
	copy(c, s)
	return c
}

// renumber reorders the slots by table 0's key: the distinct codes in
// place, their ids into a new array, byID accordingly. It returns the new
// ids and idStart. gidx is scratch of nc entries. This happens only when
// duplicates make the table count for the distinct codes differ from that
// for all codes, so its extra arrays are rarely paid for.
func (s *segment) renumber(ids, codes []uint64, idStart, gidx []uint32, ks *keySorter) ([]uint64, []uint32) {
	nc, words := s.nc, s.words
	src := newKeySource(codes, words, &s.part, 0)
	ks.count(src, nc)
	ks.sort(gidx, nil)
	newIDs := makeU64(s.n)
	newStart := makeU32(nc + 1)
	posOf := makeU32(s.n) // old position -> new position
	p := uint32(0)
	for slot, g := range gidx {
		newStart[slot] = p
		for q := idStart[g]; q < idStart[g+1]; q++ {
			newIDs[p] = ids[q]
			posOf[q] = p
			p++
		}
	}
	newStart[nc] = uint32(s.n)
	for j, q := range s.byID {
		s.byID[j] = posOf[q]
	}
	dest := posOf[:nc]
	for slot, g := range gidx {
		dest[g] = uint32(slot)
	}
	permuteRows(dest, nil, codes, words)
	return newIDs, newStart
}

// sortByID orders the rows (ids[r], codes[r*words:(r+1)*words]) by id,
// stably, keeps the last of each run of equal ids at the front and returns
// how many rows that is. perm and dest are scratch of len(ids) entries.
func sortByID(ids, codes []uint64, words int, perm, dest []uint32) int {
	n0 := len(ids)
	if !slices.IsSorted(ids) {
		idOrder(ids, perm)
		for p, r := range perm {
			dest[r] = uint32(p)
		}
		permuteRows(dest, ids, codes, words)
	}
	j := 0
	for i := 0; i < n0; i++ {
		if i+1 < n0 && ids[i+1] == ids[i] {
			continue
		}
		if j != i {
			ids[j] = ids[i]
			copy(codes[j*words:j*words+words], codes[i*words:i*words+words])
		}
		j++
	}
	return j
}

// idOrder writes into perm the row numbers 0..len(ids)-1 ordered by id,
// rows with equal ids in row order. It counting-sorts the rows on the ids'
// high bits into buckets of a few rows on average, then sorts each bucket
// by (id, row).
func idOrder(ids []uint64, perm []uint32) {
	n := len(ids)
	lo, hi := slices.Min(ids), slices.Max(ids)
	kb := min(max(bits.Len(uint(n>>2)), 1), 22)
	shift := max(bits.Len64(hi-lo)-kb, 0)
	nb := int((hi-lo)>>shift) + 1
	end := make([]uint32, nb+1) // counts, then bucket starts, then ends
	for _, id := range ids {
		end[(id-lo)>>shift+1]++
	}
	for b := 1; b <= nb; b++ {
		end[b] += end[b-1]
	}
	for r, id := range ids {
		b := (id - lo) >> shift
		perm[end[b]] = uint32(r)
		end[b]++ // the start of bucket b moves to its end
	}
	less := func(a, b uint32) bool { return ids[a] < ids[b] || ids[a] == ids[b] && a < b }
	var pairs []idRow
	start := uint32(0)
	for b := 0; b < nb; b++ {
		bucket := perm[start:end[b]]
		start = end[b]
		switch {
		case len(bucket) < 2:
		case len(bucket) <= 16:
			for i := 1; i < len(bucket); i++ {
				v := bucket[i]
				j := i
				for j > 0 && less(v, bucket[j-1]) {
					bucket[j] = bucket[j-1]
					j--
				}
				bucket[j] = v
			}
		default:
			pairs = pairs[:0]
			for _, r := range bucket {
				pairs = append(pairs, idRow{ids[r], r})
			}
			slices.SortFunc(pairs, func(a, b idRow) int {
				switch {
				case a.id != b.id:
					if a.id < b.id {
						return -1
					}
					return 1
				case a.row < b.row:
					return -1
				case a.row > b.row:
					return 1
				}
				return 0
			})
			for i, p := range pairs {
				bucket[i] = p.row
			}
		}
	}
}

type idRow struct {
	id  uint64
	row uint32
}

// permuteRows moves every row r (ids[r], unless ids is nil, and
// codes[r*words:(r+1)*words]) to position dest[r], in place. Following the
// permutation's cycles through the whole array would take two dependent
// cache misses per row; instead a first pass swaps each row into the
// stretch of permStretch rows holding its destination, filling every
// stretch from its front (a pass of American flag sort, whose writes are
// one sequential stream per stretch), and a second puts each stretch, now
// in cache, in order by swaps. dest must be a permutation of
// 0..len(dest)-1; it is moved along and left as the identity.
func permuteRows(dest []uint32, ids, codes []uint64, words int) {
	if len(codes) == 0 {
		return
	}
	if words == 4 {
		permuteRowsOf(dest, ids, unsafe.Slice((*[4]uint64)(unsafe.Pointer(&codes[0])), len(codes)/4))
		return
	}
	permuteRowsOf(dest, ids, unsafe.Slice((*[1]uint64)(unsafe.Pointer(&codes[0])), len(codes)))
}

func permuteRowsOf[R [1]uint64 | [4]uint64](dest []uint32, ids []uint64, rows []R) {
	n := len(dest)
	swap := func(a, b int) {
		rows[a], rows[b] = rows[b], rows[a]
		if ids != nil {
			ids[a], ids[b] = ids[b], ids[a]
		}
		dest[a], dest[b] = dest[b], dest[a]
	}
	ns := (n + permStretch - 1) / permStretch
	if ns > 1 {
		next := make([]int, ns) // the first row of each stretch not yet filled
		for b := range next {
			next[b] = b * permStretch
		}
		for b := range ns {
			end := min((b+1)*permStretch, n)
			for i := next[b]; i < end; i = next[b] {
				d := int(dest[i]) / permStretch
				if d == b {
					next[b]++
					continue
				}
				swap(i, next[d])
				next[d]++
			}
		}
	}
	for i := range n {
		for int(dest[i]) != i {
			swap(i, int(dest[i]))
		}
	}
}

// permStretch is the number of rows permuteRows orders within the cache:
// 16384 rows of a 256-bit code, id and destination are 704 KiB.
const permStretch = 1 << 14

// sortRuns sorts by code, stably, each run of adjacent rows (of the first
// n of src.codes) having the same key, moving ids and rank along.
func sortRuns(src keySource, n int, ids []uint64, rank []uint32) {
	lo := 0
	for lo < n {
		k := src.key(lo)
		hi := lo + 1
		for hi < n && src.key(hi) == k {
			hi++
		}
		if hi-lo > 1 {
			sortRows(src.codes, src.words, ids, rank, lo, hi)
		}
		lo = hi
	}
}

// sortRows sorts the rows lo..hi-1 (codes of words, ids and rank) by
// code, stably: by insertion when there are few (as there are unless the
// data is duplicate-heavy, when they are mostly in order already), else
// through a sorted index and a copy.
func sortRows(codes []uint64, words int, ids []uint64, rank []uint32, lo, hi int) {
	row := func(p int) []uint64 { return codes[p*words : p*words+words] }
	if hi-lo <= 16 {
		var tmp [4]uint64
		for i := lo + 1; i < hi; i++ {
			if slices.Compare(row(i-1), row(i)) <= 0 {
				continue
			}
			copy(tmp[:words], row(i))
			id, r := ids[i], rank[i]
			j := i
			for j > lo && slices.Compare(row(j-1), tmp[:words]) > 0 {
				copy(row(j), row(j-1))
				ids[j], rank[j] = ids[j-1], rank[j-1]
				j--
			}
			copy(row(j), tmp[:words])
			ids[j], rank[j] = id, r
		}
		return
	}
	idx := make([]int, hi-lo)
	for i := range idx {
		idx[i] = lo + i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return slices.Compare(row(a), row(b)) })
	rows := make([]uint64, (hi-lo)*words)
	rid := make([]uint64, hi-lo)
	rr := make([]uint32, hi-lo)
	for i, p := range idx {
		copy(rows[i*words:], row(p))
		rid[i], rr[i] = ids[p], rank[p]
	}
	copy(codes[lo*words:hi*words], rows)
	copy(ids[lo:hi], rid)
	copy(rank[lo:hi], rr)
}

// keySource gives the key of table i of a partition for rows of codes,
// with the substring's position looked up once.
type keySource struct {
	codes      []uint64
	words, off int
	shift      uint
	cross      bool
	mask       uint64
	width      int
}

func newKeySource(codes []uint64, words int, p *partition, i int) keySource {
	return keySource{codes: codes, words: words, off: int(p.word[i]), shift: uint(p.shift[i]),
		cross: p.cross[i], mask: p.mask[i], width: int(p.width[i])}
}

// key is partition.key of row r.
func (k keySource) key(r int) uint32 {
	o := r*k.words + k.off
	v := k.codes[o] >> k.shift
	if k.cross {
		v |= k.codes[o+1] << (64 - k.shift)
	}
	return uint32(v & k.mask)
}

// sortLowBits is the key width keySorter sorts within one cache-resident
// partition (2^16 counters, 256 KiB).
const sortLowBits = 16

// keySorter stably sorts rows by a key of up to 24 bits without a copy of
// the keys: count records the blocks' populations (of 2^relShift keys
// each, which is what a table's two-level offsets need), sort partitions
// the rows by the key's high bits into at most 256 sequential streams,
// remembering each row's low 16 bits, then counting-sorts each partition
// on them with its counters in cache. Its buffers are reused from one sort
// to the next.
type keySorter struct {
	src      keySource
	n        int
	blk      []uint32 // rows per block of keys, from count
	low      []uint16 // low key bits by output position
	buf      []uint32 // one partition's rows
	cnt, cur []uint32
	pstart   []uint32
}

func newKeySorter(n int) *keySorter {
	return &keySorter{low: makeU16(n), cnt: make([]uint32, 1<<sortLowBits+1), cur: make([]uint32, 1<<sortLowBits)}
}

// count records the population of every block of 2^relShift keys of the
// rows 0..n-1 of src, for the next sort.
func (ks *keySorter) count(src keySource, n int) {
	ks.src, ks.n = src, n
	nb := max(1<<src.width>>relShift, 1)
	if cap(ks.blk) < nb {
		ks.blk = make([]uint32, nb)
	}
	ks.blk = ks.blk[:nb]
	clear(ks.blk)
	for r := range n {
		ks.blk[src.key(r)>>relShift]++
	}
}

// sort writes into out the rows counted by count ordered by key, rows of
// equal key in row order. If visit is not nil it is called for each
// partition of 2^lb keys, in key order, with the partition's first key k0
// and starts, where starts[j] is where the rows of key k0+j begin in out
// (j <= 2^lb; the last entry is the partition's end).
func (ks *keySorter) sort(out []uint32, visit func(k0 uint32, starts []uint32)) {
	src, n := ks.src, ks.n
	w := src.width
	lb := min(w, sortLowBits)
	cnt := ks.cnt[:1<<lb+1]
	cur := ks.cur[:1<<lb]
	low := ks.low[:n]
	if lb == w { // one partition
		clear(cnt)
		for r := range n {
			k := src.key(r)
			low[r] = uint16(k)
			cnt[k+1]++
		}
		for j := 1; j < len(cnt); j++ {
			cnt[j] += cnt[j-1]
		}
		copy(cur, cnt)
		for r, k := range low {
			out[cur[k]] = uint32(r)
			cur[k]++
		}
		if visit != nil {
			visit(0, cnt)
		}
		return
	}
	np := 1 << (w - lb)
	per := 1 << (lb - relShift) // blocks per partition
	if cap(ks.pstart) < np+1 {
		ks.pstart = make([]uint32, np+1)
	}
	pstart := ks.pstart[:np+1]
	pstart[0] = 0
	largest := uint32(0)
	for p := range np {
		c := uint32(0)
		for _, b := range ks.blk[p*per : (p+1)*per] {
			c += b
		}
		pstart[p+1] = pstart[p] + c
		largest = max(largest, c)
	}
	if cap(ks.buf) < int(largest) {
		ks.buf = make([]uint32, largest)
	}
	pcur := cur[:np]
	copy(pcur, pstart)
	for r := range n {
		k := src.key(r)
		p := k >> lb
		c := pcur[p]
		out[c] = uint32(r)
		low[c] = uint16(k)
		pcur[p] = c + 1
	}
	for p := range np {
		a, b := pstart[p], pstart[p+1]
		clear(cnt)
		for _, k := range low[a:b] {
			cnt[int(k)+1]++ // int: k+1 would wrap at 0xffff
		}
		cnt[0] = a
		for j := 1; j < len(cnt); j++ {
			cnt[j] += cnt[j-1]
		}
		buf := ks.buf[:b-a]
		copy(buf, out[a:b])
		copy(cur, cnt)
		for j, k := range low[a:b] {
			c := cur[k]
			out[c] = buf[j]
			cur[k] = c + 1
		}
		if visit != nil {
			visit(uint32(p)<<lb, cnt)
		}
	}
}

// buildTable builds table i over the distinct codes with ks, which it
// leaves holding nothing it needs, taking its slot array from spare if one
// is there.
func (s *segment) buildTable(i int, ks *keySorter, spare chan []uint32) table {
	src := newKeySource(s.codes, s.words, &s.part, i)
	w := src.width
	ks.count(src, s.nc)
	var t table
	o := t.offsets(w, ks.blk)
	if i == 0 {
		// The slots are in table 0's key order: only offsets.
		k := 0
		for slot := range s.nc {
			for key := int(src.key(slot)); k <= key; k++ {
				o.set(uint32(k), uint32(slot))
			}
		}
		for ; k <= 1<<w; k++ {
			o.set(uint32(k), uint32(s.nc))
		}
		if s.words == 1 {
			t.codes = s.codes
		}
		return t
	}
	select {
	case t.slots = <-spare:
	default:
		t.slots = makeU32(s.nc)
	}
	ks.sort(t.slots, func(k0 uint32, starts []uint32) {
		for j, off := range starts {
			o.set(k0+uint32(j), off)
		}
	})
	if s.words == 1 {
		t.codes = makeU64(s.nc)
		for p, slot := range t.slots {
			t.codes[p] = s.codes[slot]
		}
	}
	return t
}

// offsetWriter records a table's offsets off(k) as a sort finds them.
type offsetWriter struct{ t *table }

// offsets allocates the offset arrays of a table of width w whose blocks of 2^relShift keys hold blk codes each: two-level offsets,
// or plain uint32 ones if a block holds 2^16 codes or more.
func (t *table) offsets(w int, blk []uint32) offsetWriter {
	if slices.Max(blk) >= 1<<16 {
		t.off = makeU32(1<<w + 1)
		return offsetWriter{t}
	}
	t.base = makeU32((1<<w+1)>>relShift + 2)
	sum := uint32(0)
	for j := range t.base {
		t.base[j] = sum // off(min(j<<relShift, 2^w))
		if j < len(blk) {
			sum += blk[j]
		}
	}
	t.rel = makeU16(1<<w + 1)
	return offsetWriter{t}
}

// set records off(k).
func (o offsetWriter) set(k, off uint32) {
	if o.t.off != nil {
		o.t.off[k] = off
		return
	}
	o.t.rel[k] = uint16(off - o.t.base[k>>relShift])
}
