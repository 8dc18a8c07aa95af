package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// videoSet is a registered video's fingerprint, a mirrored copy of it (a
// re-upload) and an unrelated video, made once per test binary: ffmpeg
// takes seconds.
type videoSet struct {
	reg                     hashing.Fingerprint
	orig, mirror, unrelated []byte
}

var (
	videoSetOnce sync.Once
	videoSetVal  videoSet
	videoSetErr  error
)

func testVideos(t *testing.T) videoSet {
	t.Helper()
	needFFmpeg(t)
	videoSetOnce.Do(func() {
		ctx := context.Background()
		// The videos are kept in memory; their files go with the dir.
		dir, err := os.MkdirTemp("", "hashwatch-videos-")
		if err != nil {
			videoSetErr = err
			return
		}
		defer os.RemoveAll(dir)
		b := fixtures.VideoBuilder{Dir: dir}
		show := func(ps ...fixtures.Photo) ([]byte, error) {
			var imgs [][]byte
			for _, p := range ps {
				imgs = append(imgs, p.Data)
			}
			return b.Slideshow(ctx, fixtures.Slideshow{Photos: imgs, Durations: []time.Duration{4 * time.Second}, Fade: time.Second, Width: 160, Height: 120})
		}
		known, others := fixtures.Known(), fixtures.Others()
		orig, err := show(known[3], known[4], known[5])
		if err != nil {
			videoSetErr = err
			return
		}
		if videoSetVal.unrelated, err = show(others[2], others[3], others[4]); err != nil {
			videoSetErr = err
			return
		}
		if videoSetVal.mirror, err = b.Edit(ctx, orig, fixtures.MirrorVideo()); err != nil {
			videoSetErr = err
			return
		}
		videoSetVal.orig = orig
		videoSetVal.reg, videoSetErr = video.New(video.Config{}).Fingerprint(ctx, orig, hashing.ForRegistration)
	})
	if videoSetErr != nil {
		t.Fatal(videoSetErr)
	}
	return videoSetVal
}

