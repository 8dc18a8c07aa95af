package natswork

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/crawler/transport"
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
