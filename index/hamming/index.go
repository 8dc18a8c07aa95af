package hamming

import (
	"cmp"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Match is one search result: the id of a stored code and its Hamming
// distance to the query.
type Match struct {
	ID       uint64
	Distance int
}

// Errors returned by the package.
var (
	ErrBits       = errors.New("hamming: bits must be 64 or 256")
	ErrCodeLength = errors.New("hamming: code has the wrong number of words")
	ErrOption     = errors.New("hamming: invalid option")
)

type config struct {
	m          int  // substrings per segment, 0 = automatic
	radiusHint int  // radius the automatic m is tuned for
	bufferSize int  // capacity of the write buffer
	background bool // run compaction in the background
	// forceIndex disables the scan fallback whenever the tables can answer
	// (tests use it to exercise the multi-index path on small data).
	forceIndex bool
}

// Option configures an Index.
type Option func(*config) error

// WithSubstrings fixes the number of substrings (tables) m instead of
// choosing it from the segment size. Each substring is bits/m or bits/m+1
// bits wide and must be at most 24 bits wide. Segments too small for m
// (whose tables would exceed the memory bound, see doc.go) still choose
// automatically.
func WithSubstrings(m int) Option {
	return func(c *config) error {
		if m < 1 || m > 64 {
			return fmt.Errorf("%w: %d substrings", ErrOption, m)
		}
		c.m = m
		return nil
	}
}

// WithRadiusHint sets the search radius that the automatic choice of m
// optimises for (default 31 for 256-bit codes, 10 for 64-bit codes). Any
// radius can still be searched exactly.
func WithRadiusHint(r int) Option {
	return func(c *config) error {
		if r < 0 {
			return fmt.Errorf("%w: radius hint %d", ErrOption, r)
		}
		c.radiusHint = r
		return nil
	}
}

// WithBufferSize sets how many inserted codes are held in the linear-scanned
// write buffer before it is frozen and indexed in the background
// (default 4096).
func WithBufferSize(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 1<<20 {
			return fmt.Errorf("%w: buffer size %d", ErrOption, n)
		}
		c.bufferSize = n
		return nil
	}
}

// WithoutBackgroundCompaction disables the background merger: frozen write
// buffers and tombstones then accumulate until Compact is called. Searches
// stay exact either way.
func WithoutBackgroundCompaction() Option {
	return func(c *config) error {
		c.background = false
		return nil
	}
}

// Index is an exact Hamming-radius index over fixed-width binary codes. It is
// safe for concurrent use: Search never blocks; Insert, Delete and Load are
// serialised among themselves.
type Index struct {
	nbits, words int
	cfg          config

	st   atomic.Pointer[state]
	live atomic.Int64

	mu         sync.Mutex // serialises writers and state replacement
	compacting bool       // a compaction job is building (guarded by mu)
	delLog     []uint64   // ids removed while compacting (guarded by mu)
	bgRunning  bool       // the background goroutine is alive (guarded by mu)

	installed *sync.Cond // signalled (with mu) whenever a compaction is published

	jobMu sync.Mutex // serialises compaction jobs
	pool  sync.Pool  // *scratch
}

// state is one published version of the index layout. Its slices are never
// modified after publication; buffers grow in place (append-only, published
// length) and tombstones are set atomically.
type state struct {
	segs   []*segment
	frozen []*buffer
	active *buffer
}

// New returns an empty index for codes of nbits bits (64 or 256).
func New(nbits int, opts ...Option) (*Index, error) {
	if nbits != 64 && nbits != 256 {
		return nil, ErrBits
	}
	cfg := config{bufferSize: 4096, background: true, radiusHint: 31}
	if nbits == 64 {
		cfg.radiusHint = 10
	}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.m > 0 && (nbits+cfg.m-1)/cfg.m > maxSubBits || cfg.m > nbits/2 {
		return nil, fmt.Errorf("%w: %d substrings of a %d-bit code", ErrOption, cfg.m, nbits)
	}
	ix := &Index{nbits: nbits, words: nbits / 64, cfg: cfg}
	ix.st.Store(&state{active: newBuffer(ix.words, cfg.bufferSize)})
	ix.installed = sync.NewCond(&ix.mu)
	ix.pool.New = func() any { return new(scratch) }
	return ix, nil
}

