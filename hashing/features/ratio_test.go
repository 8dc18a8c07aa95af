package features_test

import (
	"math/rand/v2"
	"testing"

	"github.com/hashwatch/hashwatch/hashing/features"
)

// TestRatioRadiusAcceptsTwins: a corner found on two scales of the
// pyramid gives two points at one position with nearly the same
// descriptor; the plain ratio test rejects its match as ambiguous, while
// RatioRadius treats the twin as the same correspondence. A rival at
// another position still makes the match ambiguous.
func TestRatioRadiusAcceptsTwins(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	desc := func() [4]uint64 { return [4]uint64{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()} }
	// a: five well-spread corners with distinct descriptors; b: a's
	// corners moved by (+10, +5), and the first one found twice.
	var a, b features.Set
	a.W, a.H, b.W, b.H = 320, 240, 320, 240
	pos := [][2]float32{{40, 40}, {200, 50}, {100, 180}, {260, 200}, {150, 110}}
	for _, p := range pos {
		d := desc()
		q := d
		q[1] ^= 0xfffff // a re-encoded copy: 20 bits apart
		a.Points = append(a.Points, features.Point{X: p[0], Y: p[1], Desc: q})
		b.Points = append(b.Points, features.Point{X: p[0] + 10, Y: p[1] + 5, Desc: d})
	}
	twin := b.Points[0]
	twin.X++
	twin.Level = 1
	twin.Desc[0] ^= 0b111 // 23 bits from a's corner, 20 for the true one
	rival := twin
	rival.X, rival.Y = 300, 20
	for _, tc := range []struct {
		name   string
		extra  features.Point
		radius float64
		want   int
	}{
		{"twin, plain ratio test", twin, 0, 4},
		{"twin, radius 4", twin, 4, 5},
		{"rival elsewhere, radius 4", rival, 4, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := features.DefaultConfig()
			cfg.RatioRadius = tc.radius
			bb := b
			bb.Points = append(append([]features.Point(nil), b.Points...), tc.extra)
			if got := features.Agreement(a, bb, cfg).Tentative; got != tc.want {
				t.Errorf("tentative matches = %d, want %d", got, tc.want)
			}
		})
	}
}
