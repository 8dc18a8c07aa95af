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

// clock is a settable time for Options.Now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// openClocked opens a temporary DB whose time is c, with one registered
// fingerprint in case "c1".
func openClocked(t *testing.T, c *clock) (*testDB, index.Match) {
	t.Helper()
	db, err := openDB(filepath.Join(t.TempDir(), "hw.db"), store.Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fps, err := db.Register(context.Background(), "c1", "", []index.Registration{{Print: hashingtest.Image(1, 1, 1)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	return db, index.Match{Fingerprint: fps[0].ID, Case: "c1", Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: 5}}
}

func newAlert(t *testing.T, db *testDB, m index.Match, sha byte, site string) Alert {
	t.Helper()
	a, _, err := db.RecordAlert(context.Background(), AlertInput{Site: site, MediaSHA256: [32]byte{sha}, Match: m,
		Sighting: Sighting{PageURL: "http://x/p", MediaURL: "http://x/m.jpg"}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRemovalLifecycle(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	db, m := openClocked(t, c)
	a := newAlert(t, db, m, 1, "s")

	if due, _ := db.DueForCheck(c.t, 0); len(due) != 0 {
		t.Fatalf("a new alert is due for a re-check: %+v", due)
	}
	c.advance(time.Hour)
	a, err := db.SetAlertStatus(ctx, a.ID, StatusConfirmed, "")
	if err != nil {
		t.Fatal(err)
	}
	if !a.ConfirmedAt.Equal(c.t) || !a.NextCheckAt.Equal(c.t) {
		t.Fatalf("confirmed: ConfirmedAt %v NextCheckAt %v, want both %v", a.ConfirmedAt, a.NextCheckAt, c.t)
	}
	if due, _ := db.DueForCheck(c.t, 0); len(due) != 1 || due[0].ID != a.ID {
		t.Fatalf("a confirmed alert is not due at once: %+v", due)
	}

	steps := []struct {
		name       string
		after      time.Duration
		outcome    CheckOutcome
		wantStatus Status
		transition string
	}{
		{"a transient failure changes nothing", 10 * time.Minute, CheckFailed, StatusConfirmed, ""},
		{"still served: nothing changes", time.Hour, CheckPresent, StatusConfirmed, ""},
		{"gone: removed", 3 * time.Hour, CheckGone, StatusRemoved, "removed"},
		{"still gone: stays removed", time.Hour, CheckGone, StatusRemoved, ""},
		{"back: reappeared, open again", time.Hour, CheckPresent, StatusConfirmed, "reappeared"},
		{"gone again: removed again", 2 * time.Hour, CheckGone, StatusRemoved, "removed"},
	}
	var removedAt, reappearedAt time.Time
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			c.advance(s.after)
			next := c.t.Add(time.Hour)
			got, err := db.RecordCheck(ctx, a.ID, Check{Outcome: s.outcome, Detail: "d"}, next)
			if err != nil {
				t.Fatal(err)
			}
			last := got.Checks[len(got.Checks)-1]
			if got.Status != s.wantStatus || last.Transition != s.transition || !last.At.Equal(c.t) {
				t.Fatalf("status %s, transition %q at %v; want %s, %q at %v", got.Status, last.Transition, last.At, s.wantStatus, s.transition, c.t)
			}
			if !got.LastCheckedAt.Equal(c.t) || !got.NextCheckAt.Equal(next) {
				t.Errorf("LastCheckedAt %v NextCheckAt %v", got.LastCheckedAt, got.NextCheckAt)
			}
			switch s.transition {
			case "removed":
				removedAt = c.t
			case "reappeared":
				reappearedAt = c.t
				if !got.RemovedAt.IsZero() {
					t.Errorf("RemovedAt %v not cleared on reappearance", got.RemovedAt)
				}
			}
			if s.wantStatus == StatusRemoved && !got.RemovedAt.Equal(removedAt) {
				t.Errorf("RemovedAt = %v, want %v (set once per removal)", got.RemovedAt, removedAt)
			}
		})
	}
	got, _ := db.Alert(a.ID)
	d, ok := got.TimeToRemoval()
	if !ok || d != removedAt.Sub(reappearedAt) || d != 2*time.Hour {
		t.Errorf("TimeToRemoval = %v, %v; want 2h (from the reappearance)", d, ok)
	}
	if len(got.Checks) != len(steps) {
		t.Errorf("%d checks recorded, want %d", len(got.Checks), len(steps))
	}

	t.Run("the check history is bounded", func(t *testing.T) {
		for range maxChecks + 5 {
			c.advance(time.Minute)
			if _, err := db.RecordCheck(ctx, a.ID, Check{Outcome: CheckFailed}, c.t); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := db.Alert(a.ID)
		if len(got.Checks) != maxChecks || !got.Checks[maxChecks-1].At.Equal(c.t) {
			t.Fatalf("%d checks kept, last at %v", len(got.Checks), got.Checks[len(got.Checks)-1].At)
		}
	})
	t.Run("a dismissed alert is not checked", func(t *testing.T) {
		b := newAlert(t, db, m, 2, "s")
		if _, err := db.RecordCheck(ctx, b.ID, Check{Outcome: CheckGone}, c.t); !errors.Is(err, ErrNotChecked) {
			t.Fatalf("RecordCheck of a new alert: %v, want ErrNotChecked", err)
		}
		if _, err := db.RecordCheck(ctx, b.ID, Check{Outcome: "maybe"}, c.t); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("RecordCheck with a bad outcome: %v", err)
		}
		if _, err := db.RecordCheck(ctx, 999, Check{Outcome: CheckGone}, c.t); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("RecordCheck of a missing alert: %v", err)
		}
	})
}

func TestDueForCheckOrdersByDueTime(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	db, m := openClocked(t, c)
	var ids []uint64
	for i := range 4 {
		a := newAlert(t, db, m, byte(10+i), "s")
		if _, err := db.SetAlertStatus(ctx, a.ID, StatusConfirmed, ""); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	// Alert i is next due at 9:00 + (4-i) minutes; the last is not due.
	for i, id := range ids {
		if _, err := db.RecordCheck(ctx, id, Check{Outcome: CheckPresent}, c.t.Add(time.Duration(4-i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	due, err := db.DueForCheck(c.t.Add(3*time.Minute), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 || due[0].ID != ids[3] || due[1].ID != ids[2] {
		t.Fatalf("DueForCheck = %v, want alerts %d and %d", alertIDs(due), ids[3], ids[2])
	}
	if all, _ := db.DueForCheck(c.t.Add(3*time.Minute), 0); len(all) != 3 {
		t.Fatalf("DueForCheck without a limit = %v, want 3 alerts", alertIDs(all))
	}
}

func alertIDs(as []Alert) []uint64 {
	out := make([]uint64, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

func TestAWithdrawnCaseIsNeverCheckedAgain(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	db, m := openClocked(t, c)
	removed, open := newAlert(t, db, m, 1, "s"), newAlert(t, db, m, 2, "s")
	for _, id := range []uint64{removed.ID, open.ID} {
		if _, err := db.SetAlertStatus(ctx, id, StatusConfirmed, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.RecordCheck(ctx, removed.ID, Check{Outcome: CheckGone}, c.t); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Withdraw(ctx, "c1", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.DueForCheck(c.t.Add(time.Hour), 0); len(due) != 0 {
		t.Fatalf("alerts of a withdrawn case are due: %v", alertIDs(due))
	}
	if _, err := db.RecordCheck(ctx, removed.ID, Check{Outcome: CheckPresent}, c.t); !errors.Is(err, ErrNotChecked) {
		t.Fatalf("a check reopened a withdrawn case's alert: %v", err)
	}
	if got, _ := db.Alert(removed.ID); got.Status != StatusRemoved {
		t.Fatalf("status %s", got.Status)
	}
}
