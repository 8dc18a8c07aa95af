package hashing

// The colour test (ColourTest) is skipped when either picture is near
// grey, because a greyscale copy of a colour picture must still match its
// original. That left every match involving a grey picture to the hashes
// alone, and those are where unrelated pictures agree most: grey and white
// interface panels and frames, dark discs and crescents, a grey moon and a
// blue planet, metal sprites that differ in a coloured blade. The grey
// test is the rule's second look at exactly those matches:
//
//   - Structure must say more than the clauses ask of pictures the colour
//     test confirms: the match stands only when its best view pair is
//     clearly nearer than either picture is to the rule's background of
//     unrelated pictures and drawn layouts (Evidence.Ratio below MaxRatio,
//     where the ratio test itself asks for below Rule.Ratio). Greying
//     changes no hash (every hash is computed on grey), so a greyscale
//     copy of a photograph lies as near its original as the photograph's
//     other edits put it, and a photograph lies far from the background;
//     a grey frame, panel or disc lies among the layouts, and a second
//     frame, panel or disc rarely comes much nearer to it than they do.
//   - When both pictures still have hues, one of them faintly (a
//     near-grey picture whose few coloured pixels — a blade, a lamp, a
//     tint — vote in its hue histogram), the hues are compared as the
//     colour test compares coloured pictures, above the same PDQ distance.
//     A greyscale copy has no hue at all and never meets this branch; a
//     faint picture's re-upload keeps its few coloured pixels.
//
// A match decided by PDQ alone (fingerprints imported from partners'
// lists, which carry neither 64-bit hashes nor colour) keeps PDQ's rule:
// the test leaves it alone. A fingerprint without a colour summary
// (registered before it existed) cannot be told from a grey picture and is
// judged as one: no colour vouches for its matches either.

// GreyTest is the rule's test for matches the colour test skips because a
// picture is near grey (see Rule.Grey).
type GreyTest struct {
	// MinChroma is the mean chroma below which a picture counts as near
	// grey: the colour test's MinChroma, so the grey test takes over
	// exactly where the colour test stops.
	MinChroma int
	// MaxDistance is the largest hue-histogram distance (ColourDistance)
	// between two pictures that both have hues, one of them near grey; a
	// negative value turns this branch off.
	MaxDistance float64
	// AbovePDQ applies the hue comparison only to matches whose PDQ
	// distance is above it, as ColourTest.AbovePDQ does (a channel-swapped
	// copy keeps its structure and moves its hues).
	AbovePDQ int
	// MaxRatio is the background ratio (Evidence.Ratio) that a match
	// involving a near-grey picture must stay below; 0 turns this part
	// off. A rule without a background measures no ratio (Evidence.Ratio
	// 0), and this part then lets every match through.
	MaxRatio float64
}

// hasHue reports whether some pixel of the picture voted in its hue
// histogram.
func (c Colour) hasHue() bool {
	for _, b := range c.Bins {
		if b != 0 {
			return true
		}
	}
	return false
}

// GreyVerdict says which part of the grey test decided a match.
type GreyVerdict int

// The grey test's verdicts.
const (
	// GreyNotApplied: neither picture is near grey (the colour test's
	// domain), or the match was decided by PDQ alone.
	GreyNotApplied GreyVerdict = iota
	// GreyRatio: a picture is near grey and the background ratio decided
	// (the hues were not compared: a picture has none, or the match lies
	// within AbovePDQ).
	GreyRatio
	// GreyHues: the ratio passed and the hue histograms of the two
	// pictures, both with hues, decided.
	GreyHues
)

// Agrees reports whether the grey test lets through a match between
// pictures with colour summaries query and registered whose best view pair
// is ev, and the branch that decided.
func (t GreyTest) Agrees(query, registered Colour, ev Evidence) (bool, GreyVerdict) {
	if _, native := ev.Distances[PHash]; !native {
		return true, GreyNotApplied
	}
	grey := func(c Colour) bool { return int(c.Chroma) < t.MinChroma }
	if !grey(query) && !grey(registered) {
		return true, GreyNotApplied
	}
	if t.MaxRatio > 0 && ev.Ratio >= t.MaxRatio {
		return false, GreyRatio
	}
	if !query.hasHue() || !registered.hasHue() || t.MaxDistance < 0 {
		return true, GreyRatio
	}
	pdq, ok := ev.Distances[PDQ]
	if !ok {
		pdq = ev.Distance
	}
	if pdq <= t.AbovePDQ {
		return true, GreyRatio
	}
	return ColourDistance(query, registered) <= t.MaxDistance, GreyHues
}
