package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	"github.com/hashwatch/hashwatch/takedown"
)

func TestTheWatcherQueuesEachEventOnceWithoutCaseLabels(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db, err := database.Open(filepath.Join(t.TempDir(), "hw.db"), store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fp := hashing.Fingerprint{Kind: hashing.KindImage, Width: 10, Height: 10, SHA256: [32]byte{9},
		Views: []hashing.View{{Name: hashing.ViewOriginal, Hashes: []hashing.Hash{{Algorithm: hashing.PDQ, Code: hashing.Code{1, 2, 3, 4}, Quality: 100}}}}}
	fps, err := db.Index.Register(ctx, "victim-case-label", "secret description", []index.Registration{{Source: "victim.jpg", Print: fp}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	m := index.Match{Fingerprint: fps[0].ID, Case: "victim-case-label", Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: 5}}
	alert := func(sha byte) alerts.Alert {
		a, _, err := db.Alerts.RecordAlert(ctx, alerts.AlertInput{Site: "board", MediaSHA256: [32]byte{sha}, Match: m,
			Sighting: alerts.Sighting{PageURL: "https://board.example/p", MediaURL: "https://board.example/m.jpg"}})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	q := openQueue(t, filepath.Join(t.TempDir(), "q.db"), "https://hooks.example/", func(c *Config) { c.Now = clock })
	w := &Watcher{Queue: q, Alerts: db.Alerts, Takedown: db.Takedown}
	poll := func(want int) {
		t.Helper()
		n, err := w.Poll(ctx)
		if err != nil || n != want {
			t.Fatalf("Poll = %d, %v; want %d", n, err, want)
		}
	}
	alert(1)
	poll(0) // the first poll notes where the store stands
	a := alert(2)
	poll(1)
	poll(0)
	if _, err := db.Alerts.DecideAlert(ctx, a.ID, alerts.StatusConfirmed, "", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	n, err := db.Takedown.CreateNotice(ctx, takedown.Notice{Site: "board", To: "abuse@board.example", Subject: "s", Body: "b", AlertIDs: []uint64{a.ID}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Takedown.MarkNoticeSent(ctx, n.ID, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(25 * time.Hour)
	poll(1)
	poll(0)
	if _, err := db.Alerts.RecordCheck(ctx, a.ID, alerts.Check{Outcome: alerts.CheckGone}, now); err != nil {
		t.Fatal(err)
	}
	poll(1)
	poll(0)

	evs, err := q.Pending()
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
		raw, _ := json.Marshal(ev)
		for _, never := range []string{"victim", "secret", "case", "sha", "hash"} {
			if strings.Contains(strings.ToLower(string(raw)), never) {
				t.Errorf("event %s carries %q", raw, never)
			}
		}
	}
	if strings.Join(types, ",") != "alert.new,notice.overdue,alert.removed" {
		t.Fatalf("events %v", types)
	}
	if evs[0].AlertID != a.ID || evs[0].Status != "new" || evs[1].NoticeID != n.ID || evs[2].AlertID != a.ID || evs[2].RemovedAt.IsZero() {
		t.Errorf("events %+v", evs)
	}
}

func TestDecisionsAreQueuedFromTheAuditLogOnceEach(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(filepath.Join(t.TempDir(), "hw.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fp := hashing.Fingerprint{Kind: hashing.KindImage, Width: 10, Height: 10, SHA256: [32]byte{9},
		Views: []hashing.View{{Name: hashing.ViewOriginal, Hashes: []hashing.Hash{{Algorithm: hashing.PDQ, Code: hashing.Code{1, 2, 3, 4}, Quality: 100}}}}}
	fps, err := db.Index.Register(ctx, "c", "", []index.Registration{{Source: "v.jpg", Print: fp}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	m := index.Match{Fingerprint: fps[0].ID, Case: "c", Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: 5}}
	var ids []uint64
	for sha := byte(1); sha <= 5; sha++ {
		a, _, err := db.Alerts.RecordAlert(ctx, alerts.AlertInput{Site: "board", MediaSHA256: [32]byte{sha}, Match: m,
			Sighting: alerts.Sighting{PageURL: "https://board.example/p", MediaURL: "https://board.example/m.jpg"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	op := store.Actor{User: "kim"}
	q := openQueue(t, filepath.Join(t.TempDir(), "q.db"), "https://hooks.example/", nil)
	w := &Watcher{Queue: q, Alerts: db.Alerts, Takedown: db.Takedown, Audit: db.Store}
	// Decided before the first poll: history, not announced.
	if _, err := db.Alerts.DecideAlert(ctx, ids[0], alerts.StatusConfirmed, "", op); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Poll(ctx); err != nil || n != 0 {
		t.Fatalf("first Poll = %d, %v; want 0", n, err)
	}
	if _, err := db.Alerts.DecideAlert(ctx, ids[1], alerts.StatusDismissed, "a victim's name typed here", op); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Alerts.DecideAlerts(ctx, ids[2:4], alerts.StatusConfirmed, "", op); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Alerts.DecideAlerts(ctx, []uint64{ids[4], ids[0]}, alerts.StatusConfirmed, "", op); err == nil {
		t.Fatal("a refused bulk decision was accepted")
	}
	if _, err := db.Alerts.UndoDecision(ctx, ids[3], op, alerts.Undo{}); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Poll(ctx); err != nil || n != 4 {
		t.Fatalf("Poll = %d, %v; want 4", n, err)
	}
	if n, err := w.Poll(ctx); err != nil || n != 0 {
		t.Fatalf("Poll again = %d, %v; want 0", n, err)
	}
	evs, err := q.Pending()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, ev.Type+" "+strconv.FormatUint(ev.AlertID, 10)+" "+ev.Status)
		raw, _ := json.Marshal(ev)
		if strings.Contains(string(raw), "victim") || ev.Site != "board" || ev.PageURL == "" {
			t.Errorf("event %s", raw)
		}
	}
	want := []string{
		fmt.Sprintf("alert.dismissed %d dismissed", ids[1]),
		fmt.Sprintf("alert.confirmed %d confirmed", ids[2]),
		fmt.Sprintf("alert.confirmed %d confirmed", ids[3]),
		fmt.Sprintf("alert.undone %d new", ids[3]),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
