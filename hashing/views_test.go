package hashing

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
)

// The corner cuts are spaced so that every corner crop from 1.5 points
// below the first cut to 1.5 points above the last lies within 1.5 points
// of one: beyond that, on the development photos, the default rule's
// thresholds pass fewer than 0.95–0.98 of the crops (cornerCuts).
func TestEveryCornerCropLiesNearACut(t *testing.T) {
	const reach = 1.5
	lo, hi := float64(cornerCuts[0])-reach, float64(cornerCuts[len(cornerCuts)-1])+reach
	for a := lo; a <= hi; a += 0.25 {
		near := math.Inf(1)
		for _, c := range cornerCuts {
			near = min(near, math.Abs(a-float64(c)))
		}
		if near > reach {
			t.Errorf("a %.2f%% corner crop lies %.2f points from the nearest cut %v, want at most %.1f", a, near, cornerCuts, reach)
		}
	}
}

// A corner crop halfway between two cuts, from any corner, still matches
// its picture under the default rule.
func TestCornerCropsBetweenTheCutsMatch(t *testing.T) {
	src := testImage(480, 360)
	h := NewHasher(Limits{})
	jpg := func(e fixtures.Edit) []byte {
		var b bytes.Buffer
		var img image.Image = src
		if e.Apply != nil {
			img = e.Apply(src)
		}
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	reg, err := h.Image(t.Context(), jpg(fixtures.Edit{}), ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	rule := DefaultRule()
	for i := 1; i < len(cornerCuts); i++ {
		f := float64(cornerCuts[i-1]+cornerCuts[i]) / 200
		for _, e := range []fixtures.Edit{
			fixtures.Crop(f, f, 0, 0), fixtures.Crop(0, f, f, 0), fixtures.Crop(f, 0, 0, f), fixtures.Crop(0, 0, f, f),
		} {
			t.Run(e.Name, func(t *testing.T) {
				q, err := h.Image(t.Context(), jpg(e), ForQuery)
				if err != nil {
					t.Fatal(err)
				}
				ev, ok := rule.Best(q, reg)
				if !ok {
					t.Fatal("no match")
				}
				t.Logf("%s view vs %s view at PDQ %d", ev.QueryView, ev.RegisteredView, ev.Distance)
			})
		}
	}
}

// Copies turned by an angle between the registered turned views — with
// their corners filled black (rot±4, rot±8) or cropped away as a
// straighten tool does (straight±3, ±6, ±9) — still match their photo
// under the default rule, and the turned views are what finds them:
// without the views added for them (rot±8, every straight view) most of
// these copies are lost.
func TestTurnedCopiesBetweenTheViewsMatch(t *testing.T) {
	h := NewHasher(Limits{})
	rule := DefaultRule()
	edits := []fixtures.Edit{
		fixtures.RotateCrop(4.5), fixtures.RotateCrop(-4.5),
		fixtures.RotateCrop(7.5), fixtures.RotateCrop(-7.5),
		fixtures.RotateCrop(10), fixtures.RotateCrop(-10),
		fixtures.Rotate(7), fixtures.Rotate(-7),
		fixtures.Rotate(10), fixtures.Rotate(-10),
	}
	found, foundWithout, n := matchKnownEdits(t, h, rule, edits, func(q, reg Fingerprint) (Fingerprint, Fingerprint) {
		return q, withoutAddedTurns(reg)
	})
	t.Logf("found %d of %d turned copies, %d without the added views", found, n, foundWithout)
	if found < n*95/100 {
		t.Errorf("found %d of %d turned copies, want at least 95%%", found, n)
	}
	if foundWithout > n/2 {
		t.Errorf("without the added views %d of %d turned copies are found: the test no longer shows what they are for", foundWithout, n)
	}
}

// matchKnownEdits applies every edit to every fixture photo, matches each
// copy with its registered photo under rule, and matches it again with
// the views a change added taken out (without, applied to the query and
// the registered fingerprint): how many copies are found with the views
// and without them, of n.
func matchKnownEdits(t *testing.T, h *Hasher, rule Rule, edits []fixtures.Edit, without func(q, reg Fingerprint) (Fingerprint, Fingerprint)) (found, foundWithout, n int) {
	t.Helper()
	for _, p := range fixtures.Known() {
		reg, err := h.Image(t.Context(), p.Data, ForRegistration)
		if err != nil {
			t.Fatal(err)
		}
		img, err := p.Decode()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range edits {
			q := editedQuery(t, h, rule, img, e)
			n++
			if ev, ok := rule.Best(q, reg); ok {
				found++
				t.Logf("%s %s: %s view vs %s view at PDQ %d", p.Name, e.Name, ev.QueryView, ev.RegisteredView, ev.Distance)
			} else {
				t.Logf("%s %s: no match", p.Name, e.Name)
			}
			if _, ok := rule.Best(without(q, reg)); ok {
				foundWithout++
			}
		}
	}
	return found, foundWithout, n
}

// q70 is e saved at JPEG quality 70, as the match tests' copies are.
func q70(e fixtures.Edit) fixtures.Edit {
	return fixtures.Combine(e.Name+"+q70", e, fixtures.JPEGQuality(70))
}

// withoutViews returns fp without the views drop names.
func withoutViews(fp Fingerprint, drop func(name string) bool) Fingerprint {
	var vs []View
	for _, v := range fp.Views {
		if !drop(v.Name) {
			vs = append(vs, v)
		}
	}
	fp.Views = vs
	return fp
}

// withoutAddedTurns returns fp without the turned views issue #17 added
// (rot±8 and every straight view): the registered views before them.
func withoutAddedTurns(fp Fingerprint) Fingerprint {
	return withoutViews(fp, func(name string) bool {
		return name == "rot+8" || name == "rot-8" || strings.HasPrefix(name, "straight")
	})
}

// Mirrored copies that are also cut — from a corner, from a side, or
// straightened — or turned (upside down, a quarter turn, a few degrees
// with black corners) match their photo under the default rule through
// the query's own mirror image (ViewMirrored), which meets the registered
// crop and turned views and shows its corners to the verifier; and that
// view is what finds them: without it most of these copies are lost.
func TestMirroredCutAndTurnedCopiesMatch(t *testing.T) {
	h := NewHasher(Limits{})
	rule := DefaultRule()
	mirrored := func(e fixtures.Edit) fixtures.Edit {
		return fixtures.Combine("mirror+"+e.Name, fixtures.Mirror(), e, fixtures.JPEGQuality(70))
	}
	edits := []fixtures.Edit{
		mirrored(fixtures.Crop(0.12, 0.12, 0, 0)),
		mirrored(fixtures.Crop(0, 0, 0.17, 0.17)),
		mirrored(fixtures.Crop(0, 0.20, 0.20, 0)),
		mirrored(fixtures.Crop(0.18, 0, 0, 0)),
		mirrored(fixtures.Crop(0, 0, 0, 0.22)),
		mirrored(fixtures.RotateCrop(6)),
		fixtures.Combine("flip+q70", fixtures.Flip(), fixtures.JPEGQuality(70)),
		mirrored(fixtures.Rotate(90)),
		mirrored(fixtures.Rotate(-3)),
		mirrored(fixtures.Rotate(6)),
	}
	found, foundWithout, n := matchKnownEdits(t, h, rule, edits, func(q, reg Fingerprint) (Fingerprint, Fingerprint) {
		return withoutMirrored(q), reg
	})
	t.Logf("found %d of %d mirrored copies, %d without the query's mirror image", found, n, foundWithout)
	if found < n*90/100 {
		t.Errorf("found %d of %d mirrored copies, want at least 90%%", found, n)
	}
	if foundWithout > n/2 {
		t.Errorf("without the query's mirror image %d of %d copies are found: the test no longer shows what it is for", foundWithout, n)
	}
}

// Copies cut from a corner by different amounts on its two sides, as a
// hand crop is, match their photo under the default rule: the query's
// cuts (queryViews) cut its less-cut axis until it is one of the
// registered corner crops, which cut both sides alike. So do small crops,
// at one corner or one side, which the registered corner crops at 4 and 7%
// (cornerCuts) meet. Without the cuts most of these copies are lost.
func TestUnequalCornerCropsMatch(t *testing.T) {
	h := NewHasher(Limits{})
	rule := DefaultRule()
	edits := []fixtures.Edit{
		q70(fixtures.Crop(0.05, 0.20, 0, 0)),
		q70(fixtures.Crop(0, 0.07, 0.21, 0)),
		q70(fixtures.Crop(0.10, 0, 0, 0.23)),
		q70(fixtures.Crop(0, 0, 0.17, 0.04)),
		q70(fixtures.Crop(0.08, 0.17, 0, 0)),
		q70(fixtures.Crop(0, 0.22, 0.11, 0)),
		q70(fixtures.Crop(0.04, 0.04, 0, 0)),
		q70(fixtures.Crop(0, 0, 0.05, 0)),
	}
	found, foundWithout, n := matchKnownEdits(t, h, rule, edits, func(q, reg Fingerprint) (Fingerprint, Fingerprint) {
		return withoutViews(q, func(name string) bool { return strings.HasPrefix(name, "cut-") }), reg
	})
	t.Logf("found %d of %d copies cut unequally from a corner, %d without the query's cuts", found, n, foundWithout)
	if found < n*90/100 {
		t.Errorf("found %d of %d copies cut unequally from a corner, want at least 90%%", found, n)
	}
	if foundWithout > n/2 {
		t.Errorf("without the query's cuts %d of %d copies are found: the test no longer shows what it is for", foundWithout, n)
	}
}

// The query's mirror image meets only the registered crop and turned
// views that are not registered mirrored too: the registered mirror views
// cover a whole mirrored copy and its centre crops.
func TestMirroredViewMeetsOnlyCropAndTurnedViews(t *testing.T) {
	v := alikeView
	rule := Rule{Clauses: []Clause{{{PDQ, 31, false}}}}
	for _, tc := range []struct {
		registered string
		meets      bool
	}{
		{"crop-tl13", true}, {"crop-r25", true}, {"crop-c15", true}, {"straight-6", true},
		{"crop-c5", false}, {"crop-c10", false}, {"crop-c20", false},
		{"rot90", true}, {"rot180", true}, {"rot270", true}, {"rot+4", true}, {"rot-8", true},
		{ViewOriginal, false}, {ViewTrimmed, false}, {ViewMirror, false}, {"mirror-crop-c10", false},
		{"trimmed-rot180", false}, {"trimmed-mirror", false},
	} {
		if got := MirroredMeets(tc.registered); got != tc.meets {
			t.Errorf("MirroredMeets(%q) = %v, want %v", tc.registered, got, tc.meets)
		}
		if _, ok := rule.Compare(v(ViewMirrored), v(tc.registered)); ok != tc.meets {
			t.Errorf("the mirrored view against %s: match %v, want %v", tc.registered, ok, tc.meets)
		}
		if _, ok := rule.Compare(v(ViewOriginal), v(tc.registered)); !ok {
			t.Errorf("the original view against %s does not match: only the mirrored view is restricted", tc.registered)
		}
	}
}

// A query's cut meets the registered corner crops of 10% or more on its
// own side, a cut at the top or bottom also the views of the whole
// picture, and no cut any other crop view.
func TestACutMeetsTheCornerCropsOnItsSideAndTopAndBottomWholeViews(t *testing.T) {
	v := alikeView
	rule := Rule{Clauses: []Clause{{{PDQ, 31, false}}}}
	whole := []string{ViewOriginal, ViewTrimmed, ViewMirror, "rot90", "rot-8", "trimmed-rot180", "trimmed-mirror"}
	for _, tc := range []struct {
		cut   string
		meets []string
		not   []string
	}{
		{"cut-left-12", []string{"crop-tl13", "crop-bl25", "crop-tl10"}, slices.Concat(whole, []string{"crop-tr13", "crop-br10", "crop-l20", "crop-r20", "crop-t10", "crop-c15", "straight+3", "mirror-crop-c10", "crop-tl4", "crop-bl7"})},
		{"cut-right-6", []string{"crop-tr10", "crop-br22"}, slices.Concat(whole, []string{"crop-tl10", "crop-bl22", "crop-r30", "crop-b10"})},
		{"cut-top-18", slices.Concat(whole, []string{"crop-tl19", "crop-tr16"}), []string{"crop-bl19", "crop-br16", "crop-t15", "crop-c5"}},
		{"cut-bottom-9", slices.Concat(whole, []string{"crop-bl10", "crop-br25"}), []string{"crop-tl10", "crop-tr25", "crop-b25", "straight-9"}},
	} {
		for _, reg := range slices.Concat(tc.meets, tc.not) {
			want := !slices.Contains(tc.not, reg)
			if _, ok := rule.Compare(v(tc.cut), v(reg)); ok != want {
				t.Errorf("%s against %s: match %v, want %v", tc.cut, reg, ok, want)
			}
			if _, ok := rule.Compare(v(ViewOriginal), v(reg)); !ok {
				t.Errorf("the original view against %s does not match: only the cuts are restricted", reg)
			}
		}
	}
}

// A query's half or quarter meets the views of the whole registered
// picture and none of its crop views.
func TestAPartMeetsOnlyTheWholeViews(t *testing.T) {
	v := alikeView
	rule := Rule{Clauses: []Clause{{{PDQ, 31, false}}}}
	whole := []string{ViewOriginal, ViewTrimmed, ViewMirror, "rot90", "rot-8", "trimmed-rot180", "trimmed-mirror"}
	crops := []string{"crop-tl13", "crop-c15", "crop-l20", "straight+3", "mirror-crop-c10", "crop-br4"}
	for _, part := range partViews {
		for _, reg := range slices.Concat(whole, crops) {
			want := slices.Contains(whole, reg)
			if _, ok := rule.Compare(v(part.name), v(reg)); ok != want {
				t.Errorf("%s against %s: match %v, want %v", part.name, reg, ok, want)
			}
		}
	}
}

// TestHalvesAndQuartersMatch finds the fixture photos in either half of a
// side-by-side collage, in either half of one stacked above another, and
// in the top-left cell of a 2 × 2 grid, each scaled back to the photo's
// width and saved at JPEG 70: through the query's halves and quarters,
// which nothing else reaches.
func TestHalvesAndQuartersMatch(t *testing.T) {
	h := NewHasher(Limits{})
	rule := DefaultRule()
	// One picture above another: the collage turned a quarter, and the
	// result turned back.
	stacked := func(left bool) fixtures.Edit {
		return fixtures.Combine("stacked", fixtures.Rotate(90), fixtures.Collage(left), fixtures.Rotate(270))
	}
	edits := []fixtures.Edit{
		q70(fixtures.Collage(true)), q70(fixtures.Collage(false)),
		q70(stacked(true)), q70(stacked(false)), q70(fixtures.Grid()),
	}
	found, foundWithout, n := matchKnownEdits(t, h, rule, edits, func(q, reg Fingerprint) (Fingerprint, Fingerprint) {
		return withoutViews(q, func(name string) bool { return strings.HasPrefix(name, ViewPart) }), reg
	})
	t.Logf("found %d of %d photos in collages and grids, %d without the halves and quarters", found, n, foundWithout)
	if found < n*85/100 {
		t.Errorf("found %d of %d photos in collages and grids, want at least 85%%", found, n)
	}
	if foundWithout > n/4 {
		t.Errorf("without the halves and quarters %d of %d are found: the test no longer shows what it is for", foundWithout, n)
	}
}

// alikeView is a view named name whose hashes are the same as every other
// alikeView's, so that only the rule's choice of view pairs
// (Compared) can keep two of them from matching.
func alikeView(name string) View {
	return View{Name: name, Hashes: []Hash{
		{Algorithm: PDQ, Code: Code{1, 2, 3, 4}, Quality: 100},
		{Algorithm: PHash, Code: Code{5}, Quality: 100},
		{Algorithm: DHash, Code: Code{6}, Quality: 100},
	}}
}

// withoutMirrored returns a query fingerprint without its mirror image
// (ViewMirrored): what the crawled side had before that view.
func withoutMirrored(fp Fingerprint) Fingerprint {
	return withoutViews(fp, func(name string) bool { return name == ViewMirrored })
}
