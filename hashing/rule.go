package hashing

import (
	"fmt"
	"strings"
)

// Threshold is the largest Hamming distance at which two hashes of one
// algorithm count as near.
type Threshold struct {
	Algorithm   Algorithm
	MaxDistance int
}

// Clause is one way two views can match: every threshold must hold (an AND
// over algorithms). The first threshold is the clause's search key: an index
// finds candidates by that algorithm within that distance, then checks the
// rest, so it should be the most selective one.
type Clause []Threshold

// Rule decides whether a query view and a registered view show the same
// picture: they match when any clause holds (an OR of ANDs). Hashes below
// MinQuality never take part, so flat pictures cannot match on their own.
type Rule struct {
	Clauses    []Clause
	MinQuality int
}

// DefaultRule is the documented default, designed with `hashwatch eval
// --dump` on one half of the development photo set and checked on the
// other (see README, "Matching"):
//
//   - pHash ≤ 10 and dHash ≤ 14 and PDQ ≤ 76: the three hashes err on
//     different pictures, so requiring all of them keeps look-alikes (two
//     hammers on a white table, pliers and cutters, two photos of one
//     castle) apart while the many registered views absorb crops, turns and
//     small rotations. Tuned to PDQ ≤ 80 on the first half, the held-out
//     half had one unrelated pair at exactly 80, so the bound is 76; true
//     pairs mostly lie under 64;
//   - or PDQ ≤ 31 alone, PDQ's customary threshold (not tuned here), which
//     also lets fingerprints imported from partners' PDQ hash lists match.
func DefaultRule() Rule {
	return Rule{
		Clauses: []Clause{
			{{PHash, 10}, {DHash, 14}, {PDQ, 76}},
			{{PDQ, 31}},
		},
		MinQuality: 50,
	}
}

// Validate reports a rule that cannot decide anything.
func (r Rule) Validate() error {
	if len(r.Clauses) == 0 {
		return fmt.Errorf("match rule has no clauses")
	}
	for _, c := range r.Clauses {
		if len(c) == 0 {
			return fmt.Errorf("match rule has an empty clause")
		}
		for _, t := range c {
			if !t.Algorithm.Valid() {
				return fmt.Errorf("match rule: unknown algorithm %q", t.Algorithm)
			}
			if t.MaxDistance < 0 || t.MaxDistance > t.Algorithm.Bits() {
				return fmt.Errorf("match rule: %s distance %d out of range 0..%d", t.Algorithm, t.MaxDistance, t.Algorithm.Bits())
			}
		}
	}
	return nil
}

// String formats the rule for logs and help text, e.g.
// "(phash<=10 & dhash<=12 & pdq<=90) | (pdq<=31)".
func (r Rule) String() string {
	clauses := make([]string, len(r.Clauses))
	for i, c := range r.Clauses {
		parts := make([]string, len(c))
		for j, t := range c {
			parts[j] = fmt.Sprintf("%s<=%d", t.Algorithm, t.MaxDistance)
		}
		clauses[i] = "(" + strings.Join(parts, " & ") + ")"
	}
	return strings.Join(clauses, " | ")
}

// Evidence says why two views matched.
type Evidence struct {
	// Algorithm and Distance are what an alert reports: PDQ's distance
	// when both views have PDQ hashes (the hash partners exchange),
	// otherwise the matching clause's first algorithm.
	Algorithm Algorithm
	Distance  int
	// Distances holds every algorithm's distance between the two views.
	Distances map[Algorithm]int
	// QueryView and RegisteredView name the views that matched.
	QueryView, RegisteredView string
	// Clause is the index in Rule.Clauses of the clause that held, so a
	// measurement can say which clause an alert came through.
	Clause int
}

// Compare applies the rule to one pair of views.
func (r Rule) Compare(query, registered View) (Evidence, bool) {
	dist := map[Algorithm]int{}
	distance := func(a Algorithm) (int, bool) {
		if d, ok := dist[a]; ok {
			return d, d >= 0
		}
		q, ok1 := query.Hash(a)
		g, ok2 := registered.Hash(a)
		if !ok1 || !ok2 || q.Quality < r.MinQuality || g.Quality < r.MinQuality {
			dist[a] = -1
			return 0, false
		}
		d := q.Code.Distance(g.Code)
		dist[a] = d
		return d, true
	}
	for ci, c := range r.Clauses {
		ok := len(c) > 0
		for _, t := range c {
			if d, present := distance(t.Algorithm); !present || d > t.MaxDistance {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		ev := Evidence{Algorithm: c[0].Algorithm, QueryView: query.Name, RegisteredView: registered.Name, Distances: map[Algorithm]int{}, Clause: ci}
		ev.Distance, _ = distance(c[0].Algorithm)
		if d, present := distance(PDQ); present {
			ev.Algorithm, ev.Distance = PDQ, d
		}
		for _, a := range []Algorithm{PDQ, PHash, DHash} {
			if d, present := distance(a); present {
				ev.Distances[a] = d
			}
		}
		return ev, true
	}
	return Evidence{}, false
}

// Best compares every view of query with every view of registered and
// returns the matching pair with the smallest reported distance.
func (r Rule) Best(query, registered Fingerprint) (Evidence, bool) {
	var best Evidence
	found := false
	for _, qv := range query.Views {
		for _, rv := range registered.Views {
			if ev, ok := r.Compare(qv, rv); ok && (!found || ev.Distance < best.Distance) {
				best, found = ev, true
			}
		}
	}
	return best, found
}
