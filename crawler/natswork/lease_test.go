package natswork

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/work"
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

// startIdlePass starts a cluster with no worker and its crawler's pass
// of the fixture site at a new host that answers every request 404 (one
// slot there; timeout is the site's request timeout, a Go duration). With
// no worker to take its jobs the pass, and with it the gate of its host,
// stays up until the test ends, for the test to ask that gate for slots
// itself as workers do.
func startIdlePass(t *testing.T, timeout string) (cl *testCluster, srv *httptest.Server, host string) {
	t.Helper()
	srv = httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	site := siteWith(t, srv.URL, timeout, "0s", 1)
	c := &crawler.Crawler{DB: registerKnown(t), Rule: hashing.DefaultRule()}
	cl = startCluster(t, c, time.Minute, 0)
	ctx, cancel := context.WithCancel(context.Background())
	passed := make(chan struct{})
	go func() {
		defer close(passed)
		_, _ = c.Pass(ctx, site)
	}()
	t.Cleanup(func() { cancel(); <-passed })
	return cl, srv, strings.TrimPrefix(srv.URL, "http://")
}

// gateCall sends req on subject (hw.gate.ask or hw.gate.acquire) over nc,
// as a worker asks the gate for slots, and returns the coordinator's
// reply; a request that fails or a reply that does not decode fails the
// test.
func gateCall(t *testing.T, nc *nats.Conn, subject string, req gateRequest, timeout time.Duration) gateReply {
	t.Helper()
	rep, err := tryGateCall(nc, subject, req, timeout)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// tryGateCall is gateCall returning the request's error, for a caller
// that waits for a coordinator just started to subscribe
// (nats.ErrNoResponders until it has).
func tryGateCall(nc *nats.Conn, subject string, req gateRequest, timeout time.Duration) (gateReply, error) {
	var rep gateReply
	data, err := json.Marshal(req)
	if err != nil {
		return rep, err
	}
	msg, err := nc.Request(subject, data, timeout)
	if err != nil {
		return rep, err
	}
	err = json.Unmarshal(msg.Data, &rep)
	return rep, err
}

// TestLeasedSlotsHoldTheParallelismAcrossWorkers crawls a site of
// parallelism 3 and no delay with several workers, each holding leases of
// slots (protocol 6) or asking turns, and counts at the server the
// requests in flight at once: never more than 3 for all workers together.
// The alerts are those of one process, and the coordinator granted leases
// only to workers that ask for them, turns only to the others — a
// protocol 5 worker, or any worker of a protocol 5 coordinator; workers
// ask a coordinator that predates hw.gate.ask on hw.gate.acquire.
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
	ref := referencePass(t, site)

	for _, tc := range []struct {
		name string
		// protocols of the workers (0: this build's).
		workers []int
		// oldCoordinator grants no leases, as a protocol 5 coordinator;
		// noAsks has no hw.gate.ask, as a coordinator that predates it.
		oldCoordinator, noAsks bool
		leases, turns          bool
	}{
		{"three workers holding leases", []int{0, 0, 0}, false, false, true, false},
		{"two workers holding leases", []int{0, 0}, false, false, true, false},
		{"a protocol 5 worker beside two holding leases", []int{5, 0, 0}, false, false, true, true},
		{"protocol 5 workers", []int{5, 5}, false, false, false, true},
		{"a protocol 5 coordinator", []int{0, 0}, true, true, false, true},
		{"a coordinator without hw.gate.ask", []int{0, 0}, false, true, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec.mu.Lock()
			rec.now, rec.max, rec.total = 0, 0, 0
			rec.mu.Unlock()
			db := registerKnown(t)
			c := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule()}
			emb, nc, creds := startEmbedded(t, "test coordinator")
			coord := startCoordinator(t, CoordinatorConfig{Conn: nc, Crawler: c, AckWait: 5 * time.Second, noLeases: tc.oldCoordinator, noAsks: tc.noAsks})
			cl := &testCluster{emb: emb, coord: coord, creds: creds}
			for i, proto := range tc.workers {
				cl.runWorker(t, WorkerConfig{Name: fmt.Sprintf("w%d", i), Parallel: 8, protocol: proto})
			}
			start := time.Now()
			if _, err := c.Pass(context.Background(), site); err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			ref.sameSightings(t, db, "through the cluster")
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
	_, srv := serveFixture(t, fixtures.SiteConfig{})
	site := siteWith(t, srv.URL, "30s", "0s", 2)
	c := &crawler.Crawler{DB: registerKnown(t), Rule: hashing.DefaultRule()}
	tc := startCluster(t, c, time.Minute, 0)
	await := passInBackground(c, site)

	ghost := tc.connect(t, "ghost")
	req := gateRequest{Site: "fixture", Pass: 1, Host: strings.TrimPrefix(srv.URL, "http://"), HoldMS: 30_000, Want: 8}
	var rep gateReply
	for deadline := time.Now().Add(20 * time.Second); ; {
		// Until the pass runs, the coordinator answers that it does not.
		if rep = gateCall(t, ghost, gateAcquire, req, 5*time.Second); rep.Err == "" {
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

// TestAnAskOutlivesACoordinatorRestart has a worker ask for a lease of
// slots at a host whose only slot another holds, so that the coordinator
// keeps the ask waiting, and then kills that coordinator as SIGKILL
// would: its connection closes before it can answer. The ask is then
// lost with it — a request the NATS server delivered to a process that
// died is never answered, and the NATS client fails a request in flight
// only when told to reconnect (ForceReconnect), not when its server goes
// away and comes back. A new coordinator and crawler start on the same
// database (on the same server, as with a NATS cluster of your own, or on
// a restarted embedded server, as with serve), and the worker's request
// must be answered — here granted, as the new pass's gate is free — well
// before the ask's own deadline (the site's request timeout, 30 s, and a
// lease's lifetime), at which alone it ended before. A release of the
// first coordinator's lease reaching the second ends none of its own.
func TestAnAskOutlivesACoordinatorRestart(t *testing.T) {
	for _, tc := range []struct {
		name string
		// restartServer restarts the embedded server with the
		// coordinator, as SIGKILL of serve does.
		restartServer bool
	}{
		{"coordinator restarted, server kept", false},
		{"coordinator and embedded server restarted", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, srv := serveFixture(t, fixtures.SiteConfig{})
			host := strings.TrimPrefix(srv.URL, "http://")
			site := siteWith(t, srv.URL, "30s", "0s", 1)
			db := registerKnown(t)
			dir := t.TempDir()
			ecfg := EmbeddedConfig{StoreDir: filepath.Join(dir, "nats"), Listen: "127.0.0.1:0", CredsFile: filepath.Join(dir, "worker.creds")}
			emb, err := StartEmbedded(ecfg)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { emb.Shutdown() }()

			// startCoordinator starts a coordinator and a crawler on db
			// running a pass of site with no worker taking its jobs, so
			// that the pass (and its gate) stays up.
			startCoordinator := func(name string) (coord *Coordinator, stop func()) {
				nc, err := emb.Connect(name)
				if err != nil {
					t.Fatal(err)
				}
				c := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule()}
				coord, err = NewCoordinator(context.Background(), CoordinatorConfig{Conn: nc, Crawler: c, AckWait: 5 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				c.Dispatch = coord.Dispatch
				ctx, cancel := context.WithCancel(context.Background())
				passed := make(chan struct{})
				go func() {
					defer close(passed)
					_, _ = c.Pass(ctx, site)
				}()
				return coord, func() {
					nc.Close() // first: a killed process answers nothing
					cancel()
					coord.Close()
					<-passed
				}
			}
			first, stopFirst := startCoordinator("coordinator 1")
			stopped := false
			defer func() {
				if !stopped {
					stopFirst()
				}
			}()

			connect := func(name string) *nats.Conn {
				nc, err := Connect(ConnectConfig{URL: emb.ClientURL(), Creds: ecfg.CredsFile, Name: name})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(nc.Close)
				return nc
			}
			// Another worker holds the host's only slot.
			ghost := connect("ghost")
			req := gateRequest{Site: "fixture", Pass: 1, Host: host, HoldMS: 30_000, Want: 1}
			var ghostLease uint64
			for deadline := time.Now().Add(20 * time.Second); ; {
				// The coordinator may not have subscribed yet.
				rep, err := tryGateCall(ghost, gateAcquire, req, 5*time.Second)
				if err != nil && !errors.Is(err, nats.ErrNoResponders) {
					t.Fatal(err)
				}
				if err == nil && rep.Err == "" {
					ghostLease = rep.Lease
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no lease: %v %s", err, rep.Err)
				}
				time.Sleep(20 * time.Millisecond)
			}

			w := connect("worker")
			rt := GateTransport(w, 4)(work.GateInfo{Site: "fixture", Pass: 1, Hold: 30 * time.Second}, http.DefaultTransport)
			type answer struct {
				resp *http.Response
				err  error
				at   time.Time
			}
			answered := make(chan answer, 1)
			go func() {
				r, err := http.NewRequest(http.MethodGet, srv.URL+"/robots.txt", nil)
				if err != nil {
					answered <- answer{err: err}
					return
				}
				resp, err := rt.RoundTrip(r)
				answered <- answer{resp, err, time.Now()}
			}()
			// The worker's ask waits at the first coordinator.
			for deadline := time.Now().Add(10 * time.Second); ; {
				first.gate.mu.Lock()
				n := len(first.gate.waiting)
				first.gate.mu.Unlock()
				if n > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the worker's ask never waited at the coordinator")
				}
				time.Sleep(10 * time.Millisecond)
			}

			killed := time.Now()
			stopFirst()
			stopped = true
			if tc.restartServer {
				emb.Shutdown()
				ecfg.Listen = strings.TrimPrefix(emb.ClientURL(), "nats://")
				if emb, err = StartEmbedded(ecfg); err != nil {
					t.Fatal(err)
				}
			}
			second, stopSecond := startCoordinator("coordinator 2")
			defer stopSecond()

			select {
			case a := <-answered:
				if a.err != nil {
					t.Fatalf("the request failed %v after the kill: %v", a.at.Sub(killed), a.err)
				}
				defer a.resp.Body.Close()
				t.Logf("the request was granted %v after the kill", a.at.Sub(killed))
			case <-time.After(10 * time.Second):
				t.Fatal("the request was still waiting for its ask 10 s after the kill")
			}
			// The ghost gives its lease of the first coordinator back to
			// the second, which must not take it for one of its own: the
			// worker's, in use, stays held.
			if err := ghost.Publish(gateRelease, []byte(strconv.FormatUint(ghostLease, 10))); err != nil {
				t.Fatal(err)
			}
			if err := ghost.Flush(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
			second.gate.mu.Lock()
			held := len(second.gate.held)
			second.gate.mu.Unlock()
			if held != 1 {
				t.Errorf("after a release of the first coordinator's lease %d the second holds %d leases, want the worker's", ghostLease, held)
			}
		})
	}
}

// TestSlotsOfAnAskGivenUpGoBackPromptly has the gate grant a host's
// slots to an ask on hw.gate.ask whose worker never got them, and another
// worker must have them within a few seconds rather than after the
// lease's hold (the request timeout, 30 s and a lease's 3 s: 63 s here):
// an ask no attempt of which comes any more is given up after askGrace,
// and a worker that gives up an ask whose grant was answered but lost
// says so. A worker that asks again after its answer was lost gets the
// same lease, not a second one; an attempt that comes after its ask was
// given up makes no new one.
func TestSlotsOfAnAskGivenUpGoBackPromptly(t *testing.T) {
	for _, tc := range []struct {
		name string
		// lost sends an attempt once the holder's slots are back whose
		// answer nobody receives; giveUp then says the ask was given
		// up, again asks again instead.
		lost, giveUp, again bool
		within              time.Duration
	}{
		{name: "no attempt after the ask waited", within: askGrace + 3*gateSweepEvery},
		{name: "the grant's answer lost, the ask given up", lost: true, giveUp: true, within: 2 * time.Second},
		{name: "the grant's answer lost, the ask asked again", lost: true, again: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl, _, host := startIdlePass(t, "30s")
			ask := func(nc *nats.Conn, id string) gateReply {
				t.Helper()
				return gateCall(t, nc, gateAsk, gateRequest{Site: "fixture", Pass: 1, Host: host, HoldMS: 30_000, Want: 2, Ask: id}, askPoll+askSlack)
			}
			// The holder takes the host's only slot, once the pass runs.
			holder := cl.connect(t, "holder")
			var held gateReply
			for deadline := time.Now().Add(20 * time.Second); ; {
				if held = ask(holder, "holder"); held.Err == "" && !held.Pending {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no lease: %+v", held)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if held.Slots != 1 {
				t.Fatalf("the holder has %d slots, want the one", held.Slots)
			}
			// Worker b asks and waits: not yet.
			b := cl.connect(t, "b")
			if rep := ask(b, "b"); !rep.Pending {
				t.Fatalf("b's first attempt was answered %+v, want Pending", rep)
			}
			if err := holder.Publish(gateRelease, []byte(strconv.FormatUint(held.Lease, 10))); err != nil {
				t.Fatal(err)
			}
			// answered is the lease b's lost attempt was answered, 0 until
			// then.
			answered := func() uint64 {
				cl.coord.gate.mu.Lock()
				defer cl.coord.gate.mu.Unlock()
				if a := cl.coord.gate.asks["b"]; a != nil && a.answered {
					return a.rep.Lease
				}
				return 0
			}
			if tc.lost {
				data, _ := json.Marshal(gateRequest{Site: "fixture", Pass: 1, Host: host, HoldMS: 30_000, Want: 2, Ask: "b"})
				if err := b.PublishRequest(gateAsk, b.NewRespInbox(), data); err != nil {
					t.Fatal(err)
				}
				for deadline := time.Now().Add(10 * time.Second); answered() == 0; {
					if time.Now().After(deadline) {
						t.Fatal("b's lost attempt was not answered")
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			if tc.again {
				lost := answered()
				rep := ask(b, "b")
				if rep.Slots != 1 || rep.Lease != lost {
					t.Fatalf("b asked again and got %+v, want lease %d of the slot", rep, lost)
				}
				if n := cl.coord.leasesGranted.Load(); n != 2 {
					t.Errorf("%d leases granted, want the holder's and b's only", n)
				}
				return
			}
			if tc.giveUp {
				if err := b.Publish(gateRelease, []byte("ask b")); err != nil {
					t.Fatal(err)
				}
			}
			start := time.Now()
			other := cl.connect(t, "other")
			for {
				rep := ask(other, "other")
				if rep.Err != "" {
					t.Fatalf("other's ask failed: %s", rep.Err)
				}
				if !rep.Pending {
					if rep.Slots != 1 {
						t.Errorf("other has %d slots, want the one", rep.Slots)
					}
					break
				}
			}
			took := time.Since(start)
			if took > tc.within {
				t.Errorf("the slots b never got were another's %v later, want within %v", took, tc.within)
			}
			t.Logf("the slots b never got were another's %v later", took)
			// An attempt of b's ask that comes late makes no new ask.
			if rep := ask(b, "b"); rep.Err == "" {
				t.Errorf("a late attempt of the ask given up was answered %+v, want that it ended", rep)
			}
		})
	}
}

// TestAWorkerThatGivesUpAnAskSaysSo has a worker's ask for slots wait at
// a host whose only slot another holds until the ask's deadline (the
// site's request timeout, 1 s here, and a lease's lifetime): its request
// fails as the coordinator unavailable, and the worker tells the
// coordinator it gave the ask up, which forgets it at once rather than
// after askGrace, so that the slot, once back, is nobody's.
func TestAWorkerThatGivesUpAnAskSaysSo(t *testing.T) {
	cl, srv, host := startIdlePass(t, "1s")
	holder := cl.connect(t, "holder")
	for deadline := time.Now().Add(20 * time.Second); ; {
		rep := gateCall(t, holder, gateAsk, gateRequest{Site: "fixture", Pass: 1, Host: host, HoldMS: 1000, Want: 1, Ask: "holder"}, askPoll+askSlack)
		if rep.Slots == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no lease: %+v", rep)
		}
		time.Sleep(20 * time.Millisecond)
	}

	w := cl.connect(t, "worker")
	rt := GateTransport(w, 4)(work.GateInfo{Site: "fixture", Pass: 1, Hold: time.Second}, http.DefaultTransport)
	r, err := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := rt.RoundTrip(r); !errors.Is(err, work.ErrCentralUnavailable) {
		t.Fatalf("the request ended with %v after %v, want the coordinator unavailable", err, time.Since(start))
	}
	t.Logf("the ask was given up after %v", time.Since(start))
	deadline := time.Now().Add(askGrace / 3)
	for {
		cl.coord.gate.mu.Lock()
		n := len(cl.coord.gate.asks)
		cl.coord.gate.mu.Unlock()
		if n == 1 { // the holder's
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v after the worker gave its ask up, the coordinator still has it", askGrace/3)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
