package console

import (
	"context"
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
