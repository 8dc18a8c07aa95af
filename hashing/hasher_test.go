package hashing

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"slices"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/fixtures"
)

// A registered picture whose edge is a uniform backdrop (a clear sky, a
// studio wall) gets a trimmed view, but re-uploads keep its frame: turns and
// crops of the picture as registered must match without relying on trimming
// being redone alike on the edited copy.
func TestEditsOfAPictureWithABackdropMatch(t *testing.T) {
	src := framed(testImage(320, 200), 60, 0, 0, 0, color.NRGBA{R: 160, G: 200, B: 240, A: 255})
	h := NewHasher(Limits{})
	jpg := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	reg, err := h.Image(t.Context(), jpg(src), ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := reg.View(ViewTrimmed); !ok {
		t.Fatal("the backdrop was not trimmed: the test pictures no backdrop")
	}
	rule := DefaultRule()
	for _, e := range []fixtures.Edit{
		fixtures.Rotate(90), fixtures.Rotate(180), fixtures.Rotate(270), fixtures.Mirror(),
		fixtures.Crop(0.2, 0.2, 0.2, 0.2), fixtures.CaptionAbove(0.1), fixtures.CaptionBelow(0.1),
	} {
		t.Run("its "+e.Name+" copy matches", func(t *testing.T) {
			q, err := h.Image(t.Context(), jpg(e.Apply(src)), ForQuery)
			if err != nil {
				t.Fatal(err)
			}
			ev, ok := rule.Best(q, reg)
			if !ok {
				t.Fatal("no match")
			}
			if ev.Distance > 31 {
				t.Errorf("%s view vs %s view at PDQ %d, want a near-exact view (≤31)", ev.QueryView, ev.RegisteredView, ev.Distance)
			}
		})
	}
}

func TestQueryViewsCutAtACaptionBand(t *testing.T) {
	photo := testImage(320, 240)
	h := NewHasher(Limits{})
	for _, tc := range []struct {
		edit fixtures.Edit
		want []string
	}{
		{fixtures.CaptionAbove(0.12), []string{ViewUncaptionedTop}},
		{fixtures.CaptionBelow(0.12), []string{ViewUncaptionedBottom}},
		{fixtures.Combine("captions-above-and-below", fixtures.CaptionAbove(0.12), fixtures.CaptionBelow(0.12)),
			[]string{ViewUncaptionedTop, ViewUncaptionedBottom, ViewUncaptioned}},
		{fixtures.JPEGQuality(85), nil},
	} {
		t.Run(tc.edit.Name, func(t *testing.T) {
			data, err := tc.edit.Render(photo)
			if err != nil {
				t.Fatal(err)
			}
			fp, err := h.Image(t.Context(), data, ForQuery)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{ViewUncaptionedTop, ViewUncaptionedBottom, ViewUncaptioned} {
				if _, ok := fp.View(name); ok != slices.Contains(tc.want, name) {
					t.Errorf("view %s present = %v", name, ok)
				}
			}
		})
	}
	t.Run("the view without both bands matches the registered picture", func(t *testing.T) {
		reg, err := h.Pixels(t.Context(), photo, ForRegistration)
		if err != nil {
			t.Fatal(err)
		}
		data, err := fixtures.Combine("captions", fixtures.CaptionAbove(0.12), fixtures.CaptionBelow(0.12)).Render(photo)
		if err != nil {
			t.Fatal(err)
		}
		q, err := h.Image(t.Context(), data, ForQuery)
		if err != nil {
			t.Fatal(err)
		}
		ev, ok := DefaultRule().Best(q, reg)
		if !ok || ev.QueryView != ViewUncaptioned {
			t.Errorf("best evidence %+v (match %v), want through the %s view", ev, ok, ViewUncaptioned)
		}
	})
}

// Mirrored copies match through the registered mirror views (the whole
// picture and its centre crops mirrored), or through the query's own
// mirror image against a registered crop view, also for a picture whose
// edge is a plain backdrop that the crawled copy gets trimmed at; the
// crawled side has that one mirror view only (see queryViews).
func TestMirroredEditsMatchThroughTheRegisteredMirrorViews(t *testing.T) {
	h := NewHasher(Limits{})
	rule := DefaultRule()
	for _, pic := range []struct {
		name string
		img  image.Image
	}{
		{"a photo", testImage(320, 240)},
		{"a photo under a plain sky", framed(testImage(320, 200), 60, 0, 0, 0, color.NRGBA{R: 160, G: 200, B: 240, A: 255})},
	} {
		reg, err := h.Pixels(t.Context(), pic.img, ForRegistration)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []fixtures.Edit{
			fixtures.Mirror(),
			fixtures.Combine("mirror+crop-all10+q50", fixtures.Mirror(), fixtures.Crop(0.1, 0.1, 0.1, 0.1), fixtures.JPEGQuality(50)),
			fixtures.Combine("mirror+crop-all20", fixtures.Mirror(), fixtures.Crop(0.2, 0.2, 0.2, 0.2)),
		} {
			t.Run(pic.name+"/"+e.Name, func(t *testing.T) {
				data, err := e.Render(pic.img)
				if err != nil {
					t.Fatal(err)
				}
				q, err := h.Image(t.Context(), data, ForQuery)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range q.Views {
					if strings.Contains(v.Name, "mirror") && v.Name != ViewMirrored {
						t.Fatalf("crawled view %s: mirrors are registered views, but for the query's own mirror image", v.Name)
					}
				}
				ev, ok := rule.Best(q, reg)
				through := strings.Contains(ev.RegisteredView, "mirror") ||
					(ev.QueryView == ViewMirrored && MirroredMeets(ev.RegisteredView))
				if !ok || !through || ev.Distance > 31 {
					t.Errorf("best evidence %s vs %s at PDQ %d (match %v), want a registered mirror view, or the query's mirror image against a crop view, within PDQ 31", ev.QueryView, ev.RegisteredView, ev.Distance, ok)
				}
			})
		}
	}
}

// The eval's WebP encoder (gen2brain/webp, linked into this test binary
// through fixtures) registers a decoder of its own with package image;
// hashing must keep decoding WebP with golang.org/x/image/webp, pure Go.
func TestWebPDecodesWithTheGoDecoder(t *testing.T) {
	src := testImage(200, 150)
	data, err := fixtures.WebP(75).Render(src)
	if err != nil {
		t.Fatal(err)
	}
	img, format, err := DecodeImage(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if format != FormatWebP || img.Bounds().Size() != image.Pt(200, 150) {
		t.Fatalf("decoded %s %v", format, img.Bounds())
	}
	if _, ok := img.(*image.YCbCr); !ok {
		t.Errorf("decoded to %T; golang.org/x/image/webp gives *image.YCbCr for lossy WebP", img)
	}
	h := NewHasher(Limits{})
	reg, err := h.Image(t.Context(), fixturesJPEG(t, src), ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	q, err := h.Image(t.Context(), data, ForQuery)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := DefaultRule().Best(q, reg); !ok {
		t.Error("the WebP copy does not match its JPEG original")
	}
}

func fixturesJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	data, err := fixtures.Encode(imaging.Clone(img), fixtures.FormatJPEG, 90)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
