package video_test

import (
	"context"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
)

// TestPartOfFrameEditsMatch builds 16:9 phone-like footage and copies
// that keep only part of its frame, at cuts and sizes the strips, the
// band, the inset search and the half-step centre crops were not shaped
// on (the stress set's crop-right20, 9:16 crop, 60% picture-in-picture
// and crop-all12 were their targets; its cuts from every side are 8, 10,
// 12 and 15%): each must match the original in time, and the footage of
// another photo must not. Copies cut at top and bottom (kept at that
// shape, full width) match through the band, and a copy cut 13% from
// every side and scaled back, between the 5% steps of the centre crops,
// through the half steps (all three aligned 0–2 frames before them).
func TestPartOfFrameEditsMatch(t *testing.T) {
	needFFmpeg(t)
	ctx := context.Background()
	b := fixtures.VideoBuilder{Dir: t.TempDir()}
	known, others := fixtures.Known(), fixtures.Others()
	clip := func(scene, person []byte, seed int) []byte {
		data, err := b.Footage(ctx, fixtures.Footage{Photo: scene, Person: person, Duration: 16 * time.Second, Width: 384, Height: 216, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	orig := clip(known[1].Data, others[0].Data, 1)
	other := clip(others[2].Data, others[3].Data, 2)
	h := video.New(video.Config{})
	reg, err := h.Fingerprint(ctx, orig, hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	m := video.DefaultMatching()
	for _, edit := range []fixtures.VideoEdit{
		fixtures.CropSides("crop-left15", 0.15, 0, 0, 0),
		fixtures.CropSides("crop-right10", 0, 0.10, 0, 0),
		fixtures.CropSides("crop-left25", 0.25, 0, 0, 0),
		fixtures.CentreCrop(4, 5),
		fixtures.CentreCrop(1, 1),
		fixtures.PictureInPicture(other, 0.45),
		fixtures.CropSides("crop-top-bottom10", 0, 0, 0.10, 0.10),
		fixtures.CropSides("crop-top-bottom6", 0, 0, 0.06, 0.06),
		fixtures.CropAllSides(0.13),
	} {
		t.Run(edit.Name, func(t *testing.T) {
			_, a, ok := compareEdit(t, b, h, orig, edit, reg, m)
			t.Logf("%d frames aligned, shares %.2f/%.2f, matched %v", a.Frames, a.QueryShare, a.RegisteredShare, ok)
			if !ok {
				t.Errorf("no match")
			}
		})
	}
	t.Run("other footage does not match", func(t *testing.T) {
		if _, a, ok := compareQuery(t, h, other, reg, m); ok {
			t.Errorf("matched: %d frames, shares %.2f/%.2f", a.Frames, a.QueryShare, a.RegisteredShare)
		}
	})
}
