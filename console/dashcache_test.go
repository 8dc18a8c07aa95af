package console

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/console/admission"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
)

// TestTheKeptDashboardChangesRightAfterAnAlertWrite checks the dashboard
// cache (dashcache.go) against the store: a kept answer is served in a
// light slot while nothing changed (it answers with every heavy slot
// taken), and the first request after any alert write — a decision in the
// console, a new alert from the crawl, a new sighting that changes nothing
// — shows the write's figures at once.
func TestTheKeptDashboardChangesRightAfterAnAlertWrite(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Limits.Handlers, c.Limits.HeavyRequests, c.Limits.QueueWait, c.Limits.QueueLength = 4, 1, 30*time.Millisecond, 8
	})
	as := e.seedAlerts(3)
	op := e.login("op1")
	apiOpen := func(t *testing.T) (int, int) {
		t.Helper()
		resp := op.get("/api/dashboard")
		body := readAll(resp)
		if resp.StatusCode != http.StatusOK {
			return resp.StatusCode, -1
		}
		var d DashboardJSON
		if err := json.Unmarshal([]byte(body), &d); err != nil {
			t.Fatalf("%v: %.200s", err, body)
		}
		return resp.StatusCode, d.Open
	}
	openOnPage := regexp.MustCompile(`id="queue-counts">(\d+) open`)
	pageOpen := func(t *testing.T) (int, int) {
		t.Helper()
		resp := op.get("/dashboard")
		body := readAll(resp)
		if resp.StatusCode != http.StatusOK {
			return resp.StatusCode, -1
		}
		m := openOnPage.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no open count on the page: %.2000s", body)
		}
		var n int
		fmt.Sscan(m[1], &n)
		return resp.StatusCode, n
	}
	// heavyTaken runs f with every heavy slot of the gate taken, so only
	// a kept answer can be given (200); one to compute gets 503.
	heavyTaken := func(f func()) {
		defer e.srv.gate.Fill(admission.HeavySlots)()
		f()
	}
	for _, get := range []struct {
		name string
		open func(*testing.T) (int, int)
	}{{"the API", apiOpen}, {"the page", pageOpen}} {
		t.Run(get.name, func(t *testing.T) {
			status, want := get.open(t)
			if status != 200 || want < 1 {
				t.Fatalf("first answer: %d, %d open; want 200 and the seeded alerts open", status, want)
			}
			heavyTaken(func() {
				if status, n := get.open(t); status != 200 || n != want {
					t.Fatalf("kept answer with the heavy slots taken: %d, %d open; want 200, %d (it was not kept)", status, n, want)
				}
			})

			// A decision in the console: the answer kept is stale at once.
			dismiss := as[0]
			for _, a := range as {
				if got, _ := e.db.Alerts.Alert(a.ID); got.Status == alerts.StatusNew {
					dismiss = a
					break
				}
			}
			if resp := op.postForm(fmt.Sprintf("/alerts/%d/dismiss", dismiss.ID), map[string][]string{"reason": {"not this content"}}, op.csrf); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("dismiss: %d %s", resp.StatusCode, readAll(resp))
			}
			heavyTaken(func() {
				if status, _ := get.open(t); status != http.StatusServiceUnavailable {
					t.Errorf("after a decision, with the heavy slots taken: %d, want 503 (a stale answer was served)", status)
				}
			})
			if status, n := get.open(t); status != 200 || n != want-1 {
				t.Fatalf("after a decision: %d, %d open; want 200, %d", status, n, want-1)
			}

			// A new alert written by the crawl, outside the console.
			recordAlert(t, e, as[0], sha256.Sum256([]byte(get.name)))
			if status, n := get.open(t); status != 200 || n != want {
				t.Fatalf("after a new alert: %d, %d open; want 200, %d", status, n, want)
			}

			// A new sighting of a known alert changes no figure: the
			// answer stays kept.
			recordAlert(t, e, as[1], sha256.Sum256([]byte{2})) // seedAlerts' second media
			heavyTaken(func() {
				if status, n := get.open(t); status != 200 || n != want {
					t.Errorf("after a sighting that changes no figure: %d, %d open; want the kept 200, %d", status, n, want)
				}
			})
		})
	}
}

// recordAlert records a sighting of media sha on like's fingerprint, as the
// crawl does: a new alert, or a new sighting of the alert of those bytes.
func recordAlert(t *testing.T, e *env, like alerts.Alert, sha [32]byte) {
	t.Helper()
	if _, _, err := e.db.Alerts.RecordAlert(context.Background(), alerts.AlertInput{
		Site: like.Site, MediaSHA256: sha,
		Match:    index.Match{Fingerprint: like.Fingerprint, Case: like.Case, Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: like.Distance}},
		Sighting: alerts.Sighting{PageURL: "http://board.example/q", MediaURL: "http://board.example/n.jpg", HTTPStatus: 200, FirstSeen: time.Now()},
	}); err != nil {
		t.Fatal(err)
	}
}

// TestTheKeptDashboardIsPerScopeAndLanguage checks that an answer kept for
// one viewer is never shown to another who should see other figures or
// words, and that it is not used past dashMaxAge (the overdue notices move
// with the clock).
func TestTheKeptDashboardIsPerScopeAndLanguage(t *testing.T) {
	now := time.Now()
	e := newEnv(t, func(c *Config) { c.Now = func() time.Time { return now } })
	e.seedAlerts(2)
	op := e.login("op1")
	en := readAll(op.get("/dashboard"))
	if resp := op.postForm("/settings", map[string][]string{"language": {"ko"}, "time_zone": {"Asia/Seoul"}}, op.csrf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("settings: %d %s", resp.StatusCode, readAll(resp))
	}
	ko := readAll(op.get("/dashboard"))
	if ko == en {
		t.Error("the Korean dashboard is the English one kept")
	}
	c := dashCache{}
	k, st := dashKey{scope: "national"}, dashStamp{version: 1}
	c.put(k, st, now, []byte("x"))
	if _, ok := c.get(k, st, now.Add(dashMaxAge-time.Second)); !ok {
		t.Error("not kept within dashMaxAge")
	}
	if _, ok := c.get(k, st, now.Add(dashMaxAge)); ok {
		t.Error("kept past dashMaxAge")
	}
	if _, ok := c.get(k, dashStamp{version: 2}, now); ok {
		t.Error("kept across a version")
	}
	if _, ok := c.get(dashKey{scope: "busan"}, st, now); ok {
		t.Error("kept for another scope")
	}
}
