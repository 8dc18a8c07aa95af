package hashing_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
)

func TestVerifyTestGatesOnlyWeakMatchesWithCorners(t *testing.T) {
	ctx := context.Background()
	h := hashing.NewHasher(hashing.Limits{})
	cfg := features.DefaultConfig()
	known := fixtures.Known()[0]
	img, err := known.Decode()
	if err != nil {
		t.Fatal(err)
	}
	cropped, err := fixtures.Crop(0.1, 0.1, 0.1, 0.1).Render(img)
	if err != nil {
		t.Fatal(err)
	}
	set := func(data []byte) *features.Set {
		s, err := h.Features(ctx, data, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return &s
	}
	orig, copy, other := set(known.Data), set(cropped), set(fixtures.Others()[0].Data)
	test := hashing.VerifyTest{AbovePDQ: 31, MinInliers: 6, Config: cfg}
	weak := hashing.Evidence{Distances: map[hashing.Algorithm]int{hashing.PDQ: 48, hashing.PHash: 6, hashing.DHash: 8}}
	near := hashing.Evidence{Distances: map[hashing.Algorithm]int{hashing.PDQ: 20, hashing.PHash: 6, hashing.DHash: 8}}
	nearCrop := near
	nearCrop.QueryView, nearCrop.RegisteredView = "original", "crop-br13"
	imported := hashing.Evidence{Distances: map[hashing.Algorithm]int{hashing.PDQ: 48}}
	// With NearMinInliers the matches within AbovePDQ are checked too,
	// against the smaller count; those beyond keep MinInliers.
	both := test
	both.NearMinInliers = 1
	// With NearMinDistinct, a match within AbovePDQ with a registered
	// picture whose corners all look alike (a disc's rim) is left to the
	// hashes (through a crop view, refused: a plain picture's crop is
	// plainer still): even a copy of such a picture shows no agreement. A query
	// without distinct corners against a registered photo rich in them
	// is checked: a copy of the photo would have them.
	distinct := both
	distinct.NearMinDistinct = 4
	disc, shifted := set(discJPEG(t, 0)), set(discJPEG(t, 2))
	// With CropMinDistinct alone, a match within AbovePDQ through a
	// registered crop view needs distinct corners on both sides, and
	// nothing more; whole-picture views are left to the hashes.
	crop := test
	crop.CropMinDistinct = 4
	nearMirrorCrop := near
	nearMirrorCrop.QueryView, nearMirrorCrop.RegisteredView = "trimmed", "mirror-crop-c10"
	// With MirroredMinInliers, a match made through the query's own
	// mirror image needs that many inliers at any distance.
	mirror := test
	mirror.MirroredMinInliers = 3
	mirroredCopy, err := fixtures.Combine("mirror+crop", fixtures.Mirror(), fixtures.Crop(0, 0.1, 0.15, 0)).Render(img)
	if err != nil {
		t.Fatal(err)
	}
	mcopy := set(mirroredCopy)
	nearMirrored := near
	nearMirrored.QueryView, nearMirrored.RegisteredView = hashing.ViewMirrored, "crop-tl13"
	weakMirrored := weak
	weakMirrored.QueryView, weakMirrored.RegisteredView = hashing.ViewMirrored, "crop-tl13"
	for _, tc := range []struct {
		name        string
		test        hashing.VerifyTest
		q, r        *features.Set
		ev          hashing.Evidence
		want        bool
		wantVerdict hashing.VerifyVerdict
	}{
		{"a cropped copy beyond PDQ 31 agrees", test, copy, orig, weak, true, hashing.VerifyChecked},
		{"an unrelated photo beyond PDQ 31 does not", test, other, orig, weak, false, hashing.VerifyChecked},
		{"a match within PDQ 31 is not checked", test, other, orig, near, true, hashing.VerifyNotApplied},
		{"a match decided by PDQ alone is not checked", test, other, orig, imported, true, hashing.VerifyNotApplied},
		{"a side without corners is left to the rule", test, other, nil, weak, true, hashing.VerifyUnchecked},
		{"an empty set is checked and fails", test, &features.Set{}, orig, weak, false, hashing.VerifyChecked},
		{"near: a cropped copy within PDQ 31 agrees", both, copy, orig, near, true, hashing.VerifyChecked},
		{"near: an unrelated photo within PDQ 31 does not", both, other, orig, near, false, hashing.VerifyChecked},
		{"near: an unrelated photo beyond PDQ 31 still does not", both, other, orig, weak, false, hashing.VerifyChecked},
		{"near: a match decided by PDQ alone is still not checked", both, other, orig, imported, true, hashing.VerifyNotApplied},
		{"near: a side without corners is still left to the rule", both, other, nil, near, true, hashing.VerifyUnchecked},
		{"distinct: a disc's copy within PDQ 31 is left to the hashes", distinct, shifted, disc, near, true, hashing.VerifyUnchecked},
		{"distinct: a match with a disc's crop view within PDQ 31 is refused", distinct, shifted, disc, nearCrop, false, hashing.VerifyChecked},
		{"distinct: a photo's crop view within PDQ 31 is checked as any other", distinct, copy, orig, nearCrop, true, hashing.VerifyChecked},
		{"distinct: an unrelated photo within PDQ 31 still does not agree", distinct, other, orig, near, false, hashing.VerifyChecked},
		{"distinct: a cropped copy within PDQ 31 still agrees", distinct, copy, orig, near, true, hashing.VerifyChecked},
		{"distinct: a disc against a photo within PDQ 31 is checked and refused", distinct, disc, orig, near, false, hashing.VerifyChecked},
		{"distinct: a disc beyond PDQ 31 is checked all the same", distinct, disc, orig, weak, false, hashing.VerifyChecked},
		{"crop: a photo's partial copy through its crop view passes", crop, copy, orig, nearCrop, true, hashing.VerifyUnchecked},
		{"crop: an unrelated photo through a crop view is left to the hashes", crop, other, orig, nearCrop, true, hashing.VerifyUnchecked},
		{"crop: a plain query through a photo's crop view is refused", crop, disc, orig, nearCrop, false, hashing.VerifyChecked},
		{"crop: a plain query through a mirrored crop view is refused", crop, disc, orig, nearMirrorCrop, false, hashing.VerifyChecked},
		{"crop: even a copy through a plain picture's crop view is refused", crop, shifted, disc, nearCrop, false, hashing.VerifyChecked},
		{"crop: a plain query through a whole view is left to the hashes", crop, disc, orig, near, true, hashing.VerifyNotApplied},
		{"crop: a plain copy of a plain picture through a whole view is left to the hashes", crop, shifted, disc, near, true, hashing.VerifyNotApplied},
		{"crop: without a query set the match is left to the rule", crop, nil, orig, nearCrop, true, hashing.VerifyUnchecked},
		{"crop: beyond PDQ 31 the geometry decides", crop, disc, orig, weak, false, hashing.VerifyChecked},
		{"mirrored: a mirrored partial copy within PDQ 31 agrees", mirror, mcopy, orig, nearMirrored, true, hashing.VerifyChecked},
		{"mirrored: an unrelated photo within PDQ 31 is refused", mirror, other, orig, nearMirrored, false, hashing.VerifyChecked},
		{"mirrored: a mirrored partial copy beyond PDQ 31 agrees", mirror, mcopy, orig, weakMirrored, true, hashing.VerifyChecked},
		{"mirrored: an unrelated photo beyond PDQ 31 is refused", mirror, other, orig, weakMirrored, false, hashing.VerifyChecked},
		{"mirrored: without a query set the match is left to the rule", mirror, nil, orig, nearMirrored, true, hashing.VerifyUnchecked},
		{"mirrored: off, the mirrored view within PDQ 31 is left to the hashes", test, other, orig, nearMirrored, true, hashing.VerifyNotApplied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, verdict, inliers := tc.test.Agrees(tc.q, tc.r, tc.ev)
			if ok != tc.want || verdict != tc.wantVerdict {
				t.Errorf("agrees %v verdict %v (%d inliers), want %v %v", ok, verdict, inliers, tc.want, tc.wantVerdict)
			}
		})
	}
	if !bytes.Equal(known.Data, fixtures.Known()[0].Data) {
		t.Fatal("Features changed its input")
	}
}

