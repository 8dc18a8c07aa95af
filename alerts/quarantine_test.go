package alerts

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// openFloodDB opens a temporary DB whose time is a settable clock.
func openFloodDB(t *testing.T) (*testDB, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	db, err := openDB(filepath.Join(t.TempDir(), "hw.db"), store.Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, c
}

// mediaSum is a distinct SHA-256 for test medium i.
func mediaSum(i int) [32]byte { return [32]byte{0xEE, byte(i >> 8), byte(i)} }

func statusesOf(t *testing.T, db *testDB, fp uint64) map[Status]int {
	t.Helper()
	all, err := db.Alerts(AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[Status]int{}
	for _, a := range all {
		if a.Fingerprint == fp {
			out[a.Status]++
		}
	}
	return out
}

func mustVerify(t *testing.T, db *testDB) {
	t.Helper()
	r, err := db.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("verify: %+v", r.Problems)
	}
}

func TestFloodQuarantineHoldsAFingerprintPastItsLimit(t *testing.T) {
	tests := []struct {
		name     string
		limit    FloodLimit
		media    int
		every    time.Duration // between media
		wantNew  int
		wantHeld int
	}{
		{"at the limit nothing is held", FloodLimit{Media: 3, Window: time.Hour}, 3, time.Minute, 3, 0},
		{"one past the limit holds all of them", FloodLimit{Media: 3, Window: time.Hour}, 4, time.Minute, 0, 4},
		{"a flood's later media are held too", FloodLimit{Media: 3, Window: time.Hour}, 9, time.Minute, 0, 9},
		{"media spread wider than the window are not a flood", FloodLimit{Media: 3, Window: time.Hour}, 9, 25 * time.Minute, 9, 0},
		{"a limit of 0 turns quarantine off", FloodLimit{}, 30, time.Second, 30, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, clk := openFloodDB(t)
			if err := db.SetFloodLimit(tt.limit); err != nil {
				t.Fatal(err)
			}
			fps, err := db.Register(ctx, "c1", "", []index.Registration{{Label: "hub", Print: hashingtest.Image(1, 1, 1)}, {Print: hashingtest.Image(2, 2, 2)}}, store.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			// An alert of the other fingerprint must stay untouched.
			other, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: mediaSum(9999), Match: index.Match{Fingerprint: fps[1].ID, Case: "c1"}})
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.media {
				if _, _, err := db.RecordAlert(ctx, AlertInput{Site: []string{"a", "b"}[i%2], MediaSHA256: mediaSum(i),
					Match: index.Match{Fingerprint: fps[0].ID, Case: "c1", Evidence: hashing.Evidence{Distance: i}}}); err != nil {
					t.Fatal(err)
				}
				// A second sighting of the same medium is not another medium.
				if _, created, err := db.RecordAlert(ctx, AlertInput{Site: "c", MediaSHA256: mediaSum(i),
					Match: index.Match{Fingerprint: fps[0].ID, Case: "c1"}, Sighting: Sighting{PageURL: "p2", MediaURL: "m2"}}); err != nil || created {
					t.Fatalf("second sighting: created %v, %v", created, err)
				}
				clk.advance(tt.every)
			}
			got := statusesOf(t, db, fps[0].ID)
			if got[StatusNew] != tt.wantNew || got[StatusQuarantined] != tt.wantHeld {
				t.Fatalf("statuses %v, want %d new and %d quarantined", got, tt.wantNew, tt.wantHeld)
			}
			if a, _ := db.Alert(other.ID); a.Status != StatusNew {
				t.Errorf("the other fingerprint's alert is %s", a.Status)
			}
			page, err := db.QueryAlerts(ctx, AlertQuery{Status: StatusNew, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != tt.wantNew+1 || page.Counts[StatusQuarantined] != tt.wantHeld {
				t.Errorf("queue: %d new, counts %v", page.Total, page.Counts)
			}
			qs, err := db.Quarantines(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantHeld == 0 {
				if len(qs) != 0 {
					t.Fatalf("quarantine lists %+v", qs)
				}
			} else {
				if len(qs) != 1 || qs[0].Fingerprint != fps[0].ID || qs[0].State != QuarantineHeld || qs[0].Label != "hub" {
					t.Fatalf("quarantine lists %+v", qs)
				}
				h := qs[0].History
				if h.Media != tt.media || h.Held != tt.wantHeld || len(h.Sites) != 2 || h.Sites[0].Media+h.Sites[1].Media != tt.media {
					t.Errorf("history %+v", h)
				}
				sum := 0
				for _, d := range h.Distances {
					sum += d.Media
				}
				if sum != tt.media || h.Distances[0].Media != min(tt.media, 8) {
					t.Errorf("distance bands %+v", h.Distances)
				}
				log, _ := db.AuditLog(store.AuditFilter{Action: "quarantine.hold"})
				if len(log) != 1 {
					t.Errorf("%d quarantine.hold records, want 1", len(log))
				}
			}
			mustVerify(t, db)
		})
	}
}

func TestQuarantineReleaseAndRetire(t *testing.T) {
	ctx := context.Background()
	staff := store.Actor{User: "sun", Remote: "127.0.0.1"}
	setup := func(t *testing.T) (*testDB, *clock, *index.Fingerprint) {
		db, clk := openFloodDB(t)
		if err := db.SetFloodLimit(FloodLimit{Media: 2, Window: time.Hour}); err != nil {
			t.Fatal(err)
		}
		fps, err := db.Register(ctx, "c1", "", []index.Registration{{Print: hashingtest.Image(0xF0F0, 0x0F0F, 1)}}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			if _, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: mediaSum(i), Match: index.Match{Fingerprint: fps[0].ID, Case: "c1"}}); err != nil {
				t.Fatal(err)
			}
		}
		if got := statusesOf(t, db, fps[0].ID); got[StatusQuarantined] != 4 {
			t.Fatalf("setup: %v", got)
		}
		return db, clk, fps[0]
	}

	t.Run("operators cannot decide a quarantined alert", func(t *testing.T) {
		db, _, _ := setup(t)
		for _, to := range []Status{StatusConfirmed, StatusDismissed} {
			if _, err := db.DecideAlert(ctx, 1, to, "x", store.Actor{User: "op"}); !errors.Is(err, store.ErrConflict) {
				t.Errorf("%s: %v, want store.ErrConflict", to, err)
			}
		}
	})

	t.Run("release sends the held alerts to the queue and restarts the count", func(t *testing.T) {
		db, clk, fp := setup(t)
		q, n, err := db.ReleaseQuarantine(ctx, fp.ID, staff)
		if err != nil || n != 4 || q.State != QuarantineReleased || q.DecidedBy != "sun" {
			t.Fatalf("release: %+v, %d, %v", q, n, err)
		}
		if got := statusesOf(t, db, fp.ID); got[StatusNew] != 4 {
			t.Fatalf("after release: %v", got)
		}
		log, _ := db.AuditLog(store.AuditFilter{Action: "quarantine.release"})
		if len(log) != 1 || log[0].User != "sun" || log[0].Target != "1" {
			t.Fatalf("audit: %+v", log)
		}
		if _, _, err := db.ReleaseQuarantine(ctx, fp.ID, staff); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second release: %v, want store.ErrConflict", err)
		}
		// Up to the limit after the release: new alerts, not held.
		clk.advance(time.Minute)
		for i := 10; i < 12; i++ {
			a, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: mediaSum(i), Match: index.Match{Fingerprint: fp.ID, Case: "c1"}})
			if err != nil || a.Status != StatusNew {
				t.Fatalf("after release, medium %d: %s, %v", i, a.Status, err)
			}
		}
		// A new flood quarantines it again, holding the alerts raised since
		// the release; the four staff released stay in the queue.
		a, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: mediaSum(12), Match: index.Match{Fingerprint: fp.ID, Case: "c1"}})
		if err != nil || a.Status != StatusQuarantined {
			t.Fatalf("new flood: %s, %v", a.Status, err)
		}
		if got := statusesOf(t, db, fp.ID); got[StatusQuarantined] != 3 || got[StatusNew] != 4 {
			t.Fatalf("after the second flood: %v", got)
		}
		qq, err := db.QuarantineOf(ctx, fp.ID)
		if err != nil || qq.Floods != 2 || qq.State != QuarantineHeld {
			t.Fatalf("record: %+v, %v", qq, err)
		}
		mustVerify(t, db)
	})

	t.Run("retire stops the fingerprint matching and dismisses its held alerts", func(t *testing.T) {
		db, _, fp := setup(t)
		if _, err := db.DecideAlert(ctx, 1, StatusConfirmed, "", store.Actor{}); err == nil {
			t.Fatal("confirmed a quarantined alert")
		}
		if _, _, err := db.RetireQuarantine(ctx, fp.ID, "", staff); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("retire without a reason: %v", err)
		}
		q, n, err := db.RetireQuarantine(ctx, fp.ID, "matches every plain frame", staff)
		if err != nil || n != 4 || q.State != QuarantineRetired {
			t.Fatalf("retire: %+v, %d, %v", q, n, err)
		}
		ms, err := db.Match(ctx, hashingtest.Image(0xF0F0, 0x0F0F, 9), hashing.DefaultRule())
		if err != nil || len(ms) != 0 {
			t.Fatalf("a retired fingerprint still matches: %v, %v", ms, err)
		}
		if _, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: mediaSum(50), Match: index.Match{Fingerprint: fp.ID, Case: "c1"}}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("alert on a retired fingerprint: %v, want store.ErrNotFound", err)
		}
		all, _ := db.Alerts(AlertFilter{})
		for _, a := range all {
			if a.Status != StatusDismissed || a.Reason != "fingerprint retired: matches every plain frame" {
				t.Errorf("alert %d: %s %q", a.ID, a.Status, a.Reason)
			}
		}
		log, _ := db.AuditLog(store.AuditFilter{Action: "quarantine.retire"})
		if len(log) != 1 || log[0].User != "sun" || log[0].Detail == "" {
			t.Fatalf("audit: %+v", log)
		}
		if _, _, err := db.ReleaseQuarantine(ctx, fp.ID, staff); !errors.Is(err, store.ErrConflict) {
			t.Errorf("release after retire: %v, want store.ErrConflict", err)
		}
		// The case's other business is untouched: it is not withdrawn.
		if c, err := db.Case("c1"); err != nil || c.Withdrawn() {
			t.Errorf("case: %+v, %v", c, err)
		}
		mustVerify(t, db)
		// And a reopened file does not load the retired fingerprint.
		path := db.Path()
		db.Close()
		db2, err := openDB(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db2.Close()
		if ms, _ := db2.Match(ctx, hashingtest.Image(0xF0F0, 0x0F0F, 9), hashing.DefaultRule()); len(ms) != 0 {
			t.Fatalf("reopened: retired fingerprint matches %v", ms)
		}
	})

	t.Run("a withdrawal closes held alerts and forgets the quarantine", func(t *testing.T) {
		db, _, fp := setup(t)
		if _, n, err := db.Withdraw(ctx, "c1", store.Actor{}); err != nil || n != 4 {
			t.Fatalf("withdraw: %d closed, %v", n, err)
		}
		if got := statusesOf(t, db, fp.ID); got[StatusWithdrawn] != 4 {
			t.Fatalf("after withdrawal: %v", got)
		}
		if qs, _ := db.Quarantines(ctx); len(qs) != 0 {
			t.Fatalf("quarantine after withdrawal: %+v", qs)
		}
		mustVerify(t, db)
	})
}

func TestFloodLimitValidation(t *testing.T) {
	for _, tt := range []struct {
		l  FloodLimit
		ok bool
	}{
		{DefaultFloodLimit(), true},
		{FloodLimit{}, true},
		{FloodLimit{Media: -1, Window: time.Hour}, false},
		{FloodLimit{Media: 5, Window: time.Second}, false},
		{FloodLimit{Media: 5, Window: 400 * 24 * time.Hour}, false},
	} {
		if err := tt.l.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: %v", tt.l, err)
		}
	}
}
