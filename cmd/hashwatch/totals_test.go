package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
)

// counting serves a fixture site and counts its requests.
type counting struct {
	h http.Handler
	n atomic.Int64
}

func (c *counting) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.n.Add(1)
	c.h.ServeHTTP(w, r)
}

// TestPassTotalsSurviveKills crawls a generated site with the real binary
// twice: once without interruption, and once SIGKILLed several times at
// random moments mid-pass and resumed each time. The finished pass's
// totals in `sites --json` must be the same both ways: an item's counts
// are stored with its done mark, so a kill loses none of them and counts
// none twice.
func TestPassTotalsSurviveKills(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and resumes: skipped with -short")
	}
	site, err := fixtures.NewSite(fixtures.SiteConfig{Large: true, GalleryPages: 400})
	if err != nil {
		t.Fatal(err)
	}
	defer site.Close()
	srv := httptest.NewServer(&counting{h: site})
	defer srv.Close()
	hits := &counting{h: site}
	killSrv := httptest.NewServer(hits)
	defer killSrv.Close()

	crawlDB := func(name, url string) (db, sites string) {
		dir := t.TempDir()
		db = filepath.Join(dir, name+".db")
		if _, errOut, code := cli(t, db, "register", "--case", "demo", filepath.Join("..", "..", "fixtures", "photos", "known")); code != 0 {
			t.Fatalf("register: %s", errOut)
		}
		sites = filepath.Join(dir, "sites.yaml")
		yaml := fmt.Sprintf("sites:\n  - name: big\n    seeds: [%q]\n    max_depth: 4\n    delay: 0s\n    parallelism: 2\n    allow_networks: [127.0.0.0/8]\n    request_timeout: 3s\n", url+"/")
		if err := os.WriteFile(sites, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		return db, sites
	}
	totals := func(db string) map[string]any {
		out, errOut, code := cli(t, db, "sites", "--json")
		if code != 0 {
			t.Fatalf("sites: %s", errOut)
		}
		st := parseLines(t, out)
		if len(st) != 1 || st[0]["running"] != false {
			t.Fatalf("sites --json = %v, want one finished pass", st)
		}
		// The pass's counters are under "status", as in GET /api/sites.
		status, _ := st[0]["status"].(map[string]any)
		if passes, _ := status["passes"].(float64); passes != 1 {
			t.Fatalf("sites --json = %v, want one finished pass", st)
		}
		return status
	}

	whole, wholeSites := crawlDB("whole", srv.URL)
	if _, errOut, code := cli(t, whole, "crawl", "--sites", wholeSites, "--once", "--json"); code != 0 {
		t.Fatalf("uninterrupted crawl: %s", errOut)
	}
	want := totals(whole)
	// Every gallery page and each of its three images under its own URL,
	// at least: the comparison below is of a complete pass.
	if want["pages"].(float64) < 400 || want["media"].(float64) < 3*400 {
		t.Fatalf("uninterrupted pass counted %v pages and %v media, want at least 400 and 1,200", want["pages"], want["media"])
	}

	// The same site under another address: the two databases' records
	// differ only by host, which no count depends on.
	killed, killedSites := crawlDB("killed", killSrv.URL)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("kill schedule seed %d", seed)
	kills := 0
	for kills < 5 {
		child := exec.Command(binary, "--db", killed, "crawl", "--sites", killedSites, "--once", "--json")
		var childErr bytes.Buffer
		child.Stderr = &childErr
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- child.Wait() }()
		// Kill after a random number of further requests (the site has
		// about 1,700 URLs), or a random time when requests are few.
		at := hits.n.Load() + 50 + rng.Int64N(500)
		deadline := time.Now().Add(time.Duration(200+rng.IntN(1500)) * time.Millisecond)
		done := false
	wait:
		for {
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("crawl before kill %d: %v\n%s", kills+1, err, childErr.String())
				}
				done = true
				break wait
			case <-time.After(2 * time.Millisecond):
				if hits.n.Load() >= at || time.Now().After(deadline) {
					break wait
				}
			}
		}
		if done {
			break // the pass finished before the kill
		}
		if err := child.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-exited
		kills++
		t.Logf("kill %d after %d requests", kills, hits.n.Load())
	}
	if kills < 5 {
		t.Logf("the pass finished after %d kills", kills)
	}
	if kills == 0 {
		t.Fatal("the pass finished before any kill: the test measured nothing")
	}
	if kills == 5 {
		// The pass is still unfinished: resume it. (One that finished
		// before the fifth kill is complete; another crawl would start
		// a second pass.)
		if _, errOut, code := cli(t, killed, "crawl", "--sites", killedSites, "--once", "--json"); code != 0 {
			t.Fatalf("resumed crawl: %s", errOut)
		}
	}
	got := totals(killed)

	// Counts of what the pass found; bytes, hashed and not_modified
	// measure the work each process did (a resumed process reuses
	// results stored before a kill) and may differ.
	for _, k := range []string{"pages", "media", "matches", "new_alerts", "quarantined", "suppressed", "skipped", "videos", "robots_blocked", "parked"} {
		if fmt.Sprint(got[k]) != fmt.Sprint(want[k]) {
			t.Errorf("%s after %d kills = %v, uninterrupted %v", k, kills, got[k], want[k])
		}
	}
	if fmt.Sprint(got["errors"]) != fmt.Sprint(want["errors"]) {
		t.Errorf("errors after %d kills = %v, uninterrupted %v", kills, got["errors"], want["errors"])
	}
	t.Logf("after %d kills: pages %v media %v videos %v errors %v (uninterrupted: pages %v media %v videos %v errors %v)",
		kills, got["pages"], got["media"], got["videos"], got["errors"], want["pages"], want["media"], want["videos"], want["errors"])
}
