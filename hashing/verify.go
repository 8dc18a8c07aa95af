package hashing

import (
	"context"
	"fmt"
	"image"

	"github.com/hashwatch/hashwatch/hashing/features"
)

// The hashes summarise a whole picture in a few hundred bits, and beyond
// PDQ 31 — where only the weak clause accepts a pair — two unrelated
// pictures of one layout (a shaded planet and a crescent-moon clip art, a
// grey panel and a grate, a sprite and its sibling) agree as well as a
// heavily cropped or padded copy agrees with its original. A copy is the
// same pixels moved, so its corners sit where one transform of the
// original's puts them; a look-alike drawn anew has corners of its own.
// VerifyTest asks that of the matches the hashes alone decide least
// surely: package hashing/features finds each picture's corners, matches
// their descriptors and counts the matches one affine transform explains
// (RANSAC inliers).
//
// A fingerprint without a corner set (Fingerprint.Features nil: made
// before the verifier existed, imported from a partner's list, a video)
// cannot be checked, and the match is left to the rest of the rule. A
// picture whose set has fewer than MinPoints corners is checked all the
// same when MinPoints is 0: a picture too flat to hold corners is exactly
// what the weak clause lets through by layout alone, and the photos the
// project protects hold dozens.

// minFit is the fewest inliers a transform is fitted to (RANSAC's
// sample): the least agreement of corners that says two pictures share
// any geometry at all.
const minFit = 3

// VerifyTest is the rule's geometric verifier (see Rule.Verify).
type VerifyTest struct {
	// AbovePDQ applies the test to matches whose best view pair lies
	// beyond this PDQ distance (or has no PDQ distance at all among
	// native hashes): those only the weak clause accepts.
	AbovePDQ int
	// MinInliers is the fewest corner matches one transform must explain
	// for the match to stand.
	MinInliers int
	// NearMinInliers, when above 0, applies the test to matches within
	// AbovePDQ as well, with this smaller count: the hashes vouch for
	// those, so the corners need only show that the two pictures share
	// some geometry at all, not that one is the other moved (1–3 are one
	// test: RANSAC fits no transform to fewer than 3). Off (0) in
	// DefaultRule. Measured at 3 with square copies
	// (features.Config.Square), which keep stretched copies, and
	// NearMinDistinct 4: the pool's holdout split 26 → 16 false alerts
	// between packages and half A of the development photos within every
	// target, but half B under three targets: blurred copies of its flat
	// photos, shrunk and white-padded copies, without an inlier (README,
	// "Square copies and the near gate").
	NearMinInliers int
	// NearMinDistinct, when above 0, is the fewest distinct corners
	// (features.Set.Distinct) a registered picture needs for the
	// NearMinInliers test. A picture whose corners all look alike, or
	// that has none — a disc's rim, a grid, a plain panel — cannot show
	// the agreement even of a copy. Its matches within AbovePDQ through a
	// whole-picture view are left to the hashes (a fault costs no alert);
	// those through one of its crop views are refused: a crop of a
	// featureless picture is a plainer one still, a degenerate view that
	// meets every other plain picture, and nothing in it could tell a
	// copy. The query's corners do not count: a copy of a registered
	// picture rich in distinct corners has them too, and a query without
	// any (a plain banner, a two-band flag) is no such copy.
	NearMinDistinct int
	// CropMinDistinct, when above 0, puts a match within AbovePDQ made
	// through one of the registered picture's crop views (cropView:
	// crop-…, mirror-crop-…, straight…) to the corners when either picture has fewer
	// distinct corners (features.Set.Distinct) than this: it stands only
	// if they agree by minFit inliers, the least sign of shared geometry.
	// A crop view is a part of the picture hashed on its own; a plain
	// part, or a plain query (a four-square test mask, a GUI slot, a
	// broom on a blank ground, a two-band flag), makes a hash near the
	// degenerate ones every other plain picture has, and the hashes alone
	// cannot tell a copy there. A match through a whole-picture view, or
	// between pictures both rich in distinct corners, is left to the
	// hashes (and to NearMinInliers when set): the corners' geometry
	// fails partial copies of rich photos too often to be asked of them
	// (a 20% cut from every side: 0 inliers for one photo in fourteen,
	// some 25% corner crops too; the corner budget is spread over six
	// scales), while a
	// partial copy of a plain photo (a hammer on a white ground, 3
	// distinct corners) still shows a transform. On the pool's holdout
	// split, 9 of the 10 unrelated pairs a near gate of 3 inliers would
	// remove came through a crop view with a query of at most 1 distinct
	// corner and no inlier (the other unrelated pairs there are flags
	// and logos drawn twice, rich in corners that agree). DefaultRule: 4.
	CropMinDistinct int
	// MirroredMinInliers, when above 0, is the fewest inliers a match
	// made through the query's mirror image (ViewMirrored) needs at any
	// distance (beyond AbovePDQ, MinInliers if that is more). That view
	// is an extra chance for every crawled picture to meet every
	// registered crop and turned view (MirroredMeets), and a mirrored
	// copy of a photo keeps its corners, mirrored (features.Verify
	// matches the query's mirror image too), so the corners are asked
	// whatever the hashes say. A side without a corner set leaves the
	// match unchecked, as everywhere. DefaultRule: 3 (minFit).
	MirroredMinInliers int
	// CutMinInliers, when above 0, is the fewest inliers a match made
	// through one of the query's cuts (cutViews: cut-top-12, …) needs at
	// any distance (beyond AbovePDQ, MinInliers if that is more). The
	// cuts give every crawled picture twelve more chances to meet the
	// registered corner crops and, at the top and bottom, the whole
	// picture; a copy of a photo cut unequally from a corner or captioned
	// keeps most of its corners, while a texture or a plain frame that
	// meets another by its hashes alone shows none (on the pool's
	// holdout, a Bayer matrix against a game texture and a GUI frame
	// against a plot, at PDQ 12–14 with no inlier). A side without a
	// corner set leaves the match unchecked, as everywhere.
	// DefaultRule: 3 (minFit).
	CutMinInliers int
	// PartMinInliers, when above 0, is the fewest inliers a match made
	// through one of the query's halves or quarters (partViews) needs at
	// any distance (beyond AbovePDQ, MinInliers if that is more). A part
	// meets every whole view of a registered picture (PartMeets); a photo
	// put into a collage or a grid keeps its corners, while half of a
	// sprite sheet, a texture or a plain panel meets many a picture by
	// its hashes alone. A side without a corner set leaves the match
	// unchecked, as everywhere. DefaultRule: 3 (minFit).
	PartMinInliers int
	// MinPoints, when above 0, leaves unchecked a match in which either
	// picture has fewer corners: too few to say anything either way.
	MinPoints int
	// Config is the corner finder's and matcher's configuration; both
	// sides' sets must have been extracted with the same one.
	Config features.Config
}

