package natswork

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// registerKnown opens a fresh database with the fixture's known photos
// registered.
func registerKnown(t *testing.T) *database.DB {
	t.Helper()
	db, err := database.Open(filepath.Join(t.TempDir(), "hw.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := hashing.NewHasher(hashing.Limits{})
	var regs []index.Registration
	for _, p := range fixtures.Known() {
		fp, err := h.Image(context.Background(), p.Data, hashing.ForRegistration)
		if err != nil {
			t.Fatal(err)
		}
		regs = append(regs, index.Registration{Source: p.Name, Print: fp})
	}
	if _, err := db.Index.Register(context.Background(), "demo", "", regs, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	return db
}

// testCluster is an embedded server, a coordinator for a crawler and the
// worker identity's credentials file.
type testCluster struct {
	emb   *Embedded
	coord *Coordinator
	creds string
}

// startEmbedded starts an embedded NATS server with JetStream in a folder
// of the test's, listening on loopback and writing the worker identity's
// credentials file (creds), and connects to it in process as name; both
// are closed when the test ends.
func startEmbedded(t *testing.T, name string) (emb *Embedded, nc *nats.Conn, creds string) {
	t.Helper()
	dir := t.TempDir()
	creds = filepath.Join(dir, "worker.creds")
	emb, err := StartEmbedded(EmbeddedConfig{StoreDir: filepath.Join(dir, "nats"), Listen: "127.0.0.1:0", CredsFile: creds})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Shutdown)
	nc, err = emb.Connect(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return emb, nc, creds
}

// startCoordinator starts the coordinator of cfg (its Conn and Crawler
// set), closed when the test ends, and has cfg.Crawler dispatch its work
// to it and read its marks of visited pages.
func startCoordinator(t *testing.T, cfg CoordinatorConfig) *Coordinator {
	t.Helper()
	coord, err := NewCoordinator(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(coord.Close)
	cfg.Crawler.Dispatch, cfg.Crawler.Visited = coord.Dispatch, coord.VisitedPages()
	return coord
}

// startCluster starts an embedded server and a coordinator on it for c.
func startCluster(t *testing.T, c *crawler.Crawler, ackWait time.Duration, parkAfter int) *testCluster {
	t.Helper()
	emb, nc, creds := startEmbedded(t, "test coordinator")
	coord := startCoordinator(t, CoordinatorConfig{Conn: nc, Crawler: c, AckWait: ackWait, ParkAfter: parkAfter})
	return &testCluster{emb: emb, coord: coord, creds: creds}
}

// connect connects to the cluster's server over TCP with the worker
// identity as name, as a worker process does; the connection is closed
// when the test ends.
func (tc *testCluster) connect(t *testing.T, name string) *nats.Conn {
	t.Helper()
	nc, err := Connect(ConnectConfig{URL: tc.emb.ClientURL(), Creds: tc.creds, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// runWorker runs a worker over TCP with the worker identity until the test
// ends.
func (tc *testCluster) runWorker(t *testing.T, cfg WorkerConfig) {
	t.Helper()
	nc := tc.connect(t, cfg.Name) // closed after the worker stops
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	cfg.Conn = nc
	if cfg.Worker == nil {
		cfg.Worker = &crawler.Worker{Gate: GateTransport(nc, cfg.leaseSlots())}
	}
	wg.Go(func() { _ = RunWorker(ctx, cfg) })
}

// leaseSlots is the most slots at a host the worker of cfg asks for in a
// lease: none (a turn per request) for a worker made to speak a protocol
// before 6.
func (cfg *WorkerConfig) leaseSlots() int {
	if cfg.protocol1 || (cfg.protocol > 0 && cfg.protocol < 6) {
		return 0
	}
	return max(cfg.Parallel, 1)
}

func siteFor(t *testing.T, u string) *crawler.Site {
	t.Helper()
	return siteWith(t, u, "2s", "0s", 4)
}

// serveFixture serves the fixture site of cfg on loopback until the test
// ends.
func serveFixture(t *testing.T, cfg fixtures.SiteConfig) (*fixtures.Site, *httptest.Server) {
	t.Helper()
	fs, err := fixtures.NewSite(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	return fs, srv
}

// siteWith is the fixture site at u with the given request timeout,
// per-host delay (Go durations) and parallelism.
func siteWith(t *testing.T, u, timeout, delay string, parallelism int) *crawler.Site {
	t.Helper()
	cfg, err := crawler.ParseConfig("test.yaml", []byte(fmt.Sprintf(
		"sites:\n  - name: fixture\n    seeds: [%q]\n    max_depth: 5\n    allow_private: true\n    request_timeout: %s\n    delay: %s\n    parallelism: %d\n",
		u+"/", timeout, delay, parallelism)))
	if err != nil {
		t.Fatal(err)
	}
	return &cfg.Sites[0]
}

// sightings lists every alert's sightings as "case page media", sorted.
func sightings(t *testing.T, db *database.DB) []string {
	t.Helper()
	list, err := db.Alerts.Alerts(alerts.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range list {
		for _, s := range a.Sightings {
			out = append(out, a.Case+" "+path(s.PageURL)+" "+path(s.MediaURL))
		}
	}
	sort.Strings(out)
	return out
}

// reference is what a pass of a site run in one process found: what the
// same pass through a cluster must find too, whatever its workers did.
type reference struct {
	sightings []string
	stats     crawler.PassStats
}

// referencePass runs a pass of site in one process, on a database of its
// own with the fixture's known photos registered, for a pass through a
// cluster to be compared with.
func referencePass(t *testing.T, site *crawler.Site) reference {
	t.Helper()
	db := registerKnown(t)
	stats, err := (&crawler.Crawler{DB: db, Rule: hashing.DefaultRule()}).Pass(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	return reference{sightings: sightings(t, db), stats: stats}
}

// sameSightings returns db's sightings and ends the test unless they are
// exactly the reference pass's, and that pass found some (one that found
// none would compare nothing); how says how db's pass ran.
func (ref reference) sameSightings(t *testing.T, db *database.DB, how string) []string {
	t.Helper()
	got, want := sightings(t, db), ref.sightings
	if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("sightings %s differ from one process\n got %d: %v\nwant %d: %v", how, len(got), got, len(want), want)
	}
	return got
}

// sameCounts fails the test unless stats counted what the reference pass
// did, its errors included; how says how the pass of stats ran.
func (ref reference) sameCounts(t *testing.T, stats crawler.PassStats, how string) {
	t.Helper()
	if stats.Counts != ref.stats.Counts || fmt.Sprint(stats.Errors) != fmt.Sprint(ref.stats.Errors) {
		t.Errorf("pass %s counted %+v %v\none process counted %+v %v", how, stats.Counts, stats.Errors, ref.stats.Counts, ref.stats.Errors)
	}
}

func path(u string) string {
	if i := strings.Index(u, "//"); i >= 0 {
		if j := strings.Index(u[i+2:], "/"); j >= 0 {
			return u[i+2+j:]
		}
	}
	return u
}

// TestDuplicateResultsCommitNothingTwice crawls the fixture site through
// JetStream with a worker that publishes every result twice, as a worker
// killed between publishing a result and acking its job does once its job
// is redelivered. The alerts and sightings are exactly those of the same
// pass run in one process, and the coordinator counted the duplicates it
// dropped.
func TestDuplicateResultsCommitNothingTwice(t *testing.T) {
	fs, srv := serveFixture(t, fixtures.SiteConfig{Hostile: true})
	ref := referencePass(t, siteFor(t, srv.URL))

	db := registerKnown(t)
	c := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule()}
	tc := startCluster(t, c, 5*time.Second, 0)
	tc.runWorker(t, WorkerConfig{Name: "dup", Parallel: 8, dupResults: true})
	stats, err := c.Pass(context.Background(), siteFor(t, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	got := ref.sameSightings(t, db, "over JetStream")
	truth := map[string]bool{}
	for _, r := range fs.Truth() {
		truth["demo "+r.Page+" "+r.Media] = true
	}
	for _, s := range got {
		if !truth[s] {
			t.Errorf("false alert %s", s)
		}
	}
	if len(truth) != len(got) {
		t.Errorf("%d sightings, %d planted re-uploads", len(got), len(truth))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		qs, err := tc.coord.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if qs.Duplicates > 0 && qs.Duplicates == int64(qs.Workers[0].Results)/2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue stats %+v: want every second result dropped as a duplicate", qs)
		}
		<-time.After(10 * time.Millisecond)
	}
	ref.sameCounts(t, stats, "over JetStream")
}

// TestAPoisonItemIsParked has every worker die on one media URL: after
// ParkAfter deliveries the next worker parks it instead of processing it,
// the pass finishes, and the site's status shows the parked URL.
func TestAPoisonItemIsParked(t *testing.T) {
	fs, srv := serveFixture(t, fixtures.SiteConfig{})
	truth := fs.Truth()
	poison := truth[0].Media

	db := registerKnown(t)
	c := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule()}
	tc := startCluster(t, c, time.Second, 2)
	var mu sync.Mutex
	deliveries := 0
	tc.runWorker(t, WorkerConfig{Name: "w", Parallel: 4, ParkAfter: 2, dies: func(j *work.Job) bool {
		if path(j.Item.URL) != poison || j.Item.Kind != crawler.MediaItem {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		deliveries++
		return deliveries <= 2
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stats, err := c.Pass(ctx, siteFor(t, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Parked < 1 {
		t.Fatalf("pass stats %+v: want the poison item parked", stats)
	}
	st, _, err := db.Crawl.SiteStatus("fixture")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range st.RecentParked {
		if path(p.URL) == poison && p.Kind == "media" && strings.Contains(p.Reason, "2 times") {
			found = true
		}
	}
	if !found || st.Parked != stats.Parked || st.Running {
		t.Fatalf("site status parked %d %+v, running %v; want %s parked after 2 deliveries", st.Parked, st.RecentParked, st.Running, poison)
	}
	for _, s := range sightings(t, db) {
		if strings.HasSuffix(s, " "+poison) {
			t.Errorf("the parked item raised an alert: %s", s)
		}
	}
}

// TestTheWorkerIdentityCanOnlyPullAndSubmit checks the embedded server's
// permissions: a worker may not read, change or delete the streams, nor
// listen to results or to jobs outside its consumer.
func TestTheWorkerIdentityCanOnlyPullAndSubmit(t *testing.T) {
	tc := startCluster(t, &crawler.Crawler{}, time.Second, 0)
	errs := make(chan error, 16)
	nc, err := nats.Connect(tc.emb.ClientURL(), func() nats.Option {
		o, err := nats.NkeyOptionFromSeed(tc.creds)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}(), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := js.Consumer(ctx, workStream, workConsumer); err != nil {
		t.Fatalf("a worker cannot reach its consumer: %v", err)
	}
	if _, err := js.Stream(ctx, workStream); err == nil {
		t.Error("a worker read the work stream's info")
	}
	if err := js.DeleteStream(ctx, resultStream); err == nil {
		t.Error("a worker deleted the result stream")
	}
	// The visited bucket: watched, never written or deleted.
	ctx, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	kv, err := js.KeyValue(ctx, visitedBucket)
	if err != nil {
		t.Fatalf("a worker cannot open the visited bucket: %v", err)
	}
	w, err := kv.Watch(ctx, "v.>")
	if err != nil {
		t.Fatalf("a worker cannot watch the visited bucket: %v", err)
	}
	select {
	case <-w.Updates():
	case <-ctx.Done():
		t.Fatal("a worker's watch of the visited bucket never started")
	}
	_ = w.Stop()
	pctx, pcancel := context.WithTimeout(ctx, time.Second)
	if _, err := kv.Put(pctx, "v.site.page", []byte("1")); err == nil {
		t.Error("a worker wrote a visited mark")
	}
	pcancel()
	dctx, dcancel := context.WithTimeout(ctx, time.Second)
	if err := js.DeleteKeyValue(dctx, visitedBucket); err == nil {
		t.Error("a worker deleted the visited bucket")
	}
	dcancel()
	for len(errs) > 0 {
		<-errs // the refused publish of the mark
	}
	if _, err := nc.Subscribe("hw.results.>", func(*nats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, nats.ErrPermissionViolation) && !strings.Contains(strings.ToLower(err.Error()), "permission") {
			t.Fatalf("subscribing to results: %v, want a permissions violation", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a worker subscribed to everyone's results")
	}
}

// arrivals records when each request reached a handler and the most in
// flight at once.
type arrivals struct {
	h      http.Handler
	mu     sync.Mutex
	now    int
	max    int
	starts []time.Time
	paths  []string
}

func (a *arrivals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.now++
	a.max = max(a.max, a.now)
	a.starts = append(a.starts, time.Now())
	a.paths = append(a.paths, r.URL.Path)
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.now--
		a.mu.Unlock()
	}()
	a.h.ServeHTTP(w, r)
}

// TestPolitenessHoldsAcrossWorkers crawls with two workers, each with its
// own polite transport, and measures at the server: the site's
// parallelism and delay hold for the two together, because every request
// takes its turn from the coordinator's gate.
func TestPolitenessHoldsAcrossWorkers(t *testing.T) {
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &arrivals{h: fs}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	site := siteWith(t, srv.URL, "2s", "50ms", 1)
	c := &crawler.Crawler{DB: registerKnown(t), Rule: hashing.DefaultRule()}
	tc := startCluster(t, c, 5*time.Second, 0)
	tc.runWorker(t, WorkerConfig{Name: "a", Parallel: 4})
	tc.runWorker(t, WorkerConfig{Name: "b", Parallel: 4})
	if _, err := c.Pass(context.Background(), site); err != nil {
		t.Fatal(err)
	}
	qs, err := tc.coord.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(qs.Workers) != 2 {
		t.Fatalf("workers %+v: want both to have crawled", qs.Workers)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.max != 1 {
		t.Errorf("%d requests in flight at once, want 1 (parallelism 1 for all workers together)", rec.max)
	}
	minGap := time.Hour
	for i := 1; i < len(rec.starts); i++ {
		if gap := rec.starts[i].Sub(rec.starts[i-1]); gap < minGap {
			minGap = gap
			t.Logf("%v between %s and %s", gap, rec.paths[i-1], rec.paths[i])
		}
	}
	// The gate spaces turns by the delay; a turn reaches the server a
	// little after it is granted, with a little jitter.
	if minGap < 40*time.Millisecond {
		t.Errorf("two requests arrived %v apart, want about the 50ms delay or more", minGap)
	}
	t.Logf("%d requests, at most %d at once, closest %v apart; results per worker %+v", len(rec.starts), rec.max, minGap, qs.Workers)
}

// TestAProtocol1WorkerStillWorks crawls through a worker that sends its
// match requests as JSON, as workers built before protocol 2 do: the
// coordinator reads them, and the alerts are those of one process.
func TestAProtocol1WorkerStillWorks(t *testing.T) {
	_, srv := serveFixture(t, fixtures.SiteConfig{})
	ref := referencePass(t, siteFor(t, srv.URL))
	db := registerKnown(t)
	c := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule()}
	tc := startCluster(t, c, 5*time.Second, 0)
	tc.runWorker(t, WorkerConfig{Name: "old", Parallel: 4, protocol1: true})
	if _, err := c.Pass(context.Background(), siteFor(t, srv.URL)); err != nil {
		t.Fatal(err)
	}
	ref.sameSightings(t, db, "through a protocol 1 worker")
}

// TestAWorkerRefusesJobsOfANewerCoordinator hands a worker a job in a
// protocol newer than its own: it stops with ErrProtocol, which says to
// upgrade it, and leaves the job in the queue for another worker.
func TestAWorkerRefusesJobsOfANewerCoordinator(t *testing.T) {
	c := &crawler.Crawler{DB: registerKnown(t), Rule: hashing.DefaultRule()}
	tc := startCluster(t, c, 5*time.Second, 0)
	nc, err := tc.emb.Connect("test publisher")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	data, err := json.Marshal(jobMsg{Epoch: "future", Key: 1, Proto: Protocol + 1,
		Job: &work.Job{Site: "fixture", Pass: 1, Item: work.Item{Kind: work.MediaItem, URL: "http://127.0.0.1:1/a.jpg"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "hw.work.media", data); err != nil {
		t.Fatal(err)
	}
	wc := tc.connect(t, "old worker")
	err = RunWorker(ctx, WorkerConfig{Conn: wc, Name: "old", Parallel: 2, Worker: &crawler.Worker{}})
	if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), "upgrade hashwatch worker") {
		t.Fatalf("RunWorker returned %v; want ErrProtocol saying to upgrade the worker", err)
	}
	s, err := js.Stream(ctx, workStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("the work stream holds %d jobs; want the refused job still there", info.State.Msgs)
	}
}

// TestAKilledWorkersTurnsGoBack kills (closes) a worker's connection while
// its requests for turns at a host of parallelism 1 wait behind another
// worker's request: the coordinator finds it gone and gives its turns
// back, so the pass goes on within seconds instead of waiting out each
// turn's hold (the request timeout and 30 s, here 60 s) one after another.
func TestAKilledWorkersTurnsGoBack(t *testing.T) {
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	first, unblock := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(first); <-unblock })
		fs.ServeHTTP(w, r)
	}))
	defer srv.Close()
	var unblockOnce sync.Once
	defer unblockOnce.Do(func() { close(unblock) })
	site := siteWith(t, srv.URL, "30s", "0s", 1)
	c := &crawler.Crawler{DB: registerKnown(t), Rule: hashing.DefaultRule()}
	tc := startCluster(t, c, time.Minute, 0)
	tc.runWorker(t, WorkerConfig{Name: "a", Parallel: 2})
	start := time.Now()
	await := passInBackground(c, site)
	<-first // worker a holds the host's one turn until unblocked

	ghost := tc.connect(t, "ghost")
	req, _ := json.Marshal(gateRequest{Site: "fixture", Pass: 1, Host: strings.TrimPrefix(srv.URL, "http://"), HoldMS: 30_000})
	var asked sync.WaitGroup
	for range 4 {
		asked.Go(func() { _, _ = ghost.Request(gateAcquire, req, gateWait) })
	}
	// Every request sent (the server has them) before the worker dies.
	for deadline := time.Now().Add(10 * time.Second); ghost.Stats().OutMsgs < 4; {
		if time.Now().After(deadline) {
			t.Fatal("the ghost's requests were not sent")
		}
		runtime.Gosched()
	}
	if err := ghost.Flush(); err != nil {
		t.Fatal(err)
	}
	ghost.Close()
	asked.Wait()
	unblockOnce.Do(func() { close(unblock) })
	await(t, start, "turns")
}

// passInBackground starts c's pass of site, and the function it returns
// waits for the pass after a worker holding what (its turns or leases,
// each held 60 s or more) was killed at start: the pass must end within
// 30 s of it, the coordinator having seen the worker gone.
func passInBackground(c *crawler.Crawler, site *crawler.Site) func(t *testing.T, start time.Time, what string) crawler.PassStats {
	type passed struct {
		res crawler.PassStats
		err error
	}
	done := make(chan passed, 1)
	go func() {
		res, err := c.Pass(context.Background(), site)
		done <- passed{res, err}
	}()
	return func(t *testing.T, start time.Time, what string) crawler.PassStats {
		t.Helper()
		select {
		case p := <-done:
			if p.err != nil {
				t.Fatal(p.err)
			}
			if took := time.Since(start); took > 30*time.Second {
				t.Errorf("the pass took %v after the kill: the gone worker's %s were held", took, what)
			}
			t.Logf("pass of %d pages, %d media, %v after the kill", p.res.Pages, p.res.Media, time.Since(start))
			return p.res
		case <-time.After(50 * time.Second):
			t.Fatalf("the pass did not end within 50 s: the gone worker's %s are held", what)
		}
		return crawler.PassStats{}
	}
}

// TestAStoppedWorkerParksNothing stops a worker (its context ends, as on
// SIGTERM) while it holds jobs at a slow site: the jobs it hands back
// must not bounce among its own pending pulls, each bounce a delivery,
// until another worker parks them as poison. The pass, finished by a
// second worker, parks nothing and equals a pass with no stop.
func TestAStoppedWorkerParksNothing(t *testing.T) {
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan struct{}, 64)
	var slow sync.Mutex
	slowOn := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slow.Lock()
		on := slowOn
		slow.Unlock()
		if on && strings.HasPrefix(r.URL.Path, "/page/") {
			held <- struct{}{}
			<-r.Context().Done() // until the worker gives up
			return
		}
		fs.ServeHTTP(w, r)
	}))
	defer srv.Close()
	// parallelism 1: the jobs the worker holds besides the one at the
	// server wait for a turn, as at a real site it crawls politely.
	cfg := siteWith(t, srv.URL, "2s", "0s", 1)
	c := &crawler.Crawler{DB: registerKnown(t), Rule: hashing.DefaultRule()}
	tc := startCluster(t, c, 3*time.Second, 4)
	done := make(chan crawler.PassStats, 1)
	go func() {
		res, err := c.Pass(context.Background(), cfg)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()

	nc := tc.connect(t, "stopped")
	ctx, stop := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		_ = RunWorker(ctx, WorkerConfig{Conn: nc, Name: "stopped", Parallel: 16, ParkAfter: 4,
			Worker: &crawler.Worker{Gate: GateTransport(nc, 16)}})
	}()
	<-held // the worker is on page jobs; wait until it holds several
	for deadline := time.Now().Add(30 * time.Second); ; {
		qs, err := tc.coord.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if qs.InFlight >= 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker holds %d jobs, want 6", qs.InFlight)
		}
		runtime.Gosched()
	}
	stop()
	<-stopped
	slow.Lock()
	slowOn = false
	slow.Unlock()

	tc.runWorker(t, WorkerConfig{Name: "after", Parallel: 4, ParkAfter: 4})
	select {
	case res := <-done:
		if res.Parked != 0 {
			t.Errorf("%d items parked after a worker was stopped, want 0", res.Parked)
		}
		if res.Pages != 13 {
			t.Errorf("%d pages, want the fixture's 13", res.Pages)
		}
		t.Logf("after the stop: %d pages, %d media, %d parked", res.Pages, res.Media, res.Parked)
	case <-time.After(2 * time.Minute):
		t.Fatal("the pass did not end")
	}
}
