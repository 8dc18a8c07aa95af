package eval

import (
	"image/color"

	"github.com/hashwatch/hashwatch/fixtures"
)

// Group is a family of edits with the recall it should reach.
type Group struct {
	Name string
	// Target is the recall every edit of the group should reach; 0 for a
	// group measured without one (UnseenGroup).
	Target float64
	Edits  []fixtures.Edit
}

// DefaultSuite is the evaluation's edit suite, grouped as in the hashing
// issue's targets, and then the unseen-edits group (UnseenGroup) and the
// audit group (AuditGroup), which have no target. Every edit is a deterministic Go transform.
func DefaultSuite() []Group {
	return append(TargetSuite(), UnseenGroup(), AuditGroup())
}

// AuditName is the name of the audit group.
const AuditName = "audit edits (no target, never tuned on)"

// AuditGroup is the second generalisation check (fixtures.AuditEdits):
// re-uploads written down after the unseen group had been studied edit by
// edit and every view chosen, and first measured with no change made for
// them (README, "The audit group"). The unseen group has been looked at
// too often to say how recall generalises; this one says it until it, in
// turn, is tuned on, which a change must then report.
func AuditGroup() Group {
	return Group{Name: AuditName, Edits: fixtures.AuditEdits()}
}

// TargetSuite is the part of DefaultSuite with recall targets: the edits
// the registered and query views were designed and tuned around.
func TargetSuite() []Group {
	black, white := color.Black, color.White
	return []Group{
		{"re-encode and resize", 0.99, []fixtures.Edit{
			fixtures.JPEGQuality(90), fixtures.JPEGQuality(70), fixtures.JPEGQuality(50), fixtures.JPEGQuality(30),
			fixtures.PNG(), fixtures.WebP(75), fixtures.WebP(50), fixtures.Resize(0.25), fixtures.Resize(0.5), fixtures.Resize(2),
		}},
		{"mirror and quarter turns", 0.99, []fixtures.Edit{
			fixtures.Mirror(), fixtures.Rotate(90), fixtures.Rotate(180), fixtures.Rotate(270),
		}},
		{"tone, blur and noise", 0.98, []fixtures.Edit{
			fixtures.Grayscale(), fixtures.Brightness(20), fixtures.Brightness(-20),
			fixtures.Contrast(20), fixtures.Contrast(-20), fixtures.Gamma(0.7), fixtures.Gamma(1.4),
			fixtures.Blur(1), fixtures.Blur(2), fixtures.Noise(8, 1),
		}},
		{"bars, canvas and stretch", 0.95, []fixtures.Edit{
			fixtures.Letterbox(0.10, black), fixtures.Letterbox(0.20, white),
			fixtures.Pillarbox(0.10, white), fixtures.Pillarbox(0.20, black),
			fixtures.Pad(1.5, black), fixtures.Pad(1.5, white), fixtures.Stretch(16, 9),
		}},
		{"light crops and overlays", 0.95, []fixtures.Edit{
			fixtures.Crop(0.05, 0.05, 0.05, 0.05), fixtures.Crop(0.10, 0.10, 0.10, 0.10),
			fixtures.Crop(0.10, 0, 0, 0), fixtures.Crop(0, 0.10, 0.10, 0),
			fixtures.CaptionAbove(0.10), fixtures.CaptionBelow(0.10),
			fixtures.Watermark(fixtures.BottomRight, 0.25), fixtures.Watermark(fixtures.TopLeft, 0.25),
		}},
		{"heavy crops, small rotations, combinations", 0.80, []fixtures.Edit{
			fixtures.Crop(0.20, 0.20, 0.20, 0.20), fixtures.Crop(0.20, 0, 0, 0), fixtures.Crop(0, 0.20, 0.20, 0),
			fixtures.Rotate(5), fixtures.Rotate(-5),
			// Corner crops: 15% cut from two adjacent sides (85% × 85%
			// kept from one corner), and an off-grid 18% from another
			// corner that no registered view was cut at.
			fixtures.Crop(0.15, 0.15, 0, 0), fixtures.Crop(0, 0, 0.15, 0.15), fixtures.Crop(0.18, 0, 0, 0.18),
			fixtures.Combine("mirror+crop-all10+jpeg-q50", fixtures.Mirror(), fixtures.Crop(0.10, 0.10, 0.10, 0.10), fixtures.JPEGQuality(50)),
		}},
	}
}

