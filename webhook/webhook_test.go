package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var secret = []byte("0123456789abcdef-test-secret")

// receiver is a loopback webhook receiver that verifies every signature,
// fails the first failFirst deliveries with 503, and counts successes per
// event ID.
type receiver struct {
	srv       *httptest.Server
	failFirst int

	mu        sync.Mutex
	requests  int
	badSig    int
	successes map[uint64]int
	events    []Event
	got       chan struct{}
}

func newReceiver(t *testing.T, failFirst int) *receiver {
	r := &receiver{failFirst: failFirst, successes: map[uint64]int{}, got: make(chan struct{}, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if err := Verify(secret, req.Header.Get(HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
		r.badSig++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if r.requests <= r.failFirst {
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil || req.Header.Get(HeaderEvent) != ev.Type {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	r.successes[ev.ID]++
	r.events = append(r.events, ev)
	select {
	case r.got <- struct{}{}:
	default:
	}
}

// waitSuccesses waits until n deliveries succeeded.
func (r *receiver) waitSuccesses(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		got := len(r.events)
		r.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("%d of %d deliveries succeeded", got, n)
		}
	}
}

func openQueue(t *testing.T, path, url string, change func(*Config)) *Queue {
	t.Helper()
	cfg := Config{URL: url, Secret: secret, Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Timeout: 5 * time.Second}
	if change != nil {
		change(&cfg)
	}
	q, err := Open(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() }) // after running's stop, registered later
	return q
}

// running runs q until the test (or stop) ends and waits for it.
func running(t *testing.T, q *Queue) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestAReceiverThatFailsGetsTheEventOnceItSucceeds(t *testing.T) {
	for _, failures := range []int{0, 1, 4} {
		t.Run(fmt.Sprintf("after %d failures", failures), func(t *testing.T) {
			rcv := newReceiver(t, failures)
			q := openQueue(t, filepath.Join(t.TempDir(), "q.db"), rcv.srv.URL, nil)
			stop := running(t, q)
			if err := q.Enqueue(Event{Type: AlertNew, AlertID: 7, Site: "board", Status: "new", MediaURL: "https://board.example/m.jpg"}); err != nil {
				t.Fatal(err)
			}
			rcv.waitSuccesses(t, 1)
			stop()
			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			if rcv.requests != failures+1 || rcv.badSig != 0 || len(rcv.successes) != 1 || rcv.successes[1] != 1 {
				t.Errorf("requests %d, bad signatures %d, successes %v", rcv.requests, rcv.badSig, rcv.successes)
			}
			if ev := rcv.events[0]; ev.AlertID != 7 || ev.Type != AlertNew || ev.MediaURL != "https://board.example/m.jpg" {
				t.Errorf("event %+v", ev)
			}
			if p, _ := q.Pending(); len(p) != 0 {
				t.Errorf("still pending: %+v", p)
			}
		})
	}
}

func TestAnUndeliveredEventSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	down := newReceiver(t, 1<<30) // answers 503 to everything
	q := openQueue(t, path, down.srv.URL, nil)
	stop := running(t, q)
	if err := q.Enqueue(Event{Type: AlertRemoved, AlertID: 3}); err != nil {
		t.Fatal(err)
	}
	// Wait until it was tried at least once, then stop "the process".
	deadline := time.Now().Add(10 * time.Second)
	for {
		down.mu.Lock()
		n := down.requests
		down.mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		<-time.After(time.Millisecond)
	}
	stop()
	q.Close()

	up := newReceiver(t, 0)
	q = openQueue(t, path, up.srv.URL, nil)
	running(t, q)
	up.waitSuccesses(t, 1)
	if ev := up.events[0]; ev.AlertID != 3 || ev.Type != AlertRemoved {
		t.Errorf("after the restart the receiver got %+v", ev)
	}
}

func TestTheQueueIsBounded(t *testing.T) {
	q := openQueue(t, filepath.Join(t.TempDir(), "q.db"), "http://127.0.0.1:1/", func(c *Config) { c.MaxQueue = 2 })
	if err := q.Enqueue(Event{Type: AlertNew, AlertID: 1}, Event{Type: AlertNew, AlertID: 2}, Event{Type: AlertNew, AlertID: 3}); err != nil {
		t.Fatal(err)
	}
	p, _ := q.Pending()
	d, _ := q.Dropped()
	if len(p) != 2 || p[0].AlertID != 1 || d != 1 {
		t.Errorf("pending %+v, dropped %d", p, d)
	}
}

func TestAnEventIsDroppedAfterItsLastAttempt(t *testing.T) {
	down := newReceiver(t, 1<<30)
	q := openQueue(t, filepath.Join(t.TempDir(), "q.db"), down.srv.URL, func(c *Config) { c.MaxAttempts = 3 })
	running(t, q)
	if err := q.Enqueue(Event{Type: AlertNew, AlertID: 1}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if d, _ := q.Dropped(); d == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not dropped")
		}
		<-time.After(time.Millisecond)
	}
	down.mu.Lock()
	defer down.mu.Unlock()
	if down.requests != 3 {
		t.Errorf("%d attempts, want 3", down.requests)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":1}`)
	now := time.Unix(1_800_000_000, 0)
	good := Sign(secret, body, now)
	for _, tc := range []struct {
		name, header string
		body         []byte
		at           time.Time
		ok           bool
	}{
		{"the signature made for the body", good, body, now, true},
		{"a changed body", good, []byte(`{"id":2}`), now, false},
		{"another secret", Sign([]byte("another-secret-of-16+"), body, now), body, now, false},
		{"a replay ten minutes later", good, body, now.Add(10 * time.Minute), false},
		{"a header without timestamp", "v1=00", body, now, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(secret, tc.header, tc.body, tc.at, 5*time.Minute)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrSignature)) {
				t.Errorf("Verify: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestConfigIsChecked(t *testing.T) {
	for _, c := range []Config{{URL: "ftp://x/", Secret: secret}, {URL: "https://hooks.example/", Secret: []byte("short")}} {
		if _, err := Open(filepath.Join(t.TempDir(), "q.db"), c); err == nil {
			t.Errorf("Open(%q, %d-byte secret) succeeded", c.URL, len(c.Secret))
		}
	}
}
