package hashing

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/disintegration/imaging"
)

// A view is one transform of a picture that gets its own hashes. Matching
// compares every query view with every registered view, so each transform
// a re-uploader might apply needs a registered view that undoes it (for
// edits that remove content: crops, turns, flips) or a query view that
// undoes it (for edits that add content: captions and bands).
type viewSpec struct {
	name string
	make func(*image.Gray) *image.Gray
}

// crop cuts the given fractions off each side. The result shares src's
// pixels.
func crop(left, top, right, bottom float64) func(*image.Gray) *image.Gray {
	return func(src *image.Gray) *image.Gray {
		b := src.Bounds()
		w, h := float64(b.Dx()), float64(b.Dy())
		r := image.Rect(b.Min.X+int(w*left), b.Min.Y+int(h*top), b.Max.X-int(w*right), b.Max.Y-int(h*bottom))
		if r.Dx() < 8 || r.Dy() < 8 {
			return src
		}
		return src.SubImage(r).(*image.Gray)
	}
}

// rotateSmall turns the picture by a few degrees and keeps its size,
// filling the corners with black, as re-uploaders' editors do.
func rotateSmall(deg float64) func(*image.Gray) *image.Gray {
	return func(src *image.Gray) *image.Gray {
		b := src.Bounds()
		return toGray(imaging.CropCenter(imaging.Rotate(src, deg, color.Black), b.Dx(), b.Dy()))
	}
}

// straightened turns the picture by deg degrees and keeps the largest
// centred rectangle of its own aspect that the turn left without a filled
// corner, as an editor's straighten tool does (and a phone's, where
// turning crops): the copy loses its edges all round and is zoomed by
// 1/(cos θ + (long/short)·sin θ), 1.2–1.5 for 3–9° on a 4:3 photo.
func straightened(deg float64) func(*image.Gray) *image.Gray {
	return func(src *image.Gray) *image.Gray {
		b := src.Bounds()
		w, h := b.Dx(), b.Dy()
		th := deg * math.Pi / 180
		sin, cos := math.Abs(math.Sin(th)), math.Abs(math.Cos(th))
		long, short := float64(max(w, h)), float64(max(1, min(w, h)))
		k := 1 / (cos + long/short*sin)
		cw, ch := int(float64(w)*k), int(float64(h)*k)
		if cw < 8 || ch < 8 {
			return src
		}
		return toGray(imaging.CropCenter(imaging.Rotate(src, deg, color.Black), cw, ch))
	}
}

func quarterTurns(n int) func(*image.Gray) *image.Gray {
	return func(src *image.Gray) *image.Gray { return rotate(src, n) }
}

func mirrored(f func(*image.Gray) *image.Gray) func(*image.Gray) *image.Gray {
	return func(src *image.Gray) *image.Gray { return flipH(f(src)) }
}

