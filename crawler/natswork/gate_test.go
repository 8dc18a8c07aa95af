package natswork

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hashwatch/hashwatch/crawler/transport"
	"github.com/hashwatch/hashwatch/crawler/work"
)

// TestTheSweepEndsTurnsAndWaits checks the one sweep that replaced a
// goroutine and timers per turn: a turn past its hold goes back, a gone
// connection's turns (once their check is due) and asks end, and a live
// connection's stay.
func TestTheSweepEndsTurnsAndWaits(t *testing.T) {
	const gone, live = "_INBOX.gone.", "_INBOX.live."
	var l leases
	released := map[string]bool{}
	turn := func(name, inbox string, hold time.Duration) uint64 {
		return l.add(func() {}, func() { released[name] = true }, inbox, hold)
	}
	turn("held too long", live, time.Minute)
	turn("gone, check due", gone, time.Hour)
	turn("live, check due", live, time.Hour)
	goneCtx, goneCancel := context.WithCancel(context.Background())
	defer l.wait(gone, goneCancel, time.Hour)()
	liveCtx, liveCancel := context.WithCancel(context.Background())
	defer l.wait(live, liveCancel, time.Hour)()
	probed := map[string]int{}
	var mu sync.Mutex // probes run together
	isGone := func(inbox string) bool {
		mu.Lock()
		defer mu.Unlock()
		probed[inbox]++
		return inbox == gone
	}

	// Before any check is due, nothing is probed or ended.
	l.sweepOnce(context.Background(), time.Now(), isGone)
	if len(probed) != 0 || len(released) != 0 {
		t.Fatalf("at once: probed %v, released %v; want nothing", probed, released)
	}
	// Late enough for every check and for the first turn's hold.
	l.sweepOnce(context.Background(), time.Now().Add(2*time.Minute), isGone)
	want := map[string]bool{"held too long": true, "gone, check due": true}
	for name := range want {
		if !released[name] {
			t.Errorf("turn %q not given back", name)
		}
	}
	if released["live, check due"] {
		t.Error("a live connection's turn was given back")
	}
	if probed[gone] != 1 || probed[live] != 1 {
		t.Errorf("probes %v: want one per connection", probed)
	}
	if goneCtx.Err() == nil {
		t.Error("a gone connection's ask still waits")
	}
	if liveCtx.Err() != nil {
		t.Error("a live connection's ask was ended")
	}
}

// TestALeaseIsGivenBackInParts checks partial releases of a lease of
// slots ("id k"): it ends only once all its slots are back, and a full
// release ("id") or its hold's end ends it at once.
func TestALeaseIsGivenBackInParts(t *testing.T) {
	var l leases
	ended := map[string]bool{}
	lease := func(name string, n int, hold time.Duration) (uint64, *transport.Slots) {
		s := transport.Unlimited(n)
		return l.addSlots(s, func() { ended[name] = true }, "_INBOX.w.", hold), s
	}
	parts, ps := lease("in parts", 3, time.Hour)
	l.give(parts, 1)
	l.give(parts, 1)
	if ended["in parts"] || ps.N != 1 {
		t.Fatalf("after giving back 2 of 3 slots: ended %v, %d held; want 1 held", ended["in parts"], ps.N)
	}
	l.give(parts, 1)
	if !ended["in parts"] {
		t.Error("a lease with all its slots back did not end")
	}
	whole, _ := lease("whole", 3, time.Hour)
	l.give(whole, 0)
	if !ended["whole"] {
		t.Error("a full release did not end a lease")
	}
	lease("held too long", 3, time.Minute)
	l.sweepOnce(context.Background(), time.Now().Add(2*time.Minute), func(string) bool { return false })
	if !ended["held too long"] {
		t.Error("a lease past its hold did not end")
	}
	if len(l.held) != 0 {
		t.Errorf("%d turns or leases still held", len(l.held))
	}
}

// An ask for slots is no request's own, so no request's deadline ends it.
// A coordinator restarted while one is in flight never answers it: when
// the worker's connection is told to reconnect (ForceReconnect; the NATS
// client fails the requests in flight then, though not when its server
// goes away by itself — TestAnAskOutlivesACoordinatorRestart covers that)
// the ask must end and the request fail as the coordinator being
// unavailable, rather than wait gateWait (ten minutes) with every request
// at the host behind it. The coordinator here predates hw.gate.ask, so
// the worker asks it on hw.gate.acquire.
func TestAnAskForSlotsEndsWhenTheConnectionReconnects(t *testing.T) {
	emb, nc, creds := startEmbedded(t, "coordinator")
	asked := make(chan struct{}, 1)
	// The coordinator that will not answer: it took the ask and died.
	sub, err := nc.Subscribe(gateAcquire, func(*nats.Msg) {
		select {
		case asked <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	w, err := Connect(ConnectConfig{URL: emb.ClientURL(), Creds: creds, Name: "worker"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	sent := http.RoundTripper(roundTripFunc(func(*http.Request) (*http.Response, error) {
		t.Error("a request was sent without a slot")
		return nil, errors.New("no slot")
	}))
	rt := GateTransport(w, 4)(work.GateInfo{Site: "s", Pass: 1, Hold: time.Second}, sent)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://example.invalid/a", nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := rt.RoundTrip(req)
		errc <- err
	}()
	select {
	case <-asked:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker did not ask for slots")
	}
	start := time.Now()
	if err := w.ForceReconnect(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, work.ErrCentralUnavailable) {
			t.Errorf("request failed with %v, want the coordinator unavailable", err)
		}
		t.Logf("the ask ended %v after the reconnect: %v", time.Since(start), err)
	case <-time.After(15 * time.Second):
		t.Fatal("the ask was still waited for 15 s after the reconnect")
	}
}

// roundTripFunc is a function as an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
