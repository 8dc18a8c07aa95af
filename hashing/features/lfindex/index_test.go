package lfindex_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/draw"
	_ "image/jpeg"
	_ "image/png"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing/features"
	"github.com/hashwatch/hashwatch/hashing/features/lfindex"
)

// grey converts img to an 8-bit grey picture.
func grey(img image.Image) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return g
}

// setOf renders e on img and extracts the result's corner set.
func setOf(t testing.TB, img image.Image, e fixtures.Edit) features.Set {
	t.Helper()
	data, err := e.Render(img)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return features.Extract(grey(out), features.DefaultConfig())
}

// registered builds an index over the known fixture photos (ID i+1 for
// Known()[i]) and returns it with the decoded photos.
func registered(t testing.TB, cfg lfindex.Config) (*lfindex.Index, []image.Image) {
	t.Helper()
	x, err := lfindex.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var imgs []image.Image
	for i, p := range fixtures.Known() {
		img, err := p.Decode()
		if err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
		if err := x.Add(uint64(i+1), features.Extract(grey(img), cfg.Features)); err != nil {
			t.Fatal(err)
		}
	}
	return x, imgs
}

// The edits whole-picture hashes miss (eval's unseen group) are found
// through the picture's own corners, and only its own picture is named.
// The test is of the candidate generator, so it asks only for the fewest
// inliers a transform has (3): a 25% corner crop keeps 10–14 inliers,
// and where the product's threshold sits is the pool's business (README,
// "Local features").
func TestMatchFindsOwnPictureAfterHeavyCropsAndTurns(t *testing.T) {
	cfg := lfindex.DefaultConfig()
	cfg.MinInliers = 3
	x, imgs := registered(t, cfg)
	edits := []struct {
		edit     fixtures.Edit
		mirrored bool
	}{
		{fixtures.Crop(0.25, 0.25, 0, 0), false},
		{fixtures.Crop(0, 0, 0.25, 0.25), false},
		{fixtures.Crop(0.25, 0, 0, 0), false},
		{fixtures.Crop(0.08, 0.22, 0, 0), false},
		{fixtures.Rotate(8), false},
		{fixtures.RotateCrop(-8), false},
		{fixtures.Combine("caption-both12", fixtures.CaptionAbove(0.12), fixtures.CaptionBelow(0.12)), false},
		{fixtures.Sticker(0.10), false},
		{fixtures.Mirror(), true},
		{fixtures.Combine("mirror+crop12+q50", fixtures.Mirror(), fixtures.Crop(0.12, 0.12, 0, 0), fixtures.JPEGQuality(50)), true},
	}
	for i, img := range imgs[:4] {
		for _, e := range edits {
			t.Run(fixtures.Known()[i].Name+" is found after "+e.edit.Name, func(t *testing.T) {
				hits, err := x.Match(context.Background(), setOf(t, img, e.edit))
				if err != nil {
					t.Fatal(err)
				}
				if len(hits) == 0 || hits[0].ID != uint64(i+1) {
					t.Fatalf("hits %+v, want picture %d first", hits, i+1)
				}
				if hits[0].Mirrored != e.mirrored {
					t.Errorf("mirrored %v, want %v", hits[0].Mirrored, e.mirrored)
				}
				for _, h := range hits[1:] {
					t.Errorf("also matched picture %d (%d inliers)", h.ID, h.Inliers)
				}
				t.Logf("votes %d inliers %d", hits[0].Votes, hits[0].Inliers)
			})
		}
	}
}

// Unrelated photos, and their crops, match nothing.
func TestMatchKeepsUnrelatedPhotosApart(t *testing.T) {
	x, _ := registered(t, lfindex.DefaultConfig())
	for _, p := range fixtures.Others() {
		img, err := p.Decode()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []fixtures.Edit{fixtures.PNG(), fixtures.Crop(0.25, 0.25, 0, 0), fixtures.Mirror()} {
			t.Run(p.Name+" after "+e.Name+" matches nothing", func(t *testing.T) {
				hits, err := x.Match(context.Background(), setOf(t, img, e))
				if err != nil {
					t.Fatal(err)
				}
				if len(hits) != 0 {
					t.Errorf("hits %+v, want none", hits)
				}
			})
		}
	}
}

