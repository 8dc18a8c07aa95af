package video

import (
	"image"
	"image/draw"
	"testing"
	"time"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing/pdq"
)

// insetClip renders n grid frames of 16:9 footage: photo bg panning
// slowly, with photo fg (also moving a little) shrunk to scale and placed
// with its top-left corner at (fx, fy), shares of the frame; scale 0
// shows bg alone. It returns the frames and the inset's grid box.
func insetClip(t testing.TB, bg, fg image.Image, n int, scale, fx, fy float64) ([]rawFrame, image.Rectangle) {
	t.Helper()
	const W, H = 768, 432
	var box image.Rectangle
	var out []rawFrame
	for i := range n {
		// Each frame a window of the photo moved a little, as a camera
		// drifts.
		shot := func(img image.Image, w, h, i int) image.Image {
			wide := imaging.Fill(img, w*110/100, h*110/100, imaging.Center, imaging.Lanczos)
			dx, dy := (i*7)%(w/10), (i*3)%(h/10)
			return imaging.Crop(wide, image.Rect(dx, dy, dx+w, dy+h))
		}
		frame := image.NewGray(image.Rect(0, 0, W, H))
		draw.Draw(frame, frame.Rect, shot(bg, W, H, i), image.Point{}, draw.Src)
		if scale > 0 {
			sw, sh := int(W*scale), int(H*scale)
			at := image.Pt(int(W*fx), int(H*fy))
			draw.Draw(frame, image.Rectangle{at, at.Add(image.Pt(sw, sh))}, shot(fg, sw, sh, 2*i+1), image.Point{}, draw.Src)
			box = image.Rect(at.X*frameSize/W, at.Y*frameSize/H, (at.X+sw)*frameSize/W, (at.Y+sh)*frameSize/H)
		}
		grid := gray(imaging.Resize(frame, frameSize, frameSize, imaging.Box))
		out = append(out, rawFrame{At: time.Duration(i) * time.Second, Pix: grid})
	}
	return out, box
}

// TestInsetPicture checks that the border of a picture in a picture is
// found wherever it sits and at sizes it was not shaped on, and that
// footage without one — buildings and horizons included — has none.
func TestInsetPicture(t *testing.T) {
	known, others := fixtures.Known(), fixtures.Others()
	decode := func(p fixtures.Photo) image.Image {
		img, err := p.Decode()
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	bg, fg := decode(others[0]), decode(known[2])
	full := image.Rect(0, 0, frameSize, frameSize)
	tests := []struct {
		name          string
		scale, fx, fy float64
	}{
		{"60% in the lower right", 0.6, 0.36, 0.36},
		{"45% in the upper left (not shaped on)", 0.45, 0.05, 0.05},
		{"70% in the centre (not shaped on)", 0.7, 0.15, 0.15},
		{"35% in the lower left", 0.35, 0.03, 0.6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, want := insetClip(t, bg, fg, 12, tt.scale, tt.fx, tt.fy)
			got, ok := insetPicture(raw, full)
			if !ok {
				t.Fatalf("no inset found, want %v", want)
			}
			d := func(a, b int) bool { return a-b <= 2 && b-a <= 2 }
			if !d(got.Min.X, want.Min.X) || !d(got.Min.Y, want.Min.Y) || !d(got.Max.X, want.Max.X) || !d(got.Max.Y, want.Max.Y) {
				t.Errorf("inset %v, want %v (±2)", got, want)
			}
		})
	}
	t.Run("footage without an inset has none", func(t *testing.T) {
		for _, p := range append(append([]fixtures.Photo{}, known...), others...) {
			raw, _ := insetClip(t, decode(p), nil, 12, 0, 0, 0)
			if got, ok := insetPicture(raw, full); ok {
				t.Errorf("%s: inset %v found in footage without one", p.Name, got)
			}
		}
	})
}

// TestInsetMatches hashes a registered clip and a picture-in-picture copy
// of it: the copy's inset lies within the frame threshold of the
// original frame.
func TestInsetMatches(t *testing.T) {
	known, others := fixtures.Known(), fixtures.Others()
	bg, err := others[1].Decode()
	if err != nil {
		t.Fatal(err)
	}
	fg, err := known[0].Decode()
	if err != nil {
		t.Fatal(err)
	}
	h := &Hasher{}
	h.pdq.New = func() any { return pdq.NewHasher() }
	m := DefaultMatching()
	raw, _ := insetClip(t, bg, fg, 12, 0.6, 0.36, 0.36)
	q := h.hashFrames(raw, true, 16.0/9)
	// The registered video: the inset's footage full frame.
	var regRaw []rawFrame
	for i := range 12 {
		shot := imaging.Fill(fg, 768*110/100, 432*110/100, imaging.Center, imaging.Lanczos)
		sw, sh := 768*6/10, 432*6/10
		// As insetClip moves the inset's footage (frame 2i+1 of a window
		// of the inset's size, the same share of the photo).
		dx, dy := ((2*i+1)*7)%(sw/10)*768/sw, ((2*i+1)*3)%(sh/10)*432/sh
		f := imaging.Crop(shot, image.Rect(dx, dy, dx+768, dy+432))
		regRaw = append(regRaw, rawFrame{At: time.Duration(i) * time.Second, Pix: gray(imaging.Resize(f, frameSize, frameSize, imaging.Box))})
	}
	reg := h.hashFrames(regRaw, false, 16.0/9)
	matched := 0
	for i, qf := range q {
		in := InsetOf(qf)
		if in == nil {
			t.Fatalf("query frame %d has no inset", i)
		}
		best := 257
		for _, rf := range reg {
			if d, ok := frameDistance(in.Code, nil, rf, m.MinQuality); ok {
				best = min(best, d)
			}
		}
		if best <= m.MaxDistance {
			matched++
		}
	}
	if matched < len(q)*3/4 {
		t.Errorf("%d of %d query frames' insets within PDQ %d of a registered frame, want three quarters", matched, len(q), m.MaxDistance)
	}
}
