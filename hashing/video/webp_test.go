package video

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// slideshowAs renders one small slideshow of three dev photos and
// transcodes it to ext with ffmpeg (args choose the encoder), so the
// same content arrives as an MP4 and as an animated WebP.
func slideshowAs(t *testing.T, ext string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	dir := t.TempDir()
	ks := fixtures.Known()
	mp4, err := fixtures.VideoBuilder{Dir: dir}.Slideshow(context.Background(), fixtures.Slideshow{
		Photos:    [][]byte{ks[0].Data, ks[3].Data, ks[5].Data},
		Durations: []time.Duration{3 * time.Second}, Fade: 500 * time.Millisecond, Width: 160, Height: 120, FPS: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	if ext == "mp4" {
		return mp4
	}
	in := filepath.Join(dir, "in.mp4")
	if err := os.WriteFile(in, mp4, 0o600); err != nil {
		t.Fatal(err)
	}
	return runFFmpeg(t, "out."+ext, append([]string{"-i", in}, args...)...)
}

// TestAnimatedWebPIsAVideo checks that an animated WebP is fingerprinted
// frame by frame (Debian's ffmpeg cannot decode one; libwebp does) and
// matches the registered video it was made from, and that its limits and
// a truncated file give their errors.
func TestAnimatedWebPIsAVideo(t *testing.T) {
	ctx := context.Background()
	anim := slideshowAs(t, "webp", "-c:v", "libwebp_anim", "-loop", "0", "-quality", "60")
	if got := Sniff(anim); got != FormatWebP {
		t.Fatalf("Sniff = %q, want %q", got, FormatWebP)
	}
	q, err := New(Config{}).Fingerprint(ctx, anim, hashing.ForQuery)
	if err != nil {
		t.Fatal(err)
	}
	if q.Kind != hashing.KindVideo || q.Width != 160 || q.Height != 120 || len(q.Frames) < 3 || q.Duration < 7*time.Second {
		t.Fatalf("fingerprint: kind %s, %dx%d, %d frames, %v", q.Kind, q.Width, q.Height, len(q.Frames), q.Duration)
	}
	reg, err := New(Config{}).Fingerprint(ctx, slideshowAs(t, "mp4"), hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	al, ok := Compare(q, reg, DefaultMatching())
	if !ok || al.QueryShare < 0.8 {
		t.Fatalf("the WebP does not match its source video: ok %v, %+v", ok, al)
	}

	tests := []struct {
		name   string
		data   []byte
		limits Limits
		want   error
	}{
		{"frames times canvas over the WebP pixel limit", anim, Limits{MaxWebPPixels: 160 * 120 * 2}, hashing.ErrTooLarge},
		{"a canvas over the pixel limit", anim, Limits{MaxPixels: 160*120 - 1}, hashing.ErrTooLarge},
		{"more sampled frames than the limit", anim, Limits{MaxFrames: 2}, ErrTooManyFrames},
		{"longer than the duration limit", anim, Limits{MaxDuration: 2 * time.Second}, ErrTooLong},
		{"a truncated file is corrupt", anim[:len(anim)/2], Limits{}, hashing.ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(Config{Limits: tt.limits}).Fingerprint(ctx, tt.data, hashing.ForQuery); !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}

// FuzzWebPScan checks the chunk walk never panics or reads out of bounds.
func FuzzWebPScan(f *testing.F) {
	f.Add([]byte("RIFF\x24\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02\x00\x00\x00\x09\x00\x00\x09\x00\x00ANMF\x00\x00\x00\x00"))
	f.Add([]byte("RIFF\xff\xff\xff\xffWEBPANMF\xff\xff\xff\x7f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, h, n, err := webpScan(data)
		if err == nil && (w <= 0 || h <= 0 || n <= 0) {
			t.Fatalf("no error but %dx%d, %d frames", w, h, n)
		}
	})
}
