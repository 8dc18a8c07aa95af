package eval

import (
	"context"
	"sync"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
)

// featureSets computes the geometric verifier's corner sets
// (Hasher.Features) of pictures the pool eval reads, once each: its
// fingerprint cache holds fingerprints without sets, so it applies
// Rule.Verify to the matches the index returns, post hoc, with the test
// the product applies (hashing.VerifyTest.Agrees, as
// index.Index.MatchVerified does). The photo eval takes the product's
// path itself: registration stores the sets and MatchVerified asks for
// the query's. It is safe for concurrent use.
type featureSets struct {
	hasher *hashing.Hasher
	cfg    features.Config
	read   func(name string) ([]byte, error)
	mu     sync.Mutex
	sets   map[string]*features.Set
}

func newFeatureSets(hasher *hashing.Hasher, rule hashing.Rule, read func(name string) ([]byte, error)) *featureSets {
	f := &featureSets{hasher: hasher, read: read, sets: map[string]*features.Set{}}
	if rule.Verify != nil {
		f.cfg = rule.Verify.Config
	}
	return f
}

// get returns the named picture's set, reading it with read the first
// time; a picture that cannot be read or decoded has none (nil), and the
// verifier leaves its matches to the rest of the rule.
func (f *featureSets) get(ctx context.Context, name string) *features.Set {
	f.mu.Lock()
	s, ok := f.sets[name]
	f.mu.Unlock()
	if ok {
		return s
	}
	if data, err := f.read(name); err == nil {
		if set, err := f.hasher.Features(ctx, data, f.cfg); err == nil {
			s = &set
		}
	}
	f.mu.Lock()
	f.sets[name] = s
	f.mu.Unlock()
	return s
}
