package index

import (
	"fmt"
	"sort"

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
type matcher struct {
	fps map[uint64]*Fingerprint
	idx map[hashing.Algorithm]*hamming.Index
	// frames indexes registered videos' frames (see video.go).
	frames *hamming.Index
}

// viewBits is how many low bits of a code ID name the view; a fingerprint
// has at most 1<<viewBits views.
const viewBits = 8

// indexedAlgorithms are the algorithms the matcher indexes.
var indexedAlgorithms = []hashing.Algorithm{hashing.PDQ, hashing.PHash, hashing.DHash}

// newMatcher builds a matcher over fps with bulk-loaded indexes.
func newMatcher(fps map[uint64]*Fingerprint) (*matcher, error) {
	m := &matcher{fps: fps, idx: map[hashing.Algorithm]*hamming.Index{}}
	for _, alg := range indexedAlgorithms {
		words := alg.Bits() / 64
		var ids, codes []uint64
		for _, f := range fps {
			for vi, v := range f.Print.Views {
				if h, ok := v.Hash(alg); ok {
					ids = append(ids, codeID(f.ID, vi))
					codes = append(codes, h.Code[:words]...)
				}
			}
		}
		ix, err := hamming.Build(alg.Bits(), ids, codes)
		if err != nil {
			return nil, fmt.Errorf("build %s index: %w", alg, err)
		}
		m.idx[alg] = ix
	}
	frames, err := buildFrames(fps)
	if err != nil {
		return nil, err
	}
	m.frames = frames
	return m, nil
}

func codeID(fp uint64, view int) uint64 { return fp<<viewBits | uint64(view) }

// add makes f's views searchable.
func (m *matcher) add(f *Fingerprint) error {
	if len(f.Print.Views) > 1<<viewBits {
		return fmt.Errorf("fingerprint %d has %d views, at most %d: %w", f.ID, len(f.Print.Views), 1<<viewBits, store.ErrInvalid)
	}
	m.fps[f.ID] = f
	if err := m.addFrames(f); err != nil {
		return err
	}
	for vi, v := range f.Print.Views {
		for _, h := range v.Hashes {
			ix, ok := m.idx[h.Algorithm]
			if !ok {
				continue
			}
			if err := ix.Insert(codeID(f.ID, vi), h.Code[:h.Algorithm.Bits()/64]); err != nil {
				return fmt.Errorf("index fingerprint %d: %w", f.ID, err)
			}
		}
	}
	return nil
}

// remove makes the fingerprint with this ID unsearchable.
func (m *matcher) remove(id uint64) {
	f, ok := m.fps[id]
	if !ok {
		return
	}
	delete(m.fps, id)
	m.removeFrames(f)
	for vi, v := range f.Print.Views {
		for _, h := range v.Hashes {
			if ix, ok := m.idx[h.Algorithm]; ok {
				ix.Delete(codeID(id, vi))
			}
		}
	}
}

// match returns every fingerprint some view pair of which rule accepts,
// with its best evidence, nearest first, if the pictures pass the rule's
// tests on whole pictures (Rule.Confirm) too.
func (m *matcher) match(query hashing.Fingerprint, rule hashing.Rule) []Match {
	best := map[uint64]hashing.Evidence{}
	var hits []hamming.Match
	for _, qv := range query.Views {
		for _, c := range rule.Clauses {
			if len(c) == 0 {
				continue
			}
			key := c[0]
			h, ok := qv.Hash(key.Algorithm)
			ix := m.idx[key.Algorithm]
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
				ev, ok := rule.Compare(qv, f.Print.Views[vi])
				if !ok {
					continue
				}
				if prev, seen := best[fpID]; !seen || ev.Distance < prev.Distance {
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
