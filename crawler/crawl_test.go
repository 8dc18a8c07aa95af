package crawler

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// emptyDB opens a fresh database with nothing registered, for tests that
// need no matches (registering costs seconds under the race detector).
func emptyDB(t *testing.T) *database.DB {
	t.Helper()
	db, err := database.Open(t.TempDir()+"/hw.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// knownPrints are the registrations of the fixture's known photos,
// hashed once per test binary: every test that registers them hashed
// them anew, every registration view of each (58 then), which under -race
// cost the race run more than a minute. Tests register them and must not modify them.
var knownPrints = sync.OnceValues(func() ([]index.Registration, error) {
	h := hashing.NewHasher(hashing.Limits{})
	var regs []index.Registration
	for _, p := range fixtures.Known() {
		fp, err := h.Image(context.Background(), p.Data, hashing.ForRegistration)
		if err != nil {
			return nil, err
		}
		regs = append(regs, index.Registration{Source: p.Name, Print: fp})
	}
	return regs, nil
})

// registerFirst registers the fixture's first n known photos in a fresh
// database.
func registerFirst(t *testing.T, n int) *database.DB {
	t.Helper()
	db := emptyDB(t)
	regs, err := knownPrints()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Index.Register(context.Background(), "demo", "", regs[:n], store.Actor{}); err != nil {
		t.Fatal(err)
	}
	return db
}

// registerKnown registers the fixture's known photos in a fresh database.
func registerKnown(t *testing.T) *database.DB {
	t.Helper()
	return registerFirst(t, len(fixtures.Known()))
}

// inflight wraps a handler and records the largest number of requests it
// served at once and the start time of each.
type inflight struct {
	h      http.Handler
	now    atomic.Int32
	max    atomic.Int32
	mu     sync.Mutex
	starts []time.Time
}

func (f *inflight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for {
		m := f.max.Load()
		if n <= m || f.max.CompareAndSwap(m, n) {
			break
		}
	}
	f.mu.Lock()
	f.starts = append(f.starts, time.Now())
	f.mu.Unlock()
	f.h.ServeHTTP(w, r)
}

func siteFor(t *testing.T, u, extra string) *Site {
	t.Helper()
	cfg, err := ParseConfig("test.yaml", []byte(fmt.Sprintf(
		"sites:\n  - name: fixture\n    seeds: [%q]\n    max_depth: 5\n    allow_private: true\n    request_timeout: 1s\n%s", u+"/", extra)))
	if err != nil {
		t.Fatal(err)
	}
	return &cfg.Sites[0]
}

func TestPassAlertsExactlyThePlantedReuploadsAndSurvivesHostileRoutes(t *testing.T) {
	site, err := fixtures.NewSite(fixtures.SiteConfig{Hostile: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(site)
	defer srv.Close()
	db := registerKnown(t)
	c := &Crawler{DB: db, Rule: hashing.DefaultRule()}
	stats, err := c.Pass(context.Background(), siteFor(t, srv.URL, "    delay: 0s\n    parallelism: 4\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, r := range site.Truth() {
		want[r.Page+" "+r.Media] = true
	}
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
	if fmt.Sprint(sortedKeys(got)) != fmt.Sprint(sortedKeys(want)) {
		t.Fatalf("alerted sightings differ from the ground truth\n got: %v\nwant: %v", sortedKeys(got), sortedKeys(want))
	}
	// Each hostile route is one counted error of the right kind.
	for kind, atLeast := range map[string]int{"corrupt": 1, "unsupported": 2, "http_status": 1, "too_large": 1, "timeout": 1} {
		if stats.Errors[kind] < atLeast {
			t.Errorf("errors[%s] = %d, want at least %d (all: %v)", kind, stats.Errors[kind], atLeast, stats.Errors)
		}
	}
	if stats.Skipped < 1 {
		t.Errorf("the 60000×60000 PNG was not counted as skipped: %+v", stats)
	}
	st, ok, err := db.Crawl.SiteStatus("fixture")
	if err != nil || !ok || st.Pages != stats.Pages || st.TotalPass != 1 {
		t.Fatalf("stored status = %+v, %v, %v", st, ok, err)
	}
}

func TestPolitenessHoldsPerHost(t *testing.T) {
	site, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &inflight{h: site}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	db := registerKnown(t)
	c := &Crawler{DB: db, Rule: hashing.DefaultRule(), Workers: 8}
	const delay = 40 * time.Millisecond
	if _, err := c.Pass(context.Background(), siteFor(t, srv.URL, "    delay: 40ms\n    parallelism: 2\n")); err != nil {
		t.Fatal(err)
	}
	if m := rec.max.Load(); m > 2 {
		t.Errorf("%d requests in flight at once, parallelism is 2", m)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := len(rec.starts)
	if n < 10 {
		t.Fatalf("only %d requests", n)
	}
	if raceEnabled {
		t.Log("race detector on: parallelism checked, request spacing not")
		return
	}
	sort.Slice(rec.starts, func(i, j int) bool { return rec.starts[i].Before(rec.starts[j]) })
	// The budget spaces requests by delay when they are written; the server
	// sees them after scheduling jitter, which on a loaded machine can move
	// one start by milliseconds. Without the budget most gaps are ~0, so
	// check the span and that short gaps are rare.
	if span, want := rec.starts[n-1].Sub(rec.starts[0]), time.Duration(n-1)*delay*9/10; span < want {
		t.Errorf("%d requests within %v; with delay %v they need at least %v", n, span, delay, want)
	}
	short := 0
	for i := 1; i < n; i++ {
		if rec.starts[i].Sub(rec.starts[i-1]) < delay/2 {
			short++
		}
	}
	if short*10 > n {
		t.Errorf("%d of %d gaps between request starts were under %v", short, n-1, delay/2)
	}
}

func requestURI(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.RequestURI()
}

func sortedKeys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
