package console

// The console-under-load measurement behind `make bench` (issue 14, item
// 8): a database of 200,000 alerts, 16 clients on the console's mix
// against a real server, and a crawl of the fixture site in the same
// process. Run with
//
//	HASHWATCH_CONSOLEBENCH=1 go test -count=1 -v -timeout 30m -run '^TestConsoleUnderLoad$' ./console/
//
// HASHWATCH_CONSOLEBENCH_ALERTS changes the number of alerts;
// HASHWATCH_CONSOLEBENCH_DB=FILE keeps the seeded database there and
// starts from it when it exists (seeding 200,000 alerts takes minutes), so
// that runs can follow each other closely; HASHWATCH_CONSOLEBENCH_SHARE
// sets Limits.HandlerShare (-1: no bound), to compare. The crawl's
// images per second are measured in alternating windows, idle and under
// the clients, within one pass, so both see the same machine: it is
// shared, and the load average is printed with the figures.

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/cputime"
	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

func TestConsoleUnderLoad(t *testing.T) {
	if os.Getenv("HASHWATCH_CONSOLEBENCH") == "" {
		t.Skip("set HASHWATCH_CONSOLEBENCH=1 (make bench) to run the console load measurement")
	}
	n := 200_000
	if v := os.Getenv("HASHWATCH_CONSOLEBENCH_ALERTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 100 {
			t.Fatalf("HASHWATCH_CONSOLEBENCH_ALERTS=%q: want a number ≥ 100", v)
		}
	}
	ctx := context.Background()
	// Seeding commits one transaction per alert write; on a memory file
	// system that costs no disk flushes.
	dir := t.TempDir()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err = os.MkdirTemp("/dev/shm", "hashwatch-bench-"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
	}
	var offset atomic.Int64 // the database clock's distance from now
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	path := filepath.Join(dir, "hw.db")
	kept := os.Getenv("HASHWATCH_CONSOLEBENCH_DB")
	seeded := false
	if kept != "" {
		if err := copyFile(kept, path); err == nil {
			seeded = true
			t.Logf("starting from the database seeded in %s", kept)
		} else if !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	db, err := database.Open(path, store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if !seeded {
		start := time.Now()
		seedLoadDB(t, db, n, &offset)
		fi, _ := os.Stat(path)
		t.Logf("seeded %d alerts in %v (database %.0f MiB)", n, time.Since(start).Round(time.Second), float64(fi.Size())/(1<<20))
		if kept != "" {
			if _, err := db.Store.BackupFile(ctx, kept); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The flood limit stays off, as the alerts were seeded: with the
	// default limit the crawl's re-uploads crossed it for two
	// fingerprints, and each crossing held the seeded waiting alerts of
	// its case in the crawl's alert transaction, holding the write lock
	// 3.6–5.6 s on a crowded 2-core machine: every commit, the crawl's and
	// the console's, waited, in whichever window it fell (a round of
	// −100% on the quiet VM). A real file holds no thousands of waiting
	// alerts of one fingerprint the limit did not stop, and the stall is
	// not the clients' doing.
	if err := db.Alerts.SetFloodLimit(alerts.FloodLimit{}); err != nil {
		t.Fatal(err)
	}

	// The dashboard alone, one request at a time, before any load.
	var quiet []time.Duration
	for range 50 {
		s := time.Now()
		if _, err := db.Takedown.Dashboard(time.Now(), time.UTC, 30); err != nil {
			t.Fatal(err)
		}
		quiet = append(quiet, time.Since(s))
	}
	t.Logf("dashboard figures alone (store call, 30 days, %d alerts): p50 %v, p99 %v", n, pct(quiet, 0.5), pct(quiet, 0.99))

	// The fixture site and the crawl, hashing as it does in serve.
	// The site must outlast the six windows below: a crawl that reaches
	// the end of it measures nothing (on the quiet VM, 8,000 gallery pages
	// — 24,000 images — ran out in the second round at 800 images/s).
	fs, err := fixtures.NewSite(fixtures.SiteConfig{Large: true, UniqueMedia: true, GalleryPages: 20000})
	if err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(fs)
	t.Cleanup(site.Close)
	t.Cleanup(fs.Close)
	cfg, err := crawler.ParseConfig("bench.yaml", []byte(fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q]\n    max_depth: 5\n    allow_networks: [127.0.0.0/8]\n    delay: 0s\n    parallelism: 4\n    request_timeout: 30s\n", site.URL+"/")))
	if err != nil {
		t.Fatal(err)
	}
	var hashed atomic.Int64
	var crawling atomic.Bool
	c := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule(), Progress: func(s crawler.PassStats) { hashed.Store(int64(s.Hashed)) }}

	var limits Limits
	if v := os.Getenv("HASHWATCH_CONSOLEBENCH_SHARE"); v != "" {
		if limits.HandlerShare, err = strconv.ParseFloat(v, 64); err != nil {
			t.Fatalf("HASHWATCH_CONSOLEBENCH_SHARE=%q: %v", v, err)
		}
	}
	limits = limits.withDefaults()
	t.Logf("console: %d light and %d heavy handlers at once, handler share %.2f of the process's CPU while crawling", limits.Handlers, limits.HeavyRequests, limits.HandlerShare)
	srv, err := New(Config{DB: db, Crawling: crawling.Load, Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	e := &env{t: t, db: db, srv: srv, ts: ts}
	op := e.login("op1")

	// The dashboard through HTTP, one request at a time, before any load:
	// the first computes and keeps it, the rest are answered from what is
	// kept (dashcache.go).
	for _, path := range []string{"/api/dashboard", "/dashboard"} {
		var alone []time.Duration
		for range 50 {
			s := time.Now()
			if resp := op.get(path); readAll(resp) == "" || resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d", path, resp.StatusCode)
			}
			alone = append(alone, time.Since(s))
		}
		t.Logf("GET %s alone over HTTP: first %v, then p50 %v, p99 %v", path, alone[0].Round(time.Microsecond), pct(alone[1:], 0.5).Round(time.Microsecond), pct(alone[1:], 0.99).Round(time.Microsecond))
	}

	crawlCtx, stop := context.WithCancel(ctx)
	crawlDone := make(chan error, 1)
	var crawlEnded atomic.Bool
	crawling.Store(true)
	go func() {
		_, err := c.Pass(crawlCtx, &cfg.Sites[0])
		crawlEnded.Store(true)
		crawlDone <- err
	}()
	t.Cleanup(func() {
		stop()
		<-crawlDone
	})

	// rate is the crawl's images per second over a window of d, and the
	// cores the process got meanwhile (0 where that cannot be read): on a
	// shared machine it is the part of the machine the two shared.
	rate := func(d time.Duration) (perSecond, cores float64) {
		h0, s := hashed.Load(), time.Now()
		c0, _ := cputime.Process()
		time.Sleep(d) // a measurement window, not synchronisation
		c1, _ := cputime.Process()
		took := time.Since(s).Seconds()
		if crawlEnded.Load() {
			t.Fatalf("the crawl ended during a measurement window (%d images hashed): the site is too small for this machine's rate", hashed.Load())
		}
		return float64(hashed.Load()-h0) / took, (c1 - c0).Seconds() / took
	}
	// Warm up: the crawl discovers pages before media flow.
	for hashed.Load() < 200 {
		select {
		case err := <-crawlDone:
			t.Fatalf("crawl ended while warming up: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	const window = 8 * time.Second
	const rounds = 3
	load := &loadMix{c: op, n: n, rng: rand.New(rand.NewPCG(1, 2))}
	var idle, loaded []float64
	for r := range rounds {
		i, ci := rate(window)
		stopClients := load.start(16)
		l, cl := rate(window)
		stopClients()
		idle, loaded = append(idle, i), append(loaded, l)
		t.Logf("round %d: crawl %.1f images/s idle, %.1f under 16 clients (%+.0f%%); the process got %.2f and %.2f cores; load average %s", r+1, i, l, 100*(l-i)/i, ci, cl, loadAverage())
	}
	stop()
	crawling.Store(false)
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	t.Logf("crawl: %.1f images/s idle, %.1f under load: %+.0f%% (target: no worse than −25%%); GOMAXPROCS %d",
		mean(idle), mean(loaded), 100*(mean(loaded)-mean(idle))/mean(idle), runtime.GOMAXPROCS(0))
	load.report(t)
}

// copyFile copies a kept database to path.
func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// seedLoadDB fills db with n alerts over the last 180 days on 20 sites:
// most dismissed, some new, some confirmed, and of those some removed
// after minutes to weeks (exponential, mean three days).
func seedLoadDB(t *testing.T, db *database.DB, n int, offset *atomic.Int64) {
	t.Helper()
	ctx := context.Background()
	for role, name := range testUsers {
		if _, err := db.Accounts.AddUser(ctx, accounts.NewUser{Name: name, Role: role, Password: testPassword, Language: "en"}, store.Actor{User: "bench"}); err != nil {
			t.Fatal(err)
		}
	}
	h := hashing.NewHasher(hashing.Limits{})
	var regs []index.Registration
	for _, p := range fixtures.Known() {
		fp, err := h.Image(ctx, p.Data, hashing.ForRegistration)
		if err != nil {
			t.Fatal(err)
		}
		regs = append(regs, index.Registration{Source: p.Name, Print: fp})
	}
	reg, err := db.Index.Register(ctx, "demo", "", regs, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	var fps []uint64
	for _, f := range reg {
		fps = append(fps, f.ID)
	}
	// So many media on a few fingerprints would be a flood.
	if err := db.Alerts.SetFloodLimit(alerts.FloodLimit{}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(14, 8))
	span := 180 * 24 * time.Hour
	now := time.Now()
	at := func(ti time.Time) { offset.Store(int64(ti.Sub(time.Now()))) }
	defer offset.Store(0)
	var toRemove []uint64
	for i := range n {
		created := now.Add(-span + time.Duration(i)*span/time.Duration(n))
		at(created)
		var seed [8]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i))
		a, _, err := db.Alerts.RecordAlert(ctx, alerts.AlertInput{
			Site: fmt.Sprintf("site%02d", i%20), MediaSHA256: sha256.Sum256(seed[:]),
			Match:    index.Match{Fingerprint: fps[i%len(fps)], Case: "demo", Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: rng.IntN(32)}},
			Sighting: alerts.Sighting{PageURL: fmt.Sprintf("http://site%02d.example/p/%d", i%20, i), MediaURL: fmt.Sprintf("http://site%02d.example/m/%d.jpg", i%20, i), HTTPStatus: 200},
		})
		if err != nil {
			t.Fatal(err)
		}
		switch r := rng.IntN(100); {
		case r < 60:
			_, err = db.Alerts.DecideAlert(ctx, a.ID, alerts.StatusDismissed, "not this content", store.Actor{User: "op1"})
		case r < 75: // new
		default:
			at(created.Add(time.Duration(rng.IntN(48*60)) * time.Minute))
			_, err = db.Alerts.DecideAlert(ctx, a.ID, alerts.StatusConfirmed, "", store.Actor{User: "op1"})
			if r >= 85 {
				toRemove = append(toRemove, a.ID)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range toRemove {
		a, err := db.Alerts.Alert(id)
		if err != nil {
			t.Fatal(err)
		}
		gone := a.ConfirmedAt.Add(time.Duration(rng.ExpFloat64() * float64(72*time.Hour)))
		if _, err := db.Alerts.RecordCheck(ctx, id, alerts.Check{At: gone, Outcome: alerts.CheckGone}, gone.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
}

// loadMix is the console's request mix, run by clients sharing one
// operator session: the dashboard (page and API), the alert queue (page
// and API), single alerts (page and API) and the API's account call.
type loadMix struct {
	c   *client
	n   int
	rng *rand.Rand

	mu     sync.Mutex
	lat    map[string][]time.Duration // by kind, answered 200
	busy   map[string]int             // by kind, answered 503
	failed map[string]int
}

var loadPaths = []struct{ kind, path string }{
	{"dashboard", "/api/dashboard"},
	{"dashboard", "/dashboard"},
	{"alert list", "/api/alerts?status=new&per_page=50"},
	{"alert list", "/alerts?sort=confidence"},
	{"alert show", "/api/alerts/%d"},
	{"alert show", "/alerts/%d"},
	{"api", "/api/me"},
	{"api", "/api/alerts?status=removed&site=site07&per_page=20"},
}

// start runs k clients until the returned function is called.
func (m *loadMix) start(k int) (stop func()) {
	m.mu.Lock()
	if m.lat == nil {
		m.lat, m.busy, m.failed = map[string][]time.Duration{}, map[string]int{}, map[string]int{}
	}
	m.mu.Unlock()
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range k {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			for {
				select {
				case <-done:
					return
				default:
				}
				p := loadPaths[rng.IntN(len(loadPaths))]
				path := p.path
				if strings.Contains(path, "%d") {
					path = fmt.Sprintf(path, 1+rng.IntN(m.n))
				}
				req, _ := http.NewRequest("GET", m.c.e.ts.URL+path, nil)
				s := time.Now()
				resp, err := m.c.http.Do(req)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				d := time.Since(s)
				m.mu.Lock()
				switch {
				case err != nil:
					m.failed[p.kind]++
				case resp.StatusCode == http.StatusOK:
					m.lat[p.kind] = append(m.lat[p.kind], d)
				case resp.StatusCode == http.StatusServiceUnavailable:
					m.busy[p.kind]++
				default:
					m.failed[p.kind]++
				}
				m.mu.Unlock()
			}
		})
	}
	return func() {
		close(done)
		wg.Wait()
	}
}

func (m *loadMix) report(t *testing.T) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var kinds []string
	for k := range m.lat {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		ds := m.lat[k]
		t.Logf("%-10s %6d answered: p50 %8v, p99 %8v; %d turned away (503), %d failed", k, len(ds), pct(ds, 0.5).Round(10*time.Microsecond), pct(ds, 0.99).Round(10*time.Microsecond), m.busy[k], m.failed[k])
	}
}

// pct is the p-th percentile (nearest rank) of ds.
func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// loadAverage is the machine's 1-, 5- and 15-minute load average.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
