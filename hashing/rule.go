package hashing

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Threshold is the largest Hamming distance at which two hashes of one
// algorithm count as near.
type Threshold struct {
	Algorithm   Algorithm
	MaxDistance int
	// IfPresent makes the threshold apply only when both views carry the
	// algorithm's hash: fingerprints imported from partners' PDQ lists
	// have no pHash or dHash, and a clause that checks those on native
	// fingerprints must still let them match by PDQ. A hash present but
	// below the rule's MinQuality still fails the threshold. A clause's
	// first threshold, its search key, is never IfPresent.
	IfPresent bool
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
	// Background, when set, adds a ratio test to every clause: a pair of
	// views that satisfies the clause still matches only when its
	// normalised distance (the largest of its distances, each divided by
	// the clause's threshold for that algorithm) is below Ratio times the
	// normalised distance from either view to the nearest background view.
	// A view lying among many unrelated pictures then matches only
	// near-identical copies. Nil disables the test.
	Background *Background
	// Ratio is the ratio test's factor (see Background); 0 means 1.
	Ratio float64
	// Strict, when set with a Background, makes the ratio test stricter
	// for view pairs beyond a PDQ distance (see StrictRatio): those match
	// only through the weak clause, where look-alikes lie. Nil leaves
	// every pair to Ratio.
	Strict *StrictRatio
	// Colour, when set, is a test on whole pictures that a pair of
	// fingerprints whose views match must also pass (see Confirm): their
	// hue histograms must be alike, unless either is near grey. Nil
	// disables it.
	Colour *ColourTest
	// Grey, when set, is a second test on whole pictures for the matches
	// the colour test skips because a picture is near grey (see
	// GreyTest). Nil disables it.
	Grey *GreyTest
	// Verify, when set, is the geometric verifier for matches beyond a
	// PDQ distance (see VerifyTest): the two pictures' corners must agree
	// under one transform. It needs corner sets (Fingerprint.Features);
	// a match where either side has none is left to the rest of the
	// rule. Nil disables it.
	Verify *VerifyTest
}

