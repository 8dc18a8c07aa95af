package index

import (
	"fmt"
	"sort"
	"sync"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index/hamming"
	"github.com/hashwatch/hashwatch/store"
)

// matcher is the in-memory side of the index: every registered fingerprint
// of an open case, and one exact Hamming index per algorithm over all their
// views' codes. A rule clause is answered by searching its first algorithm
// within its distance (the selective part) and checking each candidate view
// pair against the whole rule; that returns exactly what comparing the query
// with every registered view would, since a pair can only satisfy a clause
// if its first threshold holds.
//
// A code's ID in the Hamming indexes is its fingerprint ID shifted left by
// viewBits, plus the view's position in the fingerprint, so a candidate
// leads straight to the view to verify.
//
// matcher is not safe for concurrent use by itself: the DB guards it with
// its mutex (the Hamming indexes are safe, the fingerprint map is not).
//
// A registered picture's views are most of the matcher's memory, so they are
// kept compact (see compactOf): Print.Views holds each view's name and PDQ
// hash only, and short the view's 64-bit codes; view reassembles a whole
// view for the rule.
type matcher struct {
	fps map[uint64]*Fingerprint
	// short holds, by fingerprint ID, the pHash and dHash of each view of
	// a compacted fingerprint; a fingerprint without an entry keeps its
	// views whole in Print.Views.
	short map[uint64][]shortCodes
	// names interns view names, so compacted fingerprints share one copy
	// of each instead of a string per view.
	names map[string]string
	// idx holds the eager algorithms' indexes, lazy the others' (see
	// eagerAlgorithm).
	idx  map[hashing.Algorithm]*hamming.Index
	lazy map[hashing.Algorithm]*lazyIndex
	// frames indexes registered videos' frames (see video.go).
	frames *hamming.Index
	// refs indexes registered pictures' reference PDQ (the hash as
	// partners compute it, of the full picture; see shared.go), by
	// fingerprint ID, for lookups of a partner's PDQ.
	refs *hamming.Index
}

// shortCodes are a view's 64-bit codes as the matcher keeps them.
type shortCodes struct {
	phash, dhash uint64
	pq, dq       uint8 // their qualities
	has          uint8 // hasPHash | hasDHash
}

const (
	hasPHash = 1 << iota
	hasDHash
)

// viewBits is how many low bits of a code ID name the view; a fingerprint
// has at most 1<<viewBits views.
const viewBits = 8

// indexedAlgorithms are the algorithms the matcher indexes.
var indexedAlgorithms = []hashing.Algorithm{hashing.PDQ, hashing.PHash, hashing.DHash}

// newMatcher builds a matcher over fps with bulk-loaded indexes. It keeps
// compacted copies of the fingerprints (compactOf), never fps' own.
func newMatcher(fps map[uint64]*Fingerprint) (*matcher, error) {
	m := emptyMatcher()
	for id, f := range fps {
		cf, short := m.compactOf(f)
		m.fps[id] = cf
		if short != nil {
			m.short[id] = short
		}
	}
	return m, m.build()
}

// emptyMatcher is a matcher of no fingerprints, whose indexes are built
// by build (or made by add).
func emptyMatcher() *matcher {
	return &matcher{fps: map[uint64]*Fingerprint{}, short: map[uint64][]shortCodes{},
		names: map[string]string{}, idx: map[hashing.Algorithm]*hamming.Index{}, lazy: map[hashing.Algorithm]*lazyIndex{}}
}

// build bulk-loads the Hamming indexes of the eager algorithms from m.fps
// and m.short, in one pass over the views per algorithm straight into flat
// columns, and readies the lazy ones.
func (m *matcher) build() error {
	m.idx = map[hashing.Algorithm]*hamming.Index{}
	m.lazy = map[hashing.Algorithm]*lazyIndex{}
	for _, alg := range indexedAlgorithms {
		if !eagerAlgorithm(alg) {
			m.lazy[alg] = &lazyIndex{}
			continue
		}
		ix, err := m.buildIndex(alg)
		if err != nil {
			return err
		}
		m.idx[alg] = ix
	}
	if err := m.buildFrames(); err != nil {
		return err
	}
	var ids, codes []uint64
	for _, f := range m.fps {
		if h, ok := referencePDQ(f); ok {
			ids = append(ids, f.ID)
			codes = append(codes, h.Code[:]...)
		}
	}
	var err error
	if m.refs, err = hamming.BuildOwned(hashing.PDQ.Bits(), ids, codes); err != nil {
		return fmt.Errorf("build reference PDQ index: %w", err)
	}
	return nil
}

