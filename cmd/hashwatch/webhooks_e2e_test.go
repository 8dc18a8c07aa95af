package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/webhook"
)

// hookReceiver is a centre's webhook endpoint on loopback: it checks each
// delivery's signature as the README tells receivers to, fails the first
// attempts it is told to (and every attempt while down), and keeps what
// it accepted by delivery ID, deduplicating as a receiver must.
type hookReceiver struct {
	t      *testing.T
	secret []byte

	mu        sync.Mutex
	failFirst int  // requests still to fail
	down      bool // fail every request
	attempts  []hookAttempt
	got       map[uint64]webhook.Event
	changed   chan struct{}
}

type hookAttempt struct {
	delivery uint64
	typ      string
	alert    uint64
	ok       bool
}

func newHookReceiver(t *testing.T, secret []byte, failFirst int) *hookReceiver {
	return &hookReceiver{t: t, secret: secret, failFirst: failFirst, got: map[uint64]webhook.Event{}, changed: make(chan struct{}, 1)}
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	if err := webhook.Verify(h.secret, r.Header.Get(webhook.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
		h.t.Errorf("delivery %s: %v", body, err)
		http.Error(w, "bad signature", 401)
		return
	}
	var ev webhook.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		h.t.Errorf("delivery %s: %v", body, err)
		http.Error(w, "bad body", 400)
		return
	}
	if r.Header.Get(webhook.HeaderEvent) != ev.Type || r.Header.Get(webhook.HeaderDelivery) != strconv.FormatUint(ev.ID, 10) {
		h.t.Errorf("headers %v do not name event %s", r.Header, body)
	}
	h.mu.Lock()
	ok := !h.down && h.failFirst == 0
	if h.failFirst > 0 {
		h.failFirst--
	}
	h.attempts = append(h.attempts, hookAttempt{delivery: ev.ID, typ: ev.Type, alert: ev.AlertID, ok: ok})
	if ok {
		h.got[ev.ID] = ev
	}
	h.mu.Unlock()
	select {
	case h.changed <- struct{}{}:
	default:
	}
	if !ok {
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookReceiver) setDown(down bool) {
	h.mu.Lock()
	h.down = down
	h.mu.Unlock()
}

// delivered lists the accepted events as "type alertID", sorted.
func (h *hookReceiver) delivered() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, ev := range h.got {
		out = append(out, fmt.Sprintf("%s %d", ev.Type, ev.AlertID))
	}
	slices.Sort(out)
	return out
}

// waitFor waits until cond holds of the receiver, or fails after a minute.
func (h *hookReceiver) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(time.Minute)
	for !cond() {
		select {
		case <-h.changed:
		case <-time.After(100 * time.Millisecond): // a condition polled with a deadline
		case <-deadline:
			h.t.Fatalf("no %s within a minute; delivered: %v", what, h.delivered())
		}
	}
}

