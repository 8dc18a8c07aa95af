package crawler

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/store"
)

// reportedAlert raises an alert for u through an Inspector and confirms it.
func reportedAlert(t *testing.T, db *database.DB, site *Site, u string) alerts.Alert {
	t.Helper()
	ctx := context.Background()
	in := &Inspector{DB: db, Rule: hashing.DefaultRule(), Sites: []*Site{site}}
	res := in.Inspect(ctx, u)
	if res.Err != nil || len(res.AlertIDs) == 0 {
		t.Fatalf("Inspect(%s): %+v", u, res)
	}
	a, err := db.Alerts.DecideAlert(ctx, res.AlertIDs[0], alerts.StatusConfirmed, "", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// checkAt runs one CheckDue at now and returns alert id as recorded.
func checkAt(t *testing.T, r *Rechecker, id uint64, now time.Time) alerts.Alert {
	t.Helper()
	if _, err := r.CheckDue(context.Background(), now); err != nil {
		t.Fatalf("CheckDue: %v", err)
	}
	a, err := r.DB.Alerts.Alert(id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func lastCheck(a alerts.Alert) alerts.Check {
	if len(a.Checks) == 0 {
		return alerts.Check{}
	}
	return a.Checks[len(a.Checks)-1]
}

func TestRecheckSeesTheSiteRemoveAndRestoreMedia(t *testing.T) {
	site, srv := fixtureServer(t)
	db := registerKnown(t)
	watched := siteFor(t, srv.URL, "    delay: 0s\n")
	media := site.Truth()[0].Media
	a := reportedAlert(t, db, watched, srv.URL+media)
	r := &Rechecker{DB: db, Rule: hashing.DefaultRule(), Sites: []*Site{watched}}
	defer r.Close()
	t0 := time.Now().UTC()

	steps := []struct {
		name    string
		at      time.Duration
		change  func()
		status  alerts.Status
		outcome alerts.CheckOutcome
		checked bool
	}{
		{"still served: confirmed", 0, func() {}, alerts.StatusConfirmed, alerts.CheckPresent, true},
		{"not due again within the interval", 30 * time.Minute, func() { site.Remove(media, 410) }, alerts.StatusConfirmed, alerts.CheckPresent, false},
		{"410 Gone: removed", 2 * time.Hour, func() {}, alerts.StatusRemoved, alerts.CheckGone, true},
		{"served again: reappeared, open again", 4 * time.Hour, func() { site.Restore(media) }, alerts.StatusConfirmed, alerts.CheckPresent, true},
		{"404 Not Found: removed again", 6 * time.Hour, func() { site.Remove(media, 404) }, alerts.StatusRemoved, alerts.CheckGone, true},
	}
	checks := 0
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.change()
			now := t0.Add(s.at)
			got := checkAt(t, r, a.ID, now)
			if s.checked {
				checks++
			}
			if got.Status != s.status || lastCheck(got).Outcome != s.outcome || len(got.Checks) != checks {
				t.Fatalf("status %s, %d checks, last %+v; want %s after %d checks, last %s", got.Status, len(got.Checks), lastCheck(got), s.status, checks, s.outcome)
			}
			if !s.checked {
				return
			}
			if !got.LastCheckedAt.Equal(now) {
				t.Errorf("LastCheckedAt %v, want %v", got.LastCheckedAt, now)
			}
			if d := got.NextCheckAt.Sub(now); d < 54*time.Minute || d > 66*time.Minute {
				t.Errorf("next check in %v, want 1h ± 10%%", d)
			}
		})
	}
	got, _ := db.Alerts.Alert(a.ID)
	if d, ok := got.TimeToRemoval(); !ok || d != 2*time.Hour {
		t.Errorf("TimeToRemoval = %v, %v; want 2h from the reappearance", d, ok)
	}
	if !got.ReappearedAt.Equal(t0.Add(4 * time.Hour)) {
		t.Errorf("ReappearedAt = %v", got.ReappearedAt)
	}
}

// switchable serves one of several responses at /img.jpg, chosen by the
// test.
type switchable struct {
	mu   sync.Mutex
	body []byte
	ct   string
	code int
}

func (s *switchable) set(code int, ct string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.code, s.ct, s.body = code, ct, body
}

func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	code, ct, body := s.code, s.ct, s.body
	s.mu.Unlock()
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(code)
	w.Write(body)
}

