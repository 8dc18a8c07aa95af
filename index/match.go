package index

import (
	"context"

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
// nearest first. It reads only memory: exact multi-index Hamming searches
// (package hamming) by each rule clause's first algorithm, then the whole
// rule on each candidate. Withdrawn cases are never returned.
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
	defer db.mu.RUnlock()
	return db.active.match(query, rule), nil
}

// ActiveCount is the number of fingerprints Match searches (in a read-only
// DB, zero until the first Match has loaded them).
func (db *DB) ActiveCount() int {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return len(db.active.fps)
}