func (h *hookReceiver) has(want ...string) bool {
	got := h.delivered()
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// TestWebhooksThroughServe runs the real binary with a webhook to a
// receiver on loopback: a crawl of the fixture site raises alerts, an
// operator decides some through the API, and the receiver gets every event
// once, signed, although it refused the first attempts; an event whose
// delivery was failing when serve stopped, and a decision made on the
// command line while serve was down, both arrive after serve restarts.
func TestWebhooksThroughServe(t *testing.T) {
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(fs)
	defer site.Close()
	secret := []byte("a-shared-secret-of-32-bytes-long")
	recv := newHookReceiver(t, secret, 2)
	hooks := httptest.NewServer(recv)
	defer hooks.Close()

	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	sites := filepath.Join(dir, "sites.yaml")
	yaml := fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q]\n    allow_private: true\n    delay: 0s\n    interval: 1h\n", site.URL+"/")
	secretFile := filepath.Join(dir, "webhook.secret")
	for p, content := range map[string]string{sites: yaml, secretFile: string(secret) + "\n"} {
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, errOut, code := cli(t, db, "register", "--case", "demo", filepath.Join("..", "..", "fixtures", "photos", "known")); code != 0 {
		t.Fatalf("register: %s", errOut)
	}
	if _, errOut, code := cliIn(t, db, "correct horse\n", "user", "add", "kim", "--role", "operator"); code != 0 {
		t.Fatal(errOut)
	}
	token, _, _ := cli(t, db, "user", "token", "kim")
	token = strings.TrimSpace(token)
	hookFlags := []string{"--webhook-url", hooks.URL + "/hashwatch", "--webhook-secret-file", secretFile, "--webhook-poll", "100ms", "--webhook-retry", "200ms"}

	srv := startServe(t, db, sites, hookFlags...)
	api := func(method, path, body string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.base+path, bytes.NewReader([]byte(body)))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}

	// The crawl's alerts, once its pass is over.
	var ids []uint64
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, _, _ := cli(t, db, "sites", "--json")
		if rows := parseLines(t, out); len(rows) == 1 {
			if st, _ := rows[0]["status"].(map[string]any); st["passes"] == float64(1) && st["running"] == false {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no finished pass in 2 minutes; serve: %s", srv.stderr.String())
		}
		<-time.After(200 * time.Millisecond) // a condition polled with a deadline
	}
	out, _, _ := cli(t, db, "alerts", "list", "--json")
	var want []string
	for _, a := range parseLines(t, out) {
		id := uint64(a["id"].(float64))
		ids = append(ids, id)
		want = append(want, fmt.Sprintf("alert.new %d", id))
	}
	if len(ids) < 5 {
		t.Fatalf("the crawl raised %d alerts, want at least 5: %s", len(ids), out)
	}
	slices.Sort(ids)
	recv.waitFor("alert.new for every alert", func() bool { return recv.has(want...) })
	t.Run("the first attempts failed and were retried", func(t *testing.T) {
		recv.mu.Lock()
		defer recv.mu.Unlock()
		if len(recv.attempts) < 3 || recv.attempts[0].ok || recv.attempts[1].ok {
			t.Fatalf("attempts %+v: want two refused, then more", recv.attempts)
		}
		for _, a := range recv.attempts[:2] {
			if _, ok := recv.got[a.delivery]; !ok {
				t.Errorf("refused delivery %d (%s) never arrived", a.delivery, a.typ)
			}
		}
	})

	// An operator's decisions through the API: one alone, two in bulk.
	api("POST", fmt.Sprintf("/api/alerts/%d/confirm", ids[0]), `{}`)
	api("POST", "/api/alerts/bulk", fmt.Sprintf(`{"action":"dismiss","ids":[%d,%d],"reason":"not the same picture"}`, ids[1], ids[2]))
	decided := []string{fmt.Sprintf("alert.confirmed %d", ids[0]), fmt.Sprintf("alert.dismissed %d", ids[1]), fmt.Sprintf("alert.dismissed %d", ids[2])}
	want = append(want, decided...)
	recv.waitFor("decision events", func() bool { return recv.has(decided...) })

	// The receiver goes down; a decision's event fails, and serve stops.
	recv.setDown(true)
	api("POST", fmt.Sprintf("/api/alerts/%d/confirm", ids[3]), `{}`)
	pending := fmt.Sprintf("alert.confirmed %d", ids[3])
	recv.waitFor("a failed attempt of "+pending, func() bool {
		recv.mu.Lock()
		defer recv.mu.Unlock()
		return slices.ContainsFunc(recv.attempts, func(a hookAttempt) bool {
			return !a.ok && fmt.Sprintf("%s %d", a.typ, a.alert) == pending
		})
	})
	srv.stop(t)
	// While serve is down, a decision on the command line.
	if _, errOut, code := cli(t, db, "alerts", "confirm", strconv.FormatUint(ids[4], 10)); code != 0 {
		t.Fatalf("alerts confirm: %s", errOut)
	}
	offline := fmt.Sprintf("alert.confirmed %d", ids[4])
	want = append(want, pending, offline)

	recv.setDown(false)
	srv = startServe(t, db, sites, append(hookFlags, "--no-crawl")...)
	defer srv.stop(t)
	recv.waitFor("the events from before the restart", func() bool { return recv.has(pending, offline) })

	t.Run("every event arrived once, and nothing else", func(t *testing.T) {
		slices.Sort(want)
		if got := recv.delivered(); !slices.Equal(got, want) {
			t.Errorf("delivered:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}
