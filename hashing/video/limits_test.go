package video

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
)

// testVideo makes a small moving test pattern with ffmpeg: secs seconds of
// 160×120 at 30 fps, H.264 in MP4 with its index at the end (so hashing it
// goes through a temporary file).
func testVideo(t testing.TB, secs int) []byte {
	t.Helper()
	return testPattern(t, "160x120", 30, secs)
}

// testPattern makes secs seconds of ffmpeg's moving test pattern
// (testsrc2) of size ("WxH") at fps frames a second, H.264 in MP4, with
// the encoder options extra added (its index at the end unless they say
// otherwise).
func testPattern(t testing.TB, size string, fps, secs int, extra ...string) []byte {
	t.Helper()
	args := []string{"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=s=%s:r=%d:d=%d", size, fps, secs),
		"-c:v", "libx264", "-preset", "ultrafast", "-threads", "1", "-pix_fmt", "yuv420p"}
	return runFFmpeg(t, "pattern.mp4", append(args, extra...)...)
}

// runFFmpeg runs ffmpeg with args (its input and encoder options) writing
// a file named out in a folder of the test's, and returns that file; the
// test is skipped where ffmpeg is not installed and fails where it fails.
func runFFmpeg(t testing.TB, out string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	out = filepath.Join(t.TempDir(), out)
	cmd := exec.Command("ffmpeg", append(append([]string{"-hide_banner", "-nostdin", "-loglevel", "error"}, args...), out)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestLimits(t *testing.T) {
	data := testVideo(t, 6)
	tests := []struct {
		name   string
		limits Limits
		want   error
	}{
		{"a video over the byte limit is refused", Limits{MaxBytes: int64(len(data) - 1)}, hashing.ErrTooLarge},
		{"a video over the duration limit is refused", Limits{MaxDuration: 3 * time.Second}, ErrTooLong},
		// A query of this video (one keyframe) samples its first SegmentSpan.
		{"a video over the frame limit is refused", Limits{MaxFrames: 2}, ErrTooManyFrames},
		{"a video over the pixel limit is refused", Limits{MaxPixels: 160*120 - 1}, hashing.ErrTooLarge},
		{"a video over the wall-time limit is refused", Limits{WallTime: time.Millisecond}, ErrTimeout},
		{"a video within every limit is hashed", Limits{MaxBytes: int64(len(data)), MaxDuration: 7 * time.Second, MaxFrames: 6, MaxPixels: 160 * 120}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(Config{Limits: tt.limits, TempDir: t.TempDir()})
			fp, err := h.Fingerprint(context.Background(), data, hashing.ForQuery)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if len(fp.Frames) == 0 || fp.Duration < 5*time.Second || fp.Width != 160 {
					t.Fatalf("fingerprint %d frames, %v, %dx%d", len(fp.Frames), fp.Duration, fp.Width, fp.Height)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	data := testVideo(t, 2)
	h := New(Config{TempDir: t.TempDir()})
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"a truncated video is corrupt", data[:len(data)/3], hashing.ErrCorrupt},
		{"an MP4 header over garbage is corrupt", append([]byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"), bytes.Repeat([]byte{0xAB}, 5000)...), hashing.ErrCorrupt},
		{"a Matroska header over garbage is corrupt", append([]byte{0x1A, 0x45, 0xDF, 0xA3}, bytes.Repeat([]byte{0x42}, 5000)...), hashing.ErrCorrupt},
		{"text is not a video", []byte("#EXTM3U\n#EXTINF:10,\nfile:///etc/passwd\n"), hashing.ErrUnsupported},
		{"a still JPEG is not a video", []byte{0xFF, 0xD8, 0xFF, 0xE0}, hashing.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := h.Fingerprint(context.Background(), tt.data, hashing.ForQuery); !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNoFFmpeg(t *testing.T) {
	h := New(Config{FFmpeg: filepath.Join(t.TempDir(), "no-ffmpeg-here")})
	if _, err := h.FFmpeg(); !errors.Is(err, ErrNoFFmpeg) {
		t.Fatalf("FFmpeg() error %v, want ErrNoFFmpeg", err)
	}
	mp4 := append([]byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"), make([]byte, 100)...)
	if _, err := h.Fingerprint(context.Background(), mp4, hashing.ForQuery); !errors.Is(err, ErrNoFFmpeg) {
		t.Fatalf("MP4 without ffmpeg: error %v, want ErrNoFFmpeg", err)
	}
	// Animated GIFs need no ffmpeg.
	fp, err := h.Fingerprint(context.Background(), animatedGIF(t, 6, 50), hashing.ForQuery)
	if err != nil {
		t.Fatalf("GIF without ffmpeg: %v", err)
	}
	if len(fp.Frames) != 3 || fp.Duration != 3*time.Second || fp.Format != FormatGIF {
		t.Fatalf("GIF: %d frames over %v as %s, want 3 over 3s as gif", len(fp.Frames), fp.Duration, fp.Format)
	}
	for i, f := range fp.Frames {
		if f.At != time.Duration(i)*time.Second {
			t.Errorf("frame %d at %v, want %ds", i, f.At, i)
		}
	}
}

// animatedGIF draws n frames of distinct shapes shown delay hundredths of
// a second each, later frames covering only part of the canvas.
func animatedGIF(t testing.TB, n, delay int) []byte {
	t.Helper()
	pal := color.Palette{color.Black, color.White, color.RGBA{200, 30, 30, 255}, color.RGBA{30, 30, 200, 255}}
	g := &gif.GIF{}
	for i := range n {
		r := image.Rect(0, 0, 96, 96)
		if i > 0 {
			r = image.Rect(8*i, 4*i, 48+8*i, 40+6*i)
		}
		img := image.NewPaletted(r, pal)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				img.SetColorIndex(x, y, uint8((x/(4+i)+y/(3+2*i)+i)%4))
			}
		}
		g.Image = append(g.Image, img)
		g.Delay = append(g.Delay, delay)
		g.Disposal = append(g.Disposal, gif.DisposalNone)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGIFLimits(t *testing.T) {
	data := animatedGIF(t, 6, 50)
	tests := []struct {
		name   string
		limits Limits
		want   error
	}{
		{"frame areas over the GIF pixel limit", Limits{MaxGIFPixels: 96 * 96}, hashing.ErrTooLarge},
		{"a canvas over the pixel limit", Limits{MaxPixels: 96*96 - 1}, hashing.ErrTooLarge},
		{"longer than the duration limit", Limits{MaxDuration: time.Second}, ErrTooLong},
		{"more sampled frames than the limit", Limits{MaxFrames: 2}, ErrTooManyFrames},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Config{Limits: tt.limits}).Fingerprint(context.Background(), data, hashing.ForQuery)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := New(Config{}).Fingerprint(context.Background(), data[:len(data)/2], hashing.ForQuery); !errors.Is(err, hashing.ErrCorrupt) {
		t.Fatalf("truncated GIF: error %v, want ErrCorrupt", err)
	}
}

// children lists this process's child process IDs.
func children(t testing.TB) []string {
	t.Helper()
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	var out []string
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err == nil {
			out = append(out, strings.Fields(string(b))...)
		}
	}
	return out
}

// TestCancelLeavesNothing cancels an extraction while ffmpeg runs and
// checks that ffmpeg is gone (killed and reaped, no zombie) and that no
// copy of the video was ever written to the temporary directory.
func TestCancelLeavesNothing(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("needs /proc")
	}
	data := testVideo(t, 20)
	if streamable(FormatMP4, data) {
		t.Fatal("test video should not be streamable")
	}
	tmp := t.TempDir()
	h := New(Config{TempDir: tmp})
	src, err := h.openSource(data, FormatMP4)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var running []string
	frames := 0
	_, _, err = h.ffmpegFrames(ctx, src, FormatMP4, QueryInterval, DecodeFast, nil, func(rawFrame) error {
		if frames++; frames == 1 {
			running = children(t)
			if ents, _ := os.ReadDir(tmp); h.InMemory() && len(ents) != 0 {
				t.Errorf("%d files in the temp dir while ffmpeg runs, want none", len(ents))
			}
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if len(running) == 0 {
		t.Fatal("no ffmpeg child seen while extracting")
	}
	if frames >= 20 {
		t.Errorf("%d frames read after cancelling: ffmpeg was not stopped", frames)
	}
	for _, pid := range running {
		if _, err := os.Stat("/proc/" + pid); err == nil {
			stat, _ := os.ReadFile("/proc/" + pid + "/stat")
			t.Errorf("ffmpeg %s still exists after cancel: %s", pid, stat)
		}
	}
	if left := children(t); len(left) != 0 {
		t.Errorf("children left: %v", left)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temp files left: %v", ents)
	}
}

// TestNoTempFile fingerprints an MP4 whose index follows its media, which
// ffmpeg must seek in, and checks that no file appears in TMPDIR (nor in
// /dev/shm) while ffmpeg reads it: the video stays in memory.
func TestNoTempFile(t *testing.T) {
	if !memfdWorks() {
		t.Skip("no memfd here: videos that need seeking go through a temporary file")
	}
	data := testVideo(t, 4)
	if streamable(FormatMP4, data) {
		t.Fatal("test video should not be streamable")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	h := New(Config{})
	if !h.InMemory() {
		t.Fatal("InMemory false where memfd works")
	}
	shm, _ := filepath.Glob("/dev/shm/" + tempPattern)
	for _, purpose := range []hashing.Purpose{hashing.ForQuery, hashing.ForRegistration} {
		src, err := h.openSource(data, FormatMP4)
		if err != nil {
			t.Fatal(err)
		}
		seen := -1
		_, _, err = h.ffmpegFrames(context.Background(), src, FormatMP4, QueryInterval, DecodeFast, nil, func(rawFrame) error {
			if seen < 0 {
				ents, _ := os.ReadDir(tmp)
				now, _ := filepath.Glob("/dev/shm/" + tempPattern)
				seen = len(ents) + len(now) - len(shm)
			}
			return nil
		})
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
		if seen != 0 {
			t.Errorf("%d files appeared while ffmpeg read the video, want none", seen)
		}
		if _, err := h.Fingerprint(context.Background(), data, purpose); err != nil {
			t.Fatalf("fingerprint: %v", err)
		}
		if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
			t.Errorf("files in TMPDIR after fingerprinting: %v", ents)
		}
	}
}

// TestStaleTempFilesRemoved plants the temporary copy a killed process
// left behind and checks that a new Hasher removes it, and leaves a fresh
// one (another process may be using it) and other files alone.
func TestStaleTempFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "hashwatch-video-123")
	fresh := filepath.Join(dir, "hashwatch-video-456")
	other := filepath.Join(dir, "keep-me")
	for _, name := range []string{stale, fresh, other} {
		if err := os.WriteFile(name, []byte("video bytes"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	for _, name := range []string{stale, other} {
		if err := os.Chtimes(name, old, old); err != nil {
			t.Fatal(err)
		}
	}
	New(Config{TempDir: dir, Limits: Limits{WallTime: time.Minute}})
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale copy still there: %v", err)
	}
	for _, name := range []string{fresh, other} {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("%s removed: %v", filepath.Base(name), err)
		}
	}
}

// canvasBombGIF is a GIF of a w×h canvas and n frames of one pixel each,
// shown delay hundredths of a second: a few bytes a frame, yet a decoder
// that composites and samples the whole canvas pays w×h per sampled frame
// (issue 14: 7000×7000 and 3,500 frames cost 45 s of CPU and 785 MB).
func canvasBombGIF(t testing.TB, w, h, n, delay int, disposal byte) []byte {
	t.Helper()
	pal := color.Palette{color.Black, color.White}
	g := &gif.GIF{Config: image.Config{ColorModel: pal, Width: w, Height: h}}
	for i := range n {
		img := image.NewPaletted(image.Rect(i%w, 0, i%w+1, 1), pal)
		img.Pix[0] = uint8(i % 2)
		g.Image = append(g.Image, img)
		g.Delay = append(g.Delay, delay)
		g.Disposal = append(g.Disposal, disposal)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestAGIFIsBoundedByCanvasTimesSampledFrames(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"a 5000x5000 canvas sampled 25 times is too large",
			canvasBombGIF(t, 5000, 5000, 25, 100, gif.DisposalNone), hashing.ErrTooLarge},
		{"a 4000x4000 canvas restored to its previous state 40 times is too large",
			canvasBombGIF(t, 4000, 4000, 40, 2, gif.DisposalPrevious), hashing.ErrTooLarge},
		{"a 1000x1000 canvas sampled 25 times is fingerprinted",
			canvasBombGIF(t, 1000, 1000, 25, 100, gif.DisposalNone), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := New(Config{}).Fingerprint(context.Background(), tt.data, hashing.ForQuery)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if tt.want != nil && time.Since(start) > 200*time.Millisecond {
				t.Errorf("refusing took %v; the limit is checked before decoding", time.Since(start))
			}
		})
	}
}