// discJPEG is a dark disc on white, moved by shift pixels: a picture whose
// only corners lie on the disc's rim, all alike.
func discJPEG(t *testing.T, shift int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 240, 240))
	for y := range 240 {
		for x := range 240 {
			c := color.RGBA{255, 255, 255, 255}
			if dx, dy := x-120-shift, y-120; dx*dx+dy*dy <= 64*64 {
				c = color.RGBA{30, 30, 40, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	data, err := fixtures.Encode(img, fixtures.FormatJPEG, 70)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestFeaturesHonoursTheHashersLimitsAndContext(t *testing.T) {
	photo := fixtures.Known()[0]
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := features.DefaultConfig()
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		limits hashing.Limits
		data   []byte
		want   error
	}{
		{"bytes over the byte limit are refused", context.Background(), hashing.Limits{MaxBytes: int64(len(photo.Data)) - 1}, photo.Data, hashing.ErrTooLarge},
		{"a picture over the pixel limit is refused before decoding", context.Background(), hashing.Limits{MaxPixels: 1000}, photo.Data, hashing.ErrTooLarge},
		{"bytes that are no picture are refused", context.Background(), hashing.Limits{}, []byte("\xff\xd8\xff\xe0 not a JPEG"), hashing.ErrCorrupt},
		{"a cancelled context stops it", cancelled, hashing.Limits{}, photo.Data, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := hashing.NewHasher(tc.limits).Features(tc.ctx, tc.data, cfg)
			if !errors.Is(err, tc.want) || len(set.Points) > 0 {
				t.Errorf("set of %d points, err %v; want none and %v", len(set.Points), err, tc.want)
			}
			lazy, err := hashing.NewHasher(tc.limits).LazyFeatures(tc.data)(tc.ctx, cfg)
			if !errors.Is(err, tc.want) || lazy != nil {
				t.Errorf("lazily: set %v, err %v; want nil and %v", lazy, err, tc.want)
			}
		})
	}
}

// TestFeaturesOfAPaddedCopyAreItsInteriors: a copy padded onto a plain
// canvas (1.5 times its size, white or black) keeps its corners. Found on
// the whole padded picture, the canvas's edge with the picture takes the
// strongest corners, all alike, and the picture's own shrink to a
// fraction of the budget; found on the interior inside the uniform
// borders (TrimBorders), as the hashes' trimmed view sees it, the copy
// agrees with its original about as well as a re-encoded one does.
func TestFeaturesOfAPaddedCopyAreItsInteriors(t *testing.T) {
	ctx := context.Background()
	h := hashing.NewHasher(hashing.Limits{})
	cfg := features.DefaultConfig()
	for _, known := range fixtures.Known()[:3] {
		img, err := known.Decode()
		if err != nil {
			t.Fatal(err)
		}
		set := func(e fixtures.Edit) features.Set {
			t.Helper()
			data, err := e.Render(img)
			if err != nil {
				t.Fatal(err)
			}
			s, err := h.Features(ctx, data, cfg)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		orig, err := h.Features(ctx, known.Data, cfg)
		if err != nil {
			t.Fatal(err)
		}
		reencoded := features.Verify(set(fixtures.JPEGQuality(50)), orig, cfg).Inliers
		for _, pad := range []fixtures.Edit{fixtures.Pad(1.5, color.White), fixtures.Pad(1.5, color.Black)} {
			t.Run(known.Name+"/"+pad.Name, func(t *testing.T) {
				q := set(pad)
				got := features.Verify(q, orig, cfg).Inliers
				if 2*got < reencoded {
					t.Errorf("padded copy agrees by %d inliers, a re-encoded one by %d", got, reencoded)
				}
				if d, want := q.Distinct(cfg), orig.Distinct(cfg); 2*d < want {
					t.Errorf("padded copy has %d distinct corners, its original %d", d, want)
				}
			})
		}
	}
}

// The query's added views — its mirror image, its cuts, its halves and
// quarters — only add matches: where another view pair matches too, that
// pair is the match's evidence (hashing.Preferred), so the verifier's
// check of the added view's pair cannot refuse a match the other pair
// makes; and where the added view's pair is the only one, the check
// decides.
func TestTheAddedViewsNeverTakeAMatchAway(t *testing.T) {
	ctx := context.Background()
	cfg := features.DefaultConfig()
	h := hashing.NewHasher(hashing.Limits{})
	set := func(data []byte) *features.Set {
		s, err := h.Features(ctx, data, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return &s
	}
	code := func(w uint64) hashing.Code { return hashing.Code{w, ^w, w * 7, w << 5} }
	// Native views (with a pHash and a dHash, which the verifier asks
	// for), told apart by their PDQ.
	view := func(name string, c hashing.Code) hashing.View {
		return hashing.View{Name: name, Hashes: []hashing.Hash{
			{Algorithm: hashing.PDQ, Code: c, Quality: 100},
			{Algorithm: hashing.PHash, Code: hashing.Code{1}, Quality: 100},
			{Algorithm: hashing.DHash, Code: hashing.Code{2}, Quality: 100},
		}}
	}
	near := code(0x5555)
	near[0] ^= 0xffff // 16 bits from code(0x5555)
	rule := hashing.Rule{
		Clauses: []hashing.Clause{{{Algorithm: hashing.PDQ, MaxDistance: 31}}},
		Verify:  &hashing.VerifyTest{AbovePDQ: 31, MinInliers: 5, MirroredMinInliers: 3, CutMinInliers: 3, PartMinInliers: 3, Config: cfg},
	}
	registered := hashing.Fingerprint{Kind: hashing.KindImage, Views: []hashing.View{
		view(hashing.ViewOriginal, code(0x5555)), view("crop-tl13", code(0x1234)), view(hashing.ViewMirror, code(0x4321)),
	}, Features: set(fixtures.Known()[0].Data)}
	unrelated := set(fixtures.Others()[0].Data)
	for _, tc := range []struct {
		name  string
		views []hashing.View
		want  bool
		via   string
	}{
		{"another pair matches: it is the evidence, and the match stands",
			[]hashing.View{view(hashing.ViewOriginal, near), view(hashing.ViewMirrored, code(0x1234))}, true, hashing.ViewOriginal},
		{"only the mirrored pair matches: the verifier refuses it",
			[]hashing.View{view(hashing.ViewOriginal, code(0x9999)), view(hashing.ViewMirrored, code(0x1234))}, false, ""},
		{"another pair matches besides a nearer cut: it is the evidence, and the match stands",
			[]hashing.View{view(hashing.ViewOriginal, near), view("cut-left-12", code(0x1234))}, true, hashing.ViewOriginal},
		{"only the cut's pair matches: the verifier refuses it",
			[]hashing.View{view(hashing.ViewOriginal, code(0x9999)), view("cut-left-12", code(0x1234))}, false, ""},
		{"another pair matches besides a nearer half: it is the evidence, and the match stands",
			[]hashing.View{view(hashing.ViewOriginal, near), view("part-left", code(0x4321))}, true, hashing.ViewOriginal},
		{"only the half's pair matches: the verifier refuses it",
			[]hashing.View{view(hashing.ViewOriginal, code(0x9999)), view("part-top-right", code(0x4321))}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			query := hashing.Fingerprint{Kind: hashing.KindImage, Views: tc.views, Features: unrelated}
			ev, ok := rule.Best(query, registered)
			if ok != tc.want || (ok && ev.QueryView != tc.via) {
				t.Errorf("match %v through %s/%s at %d, want %v through %s", ok, ev.QueryView, ev.RegisteredView, ev.Distance, tc.want, tc.via)
			}
		})
	}
	ev := func(view string, d int) hashing.Evidence { return hashing.Evidence{QueryView: view, Distance: d} }
	for _, tc := range []struct {
		a, b hashing.Evidence
		want bool
	}{
		{ev(hashing.ViewOriginal, 30), ev(hashing.ViewMirrored, 0), true},
		{ev(hashing.ViewOriginal, 30), ev("cut-top-12", 0), true},
		{ev("cut-top-12", 30), ev(hashing.ViewMirrored, 0), true},
		{ev("cut-top-12", 30), ev("part-left", 0), true},
		{ev("part-left", 30), ev(hashing.ViewMirrored, 0), true},
		{ev("part-bottom-right", 0), ev("cut-left-6", 30), false},
		{ev(hashing.ViewMirrored, 0), ev("cut-top-12", 30), false},
		{ev("cut-left-6", 3), ev("cut-top-18", 4), true},
		{ev(hashing.ViewTrimmed, 3), ev(hashing.ViewOriginal, 4), true},
		{ev(hashing.ViewOriginal, 4), ev(hashing.ViewTrimmed, 3), false},
	} {
		if got := hashing.Preferred(tc.a, tc.b); got != tc.want {
			t.Errorf("Preferred(%s at %d, %s at %d) = %v, want %v: the picture's own views first, then its cuts, its halves and quarters, its mirror image, the nearer within each", tc.a.QueryView, tc.a.Distance, tc.b.QueryView, tc.b.Distance, got, tc.want)
		}
	}
}