// queryViews are hashed for every crawled picture, on top of the picture as
// served and its trimmed interior: the picture cut by 6, 12 and 18% at
// each side in turn (cutViews, cutAmounts), from the picture as served.
// The cuts serve two kinds of copy:
//   - A copy cut from a corner by different amounts on its two sides, as
//     a hand crop is (x% off a side, y% off the top): the registered
//     corner crops (cornerCuts) cut both sides alike, and a query cut on
//     its less-cut axis becomes one of them. On the development photos'
//     half A (TestUnequalCornerCurve: every pair of amounts 0–24% in
//     steps of 4, JPEG 70), such copies were found at 0.747 with the cuts
//     before (9 and 15% at the top and bottom, of the trimmed interior),
//     and at 0.994 with these (0.989 before the corner crops at 4 and 7%,
//     cornerCuts); without the cuts at the left and right, 0.808.
//     Probes with every cut meeting every view gave 0.983 for cuts
//     of 9 and 15% at the four sides, 0.995 for 6, 12 and 18%, 0.997 for
//     5, 10, 15 and 20%.
//   - A copy with a band added at the top or bottom (a caption, a
//     banner): the cut removes it when its height is near one of the
//     amounts. A caption band found by captionBand adds a view cut at the
//     band's own edge (ViewUncaptionedTop, ViewUncaptionedBottom, and
//     ViewUncaptioned when both edges carry one).
//
// A cut meets only the registered corner crops of 10% or more on its side
// and, at the top and bottom, the whole picture (CutMeets); every match
// through one must show its corners to the verifier
// (VerifyTest.CutMinInliers); and its pair is a match's evidence only
// when no pair of the picture's own views matches (Preferred), so the cuts
// only add matches.
//
// The cuts are made from the picture as served, not its trimmed interior,
// for the reason the registered crop views are: on a photo with a plain
// sky or backdrop, trimming a copy does not land where trimming the
// original did, and cuts of the trimmed interior met no registered view
// (a 20% × 8% corner crop of such photos: 37 → 45 of 46 found). The cuts
// before, of the trimmed interior and meeting every registered view,
// also found by chance some copies no view undoes, through a cut against
// a registered crop at the same side (a comparison of the rest of both
// pictures): corner crops of 4% (found at 0.64, and at 0.50 with these
// cuts until the registered corner crops at 4 and 7%) and a strong
// vignette. Cut from the picture as served, such pairs line up for
// sprites and textures too, and made 524 of 639 false alerts on the
// pool's tune split.
//
// The mirror image of the whole picture is a registered view
// (registrationViews). A mirrored copy that is also cut (a corner, a
// side, straightened) needs a mirrored crop view, and registering one per
// crop view would double the crop views' matcher memory. So the query
// carries its own mirror image too, ViewMirrored: the picture as served
// (not its trimmed interior: the registered crop views are cut from the
// picture as registered), flipped. It meets only the registered crop and
// turned views (MirroredMeets), which also finds a copy flipped upside
// down or mirrored and turned, and every match through it must show its
// geometry to the verifier (VerifyTest.MirroredMinInliers). Flipping the
// crawled picture back against every registered view without that check
// had let shaded discs (planets, a ball) match other planets through a
// mirror and a turn: on the pool's holdout, between packages 23 → 33
// false alerts (README, "Matching").
var queryViews = cutViews(cutAmounts)

// ViewPart prefixes the query's views of a half or a quarter of the
// crawled picture (partViews): part-left, part-top-right, ….
const ViewPart = "part-"

// partViews are the halves and quarters of a crawled picture, hashed as
// views of their own for a photo that is only part of what was posted:
// one of two pictures side by side or one above the other (a "before and
// after", a comparison), one cell of a 2 × 2 grid (a thumbnail sheet, a
// "dump"). The photo then fills a half or a quarter of the picture, and
// the whole picture's hashes and cuts never meet it (the eval's audit
// group: a collage found 0–1 times in 140, a grid never). The halves and
// quarters are cut at the middle of the picture as served: a collage of
// pictures of one height puts its seam there, and a grid its gutters.
// A part meets only the registered picture's whole views (PartMeets),
// every match through one must show its corners to the verifier
// (VerifyTest.PartMinInliers), and its pair is a match's evidence only
// when no other pair matches (Preferred), so the parts only add matches.
// A screenshot, whose photo lies between bars of other heights, is not
// met this way.
var partViews = []viewSpec{
	{ViewPart + "left", crop(0, 0, 0.5, 0)}, {ViewPart + "right", crop(0.5, 0, 0, 0)},
	{ViewPart + "top", crop(0, 0, 0, 0.5)}, {ViewPart + "bottom", crop(0, 0.5, 0, 0)},
	{ViewPart + "top-left", crop(0, 0, 0.5, 0.5)}, {ViewPart + "top-right", crop(0.5, 0, 0, 0.5)},
	{ViewPart + "bottom-left", crop(0, 0.5, 0.5, 0)}, {ViewPart + "bottom-right", crop(0.5, 0.5, 0, 0)},
}

// IsPart reports whether the query view named name is one of its halves
// or quarters (partViews).
func IsPart(name string) bool { return strings.HasPrefix(name, ViewPart) }

// PartMeets reports whether a query's half or quarter (partViews) may be
// compared with the registered view named registered: with the views of
// the whole registered picture (as registered, trimmed, mirrored,
// turned), not with its crop views. A part is a small picture cut out of
// the crawled one; against a registered crop it would be a part of one
// picture against a part of another, the comparison that made most of
// the pool's false alerts when the cuts met every view (CutMeets).
func PartMeets(registered string) bool { return !cropView(registered) }

// cutAmounts are the amounts, in percent, by which queryViews cut a
// crawled picture at each side.
var cutAmounts = []int{6, 12, 18}