func TestMatchOnEmptyAndHostileSetsFindsNothing(t *testing.T) {
	cfg := lfindex.DefaultConfig()
	x, imgs := registered(t, cfg)
	own := setOf(t, imgs[0], fixtures.PNG())
	huge := features.Set{W: own.W, H: own.H}
	for range 50 {
		huge.Points = append(huge.Points, own.Points...)
	}
	cases := []struct {
		name  string
		set   features.Set
		found bool
	}{
		{"an empty set", features.Set{}, false},
		{"a one-pixel picture's set", features.Extract(image.NewGray(image.Rect(0, 0, 1, 1)), cfg.Features), false},
		{"a one-pixel-wide picture's set", features.Extract(image.NewGray(image.Rect(0, 0, 1, 4000)), cfg.Features), false},
		{"a flat picture's set", features.Extract(image.NewGray(image.Rect(0, 0, 640, 480)), cfg.Features), false},
		{"a set of 50 times MaxPoints points (read up to MaxPoints)", huge, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hits, err := x.Match(context.Background(), c.set)
			if err != nil {
				t.Fatal(err)
			}
			if hits == nil {
				t.Error("hits nil, want an empty slice")
			}
			if found := len(hits) > 0 && hits[0].ID == 1; found != c.found || (!c.found && len(hits) > 0) {
				t.Errorf("hits %+v, want found %v", hits, c.found)
			}
		})
	}
}

func TestIndexHoldsItsBounds(t *testing.T) {
	cfg := lfindex.DefaultConfig()
	_, imgs := registered(t, cfg)
	set := setOf(t, imgs[0], fixtures.PNG())
	huge := features.Set{W: set.W, H: set.H}
	for range 50 {
		huge.Points = append(huge.Points, set.Points...)
	}

	t.Run("an empty registered set is held and never found", func(t *testing.T) {
		x, _ := lfindex.New(cfg)
		if err := x.Add(7, features.Set{}); err != nil {
			t.Fatal(err)
		}
		hits, err := x.Match(context.Background(), set)
		if err != nil || len(hits) != 0 || x.Len() != 1 {
			t.Errorf("hits %+v err %v len %d, want none, nil, 1", hits, err, x.Len())
		}
	})
	t.Run("a registered set beyond MaxPoints keeps MaxPoints points", func(t *testing.T) {
		x, _ := lfindex.New(cfg)
		if err := x.Add(1, huge); err != nil {
			t.Fatal(err)
		}
		if x.Points() != cfg.MaxPoints {
			t.Errorf("%d points, want %d", x.Points(), cfg.MaxPoints)
		}
	})
	t.Run("the same ID twice is refused", func(t *testing.T) {
		x, _ := lfindex.New(cfg)
		x.Add(1, set)
		if err := x.Add(1, set); !errors.Is(err, lfindex.ErrDuplicate) {
			t.Errorf("err %v, want ErrDuplicate", err)
		}
	})
	t.Run("an Add beyond MaxPictures is refused", func(t *testing.T) {
		small := cfg
		small.MaxPictures = 2
		x, _ := lfindex.New(small)
		x.Add(1, set)
		x.Add(2, set)
		if err := x.Add(3, set); !errors.Is(err, lfindex.ErrFull) {
			t.Errorf("err %v, want ErrFull", err)
		}
	})
	t.Run("a removed picture is never found again", func(t *testing.T) {
		x, _ := lfindex.New(cfg)
		x.Add(1, set)
		if hits, _ := x.Match(context.Background(), set); len(hits) != 1 {
			t.Fatalf("before removal: hits %+v, want 1", hits)
		}
		if !x.Remove(1) || x.Remove(1) {
			t.Fatal("Remove: want true once, then false")
		}
		if hits, _ := x.Match(context.Background(), set); len(hits) != 0 || x.Len() != 0 {
			t.Errorf("after removal: hits %+v len %d, want none and 0", hits, x.Len())
		}
	})
	t.Run("a cancelled context stops a query", func(t *testing.T) {
		x, _ := lfindex.New(cfg)
		x.Add(1, set)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := x.Match(ctx, set); !errors.Is(err, context.Canceled) {
			t.Errorf("err %v, want context.Canceled", err)
		}
	})
}

func TestNewRefusesUnusableConfigs(t *testing.T) {
	base := lfindex.DefaultConfig()
	cases := []struct {
		name   string
		change func(*lfindex.Config)
	}{
		{"the zero config", func(c *lfindex.Config) { *c = lfindex.Config{} }},
		{"MinInliers below 3", func(c *lfindex.Config) { c.MinInliers = 2 }},
		{"no candidates", func(c *lfindex.Config) { c.Candidates = 0 }},
		{"MaxHamming beyond 256", func(c *lfindex.Config) { c.MaxHamming = 257 }},
		{"no pictures", func(c *lfindex.Config) { c.MaxPictures = 0 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := base
			c.change(&cfg)
			if _, err := lfindex.New(cfg); err == nil {
				t.Error("New accepted it")
			}
		})
	}
}