func TestRecheckComparesTheBytesServed(t *testing.T) {
	known, other := fixtures.Known()[0], fixtures.Others()[0]
	img, err := known.Decode()
	if err != nil {
		t.Fatal(err)
	}
	reencoded, err := fixtures.JPEGQuality(50).Render(img)
	if err != nil {
		t.Fatal(err)
	}
	h := &switchable{}
	h.set(200, "image/jpeg", known.Data)
	srv := httptest.NewServer(h)
	defer srv.Close()
	db := registerKnown(t)
	watched := siteFor(t, srv.URL, "    delay: 0s\n    max_image_bytes: 10000000\n")
	a := reportedAlert(t, db, watched, srv.URL+"/img.jpg")
	r := &Rechecker{DB: db, Rule: hashing.DefaultRule(), Sites: []*Site{watched}}
	defer r.Close()
	now := time.Now().UTC()

	for _, s := range []struct {
		name       string
		code       int
		ct         string
		body       []byte
		outcome    alerts.CheckOutcome
		status     alerts.Status
		transition string
	}{
		{"the same bytes are present", 200, "image/jpeg", known.Data, alerts.CheckPresent, alerts.StatusConfirmed, ""},
		{"a re-encoded copy still matches", 200, "image/jpeg", reencoded, alerts.CheckPresent, alerts.StatusConfirmed, ""},
		{"a server error tells nothing", 503, "text/plain", []byte("busy"), alerts.CheckFailed, alerts.StatusConfirmed, ""},
		{"403 tells nothing either", 403, "text/plain", []byte("no"), alerts.CheckFailed, alerts.StatusConfirmed, ""},
		{"another picture at the URL is a removal", 200, "image/jpeg", other.Data, alerts.CheckGone, alerts.StatusRemoved, "removed"},
		{"the picture back is a reappearance", 200, "image/jpeg", known.Data, alerts.CheckPresent, alerts.StatusConfirmed, "reappeared"},
		{"a placeholder page at the URL is a removal", 200, "image/jpeg", []byte("<html>removed</html>"), alerts.CheckGone, alerts.StatusRemoved, "removed"},
		{"451 is gone", 451, "text/plain", []byte("blocked"), alerts.CheckGone, alerts.StatusRemoved, ""},
		{"an image over the limit tells nothing", 200, "image/jpeg", make([]byte, 10000001), alerts.CheckFailed, alerts.StatusRemoved, ""},
	} {
		t.Run(s.name, func(t *testing.T) {
			h.set(s.code, s.ct, s.body)
			now = now.Add(2 * time.Hour)
			got := checkAt(t, r, a.ID, now)
			c := lastCheck(got)
			if c.Outcome != s.outcome || got.Status != s.status || c.Transition != s.transition {
				t.Fatalf("outcome %s (%s), status %s, transition %q; want %s, %s, %q", c.Outcome, c.Detail, got.Status, c.Transition, s.outcome, s.status, s.transition)
			}
		})
	}
	t.Run("a refused connection is gone", func(t *testing.T) {
		// Back to confirmed first: the picture reappears at the URL.
		h.set(200, "image/jpeg", known.Data)
		now = now.Add(2 * time.Hour)
		if got := checkAt(t, r, a.ID, now); got.Status != alerts.StatusConfirmed {
			t.Fatalf("status %s after the picture came back, want confirmed", got.Status)
		}
		srv.Close() // the port now refuses connections
		now = now.Add(2 * time.Hour)
		got := checkAt(t, r, a.ID, now)
		if c := lastCheck(got); c.Outcome != alerts.CheckGone || got.Status != alerts.StatusRemoved || !strings.Contains(c.Detail, "refused") {
			t.Fatalf("outcome %s (%s), status %s", c.Outcome, c.Detail, got.Status)
		}
	})
}
