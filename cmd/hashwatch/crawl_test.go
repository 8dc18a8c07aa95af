package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
)

// tripwire serves a fixture site and closes reached once n requests have
// arrived, so a test can act mid-crawl without sleeping.
type tripwire struct {
	h       http.Handler
	n       int
	mu      sync.Mutex
	count   int
	reached chan struct{}
}

func (tw *tripwire) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tw.mu.Lock()
	tw.count++
	if tw.count == tw.n {
		close(tw.reached)
	}
	tw.mu.Unlock()
	tw.h.ServeHTTP(w, r)
}

// killCrawlWhen runs `crawl --sites sites --once --json` on db in a
// child process of the real binary and kills it (SIGKILL) once reached
// is closed, as an operator's kill -9 mid-pass; a crawl that does not get
// there within wait fails the test with stuck and the child's stderr.
func killCrawlWhen(t *testing.T, db, sites string, reached <-chan struct{}, wait time.Duration, stuck string) {
	t.Helper()
	child := exec.Command(binary, "--db", db, "crawl", "--sites", sites, "--once", "--json")
	var childErr bytes.Buffer
	child.Stderr = &childErr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-time.After(wait):
		child.Process.Kill()
		child.Wait()
		t.Fatalf("%s\n%s", stuck, childErr.String())
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
}

// needFFmpeg skips a test that makes or hashes videos where ffmpeg is not
// installed; CI installs it, so there they always run.
func needFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
}

// TestCrawlResumesAfterKill crawls a generated site with the real binary,
// kills it with SIGKILL mid-pass, starts it again and checks from the site's
// request log that the pass resumed: every page and media file fetched once
// apart from the few in flight at the kill, and every planted re-upload
// alerted (nothing discovered before the kill was lost).
func TestCrawlResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("kill and resume: skipped with -short")
	}
	site, err := fixtures.NewSite(fixtures.SiteConfig{Large: true, GalleryPages: 400})
	if err != nil {
		t.Fatal(err)
	}
	tw := &tripwire{h: site, n: 700, reached: make(chan struct{})}
	srv := httptest.NewServer(tw)
	defer srv.Close()
	defer site.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	if _, errOut, code := cli(t, db, "register", "--case", "demo", filepath.Join("..", "..", "fixtures", "photos", "known")); code != 0 {
		t.Fatalf("register: %s", errOut)
	}
	const parallelism = 2
	sites := filepath.Join(dir, "sites.yaml")
	yaml := fmt.Sprintf("sites:\n  - name: big\n    seeds: [%q]\n    max_depth: 4\n    delay: 0s\n    parallelism: %d\n    allow_networks: [127.0.0.0/8]\n    request_timeout: 3s\n", srv.URL+"/", parallelism)
	if err := os.WriteFile(sites, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	killCrawlWhen(t, db, sites, tw.reached, 2*time.Minute, fmt.Sprintf("the crawl made fewer than %d requests in two minutes", tw.n))
	killedAt := len(site.Requests())

	out, errOut, code := cli(t, db, "crawl", "--sites", sites, "--once", "--json")
	if code != 0 {
		t.Fatalf("resumed crawl exit %d\n%s", code, errOut)
	}
	lines := parseLines(t, out)
	if len(lines) != 1 || lines[0]["resumed"] != true || lines[0]["pass"].(float64) != 1 {
		t.Fatalf("crawl --json after the kill = %v, want pass 1 resumed", lines)
	}
	reqs := site.Requests()
	t.Logf("killed after %d requests; %d in all", killedAt, len(reqs))

	t.Run("every page and file is fetched once apart from those in flight", func(t *testing.T) {
		n := map[string]int{}
		for _, r := range reqs {
			if r.Path != "/robots.txt" { // once per process, by design
				n[r.Path]++
			}
		}
		// In flight at the kill: what the page and media workers held.
		inFlight := 4*parallelism + 4 + 32*runtime.NumCPU()
		twice := 0
		for p, c := range n {
			if c > 2 {
				t.Errorf("%s fetched %d times", p, c)
			}
			if c == 2 {
				twice++
			}
		}
		t.Logf("%d URLs fetched twice (in flight at the kill; bound %d)", twice, inFlight)
		if twice > inFlight {
			t.Errorf("%d URLs fetched twice, more than the %d that can be in flight", twice, inFlight)
		}
		for _, p := range site.Paths() {
			if strings.HasPrefix(p, "/page/") || strings.HasPrefix(p, "/gallery/") {
				if n[p] == 0 {
					t.Errorf("page %s never fetched", p)
				}
			}
		}
	})
	t.Run("every planted re-upload is alerted", func(t *testing.T) {
		out, _, _ := cli(t, db, "alerts", "list", "--json")
		got := map[[2]string]bool{}
		for _, a := range parseLines(t, out) {
			o, _, _ := cli(t, db, "alerts", "show", "--json", fmt.Sprint(a["id"]))
			for _, l := range parseLines(t, o) {
				for _, s := range l["sightings"].([]any) {
					m := s.(map[string]any)
					got[[2]string{path(t, m["page_url"].(string)), path(t, m["media_url"].(string))}] = true
				}
			}
		}
		for _, r := range site.Truth() {
			if !got[[2]string{r.Page, r.Media}] {
				t.Errorf("missed re-upload %s on %s", r.Media, r.Page)
			}
		}
	})
	t.Run("sites shows one finished pass", func(t *testing.T) {
		out, _, _ := cli(t, db, "sites", "--json")
		st := parseLines(t, out)
		if len(st) != 1 {
			t.Fatalf("sites --json = %v", st)
		}
		status, _ := st[0]["status"].(map[string]any)
		if status["passes"] != float64(1) || status["running"] != false {
			t.Fatalf("sites --json = %v", st)
		}
	})
}