// DefaultRule is the documented default. It was designed on one half of
// the development photo set (recall per edit, `hashwatch eval --dump`) and
// on the tune split of a pool of unrelated images (`hashwatch eval --pool`,
// false alerts per comparison), and checked on the other halves (README,
// "Matching" and "Measuring false alerts at scale"):
//
//   - pHash ≤ 8 and dHash ≤ 10 and PDQ ≤ 60: the three hashes err on
//     different pictures, so requiring all of them lets hard edits
//     (captions, pads, small rotations, heavy crops) match through views
//     near PDQ 32–60 while keeping look-alikes apart. It was pHash ≤ 10,
//     dHash ≤ 14, PDQ ≤ 76: at scale, that clause let through 1.2×10⁻⁵
//     unrelated pairs per comparison (sprites, icons and sky pictures at
//     PDQ 60–76 with pHash 6–10), while true pairs beyond PDQ 31 lie almost
//     all under PDQ 56 with pHash ≤ 6. PDQ ≤ 56 halved the false alerts
//     again but let a corner crop between two registered crop views (18%)
//     fall to 0.73; 60 keeps it at 0.85;
//   - or PDQ ≤ 31, PDQ's customary threshold, with pHash ≤ 12 and dHash ≤
//     16 where both fingerprints have them: a near-degenerate view (a crop
//     of a frame, a blank page) can sit at PDQ 0–20 from an unrelated one
//     while its 64-bit hashes disagree, which true pairs under PDQ 31
//     (pHash ≤ 10, dHash ≤ 13 on the dev set) never do. Fingerprints
//     imported from partners' PDQ lists have no 64-bit hashes and match by
//     PDQ alone;
//   - and every match passes the background ratio test (Rule.Background):
//     it must be nearer than the nearest of the default background's
//     70,000 unrelated views is to either side, which costs no recall on
//     the dev set and halves what reaches operators from pictures that lie
//     where many unrelated ones do. The background also holds 20,000 views
//     of synthetic layouts (frames, panels, discs, lines and gradients on
//     flat grounds: layoutBackground), so a grey frame, an empty panel or
//     a stick on white — a view whose hashes say little beyond its layout
//     — matches only a copy nearer to it than such a drawing is. On the
//     pool's holdout that took the false alerts from 114 (5 between
//     packages) to 110 (3), 3.7×10⁻⁷ → 2.2×10⁻⁷ between packages per
//     comparison (95% upper 7.8×10⁻⁷ → 5.7×10⁻⁷); the tune split stayed at
//     90 (1), and the development set's recall did not move;
//   - and a match whose best view pair lies beyond PDQ 31 passes the
//     colour test (Rule.Colour): the hue histograms of the two pictures
//     share at least a fifth of their mass, or one of them is near grey
//     (mean chroma below 8). On the development set's tuning half the
//     edits that move the histogram most (20% brighter, a 20% crop from
//     every side) stay under 0.65; pictures of one shape in other colours
//     (planets, recoloured sprites, a fruit and a planet) lie at 0.8–1.
//     Within PDQ 31 the structure alone decides: a sepia or channel-swapped
//     copy of a photo sits at PDQ 6–31 with its hues moved (applied from
//     PDQ 10 up, the test lost 10 of 47 sepia copies and 24 of 47
//     channel-swapped ones of the development photos; from 31 up, none);
//   - and a view pair beyond PDQ 31 — one only the weak clause accepts —
//     passes the ratio test with a factor of 0.75 instead of 1
//     (Rule.Strict): it must be clearly nearer to its partner than to the
//     background, not merely nearer. On the development set's tuning half
//     every true pair that matched beyond PDQ 31 (253: captions, pads,
//     bars, corner and heavy crops, small turns) had a ratio of at most
//     0.70 (median 0.38), the unrelated pairs of the pool's tune split
//     that matched there a median of 0.71 (sprite siblings, frames of one
//     rotating object, one icon drawn at two sizes). No edit of the tuning
//     half loses a match down to a factor of 0.70 (at 0.65 the 18% corner
//     crop loses one); the tune split's false alerts through the weak
//     clause fell from 87 to 52, and on the pool's larger holdout, looked
//     at once to check, those between packages from 87 to 64 (beyond PDQ
//     31: 64 to 41), with no edit of either development half losing a
//     match. A second view pair asked to agree as
//     well (the other views of the same two pictures within loose
//     bounds) did not separate them: the views of one picture err
//     together, for look-alikes as for copies (README, "Measuring false
//     alerts at scale");
//   - and a match in which either picture is near grey, which the colour
//     test skips, passes the grey test (Rule.Grey): its best view pair's
//     background ratio is below 0.75 at any PDQ distance (Rule.Strict
//     asks that only beyond PDQ 31),
//     and where both pictures still have hues (a near-grey picture's few
//     coloured pixels) their histograms are compared above PDQ 31 as the
//     colour test compares coloured ones. On the development set's tuning
//     half, greyscale copies of every photo after each of the 48 edits,
//     and the near-grey photos' own edits, reach ratios up to 0.70 (a
//     corner crop of 18%; 0.75 keeps a margin above them); on the pool's
//     tune split the false alerts involving a grey picture went from 55 to
//     28 (90 → 63 in all: sprite siblings of one metal object at other
//     angles, a rotation apart, remain). On the pool's larger holdout it
//     took the false alerts between packages from 87 to 52 (5.0×10⁻⁷ →
//     3.0×10⁻⁷ per comparison, 95% upper 6.0×10⁻⁷ → 3.7×10⁻⁷), those
//     involving a grey picture from 67 to 32, and all of them from 2,406
//     to 2,345 (measured on the rule without Rule.Strict; with it the
//     tune split goes 55 → 51, the holdout 2,360 → 2,332, between
//     packages 64 → 53: 3.7×10⁻⁷ → 3.0×10⁻⁷ per comparison);
//   - and a match whose best view pair lies beyond PDQ 31 between two
//     native fingerprints passes the geometric verifier (Rule.Verify):
//     at least 5 of the two pictures' corner matches (FAST corners,
//     steered BRIEF descriptors; package hashing/features with its
//     DefaultConfig, FlatThreshold 8) agree on one affine transform
//     (RANSAC inliers). A copy is the same pixels moved; a look-alike
//     drawn anew has corners of its own. On the pool's tune split it took
//     the false alerts from 51 to 32, those between packages from 1 to
//     0; the development set's half A kept every match, half B lost at
//     most one copy in a few edits (README, "Matching"); on the larger
//     holdout, checked once, 2,332 → 2,041, between packages 53 → 23
//     (3.0×10⁻⁷ → 1.3×10⁻⁷ per comparison). Registration
//     stores each picture's corner set (Hasher.Image); a fingerprint
//     without one (imported, a video, registered before the verifier)
//     leaves the match to the rest of the rule.
//
// Hashes of PDQ quality below 50 (flat pictures) never take part.
func DefaultRule() Rule {
	return Rule{
		Clauses: []Clause{
			{{PHash, 8, false}, {DHash, 10, false}, {PDQ, 60, false}},
			{{PDQ, 31, false}, {PHash, 12, true}, {DHash, 16, true}},
		},
		MinQuality: 50,
		Background: DefaultBackground(),
		Ratio:      defaultRatio,
		Colour:     &ColourTest{MinChroma: 8, MaxDistance: 0.8, AbovePDQ: 31},
		Strict:     &StrictRatio{AbovePDQ: 31, Ratio: defaultStrictRatio},
		Grey:       &GreyTest{MinChroma: 8, MaxDistance: 0.8, AbovePDQ: 31, MaxRatio: 0.75},
		Verify:     defaultVerify(),
	}
}

