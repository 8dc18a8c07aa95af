package index

import (
	"context"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
)

// Match is one registered fingerprint a query resembles.
type Match struct {
	Fingerprint uint64
	// Centre and Case name the case the fingerprint is registered under:
	// its alert goes to that centre.
	Centre   string
	Case     string
	Label    string
	Source   string
	Evidence hashing.Evidence
	// Video says where a registered video was found, for video queries
	// (see MatchVideo); nil for pictures.
	Video *VideoEvidence
	// QueryPDQ is the query's own PDQ as served (its original view), kept
	// with the alert for the negative bank; zero for videos.
	QueryPDQ hashing.Hash `json:",omitzero"`
}

// Match returns the registered fingerprints that rule says query shows,
// nearest first. A video query (Kind video) is matched against registered
// videos by MatchVideo with video.DefaultMatching and rule's MinQuality. It reads only memory: exact multi-index Hamming searches
// (package hamming) by each rule clause's first algorithm, then the whole
// rule on each candidate. Withdrawn cases are never returned.
func (ix *Index) Match(ctx context.Context, query hashing.Fingerprint, rule hashing.Rule) ([]Match, error) {
	if query.Kind == hashing.KindVideo {
		vm := video.DefaultMatching()
		if rule.MinQuality > 0 {
			vm.MinQuality = rule.MinQuality
		}
		return ix.MatchVideo(ctx, query, vm)
	}
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
	return ix.active.match(query, rule), nil
}

// ActiveCount is the number of fingerprints Match searches (in a read-only
// DB, zero until the first Match has loaded them).
func (ix *Index) ActiveCount() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.active.fps)
}