// openVideoDB opens a database at path with the set's video registered
// (when register is true).
func openVideoDB(t *testing.T, path string, vs videoSet, register bool) *database.DB {
	t.Helper()
	db, err := database.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if register {
		if _, err := db.Index.Register(context.Background(), "v", "", []index.Registration{{Source: "orig.mp4", Print: vs.reg}}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// videoPage serves "/" showing the named videos (as <video src>) and each
// video at /v/NAME through serve, counting the requests per path.
type videoPage struct {
	names  []string
	serve  func(w http.ResponseWriter, r *http.Request, name string)
	mu     sync.Mutex
	counts map[string]int
}

func (vp *videoPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	vp.mu.Lock()
	if vp.counts == nil {
		vp.counts = map[string]int{}
	}
	vp.counts[r.URL.Path]++
	serve := vp.serve
	vp.mu.Unlock()
	switch {
	case r.URL.Path == "/":
		var b strings.Builder
		b.WriteString("<html><body>")
		for _, n := range vp.names {
			fmt.Fprintf(&b, `<video src="/v/%s"></video>`, n)
		}
		b.WriteString("</body></html>")
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(b.String()))
	case strings.HasPrefix(r.URL.Path, "/v/"):
		serve(w, r, strings.TrimPrefix(r.URL.Path, "/v/"))
	default:
		http.NotFound(w, r)
	}
}

func (vp *videoPage) count(path string) int {
	vp.mu.Lock()
	defer vp.mu.Unlock()
	return vp.counts[path]
}

func (vp *videoPage) setServe(f func(w http.ResponseWriter, r *http.Request, name string)) {
	vp.mu.Lock()
	vp.serve = f
	vp.mu.Unlock()
}

// TestAPassStoppedWithItsVideosQueuedResumesThem stops a pass once its page
// is done and its videos are queued (the first video request cancels it),
// closes the database, and runs again: the resumed pass fetches no page
// again, fingerprints every queued video and alerts on the mirrored copy.
// A cancelled item is put back in memory only, so what the file holds
// when the first pass returns is what a kill -9 at that moment leaves.
func TestAPassStoppedWithItsVideosQueuedResumesThem(t *testing.T) {
	vs := testVideos(t)
	path := filepath.Join(t.TempDir(), "hw.db")
	db := openVideoDB(t, path, vs, true)
	body := map[string][]byte{"a.mp4": vs.mirror, "b.mp4": vs.unrelated, "c.mp4": vs.mirror}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	vp := &videoPage{names: []string{"a.mp4", "b.mp4", "c.mp4"}}
	vp.setServe(func(w http.ResponseWriter, r *http.Request, name string) {
		cancel()
		<-r.Context().Done()
	})
	srv := httptest.NewServer(vp)
	defer srv.Close()
	site := siteFor(t, srv.URL, "    delay: 0s\n")
	c := &Crawler{DB: db, Rule: hashing.DefaultRule(), Video: video.New(video.Config{TempDir: t.TempDir()})}

	first, err := c.Pass(ctx, site)
	if !errors.Is(err, context.Canceled) || !first.Interrupted || first.Pages != 1 || first.Videos != 3 || first.Queued != 3 {
		t.Fatalf("first pass: err %v, stats %+v; want interrupted after its page with 3 videos queued", err, first)
	}
	fp, _, err := db.Crawl.FrontierPass("fixture")
	if err != nil || !fp.Running() || fp.QueuedPages != 0 || fp.QueuedVideos != 3 {
		t.Fatalf("frontier after the stop = %+v (%v); want running with 3 videos queued", fp, err)
	}
	if as, _ := db.Alerts.Alerts(alerts.AlertFilter{}); len(as) != 0 {
		t.Fatalf("alerts before any video was fingerprinted: %+v", as)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openVideoDB(t, path, vs, false)
	defer db.Close()
	vp.setServe(func(w http.ResponseWriter, r *http.Request, name string) {
		w.Header().Set("Content-Type", "video/mp4")
		w.Write(body[name])
	})
	c = &Crawler{DB: db, Rule: hashing.DefaultRule(), Video: video.New(video.Config{TempDir: t.TempDir()})}
	second, err := c.Pass(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Resumed || second.Number != first.Number || second.Interrupted || second.Queued != 0 || second.Media != 3 || second.Matches != 2 {
		t.Errorf("second pass = %+v; want the first resumed and finished, 3 videos fingerprinted, 2 matching", second)
	}
	if n := vp.count("/"); n != 1 {
		t.Errorf("the page was fetched %d times; the resumed pass must not fetch it again", n)
	}
	as, err := db.Alerts.Alerts(alerts.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	if len(as) == 1 {
		for _, s := range as[0].Sightings {
			urls = append(urls, requestURI(s.MediaURL))
		}
	}
	if len(as) != 1 || as[0].Video == nil || strings.Join(urls, " ") != "/v/a.mp4 /v/c.mp4" && strings.Join(urls, " ") != "/v/c.mp4 /v/a.mp4" {
		t.Fatalf("alerts %+v (sightings %v); want one video alert seen at /v/a.mp4 and /v/c.mp4", as, urls)
	}
	if fp, _, err := db.Crawl.FrontierPass("fixture"); err != nil || fp.Running() || fp.QueuedVideos != 0 {
		t.Errorf("frontier after the resumed pass = %+v (%v); want finished, nothing queued", fp, err)
	}
}

// TestMoreVideosThanWorkersAreAllFingerprinted queues forty videos for one
// video worker (parallelism 2): none is dropped or fetched twice, each
// records its sighting.
func TestMoreVideosThanWorkersAreAllFingerprinted(t *testing.T) {
	vs := testVideos(t)
	db := openVideoDB(t, filepath.Join(t.TempDir(), "hw.db"), vs, true)
	defer db.Close()
	const n = 40
	vp := &videoPage{}
	for i := range n {
		vp.names = append(vp.names, fmt.Sprintf("%02d.mp4", i))
	}
	vp.setServe(func(w http.ResponseWriter, r *http.Request, name string) {
		w.Header().Set("Content-Type", "video/mp4")
		w.Write(vs.mirror)
	})
	srv := httptest.NewServer(vp)
	defer srv.Close()
	c := &Crawler{DB: db, Rule: hashing.DefaultRule(), Video: video.New(video.Config{TempDir: t.TempDir()})}
	stats, err := c.Pass(context.Background(), siteFor(t, srv.URL, "    delay: 0s\n    parallelism: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Videos != n || stats.Media != n || stats.Matches != n || stats.Queued != 0 || sum(stats.Errors) != 0 {
		t.Errorf("stats %+v; want %d videos found, fingerprinted and matched, none left", stats, n)
	}
	for _, name := range vp.names {
		if got := vp.count("/v/" + name); got != 1 {
			t.Errorf("/v/%s fetched %d times, want once", name, got)
		}
	}
	as, err := db.Alerts.Alerts(alerts.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || len(as[0].Sightings) != n {
		t.Fatalf("%d alerts; want one with %d sightings", len(as), n)
	}
}

// TestVideosAreRecordedNotQueuedWithoutAVideoHasher crawls a page with
// videos without Crawler.Video: they are recorded and counted as before,
// never fetched, and no video item is queued that nothing would take.
func TestVideosAreRecordedNotQueuedWithoutAVideoHasher(t *testing.T) {
	db, err := database.Open(filepath.Join(t.TempDir(), "hw.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	vp := &videoPage{names: []string{"a.mp4", "b.mp4"}}
	vp.setServe(func(w http.ResponseWriter, r *http.Request, name string) {
		t.Errorf("video %s fetched without a video hasher", name)
	})
	srv := httptest.NewServer(vp)
	defer srv.Close()
	var (
		mu        sync.Mutex // Progress is called from the pass's workers
		maxVideos int
	)
	c := &Crawler{DB: db, Rule: hashing.DefaultRule(), CheckpointEvery: time.Millisecond}
	c.Progress = func(PassStats) {
		if p, _, err := db.Crawl.FrontierPass("fixture"); err == nil {
			mu.Lock()
			maxVideos = max(maxVideos, p.QueuedVideos)
			mu.Unlock()
		}
	}
	stats, err := c.Pass(context.Background(), siteFor(t, srv.URL, "    delay: 0s\n"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := db.Crawl.Videos("fixture")
	if err != nil {
		t.Fatal(err)
	}
	if stats.Videos != 2 || len(recs) != 2 || stats.Media != 0 || maxVideos != 0 {
		t.Errorf("stats %+v, %d records, %d video items queued at most; want 2 videos recorded, none queued or fetched", stats, len(recs), maxVideos)
	}
}
