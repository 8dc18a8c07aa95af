package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
)

// TestVideoCrawlResumesAfterKill crawls a page showing three videos with
// the real binary, kills it with SIGKILL while the first video is being
// fetched (the page done, its videos queued), and runs the crawl again: the
// resumed pass fetches no page again, fingerprints the queued videos and
// alerts on the re-uploaded ones.
func TestVideoCrawlResumesAfterKill(t *testing.T) {
	needFFmpeg(t)
	if testing.Short() {
		t.Skip("kill and resume: skipped with -short")
	}
	ctx := context.Background()
	dir := t.TempDir()
	b := fixtures.VideoBuilder{Dir: t.TempDir()}
	known, others := fixtures.Known(), fixtures.Others()
	show := func(ps ...fixtures.Photo) []byte {
		t.Helper()
		var imgs [][]byte
		for _, p := range ps {
			imgs = append(imgs, p.Data)
		}
		data, err := b.Slideshow(ctx, fixtures.Slideshow{Photos: imgs, Durations: []time.Duration{4 * time.Second}, Fade: time.Second, Width: 160, Height: 120})
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	orig, unrelated := show(known[0], known[1], known[2]), show(others[0], others[1], others[2])
	mirror, err := b.Edit(ctx, orig, fixtures.MirrorVideo())
	if err != nil {
		t.Fatal(err)
	}
	origPath := filepath.Join(dir, "orig.mp4")
	if err := os.WriteFile(origPath, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "hw.db")
	if _, errOut, code := cli(t, db, "register", "--case", "v", origPath); code != 0 {
		t.Fatalf("register: %s", errOut)
	}

	videos := map[string][]byte{"a.mp4": mirror, "b.mp4": unrelated, "c.mp4": mirror}
	var (
		mu       sync.Mutex
		requests = map[string]int{}
		hold     atomic.Bool // first run: video requests wait for the kill
		reached  = make(chan struct{})
		once     sync.Once
	)
	hold.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests[r.URL.Path]++
		mu.Unlock()
		switch name := strings.TrimPrefix(r.URL.Path, "/v/"); {
		case r.URL.Path == "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<html><body><video src="/v/a.mp4"></video><video src="/v/b.mp4"></video><video src="/v/c.mp4"></video></body></html>`)
		case videos[name] != nil && hold.Load():
			once.Do(func() { close(reached) })
			<-r.Context().Done()
		case videos[name] != nil:
			w.Header().Set("Content-Type", "video/mp4")
			w.Write(videos[name])
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	sites := filepath.Join(dir, "sites.yaml")
	yaml := fmt.Sprintf("sites:\n  - name: tube\n    seeds: [%q]\n    max_depth: 1\n    delay: 0s\n    allow_networks: [127.0.0.0/8]\n    request_timeout: 30s\n", srv.URL+"/")
	if err := os.WriteFile(sites, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	killCrawlWhen(t, db, sites, reached, time.Minute, "no video was requested within a minute")
	hold.Store(false)

	out, errOut, code := cli(t, db, "crawl", "--sites", sites, "--once", "--json")
	if code != 0 {
		t.Fatalf("resumed crawl exit %d\n%s", code, errOut)
	}
	lines := parseLines(t, out)
	if len(lines) != 1 || lines[0]["resumed"] != true || lines[0]["pass"].(float64) != 1 || lines[0]["media"].(float64) != 3 || lines[0]["matches"].(float64) != 2 {
		t.Fatalf("crawl --json after the kill = %v; want pass 1 resumed, 3 videos fingerprinted, 2 matching", lines)
	}
	mu.Lock()
	pages := requests["/"]
	mu.Unlock()
	if pages != 1 {
		t.Errorf("the page was fetched %d times; the resumed pass must not fetch it again", pages)
	}
	out, _, _ = cli(t, db, "alerts", "list", "--json")
	as := parseLines(t, out)
	if len(as) != 1 {
		t.Fatalf("alerts: %s; want one", out)
	}
	o, _, _ := cli(t, db, "alerts", "show", "--json", fmt.Sprint(as[0]["id"]))
	var media []string
	for _, l := range parseLines(t, o) {
		for _, s := range l["sightings"].([]any) {
			media = append(media, path(t, s.(map[string]any)["media_url"].(string)))
		}
	}
	sort.Strings(media)
	if strings.Join(media, " ") != "/v/a.mp4 /v/c.mp4" {
		t.Errorf("alert seen at %v; want /v/a.mp4 and /v/c.mp4", media)
	}
}
