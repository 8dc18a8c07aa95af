package console

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// floodEnv is a console whose flood limit is 3 media a day, with the test
// photo registered under case c1 and n distinct media recorded against it.
func floodEnv(t *testing.T, n int) (*env, uint64) {
	t.Helper()
	e := newEnv(t, nil)
	if err := e.db.Alerts.SetFloodLimit(alerts.FloodLimit{Media: 3, Window: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fp, err := hashing.NewHasher(hashing.Limits{}).Image(ctx, photo(t, testPhoto), hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	fps, err := e.db.Index.Register(ctx, "c1", "hub case", []index.Registration{{Source: testPhoto, Print: fp}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, _, err := e.db.Alerts.RecordAlert(ctx, alerts.AlertInput{Site: []string{"board", "tube"}[i%2], MediaSHA256: sha256.Sum256([]byte{byte(i)}),
			Match:    index.Match{Fingerprint: fps[0].ID, Case: "c1", Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: 4 * i}},
			Sighting: alerts.Sighting{PageURL: fmt.Sprintf("http://board.example/%d", i), MediaURL: fmt.Sprintf("http://board.example/%d.jpg", i)},
		}); err != nil {
			t.Fatal(err)
		}
	}
	return e, fps[0].ID
}

func countNew(t *testing.T, c *client) (newN, held int) {
	t.Helper()
	var res struct {
		Counts map[string]int `json:"counts"`
	}
	if err := json.Unmarshal([]byte(readAll(c.get("/api/alerts?status=new"))), &res); err != nil {
		t.Fatal(err)
	}
	return res.Counts["new"], res.Counts["quarantined"]
}

func TestStaffJudgeQuarantinedFingerprints(t *testing.T) {
	t.Run("the quarantine page shows the fingerprint's history, release sends its alerts to the queue", func(t *testing.T) {
		e, fp := floodEnv(t, 6)
		op, staff := e.login("op1"), e.login("staff1")
		if n, held := countNew(t, op); n != 0 || held != 6 {
			t.Fatalf("queue: %d new, %d quarantined; want 0 and 6", n, held)
		}
		body := readAll(staff.get("/quarantine"))
		for _, want := range []string{fmt.Sprintf(`id="fp-%d"`, fp), "hub case", "6 distinct media (6 held)", "board: 3", "tube: 3", "more than 3 distinct media"} {
			if !strings.Contains(body, want) {
				t.Errorf("quarantine page lacks %q", want)
			}
		}
		if resp := op.get("/quarantine"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("an operator got the quarantine page: %d", resp.StatusCode)
		}
		resp := staff.postForm(fmt.Sprintf("/quarantine/%d/release", fp), nil, staff.csrf)
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "done=released") {
			t.Fatalf("release: %d %s", resp.StatusCode, readAll(resp))
		}
		if n, held := countNew(t, op); n != 6 || held != 0 {
			t.Fatalf("after release: %d new, %d quarantined", n, held)
		}
		log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "quarantine.release"})
		if len(log) != 1 || log[0].User != "staff1" || log[0].Remote == "" {
			t.Fatalf("audit: %+v", log)
		}
		if body := readAll(staff.get("/quarantine")); !strings.Contains(body, `id="none-held"`) || !strings.Contains(body, `id="closed"`) {
			t.Error("a released fingerprint is still shown as held")
		}
	})

	t.Run("retire through the API dismisses the held alerts and stops the fingerprint", func(t *testing.T) {
		e, fp := floodEnv(t, 5)
		staff := e.login("staff1")
		var list struct {
			Limit        alerts.FloodLimit   `json:"limit"`
			Fingerprints []alerts.Quarantine `json:"fingerprints"`
		}
		if err := json.Unmarshal([]byte(readAll(staff.get("/api/quarantine"))), &list); err != nil {
			t.Fatal(err)
		}
		if len(list.Fingerprints) != 1 || list.Fingerprints[0].History.Held != 5 || list.Limit.Media != 3 {
			t.Fatalf("api/quarantine: %+v", list)
		}
		post := func(body string) *http.Response {
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/quarantine/%d/retire", e.ts.URL, fp), strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-CSRF-Token", staff.csrf)
			return staff.do(req)
		}
		if resp := post(`{}`); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("retire without a reason: %d", resp.StatusCode)
		}
		if resp := post(`{"reason":"matches every dark sky"}`); resp.StatusCode != http.StatusOK {
			t.Fatalf("retire: %d %s", resp.StatusCode, readAll(resp))
		}
		dismissed, _ := e.db.Alerts.Alerts(alerts.AlertFilter{Status: alerts.StatusDismissed})
		if len(dismissed) != 5 || !strings.Contains(dismissed[0].Reason, "matches every dark sky") {
			t.Fatalf("dismissed: %d %+v", len(dismissed), dismissed)
		}
		fpPrint, _ := hashing.NewHasher(hashing.Limits{}).Image(context.Background(), photo(t, testPhoto), hashing.ForQuery)
		if ms, _ := e.db.Index.Match(context.Background(), fpPrint, hashing.DefaultRule()); len(ms) != 0 {
			t.Fatalf("the retired fingerprint still matches its own picture: %v", ms)
		}
		if resp := post(`{"reason":"again"}`); resp.StatusCode != http.StatusConflict {
			t.Errorf("retiring twice: %d", resp.StatusCode)
		}
	})
}

