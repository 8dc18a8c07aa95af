package features_test

import (
	"bytes"
	"image"
	"image/draw"
	_ "image/jpeg"
	_ "image/png"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing/features"
)

// grey converts img to an 8-bit grey picture.
func grey(img image.Image) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return g
}

// decodeGrey decodes encoded picture bytes to grey.
func decodeGrey(t testing.TB, data []byte) *image.Gray {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return grey(img)
}

// photoGrey decodes a committed photo to grey.
func photoGrey(t testing.TB, p fixtures.Photo) (image.Image, *image.Gray) {
	t.Helper()
	img, err := p.Decode()
	if err != nil {
		t.Fatal(err)
	}
	return img, grey(img)
}

// Re-uploads keep the original's corners where one transform puts them,
// unrelated photos do not: the copies must reach, and the unrelated stay
// below, the 5 inliers that `hashwatch eval --verify 5` asks of matches
// beyond PDQ 31 (the fewest a 20% crop from every side of a development
// photo kept; README, "A geometric verifier").
const (
	minCopyInliers     = 5
	maxUnrelatedInlier = minCopyInliers - 1
)

func TestVerifyFindsEditedCopies(t *testing.T) {
	cfg := features.DefaultConfig()
	edits := []fixtures.Edit{
		fixtures.JPEGQuality(30), fixtures.Resize(0.5), fixtures.Rotate(5), fixtures.Rotate(-5),
		fixtures.Rotate(90), fixtures.Mirror(), fixtures.Crop(0.20, 0.20, 0.20, 0.20),
		fixtures.Crop(0.15, 0.15, 0, 0), fixtures.Pad(1.5, image.Black.C), fixtures.CaptionBelow(0.10),
		fixtures.Stretch(16, 9), fixtures.Blur(2), fixtures.Contrast(-20),
		fixtures.Combine("mirror+crop-all10+jpeg-q50", fixtures.Mirror(), fixtures.Crop(0.10, 0.10, 0.10, 0.10), fixtures.JPEGQuality(50)),
	}
	for _, p := range fixtures.Known()[:4] {
		img, g := photoGrey(t, p)
		reg := features.Extract(g, cfg)
		for _, e := range edits {
			t.Run(p.Name+" survives "+e.Name, func(t *testing.T) {
				data, err := e.Render(img)
				if err != nil {
					t.Fatal(err)
				}
				q := features.Extract(decodeGrey(t, data), cfg)
				r := features.Verify(q, reg, cfg)
				t.Logf("%s points %d/%d tentative %d inliers %d mirrored %v", e.Name, len(q.Points), len(reg.Points), r.Tentative, r.Inliers, r.Mirrored)
				if r.Inliers < minCopyInliers {
					t.Errorf("%d inliers, want at least %d", r.Inliers, minCopyInliers)
				}
			})
		}
	}
}

func TestVerifyKeepsUnrelatedPhotosApart(t *testing.T) {
	cfg := features.DefaultConfig()
	known, others := fixtures.Known()[:6], fixtures.Others()[:6]
	var sets []features.Set
	for _, p := range others {
		_, g := photoGrey(t, p)
		sets = append(sets, features.Extract(g, cfg))
	}
	for _, p := range known {
		_, g := photoGrey(t, p)
		reg := features.Extract(g, cfg)
		for i, q := range sets {
			r := features.Verify(q, reg, cfg)
			if r.Inliers > maxUnrelatedInlier {
				t.Errorf("%s vs %s: %d inliers, want at most %d", others[i].Name, p.Name, r.Inliers, maxUnrelatedInlier)
			}
		}
	}
}

// A portrait photo forced into a 16:9 frame is stretched 2.4 times along
// one axis: no affine transform of limited anisotropy carries its
// corners, and its descriptors change beyond recognition. Compared as
// square copies (Config.Square), the two pictures are the same again.
func TestSquareCopiesUndoAStretch(t *testing.T) {
	for _, p := range fixtures.Known()[:4] {
		img, _ := photoGrey(t, p)
		// The registered picture: the photo turned to portrait.
		portrait, err := fixtures.Rotate(90).Render(img)
		if err != nil {
			t.Fatal(err)
		}
		pg := decodeGrey(t, portrait)
		stretched, err := fixtures.Stretch(16, 9).Render(pg)
		if err != nil {
			t.Fatal(err)
		}
		qg := decodeGrey(t, stretched)
		for _, tc := range []struct {
			square bool
			least  int
		}{{true, minCopyInliers}, {false, 0}} {
			cfg := features.DefaultConfig()
			cfg.Square = tc.square
			r := features.Verify(features.Extract(qg, cfg), features.Extract(pg, cfg), cfg)
			t.Logf("%s, square copies %v: tentative %d inliers %d (square %v)", p.Name, tc.square, r.Tentative, r.Inliers, r.Square)
			if r.Inliers < tc.least || (tc.square && !r.Square) {
				t.Errorf("%s, square copies %v: %d inliers (square %v), want at least %d from the square copies", p.Name, tc.square, r.Inliers, r.Square, tc.least)
			}
		}
		// A copy in the same frame is compared at its own aspect only:
		// the square copies would be a second draw, not a better one.
		// (Its own corners are left out here, so that only the square
		// copies could agree.)
		recoded, err := fixtures.JPEGQuality(50).Render(pg)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			aspect float64
			square bool
		}{{features.DefaultConfig().SquareAspect, false}, {1, true}} {
			cfg := features.DefaultConfig()
			cfg.SquareAspect = tc.aspect
			q := features.Extract(decodeGrey(t, recoded), cfg)
			q.Points = nil
			r := features.Verify(q, features.Extract(pg, cfg), cfg)
			if r.Square != tc.square || (tc.square && r.Inliers < minCopyInliers) || (!tc.square && r.Inliers != 0) {
				t.Errorf("%s re-encoded, SquareAspect %g: %d inliers, square %v; want square copies compared: %v", p.Name, tc.aspect, r.Inliers, r.Square, tc.square)
			}
		}
	}
}

// Distinct tells pictures whose corners can be matched in a copy (every
// photo) from pictures whose corners all look alike: a disc's rim, a
// checkerboard's crossings.
func TestDistinctTellsPhotosFromRepeatedCorners(t *testing.T) {
	cfg := features.DefaultConfig()
	const least = 8 // twice hashing's default NearMinDistinct, 4
	for _, p := range append(fixtures.Known()[:4], fixtures.Others()[:4]...) {
		_, g := photoGrey(t, p)
		if n := features.Extract(g, cfg).Distinct(cfg); n < least {
			t.Errorf("%s: %d distinct corners, want at least %d", p.Name, n, least)
		}
	}
	disc := image.NewGray(image.Rect(0, 0, 240, 240))
	board := image.NewGray(image.Rect(0, 0, 240, 240))
	for y := range 240 {
		for x := range 240 {
			disc.Pix[y*240+x] = 255
			if dx, dy := x-120, y-120; dx*dx+dy*dy <= 64*64 {
				disc.Pix[y*240+x] = 30
			}
			board.Pix[y*240+x] = uint8(40 + 180*((x/30+y/30)%2))
		}
	}
	for name, g := range map[string]*image.Gray{"disc": disc, "checkerboard": board} {
		s := features.Extract(g, cfg)
		if n := s.Distinct(cfg); n >= least {
			t.Errorf("%s: %d distinct corners of %d, want fewer than %d", name, n, len(s.Points), least)
		}
	}
}
