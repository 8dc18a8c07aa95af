package alerts

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// undoWorld is a store on a clock the test moves, with alerts to decide.
type undoWorld struct {
	t     *testing.T
	db    *testDB
	clock time.Time
	fp    uint64
	sha   byte
}

func newUndoWorld(t *testing.T) *undoWorld {
	w := &undoWorld{t: t, clock: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
	db, err := openDB(filepath.Join(t.TempDir(), "hw.db"), store.Options{Now: func() time.Time { return w.clock }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.db = db
	fps, err := db.Register(context.Background(), "c1", "", []index.Registration{{Print: hashingtest.Image(1, 1, 1)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	w.fp = fps[0].ID
	return w
}

func (w *undoWorld) alert() uint64 {
	w.t.Helper()
	w.sha++
	a, _, err := w.db.RecordAlert(context.Background(), AlertInput{Site: "s", MediaSHA256: [32]byte{w.sha}, Match: index.Match{Fingerprint: w.fp, Case: "c1"}})
	if err != nil {
		w.t.Fatal(err)
	}
	return a.ID
}

func (w *undoWorld) decide(id uint64, to Status, reason, by string) {
	w.t.Helper()
	if _, err := w.db.DecideAlert(context.Background(), id, to, reason, store.Actor{User: by}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *undoWorld) noticeSent(id uint64) {
	w.t.Helper()
	if err := w.db.DB.Update(func(tx *bolt.Tx) error { return NoticeSentIn(tx, id, 7, w.clock) }, nil); err != nil {
		w.t.Fatal(err)
	}
}

// undos are the alert.undo audit records, oldest first.
func (w *undoWorld) undos() []store.AuditEntry {
	w.t.Helper()
	log, err := w.db.AuditLog(store.AuditFilter{Action: "alert.undo"})
	if err != nil {
		w.t.Fatal(err)
	}
	for i, j := 0, len(log)-1; i < j; i, j = i+1, j-1 {
		log[i], log[j] = log[j], log[i]
	}
	return log
}

func TestUndoingADecision(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		// before decides the alert and does whatever follows.
		before    func(w *undoWorld, id uint64)
		undoer    string
		admin     bool
		wantWhy   string // "" for an undo that succeeds
		want      Status // the alert's status after the undo
		wantAudit string // detail of the undo's audit record
	}{
		{name: "the decider undoes a confirmation within the window",
			before: func(w *undoWorld, id uint64) {
				w.decide(id, StatusConfirmed, "", "kim")
				w.clock = w.clock.Add(9 * time.Minute)
			},
			undoer: "kim", want: StatusNew, wantAudit: "alert.confirm by kim at 2026-12-06T09:00:00Z"},
		{name: "the decider undoes a dismissal of a confirmed alert, which is confirmed again",
			before: func(w *undoWorld, id uint64) {
				w.decide(id, StatusConfirmed, "", "lee")
				w.decide(id, StatusDismissed, "not the same picture", "kim")
			},
			undoer: "kim", want: StatusConfirmed, wantAudit: "alert.dismiss by kim at 2026-12-06T09:00:00Z: not the same picture"},
		{name: "after the window it is refused",
			before: func(w *undoWorld, id uint64) {
				w.decide(id, StatusConfirmed, "", "kim")
				w.clock = w.clock.Add(10*time.Minute + time.Second)
			},
			undoer: "kim", wantWhy: UndoExpired, want: StatusConfirmed},
		{name: "after a notice was sent it is refused",
			before: func(w *undoWorld, id uint64) { w.decide(id, StatusConfirmed, "", "kim"); w.noticeSent(id) },
			undoer: "kim", wantWhy: UndoFollowed, want: StatusNoticeSent},
		{name: "another operator is refused",
			before: func(w *undoWorld, id uint64) { w.decide(id, StatusDismissed, "logo", "kim") },
			undoer: "lee", wantWhy: UndoOtherUser, want: StatusDismissed},
		{name: "an admin undoes another's decision",
			before: func(w *undoWorld, id uint64) { w.decide(id, StatusDismissed, "logo", "kim") },
			undoer: "admin1", admin: true, want: StatusNew, wantAudit: "alert.dismiss by kim at 2026-12-06T09:00:00Z: logo"},
		{name: "an admin cannot undo after a notice was sent either",
			before: func(w *undoWorld, id uint64) { w.decide(id, StatusConfirmed, "", "kim"); w.noticeSent(id) },
			undoer: "admin1", admin: true, wantWhy: UndoFollowed, want: StatusNoticeSent},
		{name: "an alert never decided has nothing to undo",
			before: func(w *undoWorld, id uint64) {},
			undoer: "kim", wantWhy: UndoNothing, want: StatusNew},
		{name: "an undone decision cannot be undone twice",
			before: func(w *undoWorld, id uint64) {
				w.decide(id, StatusConfirmed, "", "kim")
				if _, err := w.db.UndoDecision(ctx, id, store.Actor{User: "kim"}, Undo{}); err != nil {
					t.Fatal(err)
				}
			},
			undoer: "kim", wantWhy: UndoNothing, want: StatusNew},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newUndoWorld(t)
			id := w.alert()
			tc.before(w, id)
			before, err := w.db.Alert(id)
			if err != nil {
				t.Fatal(err)
			}
			undosBefore := len(w.undos())
			a, err := w.db.UndoDecision(ctx, id, store.Actor{User: tc.undoer}, Undo{Admin: tc.admin})
			var ue *UndoError
			switch {
			case tc.wantWhy == "" && err != nil:
				t.Fatalf("undo: %v", err)
			case tc.wantWhy != "" && (!errors.As(err, &ue) || ue.Why != tc.wantWhy || !errors.Is(err, store.ErrConflict)):
				t.Fatalf("undo: %v, want a refusal for %q", err, tc.wantWhy)
			}
			stored, err := w.db.Alert(id)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Status != tc.want {
				t.Errorf("status %s, want %s", stored.Status, tc.want)
			}
			undos := w.undos()
			if tc.wantWhy != "" {
				if len(undos) != undosBefore || stored.UpdatedAt != before.UpdatedAt {
					t.Errorf("a refused undo changed something: %d undo records (was %d), updated %v (was %v)", len(undos), undosBefore, stored.UpdatedAt, before.UpdatedAt)
				}
				return
			}
			if a.Status != tc.want || len(undos) != undosBefore+1 {
				t.Fatalf("undo returned %s; %d undo records", a.Status, len(undos))
			}
			last := undos[len(undos)-1]
			if last.User != tc.undoer || last.Target != strconv.FormatUint(id, 10) || last.Detail != tc.wantAudit {
				t.Errorf("audit %+v, want by %s with %q", last, tc.undoer, tc.wantAudit)
			}
			if tc.want == StatusNew && (!stored.ConfirmedAt.IsZero() || !stored.NextCheckAt.IsZero() || stored.Reason != "") {
				t.Errorf("the undone alert keeps its decision: %+v", stored)
			}
			if tc.want == StatusConfirmed && (stored.Reason != "" || stored.ConfirmedAt.IsZero()) {
				t.Errorf("the alert is not as confirmed before: %+v", stored)
			}
		})
	}
}

func TestABulkUndoIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	w := newUndoWorld(t)
	ids := []uint64{w.alert(), w.alert(), w.alert()}
	kim := store.Actor{User: "kim"}
	if _, err := w.db.DecideAlerts(ctx, ids, StatusConfirmed, "", kim); err != nil {
		t.Fatal(err)
	}
	w.noticeSent(ids[1])
	_, err := w.db.UndoDecisions(ctx, ids, kim, Undo{})
	var re *BulkRefusedError
	if !errors.As(err, &re) || re.Of != 3 || len(re.Refusals) != 1 || re.Refusals[0].ID != ids[1] {
		t.Fatalf("undo of three with one sent: %v, want one refusal of three", err)
	}
	for _, id := range ids {
		a, _ := w.db.Alert(id)
		if a.Status == StatusNew {
			t.Errorf("alert %d was undone although the bulk undo was refused", id)
		}
	}
	if n := len(w.undos()); n != 0 {
		t.Errorf("%d undo records after a refused bulk undo", n)
	}
	out, err := w.db.UndoDecisions(ctx, []uint64{ids[0], ids[2], ids[0]}, kim, Undo{})
	if err != nil || len(out) != 2 {
		t.Fatalf("undo of the other two: %d, %v", len(out), err)
	}
	undos := w.undos()
	if len(undos) != 2 || !strings.HasPrefix(undos[0].Detail, "alert.confirm by kim") {
		t.Errorf("undo records %+v", undos)
	}
	// The queue's indexes and counts follow the alerts back.
	if r, err := w.db.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("verify after undo: %v %v", err, r.Problems)
	}
	if n, _ := w.db.Alerts(AlertFilter{Status: StatusNew}); len(n) != 2 {
		t.Errorf("%d new alerts by the status index, want 2", len(n))
	}
}
