package hashing

// Beyond PDQ 31 a view pair matches only through the rule's weak clause,
// where all three hashes agree loosely, and that is where look-alikes live:
// a sprite and its sibling drawn in another pose, one icon drawn anew at
// another size, two frames of one rotating object, a logo in two icon
// themes. The background's ratio test (Rule.Background) already gives
// every view its own threshold, set by how near the nearest unrelated
// picture lies; StrictRatio asks more of the pairs beyond PDQ's customary
// threshold: to be clearly nearer to each other than to the background,
// not merely nearer.
//
// On the development photos' tuning half, every true pair that matched
// beyond PDQ 31 (captions, pads, bars, heavy and corner crops, small
// turns: 253 of them) had a ratio of at most 0.70 (median 0.38); the pool's
// unrelated pairs that matched there had a median of 0.71. An edited copy
// keeps most of what makes its picture unlike others, so it sits well
// inside the gap between that picture and the background; a look-alike
// only just inside it.

// StrictRatio is a stricter ratio test for view pairs whose PDQ distance
// lies beyond AbovePDQ: such a pair matches only when its normalised
// distance is below Ratio times the nearer of the two views' normalised
// distances to the rule's background (see Rule.Background), instead of
// below Rule.Ratio times it. A pair within AbovePDQ, a pair without PDQ
// hashes, and a rule without a background are not affected.
type StrictRatio struct {
	// AbovePDQ is the PDQ distance above which the stricter factor
	// applies.
	AbovePDQ int
	// Ratio is the stricter factor, in (0, Rule.Ratio].
	Ratio float64
}

// factor returns the ratio test's factor for a view pair at PDQ distance
// pdq (hasPDQ false when either view lacks a PDQ hash that takes part):
// base, or the stricter Ratio when the pair lies beyond AbovePDQ.
func (s *StrictRatio) factor(base float64, pdq int, hasPDQ bool) float64 {
	if s == nil || !hasPDQ || pdq <= s.AbovePDQ || s.Ratio <= 0 {
		return base
	}
	return min(base, s.Ratio)
}
