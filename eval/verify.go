package eval

import (
	"context"
	"sync"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
)

// featureSets computes the geometric verifier's corner sets
// (Hasher.Features) of pictures eval reads, once each: fingerprints in the
// eval's cache and in its throw-away index carry none (the index does not
// store them yet), so eval applies Rule.Verify to the matches the index
// returns, with the same test (hashing.VerifyTest.Agrees) that
// Rule.Confirm applies to fingerprints that carry sets. It is safe for
// concurrent use.
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

// verified reports whether a match that the index returned stands under
// rule's geometric verifier (always, for a rule without one); query and
// registered return the two pictures' corner sets, called only when the
// match needs checking.
func verified(rule hashing.Rule, ev hashing.Evidence, query, registered func() *features.Set) bool {
	if rule.Verify == nil {
		return true
	}
	if ok, verdict, _ := rule.Verify.Agrees(nil, nil, ev); ok && verdict == hashing.VerifyNotApplied {
		return true
	}
	ok, _, _ := rule.Verify.Agrees(query(), registered(), ev)
	return ok
}

// lazy returns a function that computes the corner set of data the first
// time it is called (nil if data does not decode), for a query checked
// against several registered pictures.
func (f *featureSets) lazy(ctx context.Context, data []byte) func() *features.Set {
	var s *features.Set
	done := false
	return func() *features.Set {
		if !done {
			done = true
			if set, err := f.hasher.Features(ctx, data, f.cfg); err == nil {
				s = &set
			}
		}
		return s
	}
}
