package crawler

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"image/gif"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/store"
)

func needFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
}

// videoSite serves one page showing the given videos, each at /v/NAME.
func videoSite(videos map[string][]byte, extra http.HandlerFunc) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		var b strings.Builder
		b.WriteString("<html><body>")
		for name := range videos {
			fmt.Fprintf(&b, `<video src="/v/%s"></video>`, name)
		}
		if extra != nil {
			b.WriteString(`<video><source src="/slow/clip.mp4"></video>`)
		}
		b.WriteString("</body></html>")
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(b.String()))
	})
	mux.HandleFunc("/v/", func(w http.ResponseWriter, r *http.Request) {
		data, ok := videos[strings.TrimPrefix(r.URL.Path, "/v/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "video/mp4")
		w.Write(data)
	})
	if extra != nil {
		mux.HandleFunc("/slow/", extra)
	}
	return httptest.NewServer(mux)
}

// TestPassFingerprintsVideos crawls a page with a mirrored copy of a
// registered video, an unrelated video, a corrupt one and one over the
// byte limit: one alert with video evidence, one corrupt error, one skip.
func TestPassFingerprintsVideos(t *testing.T) {
	ctx := context.Background()
	vs := testVideos(t)
	orig, mirror, unrelated := vs.orig, vs.mirror, vs.unrelated
	tmp := t.TempDir()
	vh := video.New(video.Config{TempDir: tmp})
	db := openVideoDB(t, filepath.Join(t.TempDir(), "hw.db"), vs, true)
	defer db.Close()
	limit := max(len(orig), len(mirror), len(unrelated)) + 100
	big := append(append([]byte{}, orig...), make([]byte, limit-len(orig)+1)...)
	srv := videoSite(map[string][]byte{
		"mirror.mp4": mirror, "unrelated.mp4": unrelated, "broken.mp4": orig[:len(orig)/4], "big.mp4": big,
	}, nil)
	defer srv.Close()
	c := &Crawler{DB: db, Rule: hashing.DefaultRule(), Video: vh}
	stats, err := c.Pass(ctx, siteFor(t, srv.URL, fmt.Sprintf("    delay: 0s\n    max_video_bytes: %d\n", limit)))
	if err != nil {
		t.Fatal(err)
	}
	alerts, err := db.Alerts.Alerts(alerts.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || !strings.HasSuffix(alerts[0].MediaURL, "/v/mirror.mp4") || alerts[0].Video == nil || len(alerts[0].Video.Ranges) == 0 {
		t.Fatalf("alerts %+v, want one for mirror.mp4 with video evidence", alerts)
	}
	if stats.Videos != 4 || stats.Errors["corrupt"] != 1 || stats.Skipped != 1 || stats.Hashed < 2 {
		t.Errorf("stats %+v, want 4 videos, 1 corrupt, 1 skipped, 2+ hashed", stats)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temp files left: %v", ents)
	}
}

// TestCancelledVideoCrawlLeavesNothing cancels a pass while ffmpeg
// fingerprints a video and checks that no ffmpeg process and no temporary
// file survive.
func TestCancelledVideoCrawlLeavesNothing(t *testing.T) {
	needFFmpeg(t)
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("needs /proc")
	}
	// A long, tiny video decoded in full keeps ffmpeg busy for a while.
	long := filepath.Join(t.TempDir(), "long.mp4")
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi",
		"-i", "testsrc2=s=96x72:r=30:d=600", "-c:v", "libx264", "-preset", "ultrafast", "-threads", "1",
		"-pix_fmt", "yuv420p", long).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	data, err := os.ReadFile(long)
	if err != nil {
		t.Fatal(err)
	}
	db, err := database.Open(filepath.Join(t.TempDir(), "hw.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	srv := videoSite(map[string][]byte{"long.mp4": data}, nil)
	defer srv.Close()
	tmp := t.TempDir()
	c := &Crawler{DB: db, Rule: hashing.DefaultRule(), Video: video.New(video.Config{TempDir: tmp, Decode: video.DecodeFull})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Pass(ctx, siteFor(t, srv.URL, "    delay: 0s\n"))
		done <- err
	}()
	// Wait for ffmpeg to run (it is our child), then cancel. The video
	// reaches it from memory: no copy may appear in the temp dir.
	seen := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !seen; {
		select {
		case err := <-done:
			t.Fatalf("pass ended (%v) before ffmpeg was seen running", err)
		case <-time.After(time.Millisecond):
		}
		if ents, _ := os.ReadDir(tmp); len(ents) > 0 && c.Video.InMemory() {
			t.Fatalf("a copy of the video was written to the temp dir: %v", ents)
		}
		seen = len(children()) > 0
	}
	if !seen {
		t.Fatal("ffmpeg never ran")
	}
	running := children()
	cancel()
	<-done
	for _, pid := range running {
		if _, err := os.Stat("/proc/" + pid); err == nil {
			t.Errorf("process %s survives the cancelled crawl", pid)
		}
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temp files left: %v", ents)
	}
}

// children lists this process's child process IDs.
func children() []string {
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	var out []string
	for _, f := range tasks {
		if b, err := os.ReadFile(f); err == nil {
			out = append(out, strings.Fields(string(b))...)
		}
	}
	return out
}

// TestAnAnimatedGIFShownAsAnImageIsMatchedFrameByFrame serves, as an <img>,
// an animated GIF whose first frame is an unrelated photo and whose later
// frames show a registered one: as a picture only its first frame would be
// hashed; with a video hasher every frame is, and it alerts.
func TestAnAnimatedGIFShownAsAnImageIsMatchedFrameByFrame(t *testing.T) {
	frames := []fixtures.Photo{fixtures.Others()[0], fixtures.Known()[0], fixtures.Known()[0]}
	anim := &gif.GIF{}
	for _, p := range frames {
		img, err := imaging.Decode(bytes.NewReader(p.Data))
		if err != nil {
			t.Fatal(err)
		}
		img = imaging.Fit(img, 240, 240, imaging.Box)
		pal := image.NewPaletted(img.Bounds(), palette.Plan9)
		draw.FloydSteinberg.Draw(pal, img.Bounds(), img, image.Point{})
		anim.Image = append(anim.Image, pal)
		anim.Delay = append(anim.Delay, 150) // 1.5 s
	}
	// One canvas size for every frame, as encoders write it.
	anim.Config = image.Config{Width: 240, Height: 240, ColorModel: color.Palette(palette.Plan9)}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, anim); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		video  *video.Hasher
		alerts int
	}{
		{"with a video hasher every frame is matched", video.New(video.Config{}), 1},
		{"without one only the first frame is", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := registerKnown(t)
			mux := http.NewServeMux()
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/":
					fmt.Fprint(w, `<html><body><img src="/a.gif"></body></html>`)
				case "/a.gif":
					w.Header().Set("Content-Type", "image/gif")
					w.Write(buf.Bytes())
				default:
					http.NotFound(w, r)
				}
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			c := &Crawler{DB: db, Rule: hashing.DefaultRule(), Video: tt.video}
			if _, err := c.Pass(context.Background(), siteFor(t, srv.URL, "    delay: 0s\n")); err != nil {
				t.Fatal(err)
			}
			alerts, err := db.Alerts.Alerts(alerts.AlertFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(alerts) != tt.alerts {
				t.Fatalf("%d alerts, want %d: %+v", len(alerts), tt.alerts, alerts)
			}
		})
	}
}