// cutViews returns the query's cuts at each of amounts (percent), at each
// side, named cut-top-N, cut-bottom-N, cut-left-N and cut-right-N.
func cutViews(amounts []int) []viewSpec {
	word := map[string]string{"t": "top", "b": "bottom", "l": "left", "r": "right"}
	return cutAtEach(amounts, []string{"t", "b", "l", "r"}, func(side string, n int) string {
		return fmt.Sprintf("cut-%s-%d", word[side], n)
	})
}

// cutAtEach returns, for each of amounts (percent) and each of sides in
// turn, a view that cuts that much off the picture at the side ("l",
// "r", "t", "b") or at both sides of the corner ("tl", …) it names, named
// by name: the one shape of the registered side and corner crops
// (sideViews, cornerViews) and the query's cuts (cutViews).
func cutAtEach(amounts []int, sides []string, name func(side string, n int) string) []viewSpec {
	var out []viewSpec
	for _, n := range amounts {
		f := float64(n) / 100
		at := func(side string, letter byte) float64 {
			if strings.IndexByte(side, letter) >= 0 {
				return f
			}
			return 0
		}
		for _, side := range sides {
			out = append(out, viewSpec{name(side, n), crop(at(side, 'l'), at(side, 't'), at(side, 'r'), at(side, 'b'))})
		}
	}
	return out
}

// Compared reports whether a rule compares the query view named query
// with the registered view named registered at all: every pair but the
// query's mirror image with a registered view it does not meet
// (MirroredMeets) and a query's cut with a registered view it does not
// meet (CutMeets). Rule.Compare asks it first, and so does every
// exhaustive comparison of view pairs outside the rule (the evaluations'
// scans, margins and dumps), so that they count the pairs the rule can
// match and no others.
func Compared(query, registered string) bool {
	if query == ViewMirrored {
		return MirroredMeets(registered)
	}
	if side, ok := CutSide(query); ok {
		return CutMeets(side, registered)
	}
	if IsPart(query) {
		return PartMeets(registered)
	}
	return true
}

// CutSide returns the side ("top", "bottom", "left", "right") at which
// the query view named name is cut (cutViews), if it is one of the
// query's cuts.
func CutSide(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "cut-")
	if !ok {
		return "", false
	}
	side, _, ok := strings.Cut(rest, "-")
	return side, ok
}

// CutMeets reports whether the query's view cut at side (cutViews) may be
// compared with the registered view named registered. Every cut meets
// the registered corner crops of 10% or more at a corner on its side (a
// cut at the left meets crop-tl10… and crop-bl10…), where it evens out a
// copy cut more at one side of the corner than at the other. A cut at
// the top or bottom also meets the views of the whole picture (as
// registered, trimmed, mirrored, turned), where it takes off a band added
// there: captions and banners go above and below a picture. No cut meets
// the other crop views: a cut at the left against a registered cut at the
// left compares the rest of two pictures, a second partial comparison on
// top of the one the crop view makes already, and on the pool's tune
// split such pairs (animation frames of one sprite, buttons of one menu)
// made 524 of 639 false alerts when every cut met every view. A cut at
// the left or right against a whole view added 27 more there (frames of
// a turning object, one angle 6% from the next) and has no band to take
// off. Nor does a cut meet the corner crops of 4 and 7%: a 6% cut against
// a 4% corner compares two near-whole pictures a few points apart, and
// those pairs took the tune split's false alerts from 97 to 180 (frames
// of one sprite again), while small crops are met by the picture's own
// views against those corner crops.
func CutMeets(side, registered string) bool {
	if corner, ok := strings.CutPrefix(registered, "crop-"); ok {
		amount := strings.TrimLeft(corner, "tlbr")
		corner = strings.TrimSuffix(corner, amount)
		n, _ := strconv.Atoi(amount)
		return len(corner) == 2 && strings.ContainsRune(corner, rune(side[0])) && n >= cutMeetsCornersFrom
	}
	return !cropView(registered) && (side == "top" || side == "bottom")
}

// cutMeetsCornersFrom is the smallest registered corner crop, in percent
// (cornerCuts), that the query's cuts meet (CutMeets).
const cutMeetsCornersFrom = 10

