package console

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
)

// TestStaffRegisterAVideoThroughTheBrowser uploads a small ffmpeg-made
// clip: with a video hasher it is registered as a video fingerprint, and
// without one it is refused per file while pictures still register.
func TestStaffRegisterAVideoThroughTheBrowser(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (.ci/run installs it)")
	}
	ctx := context.Background()
	clip, err := fixtures.VideoBuilder{Dir: t.TempDir()}.Slideshow(ctx, fixtures.Slideshow{
		Photos:    [][]byte{fixtures.Known()[0].Data, fixtures.Known()[1].Data},
		Durations: []time.Duration{3 * time.Second}, Fade: time.Second, Width: 160, Height: 120, FPS: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		video     *video.Hasher
		wantVideo bool
		wantPage  string
	}{
		{name: "with ffmpeg the clip becomes a video fingerprint", video: video.New(video.Config{}), wantVideo: true},
		{name: "without ffmpeg the clip is refused and the picture kept", wantPage: "without ffmpeg"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Video = tt.video })
			st := e.login("staff1")
			caseID := "case-v" + string(rune('0'+i))
			body, ctype := multipartUpload(t, st.csrf, caseID, map[string][]byte{
				"clip.mp4": clip,
				"a.jpg":    fixtures.Known()[2].Data,
			})
			req, _ := http.NewRequest("POST", e.ts.URL+"/cases", body)
			req.Header.Set("Content-Type", ctype)
			resp := st.do(req)
			page := readAll(resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, page)
			}
			if tt.wantPage != "" && !strings.Contains(page, tt.wantPage) {
				t.Errorf("page does not say %q", tt.wantPage)
			}
			fps, err := e.db.Index.Fingerprints(caseID)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[hashing.Kind]int{}
			for _, f := range fps {
				kinds[f.Print.Kind]++
			}
			want := map[hashing.Kind]int{hashing.KindImage: 1}
			if tt.wantVideo {
				want[hashing.KindVideo] = 1
			}
			if len(kinds) != len(want) || kinds[hashing.KindImage] != want[hashing.KindImage] || kinds[hashing.KindVideo] != want[hashing.KindVideo] {
				t.Errorf("registered kinds %v, want %v", kinds, want)
			}
		})
	}
}

// TestAnUploadOverAVideoLimitIsRefusedPerFile uploads two animated GIFs
// that run over the video hasher's wall time beside a photo: the GIFs are
// refused one by one with the limit named, the photo is registered, and
// the upload is not a server error.
func TestAnUploadOverAVideoLimitIsRefusedPerFile(t *testing.T) {
	pal := color.Palette{color.Black, color.White}
	g := &gif.GIF{}
	for i := range 40 {
		fr := image.NewPaletted(image.Rect(0, 0, 400, 400), pal)
		for p := range fr.Pix {
			fr.Pix[p] = uint8((p/(7+i) + p/400) % 2)
		}
		g.Image = append(g.Image, fr)
		g.Delay = append(g.Delay, 100)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) {
		c.Video = video.New(video.Config{Limits: video.Limits{WallTime: time.Millisecond}})
	})
	st := e.login("staff1")
	body, ctype := multipartUpload(t, st.csrf, "case-gif", map[string][]byte{
		"one.gif": buf.Bytes(),
		"two.gif": buf.Bytes(),
		"a.jpg":   fixtures.Known()[2].Data,
	})
	req, _ := http.NewRequest("POST", e.ts.URL+"/cases", body)
	req.Header.Set("Content-Type", ctype)
	resp := st.do(req)
	page := readAll(resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200 with the GIFs refused per file: %s", resp.StatusCode, page)
	}
	if n := strings.Count(page, "wall-time limit"); n != 2 {
		t.Errorf("the page names the wall-time limit %d times, want once per GIF", n)
	}
	if fps, err := e.db.Index.Fingerprints("case-gif"); err != nil || len(fps) != 1 {
		t.Errorf("registered %d fingerprints (%v), want the photo's", len(fps), err)
	}
}
