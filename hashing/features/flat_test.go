package features_test

import (
	"image"
	"math/rand/v2"
	"testing"

	"github.com/hashwatch/hashwatch/hashing/features"
)

// TestFlatThresholdFindsFaintCorners: a low-contrast picture (blocks 12
// grey levels apart, below the default FAST threshold of 20) has no
// corners at Threshold alone and some with FlatThreshold; a picture with
// corners enough at Threshold keeps the set it had.
func TestFlatThresholdFindsFaintCorners(t *testing.T) {
	blocks := func(contrast uint8) *image.Gray {
		r := rand.New(rand.NewPCG(3, 4))
		g := image.NewGray(image.Rect(0, 0, 320, 240))
		for by := 0; by < 240; by += 20 {
			for bx := 0; bx < 320; bx += 20 {
				v := 100 + uint8(r.IntN(2))*contrast
				for y := by; y < by+20; y++ {
					for x := bx; x < bx+20; x++ {
						g.Pix[y*g.Stride+x] = v
					}
				}
			}
		}
		return g
	}
	for _, tc := range []struct {
		name     string
		contrast uint8
		flat     int
		wantMore bool
	}{
		{"faint, no fallback", 12, 0, false},
		{"faint, fallback 8", 12, 8, true},
		{"strong, fallback 8", 80, 8, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := features.DefaultConfig()
			cfg.FlatThreshold = 0
			plain := features.Extract(blocks(tc.contrast), cfg)
			cfg.FlatThreshold = tc.flat
			got := features.Extract(blocks(tc.contrast), cfg)
			if more := len(got.Points) > len(plain.Points); more != tc.wantMore {
				t.Errorf("%d points with FlatThreshold %d, %d without; want more: %v", len(got.Points), tc.flat, len(plain.Points), tc.wantMore)
			}
			if len(got.Points) > cfg.MaxPoints {
				t.Errorf("%d points, above MaxPoints %d", len(got.Points), cfg.MaxPoints)
			}
		})
	}
}
