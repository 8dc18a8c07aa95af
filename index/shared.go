package index

import (
	"context"
	"sort"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index/hamming"
)

// A partner platform checks an upload by one PDQ hash, computed as PDQ's
// reference computes it: of the full picture as decoded. A registered
// picture's views are hashed on a small working copy instead (package
// hashing), and the two PDQs of one picture differ by some bits — 24 for
// the console's test photo, most of the way to PDQ's threshold of 31 — so
// a partner's hash of the very picture registered would sit near the edge
// of the rule, and its edited copies beyond it. The matcher therefore
// also indexes each registered picture's reference PDQ (the one export
// shares), and MatchPDQ compares a partner's hash with it as one more
// registered view, under the same rule. Crawled media, hashed like the
// views, are matched by Match alone, as before.

// referenceView names the reference PDQ in a match's evidence.
const referenceView = "reference"

// referencePDQ is the reference PDQ a registered picture is indexed by,
// if it has one (pictures registered from media; an imported hash is its
// original view already).
func referencePDQ(f *Fingerprint) (hashing.Hash, bool) {
	if f.Print.Kind == hashing.KindVideo || len(f.Print.Reference) == 0 {
		return hashing.Hash{}, false
	}
	h := f.Print.Reference[0]
	return h, h.Algorithm == hashing.PDQ
}

// MatchPDQ returns the registered fingerprints that rule says a
// partner's PDQ hash h shows, nearest first: h is compared with every
// registered view, as Match does, and with each registered picture's
// reference PDQ. Withdrawn cases are never returned.
func (ix *Index) MatchPDQ(ctx context.Context, h hashing.Hash, rule hashing.Rule) ([]Match, error) {
	qv := hashing.View{Name: hashing.ViewOriginal, Hashes: []hashing.Hash{h}}
	query := hashing.Fingerprint{Kind: hashing.KindImage, Views: []hashing.View{qv}}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ix.st.ReadOnly() {
		ix.loadOnce.Do(func() { ix.loadErr = ix.loadActive() })
		if ix.loadErr != nil {
			return nil, ix.loadErr
		}
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	ms := ix.active.match(query, rule)
	best := map[uint64]int{}
	for i, m := range ms {
		best[m.Fingerprint] = i
	}
	for _, m := range ix.active.matchReferences(qv, h, rule) {
		if i, ok := best[m.Fingerprint]; ok {
			if m.Evidence.Distance < ms[i].Evidence.Distance {
				ms[i] = m
			}
			continue
		}
		best[m.Fingerprint] = len(ms)
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].Evidence.Distance != ms[j].Evidence.Distance {
			return ms[i].Evidence.Distance < ms[j].Evidence.Distance
		}
		return ms[i].Fingerprint < ms[j].Fingerprint
	})
	return ms, nil
}

// matchReferences compares qv with the registered reference PDQs within
// the rule's largest PDQ threshold.
func (m *matcher) matchReferences(qv hashing.View, h hashing.Hash, rule hashing.Rule) []Match {
	if m.refs == nil || h.Algorithm != hashing.PDQ {
		return nil
	}
	radius := -1
	for _, c := range rule.Clauses {
		for _, t := range c {
			if t.Algorithm == hashing.PDQ {
				radius = max(radius, t.MaxDistance)
			}
		}
	}
	var out []Match
	for _, hit := range m.refs.Search(h.Code[:], radius, []hamming.Match(nil)) {
		f, ok := m.fps[hit.ID]
		if !ok {
			continue
		}
		ref, _ := referencePDQ(f)
		ev, ok := rule.Compare(qv, hashing.View{Name: referenceView, Hashes: []hashing.Hash{ref}})
		if !ok {
			continue
		}
		out = append(out, Match{Fingerprint: f.ID, Centre: f.Centre, Case: f.Case, Label: f.Label, Source: f.Source, Evidence: ev, QueryPDQ: h})
	}
	return out
}