// MirroredMeets reports whether the query's mirrored view (ViewMirrored)
// may be compared with the registered view named registered: with the
// views cut from the picture as registered (cropView) and those turned
// (rot90, rot180, rot270, rot±N), but not with a view that is registered
// mirrored as well. Against the turned views the mirror image completes
// the picture's eight flips and quarter turns (a copy flipped upside down
// is the mirror image turned 180°) and meets mirrored copies turned a few
// degrees; the whole picture's mirror and the mirrored centre crops
// (mirror-crop-c5, …) are registered views, which the query's unmirrored
// views meet, and comparing them again from the mirrored side would only
// give the same pair a second chance. A mirror with a turn once let
// shaded discs of one layout meet (see queryViews); every match through
// this view must now show its corners (VerifyTest.MirroredMinInliers).
func MirroredMeets(registered string) bool {
	if registeredMirrored[registered] {
		return false
	}
	return (cropView(registered) && !strings.HasPrefix(registered, "mirror-")) || strings.HasPrefix(registered, "rot")
}

// registeredMirrored holds the registered views that are also registered
// mirrored (registrationViews' mirror-… views, without their prefix).
// Computed once from registrationViews and never changed.
var registeredMirrored = func() map[string]bool {
	m := map[string]bool{}
	for _, v := range registrationViews {
		if rest, ok := strings.CutPrefix(v.name, "mirror-"); ok {
			m[rest] = true
		}
	}
	return m
}()

// Names of the views cut at a caption band's edge (and both), of the
// registered mirror view, and of the query's own mirror image (see
// queryViews).
const (
	ViewUncaptionedTop    = "uncaptioned-top"
	ViewUncaptionedBottom = "uncaptioned-bottom"
	ViewUncaptioned       = "uncaptioned"
	ViewMirror            = "mirror"
	ViewMirrored          = "mirrored"
)

// registrationViews are hashed once per registered picture, on top of the
// picture and its trimmed interior: mirror image, quarter turns, small
// turns (±4° and ±8° with black corners, and straightened at ±3, ±6 and
// ±9°: straightViews), and crops centred, from one side and from a
// corner. A turn with black corners moves the hashes slowly: on the
// development photos' half A (TestRotationCurve) the ±4° views alone find
// 0.96–0.99 of the copies turned up to 6°, then 0.80 at 7° and 0.31 at 8°;
// with ±8° 0.97–1.00 up to 10°. They are
// cut from the picture as registered, not from its trimmed interior: a
// re-upload keeps the picture's own frame far more often than it crops it
// to where a sky or a studio backdrop ends, and trimming is not exact
// enough to be redone alike on a turned or cropped copy (on the dev set,
// every crop-20 miss and most quarter-turn misses were of pictures that
// trimming had cut). trimmedViews cover the trimmed interior.
var registrationViews = slices.Concat([]viewSpec{
	{ViewMirror, flipH},
	{"rot90", quarterTurns(1)},
	{"rot180", quarterTurns(2)},
	{"rot270", quarterTurns(3)},
	{"rot+4", rotateSmall(4)},
	{"rot-4", rotateSmall(-4)},
	{"rot+8", rotateSmall(8)},
	{"rot-8", rotateSmall(-8)},
	{"crop-c5", crop(0.05, 0.05, 0.05, 0.05)},
	{"crop-c10", crop(0.10, 0.10, 0.10, 0.10)},
	{"crop-c15", crop(0.15, 0.15, 0.15, 0.15)},
	{"crop-c20", crop(0.20, 0.20, 0.20, 0.20)},
}, straightViews(straightAngles), sideViews(sideCuts), cornerViews(cornerCuts), []viewSpec{
	{"mirror-crop-c5", mirrored(crop(0.05, 0.05, 0.05, 0.05))},
	{"mirror-crop-c10", mirrored(crop(0.10, 0.10, 0.10, 0.10))},
	{"mirror-crop-c20", mirrored(crop(0.20, 0.20, 0.20, 0.20))},
})

// cropView reports whether the registered view named name is cut from the
// picture (crop-…, mirror-crop-…, straight…: registrationViews,
// cornerViews, sideViews, straightViews), so that it holds a part of it
// only.
func cropView(name string) bool {
	return strings.HasPrefix(name, "crop-") || strings.HasPrefix(name, "mirror-crop-") || strings.HasPrefix(name, "straight")
}