// compactOf returns the matcher's copy of f: a picture's views with the
// name (interned) and PDQ hash in Print.Views and the pHash and dHash in
// the returned shortCodes, parallel to the views. A fingerprint whose
// views do not have that shape (several hashes of one algorithm, another
// algorithm, a quality outside 0–255) is returned as it is, with nil.
// f itself is never changed.
func (m *matcher) compactOf(f *Fingerprint) (*Fingerprint, []shortCodes) {
	views := f.Print.Views
	if len(views) == 0 {
		return f, nil
	}
	npdq := 0
	for _, v := range views {
		seen := 0
		for _, h := range v.Hashes {
			bit := 0
			switch h.Algorithm {
			case hashing.PDQ:
				bit = 1
				npdq++
			case hashing.PHash:
				bit = 2
			case hashing.DHash:
				bit = 4
			}
			if bit == 0 || seen&bit != 0 || h.Quality < 0 || h.Quality > 255 {
				return f, nil
			}
			seen |= bit
		}
	}
	cp := *f
	nv := make([]hashing.View, len(views))
	pdqs := make([]hashing.Hash, 0, npdq)
	short := make([]shortCodes, len(views))
	for vi, v := range views {
		name, ok := m.names[v.Name]
		if !ok {
			name = v.Name
			m.names[name] = name
		}
		nv[vi].Name = name
		s := &short[vi]
		for _, h := range v.Hashes {
			switch h.Algorithm {
			case hashing.PDQ:
				pdqs = append(pdqs, h)
				nv[vi].Hashes = pdqs[len(pdqs)-1 : len(pdqs) : len(pdqs)]
			case hashing.PHash:
				s.phash, s.pq, s.has = h.Code[0], uint8(h.Quality), s.has|hasPHash
			case hashing.DHash:
				s.dhash, s.dq, s.has = h.Code[0], uint8(h.Quality), s.has|hasDHash
			}
		}
	}
	cp.Print.Views = nv
	return &cp, short
}

// eachHash calls fn with every hash of every view of f (a matcher's copy,
// short its 64-bit codes or nil), without assembling views.
func (m *matcher) eachHash(f *Fingerprint, short []shortCodes, fn func(vi int, h hashing.Hash)) {
	for vi, v := range f.Print.Views {
		for _, h := range v.Hashes {
			fn(vi, h)
		}
		if short != nil {
			s := short[vi]
			if s.has&hasPHash != 0 {
				fn(vi, hashing.Hash{Algorithm: hashing.PHash, Code: hashing.Code{s.phash}, Quality: int(s.pq)})
			}
			if s.has&hasDHash != 0 {
				fn(vi, hashing.Hash{Algorithm: hashing.DHash, Code: hashing.Code{s.dhash}, Quality: int(s.dq)})
			}
		}
	}
}

// view returns view vi of the matcher's fingerprint f whole, as
// registered (hashes in the order PDQ, pHash, dHash).
func (m *matcher) view(f *Fingerprint, vi int) hashing.View {
	v := f.Print.Views[vi]
	short, ok := m.short[f.ID]
	if !ok {
		return v
	}
	hs := make([]hashing.Hash, 0, 3)
	m.eachHash(&Fingerprint{Print: hashing.Fingerprint{Views: f.Print.Views[vi : vi+1]}}, short[vi:vi+1],
		func(_ int, h hashing.Hash) { hs = append(hs, h) })
	return hashing.View{Name: v.Name, Hashes: hs}
}

// buildIndex bulk-loads algorithm alg's Hamming index over every view.
func (m *matcher) buildIndex(alg hashing.Algorithm) (*hamming.Index, error) {
	views := 0
	for _, f := range m.fps {
		views += len(f.Print.Views)
	}
	words := alg.Bits() / 64
	ids := make([]uint64, 0, views)
	codes := make([]uint64, 0, views*words)
	for id, f := range m.fps {
		m.eachHash(f, m.short[id], func(vi int, h hashing.Hash) {
			if h.Algorithm == alg {
				ids = append(ids, codeID(f.ID, vi))
				codes = append(codes, h.Code[:words]...)
			}
		})
	}
	ix, err := hamming.BuildOwned(alg.Bits(), ids, codes)
	if err != nil {
		return nil, fmt.Errorf("build %s index: %w", alg, err)
	}
	return ix, nil
}

// eagerAlgorithm reports whether alg's index is built with the matcher:
// PDQ and pHash, the first algorithms of the default rule's clauses (what
// every crawled picture is searched by) and PDQ also what video matching
// searches. An index costs some 60–100 bytes per code, so the others
// (dHash, which the default rule only checks on candidates) get theirs on
// the first search that needs it (searchIndex), from the codes the
// matcher keeps anyway.
func eagerAlgorithm(alg hashing.Algorithm) bool {
	return alg == hashing.PDQ || alg == hashing.PHash
}

// lazyIndex is the index of an algorithm that is not eager, built by the
// first search that needs it. Searches run under the Index's read lock, so
// once makes one of them build it; add and remove, under the write lock,
// keep it current once it exists.
type lazyIndex struct {
	once sync.Once
	ix   *hamming.Index // nil until built (or if building failed)
}

// searchIndex returns alg's index, building a lazy one on first use, or
// nil when alg has none.
func (m *matcher) searchIndex(alg hashing.Algorithm) *hamming.Index {
	if ix := m.idx[alg]; ix != nil {
		return ix
	}
	l := m.lazy[alg]
	if l == nil {
		return nil
	}
	l.once.Do(func() {
		// Only fails on inconsistent input, which the eager indexes
		// would have refused at load; the algorithm then finds nothing.
		l.ix, _ = m.buildIndex(alg)
	})
	return l.ix
}