// VerifyVerdict says what the verifier did with a match.
type VerifyVerdict int

// The verifier's verdicts.
const (
	// VerifyNotApplied: the match lies within AbovePDQ, or was decided by
	// PDQ alone (an imported fingerprint).
	VerifyNotApplied VerifyVerdict = iota
	// VerifyUnchecked: a side has no corner set, or fewer than MinPoints
	// corners, or the match lies within AbovePDQ and was asked only
	// whether its pictures are distinct enough (CropMinDistinct), not
	// for their geometry.
	VerifyUnchecked
	// VerifyChecked: the corners were matched; Agrees says how it went.
	VerifyChecked
)

// Applies reports whether the test checks a match whose best view pair
// is ev: one between native fingerprints (with a pHash distance) beyond
// AbovePDQ, or at any distance when NearMinInliers is set, or through a
// registered crop view when CropMinDistinct is. Only such a match needs
// the two pictures' corner sets, so a caller that computes a query's set
// lazily (index.Index.MatchVerified) asks this first.
func (t VerifyTest) Applies(ev Evidence) bool {
	if _, native := ev.Distances[PHash]; !native {
		return false
	}
	return t.NearMinInliers > 0 || t.beyond(ev) || (t.CropMinDistinct > 0 && cropView(ev.RegisteredView)) ||
		t.added(ev) > 0
}

// added returns the inliers a match whose best view pair is ev needs
// because it came through one of the query's added views — its mirror
// image (MirroredMinInliers) or a cut (CutMinInliers) — at any distance;
// 0 when it did not or the test asks nothing of that view.
func (t VerifyTest) added(ev Evidence) int {
	switch queryKind(ev.QueryView) {
	case mirroredQuery:
		return t.MirroredMinInliers
	case cutQuery:
		return t.CutMinInliers
	case partQuery:
		return t.PartMinInliers
	}
	return 0
}

// beyond reports whether a match whose best view pair is ev lies beyond
// AbovePDQ (or has no PDQ distance): the matches MinInliers is for.
func (t VerifyTest) beyond(ev Evidence) bool {
	pdq, ok := ev.Distances[PDQ]
	return !ok || pdq > t.AbovePDQ
}

// minInliers is the inlier count a match whose best view pair is ev
// needs: MinInliers beyond AbovePDQ, NearMinInliers within it.
func (t VerifyTest) minInliers(ev Evidence) int {
	if !t.beyond(ev) {
		return t.NearMinInliers
	}
	return t.MinInliers
}