// straightAngles are the angles, in degrees either way, of the registered
// straightened views (straightened: turned, its filled corners cropped
// away). A straightened copy is turned and zoomed at once, and the hashes
// lose it fast: on the development photos' half A
// (TestRotationCurve), the views turned ±4° with black corners find
// 0.54 of the copies straightened by 3°, 0.26 by 4° and 0.02 by 6°.
// With views at 4 and 8° the copies 0–1° off one are found at
// 0.986–1.000 and those 2° off at 0.81–0.91, so the grid is 3° apart:
// every angle up to 10.5° lies within 1.5° of a view (or of the picture
// itself). With views at 3, 6 and 9°, copies straightened by 1–10° are
// found at 0.986–1.000 on half A and at 0.960–0.982 on half B, held out
// (README, "Turned copies").
var straightAngles = []int{3, 6, 9}

// straightViews returns the straightened views at each of angles, turned
// each way, named straight+N and straight-N.
func straightViews(angles []int) []viewSpec {
	var out []viewSpec
	for _, a := range angles {
		out = append(out,
			viewSpec{fmt.Sprintf("straight+%d", a), straightened(float64(a))},
			viewSpec{fmt.Sprintf("straight-%d", a), straightened(float64(-a))})
	}
	return out
}

// cornerCuts are the amounts, in percent of each side, at which the
// registered corner crops (two adjacent sides cut alike) are cut: every 3
// points from 4 to 25%. PDQ moves fast when a corner crop falls between
// two cuts: on the development photos' tuning half, a corner crop off its
// nearest cut by 0.5, 1, 1.5 and 2 points lies a median 14–20, 26–30,
// 36–40 and 46–50 bits from it, and the default rule's thresholds pass
// 0.999, 0.99, 0.95–0.98 and 0.78–0.87 of them (the lower figure for a
// cut shallower than the crop, the higher for one deeper). Cuts 3 points
// apart keep every amount from 2.5 to 26.5% within 1.5 points of one;
// the 10/15/20% grid before it left 18% at 0.84 and 23% at 0.12 (README,
// "Matching"). Each cut costs four views: matcher memory, and four
// chances per registered picture to meet an unrelated one. Measured on
// the pool: the tune split kept its 32 false alerts (0 between packages);
// the holdout, checked once, went 23 → 26 between packages (36 of its 40
// new false alerts are frames of one rotating asteroid against each
// other). The cuts at 4 and 7% came with the query's cuts at four sides
// (queryViews): a 4% corner crop had been found at 0.64 (half A,
// TestUnequalCornerCurve), by chance, through the cuts before meeting
// every registered crop, and at 0.50 once the cuts met only the corner
// crops; with the cuts at 4 and 7%, at 1.000, and a 4% cut from one side
// at 0.993 (0.81 before them). On the pool they cost no alert between
// packages (holdout 15 → 15, tune 1 → 1); within packages the holdout
// went 2,076 → 2,353, 245 of the 277 added being frames of freeorion's
// turning asteroids, and the tune split 97 → 103.
var cornerCuts = []int{4, 7, 10, 13, 16, 19, 22, 25}

// cornerViews returns the corner crops at each of cuts (percent), from
// each corner, named crop-tlN, crop-trN, crop-blN and crop-brN.
func cornerViews(cuts []int) []viewSpec {
	return cutAtEach(cuts, []string{"tl", "tr", "bl", "br"}, registeredCropName)
}

// sideCuts are the amounts, in percent, at which the registered side
// crops (one side cut) are cut. One side's cut moves a hash more slowly
// than a corner's (the other three edges stay), so a grid 5 points apart
// serves; it reaches 30%, where a re-uploader cuts away a side bar, a
// watermark or a half of the frame. The 10/20% grid before it left a 25%
// cut from one side at 0.15–0.27 on the development photos (unseen
// edits).
var sideCuts = []int{10, 15, 20, 25, 30}

// sideViews returns the side crops at each of cuts (percent), from each
// side, named crop-lN, crop-rN, crop-tN and crop-bN.
func sideViews(cuts []int) []viewSpec {
	return cutAtEach(cuts, []string{"l", "r", "t", "b"}, registeredCropName)
}

// registeredCropName names a registered side or corner crop: crop-l20,
// crop-tl13.
func registeredCropName(side string, n int) string { return fmt.Sprintf("crop-%s%d", side, n) }

// trimmedViews are registered, when the picture has borders worth
// trimming, on its trimmed interior: its mirror image and quarter turns,
// for a re-upload that pads or letterboxes a turned copy.
var trimmedViews = []viewSpec{
	{"trimmed-mirror", flipH},
	{"trimmed-rot90", quarterTurns(1)},
	{"trimmed-rot180", quarterTurns(2)},
	{"trimmed-rot270", quarterTurns(3)},
}
