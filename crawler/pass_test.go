package crawler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// cancelAfter serves h and cancels a context once n requests have arrived.
type cancelAfter struct {
	h      http.Handler
	n      int
	cancel context.CancelFunc
	mu     sync.Mutex
	count  int
}

func (c *cancelAfter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.count++
	if c.count == c.n {
		c.cancel()
	}
	c.mu.Unlock()
	c.h.ServeHTTP(w, r)
}

func TestAnInterruptedPassPutsItsWorkBackAndResumes(t *testing.T) {
	fs, err := fixtures.NewSite(fixtures.SiteConfig{Large: true, GalleryPages: 150})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(&cancelAfter{h: fs, n: 200, cancel: cancel})
	defer srv.Close()
	defer fs.Close()
	db := registerKnown(t)
	site := parseSite(t, largeSiteYAML(srv.URL, ""))
	c := &Crawler{DB: db, Rule: hashing.DefaultRule(), Workers: 8}

	first, err := c.Pass(ctx, site)
	if !errors.Is(err, context.Canceled) || !first.Interrupted || first.Queued == 0 {
		t.Fatalf("interrupted pass: err %v, stats %+v", err, first)
	}
	st, _, err := db.Crawl.SiteStatus("fixture")
	if err != nil || !st.Running || st.PassEnd.IsZero() || st.TotalPass != 0 {
		t.Fatalf("status after the interruption = %+v (%v); want running, not counted as a pass", st, err)
	}
	stoppedAt := len(fs.Requests())

	second, err := c.Pass(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Resumed || second.Number != first.Number || second.Interrupted {
		t.Fatalf("second pass = %+v, want the first resumed to its end", second)
	}
	n := map[string]int{}
	for _, r := range fs.Requests() {
		if r.Path != "/robots.txt" {
			n[r.Path]++
		}
	}
	twice := 0
	for p, k := range n {
		if k > 2 {
			t.Errorf("%s fetched %d times", p, k)
		} else if k == 2 {
			twice++
		}
	}
	// The workers' items were cancelled mid-request and put back; nothing
	// else is fetched again.
	if bound := 4*site.Parallelism + 4 + 8; twice > bound {
		t.Errorf("%d URLs fetched twice, more than the %d workers", twice, bound)
	}
	t.Logf("stopped after %d requests; %d fetched twice", stoppedAt, twice)
	if got, want := alertedPairs(t, db), truthPairs(fs); fmt.Sprint(sortedKeys(got)) != fmt.Sprint(sortedKeys(want)) {
		t.Errorf("alerts after the resumed pass differ from the truth\n got %v\nwant %v", sortedKeys(got), sortedKeys(want))
	}
	if second.Pages < 150 {
		t.Errorf("resumed pass counts %d pages; the counts of the interrupted part were lost", second.Pages)
	}
	st, _, _ = db.Crawl.SiteStatus("fixture")
	if st.Running || st.TotalPass != 1 {
		t.Errorf("status after the resumed pass = %+v", st)
	}
}

func TestFingerprintsRegisteredLaterAreMatchedAgainstKnownMedia(t *testing.T) {
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	db, err := database.Open(t.TempDir()+"/hw.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := hashing.NewHasher(hashing.Limits{})
	register := func(caseID string, photos []fixtures.Photo) {
		t.Helper()
		var regs []index.Registration
		for _, p := range photos {
			fp, err := h.Image(context.Background(), p.Data, hashing.ForRegistration)
			if err != nil {
				t.Fatal(err)
			}
			regs = append(regs, index.Registration{Source: p.Name, Print: fp})
		}
		if _, err := db.Index.Register(context.Background(), caseID, "", regs, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	known := fixtures.Known()
	half := len(known) / 2
	register("early", known[:half])
	site := parseSite(t, largeSiteYAML(srv.URL, ""))
	c := &Crawler{DB: db, Rule: hashing.DefaultRule()}
	pass := func() PassStats {
		t.Helper()
		s, err := c.Pass(context.Background(), site)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := pass()
	if first.NewAlerts == 0 {
		t.Fatal("no alerts for the early case")
	}
	register("late", known[half:])
	second := pass()
	if got, want := alertedPairs(t, db), truthPairs(fs); fmt.Sprint(sortedKeys(got)) != fmt.Sprint(sortedKeys(want)) {
		t.Fatalf("after registering the rest, alerts differ from the truth\n got %v\nwant %v", sortedKeys(got), sortedKeys(want))
	}
	if second.Hashed == 0 {
		t.Error("the second pass reused match results computed before the late registration")
	}
	third := pass()
	if third.Hashed != 0 || third.NewAlerts != 0 || third.NotModified == 0 {
		t.Errorf("third pass over an unchanged site: hashed %d, new alerts %d, not modified %d", third.Hashed, third.NewAlerts, third.NotModified)
	}

	if _, _, err := db.Index.Withdraw(context.Background(), "late", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	before, _ := db.Alerts.Alerts(alerts.AlertFilter{Case: "late"})
	fourth := pass()
	after, _ := db.Alerts.Alerts(alerts.AlertFilter{Case: "late"})
	if fourth.NewAlerts != 0 {
		t.Errorf("a pass after the withdrawal raised %d alerts", fourth.NewAlerts)
	}
	for i := range after {
		if !after[i].UpdatedAt.Equal(before[i].UpdatedAt) {
			t.Errorf("alert %d of the withdrawn case got a sighting from a cached match", after[i].ID)
		}
	}
}

func TestMediaOverTheLimitIsSkippedWithItsURLAndSize(t *testing.T) {
	photo := fixtures.Others()[0].Data
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><img src="/declared.jpg"><img src="/endless.jpg"><img src="/ok.jpg"></body></html>`)
	})
	mux.HandleFunc("/declared.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Content-Length", "5000000")
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("/endless.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.WriteHeader(http.StatusOK)
		buf := make([]byte, 32<<10)
		for range 64 { // 2 MiB without a Content-Length: chunked
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/ok.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	db := registerKnown(t)
	site := parseSite(t, largeSiteYAML(srv.URL, "    max_image_bytes: 1000000\n"))
	stats, err := (&Crawler{DB: db, Rule: hashing.DefaultRule()}).Pass(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Skipped != 2 || stats.Media != 1 {
		t.Fatalf("skipped %d, media %d; want the two big files skipped and the photo checked", stats.Skipped, stats.Media)
	}
	st, _, err := db.Crawl.SiteStatus("fixture")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, s := range st.RecentSkipped {
		got[requestURI(s.URL)] = s.Size
		if s.Limit != 1000000 || s.Page == "" || s.Reason == "" {
			t.Errorf("skipped entry %+v lacks its limit, page or reason", s)
		}
	}
	if got["/declared.jpg"] != 5000000 || got["/endless.jpg"] <= 1000000 {
		t.Errorf("recent skipped sizes = %v, want the declared 5000000 and more than the 1000000 limit counted", got)
	}
}

func TestPolitenessHoldsPerHostAndPortSeparately(t *testing.T) {
	const delay = 30 * time.Millisecond
	const pages, perPage = 6, 4
	photo := fixtures.Others()[0].Data
	media := &inflight{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(photo)
	})}
	srvB := httptest.NewServer(media)
	defer srvB.Close()
	pagesRec := &inflight{}
	pagesRec.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		var b strings.Builder
		b.WriteString("<html><body>")
		for p := 1; p <= pages; p++ {
			fmt.Fprintf(&b, `<a href="/p%d.html">page %d</a>`, p, p)
		}
		for i := range perPage {
			fmt.Fprintf(&b, `<img src="%s/img%s-%d.jpg">`, srvB.URL, strings.Trim(r.URL.Path, "/."), i)
		}
		b.WriteString("</body></html>")
		io.WriteString(w, b.String())
	})
	srvA := httptest.NewServer(pagesRec)
	defer srvA.Close()
	if srvA.Listener.Addr().String() == srvB.Listener.Addr().String() {
		t.Fatal("the two servers share an address")
	}
	db := registerKnown(t)
	// Both servers are 127.0.0.1, different ports: different hosts to the
	// budget, though the same domain to scope.
	site := parseSite(t, fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q]\n    allow_private: true\n    delay: 30ms\n    parallelism: 1\n", srvA.URL+"/"))
	if _, err := (&Crawler{DB: db, Rule: hashing.DefaultRule(), Workers: 8}).Pass(context.Background(), site); err != nil {
		t.Fatal(err)
	}
	for name, rec := range map[string]*inflight{"pages host": pagesRec, "media host": media} {
		if m := rec.max.Load(); m > 1 {
			t.Errorf("%s: %d requests in flight at once, parallelism is 1", name, m)
		}
	}
	pagesRec.mu.Lock()
	media.mu.Lock()
	a, b := append([]time.Time(nil), pagesRec.starts...), append([]time.Time(nil), media.starts...)
	pagesRec.mu.Unlock()
	media.mu.Unlock()
	if len(a) < pages || len(b) < perPage {
		t.Fatalf("%d page and %d media requests", len(a), len(b))
	}
	if raceEnabled {
		t.Log("race detector on: parallelism checked, request spacing not")
		return
	}
	for name, starts := range map[string][]time.Time{"pages host": a, "media host": b} {
		sortTimes(starts)
		if span, want := starts[len(starts)-1].Sub(starts[0]), time.Duration(len(starts)-1)*delay*9/10; span < want {
			t.Errorf("%s: %d requests within %v; with delay %v they need at least %v", name, len(starts), span, delay, want)
		}
	}
	// Had the two ports shared one budget, no two requests of the crawl
	// would start closer than the delay.
	all := append(append([]time.Time(nil), a...), b...)
	sortTimes(all)
	close := 0
	for i := 1; i < len(all); i++ {
		if all[i].Sub(all[i-1]) < delay/2 {
			close++
		}
	}
	if close == 0 {
		t.Errorf("no two requests to the two hosts started within %v of each other: they share a budget", delay/2)
	}
}

func sortTimes(ts []time.Time) { sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) }) }

func TestMetricsCountTheCrawl(t *testing.T) {
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	c := &Crawler{DB: registerKnown(t), Rule: hashing.DefaultRule(), Metrics: m}
	stats, err := c.Pass(context.Background(), parseSite(t, largeSiteYAML(srv.URL, "")))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		metric string
		labels []string // label name, value, …
		want   float64
	}{
		{"pages fetched", "hashwatch_crawl_pages_total", []string{"outcome", "fetched"}, float64(stats.Pages)},
		{"media fetched", "hashwatch_crawl_media_total", []string{"outcome", "fetched"}, float64(stats.Media)},
		{"new alerts", "hashwatch_crawl_new_alerts_total", nil, float64(stats.NewAlerts)},
		{"bytes", "hashwatch_crawl_bytes_total", nil, float64(stats.Bytes)},
		{"pass no longer running", "hashwatch_crawl_pass_running", nil, 0},
		{"media queue empty", "hashwatch_crawl_queue_depth", []string{"kind", "media"}, 0},
		{"every decode timed", "hashwatch_crawl_hash_seconds", nil, float64(stats.Hashed)},
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := metricValue(families, tt.metric, append([]string{"site", "fixture"}, tt.labels...))
			if !ok || got != tt.want {
				t.Errorf("%s%v = %v (found %v), want %v", tt.metric, tt.labels, got, ok, tt.want)
			}
		})
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Error("registering the metrics twice on one registry did not fail")
	}
}

func TestRunStopsCleanlyAndWaitsForTheInterval(t *testing.T) {
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	db := registerKnown(t)
	site := parseSite(t, largeSiteYAML(srv.URL, "    interval: 1h\n"))
	c := &Crawler{DB: db, Rule: hashing.DefaultRule()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, []*Site{site}) }()
	// The first pass is due at once; wait for its status to be stored.
	deadline := time.After(time.Minute)
	for {
		st, ok, err := db.Crawl.SiteStatus("fixture")
		if err != nil {
			t.Fatal(err)
		}
		if ok && st.TotalPass == 1 {
			break
		}
		select {
		case <-deadline:
			t.Fatal("the first pass did not finish within a minute")
		case <-time.After(10 * time.Millisecond): // polling a condition with a deadline
		}
	}
	if next := c.nextPass(site); time.Until(next) < 59*time.Minute {
		t.Errorf("next pass due %v from now, want an hour after the first started", time.Until(next).Round(time.Second))
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
}

// metricValue finds a gathered counter, gauge or histogram (its count) by
// name and labels; a histogram without labels matches any.
func metricValue(families []*dto.MetricFamily, name string, labels []string) (float64, bool) {
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			if m.GetHistogram() != nil {
				return float64(m.GetHistogram().GetSampleCount()), true
			}
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue metrics
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue(), true
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}
