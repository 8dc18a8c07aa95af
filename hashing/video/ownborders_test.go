package video

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// TestAPictureInItsOwnBarsIsHashedTrimmed draws photos of different
// shapes at the top-left corner of a square GIF canvas, as encoders do,
// leaving a bar below each that is one-sided and of a different height
// per picture: the bars the whole animation shares trim none of it, and
// the frame as a whole is far from the registered photo. The frame
// trimmed on its own borders must be within the seed radius of the
// registered photo's views, while the first hash of each frame stays
// trimmed alike in every frame, for video matching.
func TestAPictureInItsOwnBarsIsHashedTrimmed(t *testing.T) {
	known := fixtures.Known()[0]
	photos := []fixtures.Photo{fixtures.Others()[0], known, known}
	anim := &gif.GIF{Config: image.Config{Width: 240, Height: 240, ColorModel: color.Palette(palette.Plan9)}}
	for _, p := range photos {
		img, err := imaging.Decode(bytes.NewReader(p.Data))
		if err != nil {
			t.Fatal(err)
		}
		img = imaging.Fit(img, 240, 240, imaging.Box)
		if img.Bounds().Dy() >= 230 {
			t.Fatalf("%s fits as %v: the test needs a bar below it", p.Name, img.Bounds())
		}
		pal := image.NewPaletted(img.Bounds(), palette.Plan9)
		draw.FloydSteinberg.Draw(pal, img.Bounds(), img, image.Point{})
		anim.Image = append(anim.Image, pal)
		anim.Delay = append(anim.Delay, 150)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, anim); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reg, err := hashing.NewHasher(hashing.Limits{}).Image(ctx, known.Data, hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	nearest := func(q hashing.Hash) int {
		best := 256
		for _, v := range reg.Views {
			if rh, ok := v.Hash(hashing.PDQ); ok {
				best = min(best, q.Code.Distance(rh.Code))
			}
		}
		return best
	}
	fp, err := New(Config{}).Fingerprint(ctx, buf.Bytes(), hashing.ForQuery)
	if err != nil {
		t.Fatal(err)
	}
	seed := DefaultMatching().SeedDistance
	var asWhole, own []int
	for _, fr := range fp.Frames {
		if len(fr.Hashes) != len(fr.Mirrored) {
			t.Errorf("frame at %v: %d hashes, %d mirrored", fr.At, len(fr.Hashes), len(fr.Mirrored))
		}
		for i, h := range fr.Hashes {
			if i == 0 {
				asWhole = append(asWhole, nearest(h))
			} else {
				own = append(own, nearest(h))
			}
		}
	}
	if len(fp.Frames) != 2 {
		t.Fatalf("%d frames, want 2 (the repeat dropped)", len(fp.Frames))
	}
	if d := asWhole[1]; d <= seed {
		t.Logf("the frame as a whole is already within %d of the photo (%d): the test no longer tests own borders", seed, d)
	}
	if len(own) != 2 || own[1] > seed {
		t.Fatalf("distances from the photo, frames trimmed on their own borders: %v, want the second within %d (as a whole: %v)", own, seed, asWhole)
	}
	if own[0] <= seed {
		t.Errorf("the unrelated photo's frame is within %d of the registered photo: %v", seed, own)
	}
}
