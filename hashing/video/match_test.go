package video_test

import (
	"context"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
)

// needFFmpeg skips tests that run ffmpeg when it is not installed; CI
// installs it (.ci/run), so there they always run.
func needFFmpeg(t testing.TB) {
	t.Helper()
	if _, err := video.New(video.Config{}).FFmpeg(); err != nil {
		t.Skip(err)
	}
}

func photos(ps []fixtures.Photo, idx ...int) [][]byte {
	var out [][]byte
	for _, i := range idx {
		out = append(out, ps[i].Data)
	}
	return out
}

// TestEditsMatch builds a 4-photo slideshow, applies every edit of the
// family and checks that each edited copy matches the original in time,
// while slideshows of the same photos in another order and rhythm (hard
// negatives) and of other photos do not.
func TestEditsMatch(t *testing.T) {
	needFFmpeg(t)
	ctx := context.Background()
	b := fixtures.VideoBuilder{Dir: t.TempDir()}
	known, others := fixtures.Known(), fixtures.Others()
	sec := time.Second
	orig := slideshow(t, b, fixtures.Slideshow{Photos: photos(known, 0, 1, 2, 3), Durations: []time.Duration{5 * sec}, Fade: sec})
	before := slideshow(t, b, fixtures.Slideshow{Photos: photos(others, 0, 1), Durations: []time.Duration{4 * sec}, Fade: sec, Seed: 1})
	after := slideshow(t, b, fixtures.Slideshow{Photos: photos(others, 2, 3), Durations: []time.Duration{4 * sec}, Fade: sec, Seed: 2})
	h := video.New(video.Config{})
	reg, err := h.Fingerprint(ctx, orig, hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("registered: %d frames, %v", len(reg.Frames), reg.Duration)
	m := video.DefaultMatching()
	for _, e := range fixtures.VideoEdits(17*sec, 8*sec, before, after) {
		t.Run(e.Name, func(t *testing.T) {
			q, a, ok := compareEdit(t, b, h, orig, e, reg, m)
			t.Logf("%s: ok=%v frames=%d/%d q=%.2f r=%.2f rate=%.2f off=%v dist=%d ranges=%v", e.Name, ok, a.Frames, len(q.Frames), a.QueryShare, a.RegisteredShare, a.Rate, a.Offset, a.Distance, a.Ranges)
			if !ok {
				t.Errorf("edit %s does not match its original", e.Name)
			}
		})
	}
	negatives := []struct {
		name string
		show fixtures.Slideshow
	}{
		{"same photos in another order and rhythm", fixtures.Slideshow{Photos: photos(known, 2, 0, 3, 1), Durations: []time.Duration{3 * sec, 7 * sec}, Fade: sec, Seed: 1}},
		{"same photos reversed, slower", fixtures.Slideshow{Photos: photos(known, 3, 2, 1, 0), Durations: []time.Duration{7 * sec}, Fade: 2 * sec}},
		{"other photos", fixtures.Slideshow{Photos: photos(others, 4, 5, 6, 7), Durations: []time.Duration{5 * sec}, Fade: sec}},
	}
	for _, n := range negatives {
		t.Run(n.name, func(t *testing.T) {
			q, a, ok := compareQuery(t, h, slideshow(t, b, n.show), reg, m)
			t.Logf("ok=%v frames=%d/%d q=%.2f r=%.2f rate=%.2f off=%v dist=%d", ok, a.Frames, len(q.Frames), a.QueryShare, a.RegisteredShare, a.Rate, a.Offset, a.Distance)
			if ok {
				t.Errorf("matched an unrelated video: %+v", a)
			}
		})
	}
}

// TestCameraFootageMatches registers a short fixed-camera clip (a still
// scene with noise, drift, jitter and a small moving object, keyframes
// ~8 s apart) and checks that its letterboxed, watermarked and
// crop-from-every-side copies match, and a clip of another scene does
// not: the edits that missed on camera footage.
func TestCameraFootageMatches(t *testing.T) {
	needFFmpeg(t)
	ctx := context.Background()
	b := fixtures.VideoBuilder{Dir: t.TempDir()}
	known, others := fixtures.Known(), fixtures.Others()
	cam := fixtures.Camera{Photo: known[4].Data, Duration: 16 * time.Second, Width: 192, Height: 144, Seed: 3}
	orig, err := b.Camera(ctx, cam)
	if err != nil {
		t.Fatal(err)
	}
	h := video.New(video.Config{})
	reg, err := h.Fingerprint(ctx, orig, hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	m := video.DefaultMatching()
	for _, e := range []fixtures.VideoEdit{fixtures.Letterbox16x9(), fixtures.WatermarkVideo(), fixtures.CropAllSides(0.10)} {
		t.Run(e.Name, func(t *testing.T) {
			q, a, ok := compareEdit(t, b, h, orig, e, reg, m)
			t.Logf("ok=%v frames=%d/%d q=%.2f r=%.2f dist=%d", ok, a.Frames, len(q.Frames), a.QueryShare, a.RegisteredShare, a.Distance)
			if !ok {
				t.Errorf("edit %s of camera footage does not match its original", e.Name)
			}
		})
	}
	t.Run("another scene", func(t *testing.T) {
		other := cam
		other.Photo, other.Seed = others[5].Data, 4
		data, err := b.Camera(ctx, other)
		if err != nil {
			t.Fatal(err)
		}
		if _, a, ok := compareQuery(t, h, data, reg, m); ok {
			t.Errorf("camera footage of another scene matched: %+v", a)
		}
	})
}

// compareEdit renders edit of orig, fingerprints the result as a crawled
// video and aligns it with reg: the step every edit test of this package
// takes before it judges the alignment.
func compareEdit(t *testing.T, b fixtures.VideoBuilder, h *video.Hasher, orig []byte, edit fixtures.VideoEdit, reg hashing.Fingerprint, m video.Matching) (hashing.Fingerprint, video.Alignment, bool) {
	t.Helper()
	data, err := b.Edit(context.Background(), orig, edit)
	if err != nil {
		t.Fatal(err)
	}
	return compareQuery(t, h, data, reg, m)
}

// compareQuery fingerprints data as a crawled video and aligns it with
// reg: what every test of this package does with a video that should or
// should not match.
func compareQuery(t *testing.T, h *video.Hasher, data []byte, reg hashing.Fingerprint, m video.Matching) (hashing.Fingerprint, video.Alignment, bool) {
	t.Helper()
	q, err := h.Fingerprint(context.Background(), data, hashing.ForQuery)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := video.Compare(q, reg, m)
	return q, a, ok
}

// slideshow renders s at 192×144, the size of every slideshow these
// tests register or query.
func slideshow(t *testing.T, b fixtures.VideoBuilder, s fixtures.Slideshow) []byte {
	t.Helper()
	s.Width, s.Height = 192, 144
	data, err := b.Slideshow(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
