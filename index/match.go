package index

import (
	"context"
	"sort"

	"github.com/hashwatch/hashwatch/hashing"
)

// Match is one registered fingerprint a query resembles.
type Match struct {
	Fingerprint uint64
	Case        string
	Label       string
	Source      string
	Evidence    hashing.Evidence
}

// Match returns the registered fingerprints that rule says query shows,
// nearest first. It reads only memory; withdrawn cases are never returned.
//
// This is a linear scan over every registered fingerprint, which is fine for
// thousands of fingerprints; a multi-index Hamming search replaces it for
// millions.
func (db *DB) Match(ctx context.Context, query hashing.Fingerprint, rule hashing.Rule) ([]Match, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if db.readOnly {
		db.loadOnce.Do(func() { db.loadErr = db.loadActive() })
		if db.loadErr != nil {
			return nil, db.loadErr
		}
	}
	db.mu.RLock()
	var out []Match
	for _, f := range db.active {
		if ev, ok := rule.Best(query, f.Print); ok {
			out = append(out, Match{Fingerprint: f.ID, Case: f.Case, Label: f.Label, Source: f.Source, Evidence: ev})
		}
	}
	db.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Evidence.Distance != out[j].Evidence.Distance {
			return out[i].Evidence.Distance < out[j].Evidence.Distance
		}
		return out[i].Fingerprint < out[j].Fingerprint
	})
	return out, nil
}

// ActiveCount is the number of fingerprints Match searches (in a read-only
// DB, zero until the first Match has loaded them).
func (db *DB) ActiveCount() int {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return len(db.active)
}