// builtIndex is alg's index for add and remove: nil for a lazy index not
// built yet, which will include the change when it is.
func (m *matcher) builtIndex(alg hashing.Algorithm) *hamming.Index {
	if ix := m.idx[alg]; ix != nil {
		return ix
	}
	if l := m.lazy[alg]; l != nil {
		return l.ix
	}
	return nil
}

func codeID(fp uint64, view int) uint64 { return fp<<viewBits | uint64(view) }

// add makes f's views searchable.
func (m *matcher) add(f *Fingerprint) error {
	if len(f.Print.Views) > 1<<viewBits {
		return fmt.Errorf("fingerprint %d has %d views, at most %d: %w", f.ID, len(f.Print.Views), 1<<viewBits, store.ErrInvalid)
	}
	if f.Print.Features != nil {
		// The corner set is stored apart and read on demand
		// (MatchVerified); the matcher never holds it.
		cp := *f
		cp.Print.Features = nil
		f = &cp
	}
	f, short := m.compactOf(f)
	kept, err := m.addFrames(f)
	m.fps[f.ID] = kept
	if short != nil {
		m.short[f.ID] = short
	}
	if err != nil {
		return err
	}
	if h, ok := referencePDQ(f); ok && m.refs != nil {
		if err := m.refs.Insert(f.ID, h.Code[:]); err != nil {
			return fmt.Errorf("index fingerprint %d: %w", f.ID, err)
		}
	}
	m.eachHash(f, short, func(vi int, h hashing.Hash) {
		ix := m.builtIndex(h.Algorithm)
		if ix == nil || err != nil {
			return
		}
		if e := ix.Insert(codeID(f.ID, vi), h.Code[:h.Algorithm.Bits()/64]); e != nil {
			err = fmt.Errorf("index fingerprint %d: %w", f.ID, e)
		}
	})
	return err
}

// remove makes the fingerprint with this ID unsearchable.
func (m *matcher) remove(id uint64) {
	f, ok := m.fps[id]
	if !ok {
		return
	}
	short := m.short[id]
	delete(m.fps, id)
	delete(m.short, id)
	m.removeFrames(f)
	if m.refs != nil {
		m.refs.Delete(id)
	}
	m.eachHash(f, short, func(vi int, h hashing.Hash) {
		if ix := m.builtIndex(h.Algorithm); ix != nil {
			ix.Delete(codeID(id, vi))
		}
	})
}

// match returns every fingerprint some view pair of which rule accepts,
// with its best evidence (hashing.Preferred), nearest first, if the
// pictures pass the rule's tests on whole pictures (Rule.Confirm) too.
func (m *matcher) match(query hashing.Fingerprint, rule hashing.Rule) []Match {
	best := map[uint64]hashing.Evidence{}
	var hits []hamming.Match
	// Each view's distance to the rule's background, scanned once per
	// view and clause rather than once per pair compared.
	var memo hashing.NearMemo
	for _, qv := range query.Views {
		for _, c := range rule.Clauses {
			if len(c) == 0 {
				continue
			}
			key := c[0]
			h, ok := qv.Hash(key.Algorithm)
			ix := m.searchIndex(key.Algorithm)
			if !ok || ix == nil {
				continue
			}
			hits = ix.Search(h.Code[:key.Algorithm.Bits()/64], key.MaxDistance, hits[:0])
			for _, hit := range hits {
				fpID, vi := hit.ID>>viewBits, int(hit.ID&(1<<viewBits-1))
				f, ok := m.fps[fpID]
				if !ok || vi >= len(f.Print.Views) {
					continue
				}
				ev, ok := rule.CompareMemo(qv, m.view(f, vi), &memo)
				if !ok {
					continue
				}
				if prev, seen := best[fpID]; !seen || hashing.Preferred(ev, prev) {
					best[fpID] = ev
				}
			}
		}
	}
	out := make([]Match, 0, len(best))
	served := servedPDQ(query)
	for id, ev := range best {
		f := m.fps[id]
		if !rule.Confirm(query, f.Print, ev) {
			continue
		}
		out = append(out, Match{Fingerprint: id, Centre: f.Centre, Case: f.Case, Label: f.Label, Source: f.Source, Evidence: ev, QueryPDQ: served})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Evidence.Distance != out[j].Evidence.Distance {
			return out[i].Evidence.Distance < out[j].Evidence.Distance
		}
		return out[i].Fingerprint < out[j].Fingerprint
	})
	return out
}

// servedPDQ is the PDQ of the query's original view (the picture as
// served), or the zero Hash when it has none.
func servedPDQ(query hashing.Fingerprint) hashing.Hash {
	for _, v := range query.Views {
		if v.Name == hashing.ViewOriginal {
			h, _ := v.Hash(hashing.PDQ)
			return h
		}
	}
	return hashing.Hash{}
}