func TestOperatorsKeepTheNegativeBank(t *testing.T) {
	e := newEnv(t, nil)
	seeded := e.seedAlerts(2)
	op := e.login("op1")
	// The alert page offers the checkbox on the dismiss form.
	if body := readAll(op.get(fmt.Sprintf("/alerts/%d", seeded[0].ID))); !strings.Contains(body, `name="negative"`) {
		t.Fatal("no negative-bank checkbox on the alert page")
	}
	resp := op.postForm(fmt.Sprintf("/alerts/%d/dismiss", seeded[0].ID), url.Values{"reason": {"the board's banner"}, "negative": {"1"}}, op.csrf)
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "done=negative") {
		t.Fatalf("dismiss with negative: %d %s", resp.StatusCode, readAll(resp))
	}
	if a, _ := e.db.Alerts.Alert(seeded[0].ID); a.Status != alerts.StatusDismissed {
		t.Fatalf("alert is %s", a.Status)
	}
	// A plain dismissal adds nothing; the separate action adds it after.
	if resp := op.postForm(fmt.Sprintf("/alerts/%d/dismiss", seeded[1].ID), url.Values{"reason": {"other"}}, op.csrf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("plain dismiss: %d", resp.StatusCode)
	}
	if es, _ := e.db.Alerts.Negatives(); len(es) != 1 {
		t.Fatalf("bank after a plain dismissal: %+v", es)
	}
	if body := readAll(op.get(fmt.Sprintf("/alerts/%d", seeded[1].ID))); !strings.Contains(body, `id="add-negative"`) {
		t.Fatal("no add-to-bank action on a dismissed alert")
	}
	if resp := op.postForm(fmt.Sprintf("/alerts/%d/negative", seeded[1].ID), url.Values{"reason": {"stock photo"}}, op.csrf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add a dismissed alert: %d %s", resp.StatusCode, readAll(resp))
	}
	if body := readAll(op.get(fmt.Sprintf("/alerts/%d", seeded[1].ID))); !strings.Contains(body, `id="in-negative"`) || strings.Contains(body, `id="add-negative"`) {
		t.Fatal("a banked alert's page does not say so, or still offers to add it")
	}
	body := readAll(op.get("/negative"))
	for _, want := range []string{"the board&#39;s banner", "stock photo", seeded[0].MediaSHA256} {
		if !strings.Contains(body, want) {
			t.Errorf("negative page lacks %q", want)
		}
	}
	var es []alerts.NegativeEntry
	if err := json.Unmarshal([]byte(readAll(op.get("/api/negative"))), &es); err != nil || len(es) != 2 || es[0].AddedBy != "op1" {
		t.Fatalf("api/negative: %+v, %v", es, err)
	}
	if resp := op.postForm(fmt.Sprintf("/negative/%d/remove", es[0].ID), nil, op.csrf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", resp.StatusCode)
	}
	for action, want := range map[string]int{"negative.add": 2, "negative.remove": 1} {
		if log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: action}); len(log) != want || log[0].User != "op1" {
			t.Errorf("%s audit: %+v", action, log)
		}
	}
}

// heldFingerprints registers n fingerprints under case "cq" and floods each
// past a limit of one medium, so each is quarantined; the limit is then
// turned off again.
func heldFingerprints(t *testing.T, db *database.DB, n int) []uint64 {
	t.Helper()
	ctx := context.Background()
	fp, err := hashing.NewHasher(hashing.Limits{}).Image(ctx, photo(t, testPhoto), hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	regs := make([]index.Registration, n)
	for i := range regs {
		regs[i] = index.Registration{Source: fmt.Sprintf("hub-%d.jpg", i), Print: fp}
	}
	fps, err := db.Index.Register(ctx, "cq", "", regs, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Alerts.SetFloodLimit(alerts.FloodLimit{Media: 1, Window: time.Hour}); err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for i, f := range fps {
		for j := range 2 {
			a, _, err := db.Alerts.RecordAlert(ctx, alerts.AlertInput{Site: "board", MediaSHA256: sha256.Sum256([]byte{0xF0, byte(i), byte(j)}),
				Match: index.Match{Fingerprint: f.ID, Case: "cq"}})
			if err != nil {
				t.Fatal(err)
			}
			if j == 1 && a.Status != alerts.StatusQuarantined {
				t.Fatalf("fingerprint %d not quarantined: %s", f.ID, a.Status)
			}
		}
		ids = append(ids, f.ID)
	}
	if err := db.Alerts.SetFloodLimit(alerts.FloodLimit{}); err != nil {
		t.Fatal(err)
	}
	return ids
}