// Build returns an index of nbits-bit codes bulk-loaded with ids and codes
// (codes holds len(ids) codes of nbits/64 words each, back to back).
func Build(nbits int, ids, codes []uint64, opts ...Option) (*Index, error) {
	ix, err := New(nbits, opts...)
	if err != nil {
		return nil, err
	}
	if err := ix.Load(ids, codes); err != nil {
		return nil, err
	}
	return ix, nil
}

// BuildOwned is Build taking ids and codes over, as LoadOwned does: the
// caller must not use either slice afterwards.
func BuildOwned(nbits int, ids, codes []uint64, opts ...Option) (*Index, error) {
	ix, err := New(nbits, opts...)
	if err != nil {
		return nil, err
	}
	if err := ix.LoadOwned(ids, codes); err != nil {
		return nil, err
	}
	return ix, nil
}

// Bits returns the code width.
func (ix *Index) Bits() int { return ix.nbits }

// Len returns the number of live codes.
func (ix *Index) Len() int { return int(ix.live.Load()) }

// Insert stores code under id, replacing any code already stored under id.
// The code is visible to every Search that starts after Insert returns.
// Insert appends to a write buffer; when the background compactor is
// maxFrozen buffers behind, Insert waits for it (backpressure).
func (ix *Index) Insert(id uint64, code []uint64) error {
	if len(code) != ix.words {
		return ErrCodeLength
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for {
		st := ix.st.Load()
		if !st.active.full() {
			break
		}
		// Backpressure: while the compactor is behind by maxFrozen
		// buffers, wait for it (searches scan frozen buffers linearly, so
		// they must not pile up).
		if ix.bgRunning && len(st.frozen) >= maxFrozen {
			ix.installed.Wait()
			continue
		}
		frozen := append(slices.Clip(st.frozen), st.active)
		ix.st.Store(&state{segs: st.segs, frozen: frozen, active: newBuffer(ix.words, ix.cfg.bufferSize)})
		ix.kickLocked()
		break
	}
	st := ix.st.Load()
	if ix.removeLocked(st, id) {
		ix.live.Add(-1)
	}
	st.active.append(id, code)
	ix.live.Add(1)
	return nil
}

// maxFrozen is how many full write buffers may wait for the compactor before
// Insert blocks.
const maxFrozen = 4

// Delete removes the code stored under id and reports whether there was
// one. The code is invisible to every Search that starts after Delete
// returns. Deletion sets a tombstone; space is reclaimed by compaction.
func (ix *Index) Delete(id uint64) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.removeLocked(ix.st.Load(), id) {
		ix.live.Add(-1)
		return true
	}
	return false
}

// removeLocked tombstones the live copy of id, if any.
func (ix *Index) removeLocked(st *state, id uint64) bool {
	found := st.active.remove(id)
	for _, b := range st.frozen {
		if found {
			break
		}
		found = b.remove(id)
	}
	for _, s := range st.segs {
		if found {
			break
		}
		if slot, ok := s.find(id); ok && s.kill(slot) {
			s.ndead++
			found = true
			if s.ndead*4 > s.n {
				ix.kickLocked()
			}
		}
	}
	if found && ix.compacting {
		ix.delLog = append(ix.delLog, id)
	}
	return found
}

// Search returns the stored codes within Hamming distance radius of code,
// sorted by distance then id. The results are appended to dst[:0], so a
// caller may reuse the slice between searches. It panics if code does not
// have bits/64 words.
func (ix *Index) Search(code []uint64, radius int, dst []Match) []Match {
	if len(code) != ix.words {
		panic(ErrCodeLength)
	}
	dst = dst[:0]
	if radius < 0 {
		return dst
	}
	st := ix.st.Load()
	sc := ix.pool.Get().(*scratch)
	for _, s := range st.segs {
		dst = s.search(code, radius, sc, dst)
	}
	ix.pool.Put(sc)
	for _, b := range st.frozen {
		dst = b.scan(code, radius, dst)
	}
	dst = st.active.scan(code, radius, dst)
	sortMatches(dst)
	return dst
}

