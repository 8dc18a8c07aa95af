package natswork

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// inFlight counts the requests its handler serves at once. A request
// counts as done before its response is written, so a client that has its
// response — and may give its slot back for another request — has always
// been counted out: no request is counted twice at once, as one still
// counted while its handler returns would be.
type inFlight struct {
	h               http.Handler
	mu              sync.Mutex
	now, max, total int
}

func (f *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.now++
	f.total++
	f.max = max(f.max, f.now)
	f.mu.Unlock()
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, r)
	f.mu.Lock()
	f.now--
	f.mu.Unlock()
	maps.Copy(w.Header(), rec.Header())
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// TestLeasedSlotsHoldTheParallelismAcrossWorkers crawls a site of
// parallelism 3 and no delay with several workers, each holding leases of
// slots (protocol 6) or asking turns, and counts at the server the
// requests in flight at once: never more than 3 for all workers together.
// The alerts are those of one process, and the coordinator granted leases
// only to workers that ask for them, turns only to the others — a
// protocol 5 worker, or any worker of a protocol 5 coordinator.
func TestLeasedSlotsHoldTheParallelismAcrossWorkers(t *testing.T) {
	const parallelism = 3
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// Each response takes a little while, so that the workers' requests
	// overlap and press on the parallelism.
	rec := &inFlight{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(3 * time.Millisecond)
		fs.ServeHTTP(w, r)
	})}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	site := siteWith(t, srv.URL, "5s", "0s", parallelism)
	ref := registerKnown(t)
	if _, err := (&crawler.Crawler{DB: ref, Rule: hashing.DefaultRule()}).Pass(context.Background(), site); err != nil {
		t.Fatal(err)
	}
	want := sightings(t, ref)

	for _, tc := range []struct {
		name string
		// protocols of the workers (0: this build's).
		workers []int
		// oldCoordinator grants no leases, as a protocol 5 coordinator.
		oldCoordinator bool
		leases, turns  bool
	}{
		{"three workers holding leases", []int{0, 0, 0}, false, true, false},
		{"two workers holding leases", []int{0, 0}, false, true, false},
		{"a protocol 5 worker beside two holding leases", []int{5, 0, 0}, false, true, true},
		{"protocol 5 workers", []int{5, 5}, false, false, true},
		{"a protocol 5 coordinator", []int{0, 0}, true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec.mu.Lock()
			rec.now, rec.max, rec.total = 0, 0, 0
			rec.mu.Unlock()
			db := registerKnown(t)
			c := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule()}
			emb, nc, creds := startEmbedded(t, "test coordinator")
			coord := startCoordinator(t, CoordinatorConfig{Conn: nc, Crawler: c, AckWait: 5 * time.Second, noLeases: tc.oldCoordinator})
			cl := &testCluster{emb: emb, coord: coord, creds: creds}
			for i, proto := range tc.workers {
				cl.runWorker(t, WorkerConfig{Name: fmt.Sprintf("w%d", i), Parallel: 8, protocol: proto})
			}
			start := time.Now()
			if _, err := c.Pass(context.Background(), site); err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			if got := sightings(t, db); len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("sightings differ from one process\n got %d: %v\nwant %d: %v", len(got), got, len(want), want)
			}
			rec.mu.Lock()
			most, requests := rec.max, rec.total
			rec.mu.Unlock()
			if most > parallelism {
				t.Errorf("%d requests in flight at once, want at most %d (the site's parallelism for all workers together)", most, parallelism)
			}
			leases, slots, turns := coord.leasesGranted.Load(), coord.slotsLeased.Load(), coord.turnsGranted.Load()
			if (leases > 0) != tc.leases || (turns > 0) != tc.turns {
				t.Errorf("the coordinator granted %d leases and %d turns; want leases %v, turns %v", leases, turns, tc.leases, tc.turns)
			}
			t.Logf("pass in %v: %d requests, at most %d at once; %d leases of %d slots, %d turns", took, requests, most, leases, slots, turns)
		})
	}
}