// defaultRatio is the default rule's ratio test factor (Rule.Ratio).
const defaultRatio = 1.0

// defaultStrictRatio is the default rule's ratio test factor for view
// pairs beyond PDQ 31 (Rule.Strict).
const defaultStrictRatio = 0.75

// Validate reports a rule that cannot decide anything.
func (r Rule) Validate() error {
	if len(r.Clauses) == 0 {
		return fmt.Errorf("match rule has no clauses")
	}
	for _, c := range r.Clauses {
		if len(c) == 0 {
			return fmt.Errorf("match rule has an empty clause")
		}
		if c[0].IfPresent {
			return fmt.Errorf("match rule: a clause's first threshold (%s) is its search key and cannot be optional", c[0].Algorithm)
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
// Key names everything the rule decides by: its clauses (String) and a
// digest of each test's parameters (the background by its size) and of
// the views a crawled picture is hashed in (queryViews, partViews,
// ViewMirrored),
// short enough to keep beside every stored result. A crawl's stored match
// results are reused only while Key is unchanged (crawlstate.HashResult),
// so switching on a test (the geometric verifier, a colour test) or
// hashing crawled pictures in new views matches known bytes again rather
// than keep what the old rule found.
func (r Rule) Key() string {
	var b strings.Builder
	fmt.Fprintf(&b, "quality>=%d", r.MinQuality)
	if r.Background != nil {
		fmt.Fprintf(&b, "; background %d ratio %g", r.Background.Len(), r.Ratio)
	}
	if r.Strict != nil {
		fmt.Fprintf(&b, "; strict %+v", *r.Strict)
	}
	if r.Colour != nil {
		fmt.Fprintf(&b, "; colour %+v", *r.Colour)
	}
	if r.Grey != nil {
		fmt.Fprintf(&b, "; grey %+v", *r.Grey)
	}
	if r.Verify != nil {
		fmt.Fprintf(&b, "; verify %+v", *r.Verify)
	}
	b.WriteString("; query views")
	for _, v := range queryViews {
		b.WriteString(" " + v.name)
	}
	for _, v := range partViews {
		b.WriteString(" " + v.name)
	}
	b.WriteString(" " + ViewMirrored)
	sum := sha256.Sum256([]byte(b.String()))
	return r.String() + " #" + hex.EncodeToString(sum[:6])
}

func (r Rule) String() string {
	clauses := make([]string, len(r.Clauses))
	for i, c := range r.Clauses {
		parts := make([]string, len(c))
		for j, t := range c {
			opt := ""
			if t.IfPresent {
				opt = "?"
			}
			parts[j] = fmt.Sprintf("%s%s<=%d", t.Algorithm, opt, t.MaxDistance)
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
	// Clause is the index in Rule.Clauses of the clause that matched.
	Clause int
	// Ratio is the pair's normalised distance divided by the nearer of
	// the two views' normalised distances to the rule's background (see
	// Rule.Background): below the rule's Ratio, and the lower the surer;
	// 0 when the rule has no background.
	Ratio float64
}

// Compare applies the rule to one pair of views.
func (r Rule) Compare(query, registered View) (Evidence, bool) {
	return r.CompareMemo(query, registered, nil)
}

// CompareMemo is Compare for a search that compares the same views many
// times (a query's views with every candidate's, a candidate's views with
// every query view): memo, when not nil, keeps each view's distance to the
// background (Rule.Background), the scan of the whole background that
// dominates a lookup, so that it is made once per view and clause instead
// of once per pair. The result is Compare's. A memo serves one rule.
func (r Rule) CompareMemo(query, registered View, memo *NearMemo) (Evidence, bool) {
	if !Compared(query.Name, registered.Name) {
		return Evidence{}, false
	}
	dist := map[Algorithm]int{}
	// dist holds each algorithm's distance, or -1 when a side lacks the
	// hash, or -2 when a hash is below MinQuality.
	distance := func(a Algorithm) (int, bool) {
		if d, ok := dist[a]; ok {
			return d, d >= 0
		}
		q, ok1 := query.Hash(a)
		g, ok2 := registered.Hash(a)
		if !ok1 || !ok2 {
			dist[a] = -1
			return 0, false
		}
		if q.Quality < r.MinQuality || g.Quality < r.MinQuality {
			dist[a] = -2
			return 0, false
		}
		d := q.Code.Distance(g.Code)
		dist[a] = d
		return d, true
	}
	for ci, c := range r.Clauses {
		ok := len(c) > 0
		for _, t := range c {
			d, present := distance(t.Algorithm)
			if !present && t.IfPresent && dist[t.Algorithm] == -1 {
				continue
			}
			if !present || d > t.MaxDistance {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		ratio := 0.0
		if r.Background != nil {
			n := 0.0
			for _, t := range c {
				if d, present := distance(t.Algorithm); present {
					n = max(n, float64(d)/float64(max(t.MaxDistance, 1)))
				}
			}
			k := r.Ratio
			if k <= 0 {
				k = 1
			}
			pdq, hasPDQ := distance(PDQ)
			k = r.Strict.factor(k, pdq, hasPDQ)
			near := min(memo.nearest(r, ci, registered), memo.nearest(r, ci, query))
			if n >= k*near {
				continue
			}
			ratio = n / near
		}
		ev := Evidence{Algorithm: c[0].Algorithm, Clause: ci, Ratio: ratio, QueryView: query.Name, RegisteredView: registered.Name, Distances: map[Algorithm]int{}}
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

// Preferred reports whether evidence a is kept over b as the evidence of
// one registered picture's match: the nearer (Evidence.Distance), except
// that a pair through one of the query's added views yields to any pair
// through its other views — a cut (cutViews) to the picture's own views,
// a half or a quarter (partViews) to those and the cuts, the mirror image
// (ViewMirrored) to every other. The added views are there for the copies
// no other view meets; were their pairs kept where another pair matched
// too, the tests of whole pictures (Confirm, and the verifier's
// MirroredMinInliers, CutMinInliers and PartMinInliers) could refuse a
// match the other pair makes, and the added view would cost an alert.
func Preferred(a, b Evidence) bool {
	if ra, rb := queryKind(a.QueryView), queryKind(b.QueryView); ra != rb {
		return ra < rb
	}
	return a.Distance < b.Distance
}

// The kinds of query view, by what they add to the picture's own views:
// Preferred's order, and which of the verifier's tests asks for their
// corners (VerifyTest.added).
const (
	ownQuery      = iota // the picture as served, trimmed, uncaptioned
	cutQuery             // a cut at one side (cutViews, CutSide)
	partQuery            // a half or a quarter (partViews, ViewPart)
	mirroredQuery        // its mirror image (ViewMirrored)
)

// queryKind is the kind of the query view named query: ownQuery, cutQuery
// or mirroredQuery, in Preferred's order.
func queryKind(query string) int {
	if query == ViewMirrored {
		return mirroredQuery
	}
	if _, cut := CutSide(query); cut {
		return cutQuery
	}
	if IsPart(query) {
		return partQuery
	}
	return ownQuery
}

// Best compares every view of query with every view of registered and
// returns the matching pair Preferred keeps (the nearest, a pair through
// the query's cuts or mirror image only when no other matches), if the
// pictures also pass Confirm.
func (r Rule) Best(query, registered Fingerprint) (Evidence, bool) {
	var best Evidence
	found := false
	for _, qv := range query.Views {
		for _, rv := range registered.Views {
			if ev, ok := r.Compare(qv, rv); ok && (!found || Preferred(ev, best)) {
				best, found = ev, true
			}
		}
	}
	if found && !r.Confirm(query, registered, best) {
		return Evidence{}, false
	}
	return best, found
}

// Confirm applies the rule's tests on whole pictures to two fingerprints
// whose best matching view pair is ev (the one with the smallest reported
// distance): today the colour test (Rule.Colour), which sees the colours
// that every hash, computed on grey, is blind to. It reports whether the
// match stands; a rule without the test confirms every match.
func (r Rule) Confirm(query, registered Fingerprint, ev Evidence) bool {
	if r.Grey != nil {
		if agree, _ := r.Grey.Agrees(query.Colour, registered.Colour, ev); !agree {
			return false
		}
	}
	if r.Verify != nil {
		if agree, _, _ := r.Verify.Agrees(query.Features, registered.Features, ev); !agree {
			return false
		}
	}
	if r.Colour == nil {
		return true
	}
	pdq, ok := ev.Distances[PDQ]
	if !ok {
		pdq = ev.Distance
	}
	agree, _ := r.Colour.Agrees(query.Colour, registered.Colour, pdq)
	return agree
}

// ParseRule reads a rule's clauses in the form String prints, e.g.
// "(phash<=10 & dhash<=14 & pdq<=76) | (pdq<=31)", with the given
// MinQuality and no background; eval uses it to try rules out.
func ParseRule(s string, minQuality int) (Rule, error) {
	r := Rule{MinQuality: minQuality}
	for _, cs := range strings.Split(s, "|") {
		cs = strings.TrimSpace(cs)
		cs = strings.TrimSuffix(strings.TrimPrefix(cs, "("), ")")
		var c Clause
		for _, ts := range strings.Split(cs, "&") {
			alg, dist, ok := strings.Cut(strings.TrimSpace(ts), "<=")
			if !ok {
				return Rule{}, fmt.Errorf("match rule %q: %q is not ALGORITHM<=DISTANCE", s, ts)
			}
			d, err := strconv.Atoi(strings.TrimSpace(dist))
			if err != nil {
				return Rule{}, fmt.Errorf("match rule %q: %q: %w", s, ts, err)
			}
			alg = strings.TrimSpace(alg)
			opt := strings.HasSuffix(alg, "?")
			c = append(c, Threshold{Algorithm: Algorithm(strings.TrimSuffix(alg, "?")), MaxDistance: d, IfPresent: opt})
		}
		r.Clauses = append(r.Clauses, c)
	}
	return r, r.Validate()
}

// A NearMemo remembers views' distances to a rule's background for
// CompareMemo. Its zero value is ready to use; it is not safe for
// concurrent use.
type NearMemo struct {
	m map[nearKey]float64
}

// nearKey is what Background.nearest's answer depends on besides the rule:
// the clause and the view's three hashes (codes and qualities).
type nearKey struct {
	clause int
	hashes [3]Hash
}

// nearest is r.Background.nearest(v, r.Clauses[ci], r.MinQuality), from
// the memo when it has it. A nil memo remembers nothing.
func (m *NearMemo) nearest(r Rule, ci int, v View) float64 {
	if m == nil {
		return r.Background.nearest(v, r.Clauses[ci], r.MinQuality)
	}
	k := nearKey{clause: ci}
	for i, a := range []Algorithm{PDQ, PHash, DHash} {
		k.hashes[i], _ = v.Hash(a)
	}
	if d, ok := m.m[k]; ok {
		return d
	}
	d := r.Background.nearest(v, r.Clauses[ci], r.MinQuality)
	if m.m == nil {
		m.m = map[nearKey]float64{}
	}
	m.m[k] = d
	return d
}