func sortMatches(ms []Match) {
	if len(ms) < 2 {
		return
	}
	slices.SortFunc(ms, func(a, b Match) int {
		if c := cmp.Compare(a.Distance, b.Distance); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// Load bulk-inserts len(ids) codes (codes holds them back to back, bits/64
// words each). It builds one immutable segment directly, which is far
// cheaper than inserting one by one, then publishes it atomically. Ids
// already in the index, and repeated ids within the input, are replaced
// (the last occurrence wins). Load copies ids and codes; LoadOwned does
// not.
func (ix *Index) Load(ids, codes []uint64) error {
	if len(codes) != len(ids)*ix.words {
		return ErrCodeLength
	}
	ownIDs, ownCodes := makeU64(len(ids)), makeU64(len(codes))
	copy(ownIDs, ids)
	copy(ownCodes, codes)
	return ix.LoadOwned(ownIDs, ownCodes)
}

// LoadOwned is Load without the copy: the index takes ids and codes over,
// reorders them in place and keeps them as its own storage, so that a bulk
// load holds its input only once (the build's other scratch is a few bytes
// per code, see build.go). The caller must not use either slice afterwards.
// Arrays with much unused capacity are copied to fit (an eighth is
// tolerated).
func (ix *Index) LoadOwned(ids, codes []uint64) error {
	if len(codes) != len(ids)*ix.words {
		return ErrCodeLength
	}
	if len(ids) > maxSegmentCodes {
		return fmt.Errorf("%w: %d codes in one load, at most %d", ErrOption, len(ids), maxSegmentCodes)
	}
	if len(ids) == 0 {
		return nil
	}
	s := ix.build(buildInput{ids: ids, codes: codes}, runtime.GOMAXPROCS(0))
	ix.mu.Lock()
	defer ix.mu.Unlock()
	st := ix.st.Load()
	if len(st.segs) > 0 || len(st.frozen) > 0 || st.active.n.Load() > 0 {
		for _, id := range s.ids {
			if ix.removeLocked(st, id) {
				ix.live.Add(-1)
			}
		}
	}
	segs := append(slices.Clip(st.segs), s)
	ix.st.Store(&state{segs: segs, frozen: st.frozen, active: st.active})
	ix.live.Add(int64(s.n))
	ix.kickLocked()
	return nil
}

// LoadSeq bulk-loads the (id, code) pairs of seq; see Load.
func (ix *Index) LoadSeq(seq iter.Seq2[uint64, []uint64]) error {
	var ids, codes []uint64
	for id, code := range seq {
		if len(code) != ix.words {
			return ErrCodeLength
		}
		ids = append(ids, id)
		codes = append(codes, code...)
	}
	return ix.LoadOwned(ids, codes)
}

func (ix *Index) build(in buildInput, par int) *segment {
	m := ix.cfg.m
	s := buildSegment(ix.nbits, in, m, ix.cfg.radiusHint, par)
	s.forceIndex = ix.cfg.forceIndex
	return s
}

// Compact merges every segment and write buffer into a single segment,
// dropping tombstoned codes. Searches continue on the previous layout while
// the new segment is built and are never blocked; writers are blocked only
// while the result is published.
func (ix *Index) Compact() {
	ix.jobMu.Lock()
	defer ix.jobMu.Unlock()
	ix.mu.Lock()
	st := ix.st.Load()
	if st.active.n.Load() > 0 {
		st = &state{segs: st.segs, frozen: append(slices.Clip(st.frozen), st.active),
			active: newBuffer(ix.words, ix.cfg.bufferSize)}
		ix.st.Store(st)
	}
	j := &job{segs: st.segs, bufs: st.frozen}
	if len(j.bufs) == 0 && (len(j.segs) == 0 || len(j.segs) == 1 && j.segs[0].ndead == 0) {
		ix.mu.Unlock()
		return
	}
	ix.compacting = true
	ix.mu.Unlock()
	ix.runJob(j, runtime.GOMAXPROCS(0))
}

// Stats describes the current layout of an index.
type Stats struct {
	Live        int   // live codes
	Segments    int   // immutable indexed segments
	Substrings  []int // m of each segment (0: scan-only)
	SegmentLen  []int // codes (live and tombstoned) in each segment
	Buffered    int   // codes in write buffers (linear-scanned)
	Tombstones  int   // tombstoned codes not yet reclaimed
	ApproxBytes int   // estimated heap bytes of the layout
}

// Stats returns a snapshot of the index layout.
func (ix *Index) Stats() Stats {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	st := ix.st.Load()
	s := Stats{Live: ix.Len(), Segments: len(st.segs)}
	for _, g := range st.segs {
		s.Substrings = append(s.Substrings, g.part.m)
		s.SegmentLen = append(s.SegmentLen, g.n)
		s.Tombstones += g.ndead
		s.ApproxBytes += g.memBytes()
	}
	for _, b := range append(slices.Clip(st.frozen), st.active) {
		s.Buffered += int(b.n.Load())
		s.Tombstones += b.ndead
		s.ApproxBytes += b.memBytes()
	}
	return s
}