// TestAKilledWorkersLeaseGoesBack has a worker take a lease of both slots
// of a host and die (its connection closed) without giving them back: the
// coordinator finds it gone and takes the slots back, so the pass goes on
// within seconds instead of waiting out the lease's hold (its time, the
// request timeout and 30 s: 63 s here).
func TestAKilledWorkersLeaseGoesBack(t *testing.T) {
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	site := siteWith(t, srv.URL, "30s", "0s", 2)
	c := &crawler.Crawler{DB: registerKnown(t), Rule: hashing.DefaultRule()}
	tc := startCluster(t, c, time.Minute, 0)
	await := passInBackground(c, site)

	ghost, err := Connect(ConnectConfig{URL: tc.emb.ClientURL(), Creds: tc.creds, Name: "ghost"})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := json.Marshal(gateRequest{Site: "fixture", Pass: 1, Host: strings.TrimPrefix(srv.URL, "http://"), HoldMS: 30_000, Want: 8})
	var rep gateReply
	for deadline := time.Now().Add(20 * time.Second); ; {
		// Until the pass runs, the coordinator answers that it does not.
		msg, err := ghost.Request(gateAcquire, req, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		rep = gateReply{}
		if err := json.Unmarshal(msg.Data, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Err == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no lease: %s", rep.Err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if rep.Slots != 2 || rep.TTLMS != leaseTTL.Milliseconds() {
		t.Fatalf("leased %d slots for %d ms, want both for %v", rep.Slots, rep.TTLMS, leaseTTL)
	}
	ghost.Close() // killed holding both slots
	start := time.Now()
	tc.runWorker(t, WorkerConfig{Name: "a", Parallel: 4})

	await(t, start, "leased slots")
	// Every lease went back, and with it every count of interest.
	time.Sleep(leaseIdle + 50*time.Millisecond)
	tc.coord.gate.mu.Lock()
	held, interest := len(tc.coord.gate.held), len(tc.coord.gate.interest)
	tc.coord.gate.mu.Unlock()
	if held != 0 || interest != 0 {
		t.Errorf("after the pass the coordinator still counts %d turns or leases held and %d hosts with interest", held, interest)
	}
}

// TestACrawlDelaySpacesLeasingWorkers crawls a site with no delay of its
// own whose robots.txt asks for a Crawl-delay, with two workers that hold
// leases of slots where no delay spaces a host: once a worker has read
// the Crawl-delay it asks turns, and the coordinator spaces them, so every
// request but the robots.txt fetches themselves (sent, as before leases,
// before anyone knew the delay) arrives at least the delay after the one
// before.
func TestACrawlDelaySpacesLeasingWorkers(t *testing.T) {
	const crawlDelay = 60 * time.Millisecond
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &arrivals{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			fmt.Fprintf(w, "User-agent: *\nCrawl-delay: %g\nAllow: /\n", crawlDelay.Seconds())
			return
		}
		fs.ServeHTTP(w, r)
	})}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	site := siteWith(t, srv.URL, "5s", "0s", 4)
	c := &crawler.Crawler{DB: registerKnown(t), Rule: hashing.DefaultRule()}
	tc := startCluster(t, c, 5*time.Second, 0)
	tc.runWorker(t, WorkerConfig{Name: "a", Parallel: 4})
	tc.runWorker(t, WorkerConfig{Name: "b", Parallel: 4})
	res, err := c.Pass(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 13 {
		t.Errorf("%d pages, want the fixture's 13", res.Pages)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	minGap := time.Hour
	for i := 1; i < len(rec.starts); i++ {
		if rec.paths[i] == "/robots.txt" || rec.paths[i-1] == "/robots.txt" {
			continue
		}
		if gap := rec.starts[i].Sub(rec.starts[i-1]); gap < minGap {
			minGap = gap
			t.Logf("%v between %s and %s", gap, rec.paths[i-1], rec.paths[i])
		}
	}
	if minGap < crawlDelay-10*time.Millisecond {
		t.Errorf("two requests arrived %v apart, want about the %v Crawl-delay or more", minGap, crawlDelay)
	}
	t.Logf("%d requests, at most %d at once, closest %v apart; %d leases, %d turns", len(rec.starts), rec.max, minGap,
		tc.coord.leasesGranted.Load(), tc.coord.turnsGranted.Load())
}
