package video

import (
	"image"
	"slices"
	"testing"
	"time"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/pdq"
)

// TestCentreCropsCoverCutsBetweenSteps hashes the fixture photos framed
// 16:9 as registered frames and copies of them cut from every side and
// scaled back as query frames, at cuts the video evaluations do not make
// (they cut 8, 10, 12 and 15%) and between the old 5% steps of the centre
// crops, where a quarter of the copies lay 42–56 bits or more from the
// nearest: with crops every 2.5% a side, three copies in four lie within
// the frame threshold of a registered view of their photo (at 32 or
// nearer, 16–28 at most cuts), and every photo's copies stay beyond the
// frame threshold of every other photo's registered views.
func TestCentreCropsCoverCutsBetweenSteps(t *testing.T) {
	const W, H = 768, 432
	photos := append(fixtures.Known(), fixtures.Others()...)
	h := &Hasher{}
	h.pdq.New = func() any { return pdq.NewHasher() }
	frame := func(img image.Image, query bool) hashing.Frame {
		grid := gray(imaging.Resize(img, frameSize, frameSize, imaging.Box))
		fs := h.hashFrames([]rawFrame{{At: time.Second, Pix: grid}}, query, pixelAspect(W, H))
		if len(fs) != 1 {
			t.Fatalf("%d frames", len(fs))
		}
		return fs[0]
	}
	var framed []image.Image
	var reg []hashing.Frame
	for _, p := range photos {
		img, err := p.Decode()
		if err != nil {
			t.Fatal(err)
		}
		f := imaging.Grayscale(imaging.Fill(img, W, H, imaging.Center, imaging.Lanczos))
		framed = append(framed, f)
		reg = append(reg, frame(f, false))
	}
	m := DefaultMatching()
	for _, cut := range []float64{0.02, 0.03, 0.065, 0.07, 0.11, 0.13, 0.14} {
		var ds []int
		nearestOther := 256
		for i, f := range framed {
			x, y := int(W*cut+0.5), int(H*cut+0.5)
			q := frame(imaging.Resize(imaging.Crop(f, image.Rect(x, y, W-x, H-y)), W, H, imaging.Lanczos), true)
			for j, r := range reg {
				d, ok := frameDistance(q.Hashes[0].Code, nil, r, m.MinQuality)
				if !ok {
					t.Fatalf("no distance")
				}
				if i == j {
					ds = append(ds, d)
				} else {
					nearestOther = min(nearestOther, d)
				}
			}
		}
		slices.Sort(ds)
		t.Logf("cut %.1f%% from every side: PDQ to the nearest registered view %v; nearest other photo %d", cut*100, ds, nearestOther)
		if q3 := ds[len(ds)*3/4]; q3 > m.MaxDistance {
			t.Errorf("cut %.1f%%: a quarter of the copies at PDQ %d or more, want at most the frame threshold %d", cut*100, q3, m.MaxDistance)
		}
		if nearestOther <= m.MaxDistance {
			t.Errorf("cut %.1f%%: another photo's registered view at PDQ %d, want beyond %d", cut*100, nearestOther, m.MaxDistance)
		}
	}
}