// UnseenName is the name of the unseen-edits group.
const UnseenName = "unseen edits (no target)"

// UnseenGroup is a generalisation check, not a design target: edits that
// nobody designed the views or the rule around, at amounts off the grid
// the registered crop views were cut on when the group was made (10, 15
// and 20% corners, 10 and 20% sides, 5–20% all round), and kinds of
// edit the target groups do not have (a slant, a page around the picture,
// a sticker, filters). Last round, figures perfect on the designed edits
// fell short on an unseen corner crop; this group shows such gaps before
// someone else's photos do. Its recall is reported with the rule's false
// margin beside it and is never tuned on edit by edit: a change of views
// or rule chosen for it must be generic (a denser grid chosen by how PDQ
// distance grows with the crop, a query view), chosen on one half of the
// photos and confirmed on the other. The corner cuts are now every 3
// points from 4 to 25% (hashing's cornerCuts, issue #17), so the group's
// 22 and 25% corner crops lie on a cut and its 12, 17 and 18% ones a point
// off: for corner crops, TestCornerCropCurve in package hashing measures
// every amount from 8 to 28%, and TestUnequalCornerCurve every pair of
// amounts from 0 to 24% on the two sides. Its crops cut unequally at two
// sides (8% and 22%, 20% and 10%, …) are met through the query's cuts
// (hashing's queryViews), which were chosen on that curve. Likewise the registered turned views
// (rot±8, straightened ±3, ±6, ±9°) put its 8° turn on a view and its 8°
// straightened copy a degree off one: TestRotationCurve measures every
// angle from 1 to 15°.
func UnseenGroup() Group {
	var edits []fixtures.Edit
	// Corner crops at off-grid amounts, from every corner.
	for _, f := range []float64{0.12, 0.17, 0.18, 0.22, 0.25} {
		edits = append(edits,
			fixtures.Crop(f, f, 0, 0), fixtures.Crop(0, f, f, 0),
			fixtures.Crop(f, 0, 0, f), fixtures.Crop(0, 0, f, f))
	}
	edits = append(edits,
		// One side, off the 10/20 grid.
		fixtures.Crop(0.13, 0, 0, 0), fixtures.Crop(0, 0, 0, 0.13),
		fixtures.Crop(0, 0.17, 0, 0), fixtures.Crop(0, 0, 0.17, 0),
		fixtures.Crop(0.25, 0, 0, 0), fixtures.Crop(0, 0.25, 0, 0),
		// Two sides, unequal amounts.
		fixtures.Crop(0.08, 0.22, 0, 0), fixtures.Crop(0, 0.05, 0.15, 0), fixtures.Crop(0, 0, 0.20, 0.10),
		// An uneven crop, normalised to a display width and recompressed.
		fixtures.Combine("", fixtures.Crop(0.06, 0.10, 0.10, 0.04), fixtures.ResizeWidth(1080), fixtures.JPEGQuality(60)),
		// Straightened: black corners kept, or cropped away.
		fixtures.Rotate(2), fixtures.Rotate(8), fixtures.RotateCrop(2), fixtures.RotateCrop(-8),
		fixtures.Keystone(0.10),
		fixtures.Stretch(1, 1),
		fixtures.Page(0.70),
		fixtures.Combine("", fixtures.CaptionAbove(0.12), fixtures.CaptionBelow(0.12)),
		fixtures.Sticker(0.10),
		fixtures.Vignette(0.6),
		fixtures.Sepia(), fixtures.Warm(20, 40),
		// Chains.
		fixtures.Combine("", fixtures.Mirror(), fixtures.Crop(0.12, 0.12, 0, 0), fixtures.JPEGQuality(50)),
		fixtures.Combine("", fixtures.Resize(0.5), fixtures.Crop(0, 0, 0.15, 0.10), fixtures.WebP(60)),
		fixtures.Combine("", fixtures.Rotate(3), fixtures.Crop(0, 0.10, 0, 0), fixtures.Brightness(10), fixtures.JPEGQuality(70)),
	)
	return Group{Name: UnseenName, Edits: edits}
}
