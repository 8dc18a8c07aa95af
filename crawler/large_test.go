package crawler

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// largeSiteYAML is a crawl of a fixture site on loopback that keeps the
// private-address guard on for everything but loopback, so the site's
// links to 10.0.0.1 and 169.254.169.254 are refused before any packet
// leaves.
func largeSiteYAML(u, extra string) string {
	if !strings.Contains(extra, "request_timeout:") {
		extra += "    request_timeout: 3s\n"
	}
	return fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q]\n    max_depth: 5\n    allow_networks: [127.0.0.0/8]\n    delay: 0s\n    parallelism: 4\n%s", u+"/", extra)
}

func parseSite(t testing.TB, yaml string) *Site {
	t.Helper()
	cfg, err := ParseConfig("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return &cfg.Sites[0]
}

// alertedPairs returns the (page path, media path) pairs of every alert
// sighting.
func alertedPairs(t testing.TB, db *database.DB) map[string]bool {
	t.Helper()
	alerts, err := db.Alerts.Alerts(alerts.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, a := range alerts {
		for _, s := range a.Sightings {
			got[requestURI(s.PageURL)+" "+requestURI(s.MediaURL)] = true
		}
	}
	return got
}

func truthPairs(site *fixtures.Site) map[string]bool {
	want := map[string]bool{}
	for _, r := range site.Truth() {
		want[r.Page+" "+r.Media] = true
	}
	return want
}

// requestsSince returns the site's requests from index from on.
func requestsSince(site *fixtures.Site, from int) []fixtures.RequestLog {
	return site.Requests()[from:]
}

func TestLargeSiteIsCrawledCompletelyOnceAndCheaplyTheSecondTime(t *testing.T) {
	if testing.Short() {
		t.Skip("large site: skipped with -short")
	}
	if raceEnabled {
		// Scale, not concurrency: TestAnInterruptedPassPutsItsWorkBackAndResumes
		// runs the same workers, committer and frontier under the race
		// detector on a smaller gallery.
		t.Skip("large site: skipped under the race detector")
	}
	cfg := fixtures.SiteConfig{Large: true, Hostile: true}
	minPages, minMedia := fixtures.LargeGalleryPages, 5000
	fs, err := fixtures.NewSite(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	defer fs.Close()
	db := registerKnown(t)
	site := parseSite(t, largeSiteYAML(srv.URL, ""))
	c := &Crawler{DB: db, Rule: hashing.DefaultRule()}

	first, err := c.Pass(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	reqs1 := fs.Requests()
	t.Logf("first pass: %v, %d requests, pages %d media %d hashed %d videos %d robots %d errors %v",
		first.End.Sub(first.Start).Round(time.Millisecond), len(reqs1), first.Pages, first.Media, first.Hashed, first.Videos, first.Robots, first.Errors)

	t.Run("every planted re-upload is alerted and nothing else", func(t *testing.T) {
		got, want := alertedPairs(t, db), truthPairs(fs)
		for k := range want {
			if !got[k] {
				t.Errorf("missed %s", k)
			}
		}
		for k := range got {
			if !want[k] {
				t.Errorf("false alert %s", k)
			}
		}
	})
	t.Run("nothing robots.txt disallows is fetched", func(t *testing.T) {
		for _, r := range reqs1 {
			if strings.HasPrefix(r.Path, fixtures.DisallowedPrefix) {
				t.Errorf("fetched disallowed %s", r.Path)
			}
		}
		if first.Robots == 0 {
			t.Error("no URL was counted as disallowed by robots.txt")
		}
	})
	t.Run("every request says who crawls", func(t *testing.T) {
		for _, r := range reqs1 {
			if r.UserAgent != DefaultUserAgent {
				t.Fatalf("%s requested with User-Agent %q", r.Path, r.UserAgent)
			}
		}
	})
	t.Run("private addresses are refused at connect time", func(t *testing.T) {
		if n := first.Errors["private_address"]; n < 2 {
			t.Errorf("errors[private_address] = %d, want the two private image hosts (all: %v)", n, first.Errors)
		}
	})
	t.Run("videos are recorded, never downloaded", func(t *testing.T) {
		if first.Videos < minPages/10 {
			t.Errorf("%d videos recorded", first.Videos)
		}
		for _, r := range reqs1 {
			if strings.HasPrefix(r.Path, "/v/") {
				t.Errorf("fetched video %s", r.Path)
			}
		}
		vids, err := db.Crawl.Videos("fixture")
		if err != nil || len(vids) != first.Videos {
			t.Errorf("%d video records stored (err %v), %d counted", len(vids), err, first.Videos)
		}
	})
	t.Run("every page and media file is fetched once, a timed-out one 1+retries times", func(t *testing.T) {
		n := map[string]int{}
		for _, r := range reqs1 {
			if !strings.HasPrefix(r.Path, "/loop/") { // one fetch, many redirect hops
				n[r.Path]++
			}
		}
		for p, c := range n {
			// The slow page times out, and a timeout is tried again.
			want := 1
			if p == "/hostile/slow.html" {
				want = 1 + site.RetryCount()
			}
			if c != want {
				t.Errorf("%s fetched %d times, want %d", p, c, want)
			}
		}
		if first.Pages < minPages || first.Media < minMedia {
			t.Errorf("pages %d, media %d: the large site was not covered", first.Pages, first.Media)
		}
	})

	second, err := c.Pass(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	reqs2 := requestsSince(fs, len(reqs1))
	okFirst := map[string]bool{}
	for _, r := range reqs1 {
		okFirst[r.Path] = r.Status == 200
	}
	full := 0
	for _, r := range reqs2 {
		if !r.NotModified && okFirst[r.Path] && r.Path != "/robots.txt" && r.Path != "/watch/1" && !strings.HasPrefix(r.Path, "/hostile/") {
			full++
			if full < 10 {
				t.Logf("second pass fetched %s in full", r.Path)
			}
		}
	}
	d1, d2 := first.End.Sub(first.Start), second.End.Sub(second.Start)
	t.Logf("second pass: %v (%.0f%% of the first), %d requests, %d not modified, hashed %d", d2.Round(time.Millisecond),
		100*d2.Seconds()/d1.Seconds(), len(reqs2), second.NotModified, second.Hashed)
	if second.Hashed != 0 {
		t.Errorf("the second pass decoded %d files of an unchanged site", second.Hashed)
	}
	if full != 0 {
		t.Errorf("the second pass downloaded %d unchanged pages or files in full", full)
	}
	if second.Pages != first.Pages || second.Media != first.Media {
		t.Errorf("second pass covered pages %d media %d, first %d and %d", second.Pages, second.Media, first.Pages, first.Media)
	}
	if second.NewAlerts != 0 {
		t.Errorf("the second pass raised %d new alerts", second.NewAlerts)
	}
}