// Agrees reports whether the verifier lets through a match whose best view
// pair is ev between pictures with corner sets query and registered (nil:
// not computed), the verdict, and the inliers found when checked.
func (t VerifyTest) Agrees(query, registered *features.Set, ev Evidence) (bool, VerifyVerdict, int) {
	if !t.Applies(ev) {
		return true, VerifyNotApplied, 0
	}
	if query == nil || registered == nil {
		return true, VerifyUnchecked, 0
	}
	if t.MinPoints > 0 && (len(query.Points) < t.MinPoints || len(registered.Points) < t.MinPoints) {
		return true, VerifyUnchecked, 0
	}
	if need := t.added(ev); need > 0 {
		if t.beyond(ev) {
			need = max(need, t.MinInliers)
		}
		r := features.Verify(*query, *registered, t.Config)
		return r.Inliers >= need, VerifyChecked, r.Inliers
	}
	if !t.beyond(ev) {
		crop := cropView(ev.RegisteredView)
		// The registered picture's distinct corners, counted once
		// (O(n²) in its corners) for whichever test asks first.
		regDistinct := -1
		distinct := func() int {
			if regDistinct < 0 {
				regDistinct = registered.Distinct(t.Config)
			}
			return regDistinct
		}
		if crop && t.CropMinDistinct > 0 &&
			(distinct() < t.CropMinDistinct || query.Distinct(t.Config) < t.CropMinDistinct) {
			r := features.Verify(*query, *registered, t.Config)
			return r.Inliers >= minFit, VerifyChecked, r.Inliers
		}
		if t.NearMinInliers == 0 {
			return true, VerifyUnchecked, 0
		}
		if t.NearMinDistinct > 0 && distinct() < t.NearMinDistinct {
			if crop {
				return false, VerifyChecked, 0
			}
			return true, VerifyUnchecked, 0
		}
	}
	r := features.Verify(*query, *registered, t.Config)
	return r.Inliers >= t.minInliers(ev), VerifyChecked, r.Inliers
}

// Features decodes data as Image does and returns its corner set for the
// verifier (package hashing/features) under cfg: the picture decoded at
// reduced scale where a JPEG allows (long side at least cfg.LongSide),
// as grey with the hashes' weights, under the hasher's limits (bytes,
// pixels, JPEG scans, decode time) and ctx. The corners are found on the
// picture's interior inside uniform borders (TrimBorders, as the hashes'
// trimmed view): on a copy padded onto a plain canvas or letterboxed, the
// canvas's edge with the picture would take the strongest corners, all
// alike, and leave the picture's own a fraction of the budget
// (TestFeaturesOfAPaddedCopyAreItsInteriors); a picture without such
// borders is taken whole. The set holds corner
// positions, orientations and descriptors — never pixels; the bytes and
// the decoded picture are not retained. Its positions are rounded to the
// grid the stored and sent form keeps (features.Set.Rounded), so a set
// used where it was computed and one read back from the index or a
// worker's message give the same verdict.
func (h *Hasher) Features(ctx context.Context, data []byte, cfg features.Config) (features.Set, error) {
	if err := ctx.Err(); err != nil {
		return features.Set{}, err
	}
	img, _, _, err := decodeImage(ctx, data, h.limits, max(cfg.LongSide, 1))
	if err != nil {
		return features.Set{}, err
	}
	if err := ctx.Err(); err != nil {
		return features.Set{}, err
	}
	return h.featuresOf(img, cfg), nil
}

// LazyFeatures returns a function that makes the corner set of data
// (Features) under the configuration it is given, for a matcher that asks
// only when a candidate needs it (index.QueryFeatures). data must stay
// unchanged until then.
func (h *Hasher) LazyFeatures(data []byte) func(context.Context, features.Config) (*features.Set, error) {
	return func(ctx context.Context, cfg features.Config) (*features.Set, error) {
		set, err := h.Features(ctx, data, cfg)
		if err != nil {
			return nil, fmt.Errorf("corner set: %w", err)
		}
		return &set, nil
	}
}

// featuresOf is the corner set of a decoded picture's interior under cfg
// (see Features).
func (h *Hasher) featuresOf(img image.Image, cfg features.Config) features.Set {
	s := h.scratch.Get().(*scratch)
	defer h.scratch.Put(s)
	// The corner finder scales to cfg.LongSide itself; a grey copy no
	// larger than twice that keeps the conversion cheap.
	g := s.workingCopy(img, 2*cfg.LongSide)
	if r := TrimBorders(g); r != g.Bounds() {
		g = g.SubImage(r).(*image.Gray)
	}
	return features.Extract(g, cfg).Rounded()
}

// defaultVerify is the default rule's verifier (Rule.Verify): matches
// beyond PDQ 31 need 5 corner matches one transform explains, and those
// within it made through a registered crop view need distinct corners on
// both sides (CropMinDistinct 4) or else 3 inliers: on the pool's holdout
// split, with corners found on pictures' interiors (Features), 26 → 15
// false alerts between packages, every development photo group within its
// target. The near gate (NearMinInliers 3, NearMinDistinct 4) stays off:
// it costs the development photos' half B blurred (its flat photos),
// shrunk and white-padded copies, under three groups' targets (README,
// "Square copies and the near gate"). Registration computes corner sets
// under its Config (Hasher.Image, Hasher.Pixels).
func defaultVerify() *VerifyTest {
	return &VerifyTest{AbovePDQ: 31, MinInliers: 5, CropMinDistinct: 4, MirroredMinInliers: minFit, CutMinInliers: minFit, PartMinInliers: minFit, Config: features.DefaultConfig()}
}
