package alerts

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// clockDB is a test database whose clock the test moves.
func clockDB(t *testing.T) (*testDB, *atomic.Int64) {
	t.Helper()
	var now atomic.Int64
	now.Store(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC).UnixNano())
	db, err := openDB(filepath.Join(t.TempDir(), "hw.db"), store.Options{Now: func() time.Time { return time.Unix(0, now.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, &now
}

// newAlerts records n alerts of distinct media on one fingerprint of case
// c1 and returns their IDs.
func newAlerts(t *testing.T, db *testDB, n int) []uint64 {
	t.Helper()
	ctx := context.Background()
	db.SetFloodLimit(FloodLimit{})
	fps, err := db.Register(ctx, "c1", "", []index.Registration{{Print: hashingtest.Image(1, 1, 1)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for i := range n {
		a, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: [32]byte{byte(i + 10)}, Match: index.Match{Fingerprint: fps[0].ID, Case: "c1"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	return ids
}

func auditActions(t *testing.T, db *testDB) []string {
	t.Helper()
	log, err := db.AuditLog(store.AuditFilter{Action: "alert."})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(log) - 1; i >= 0; i-- { // oldest first
		out = append(out, log[i].User+" "+log[i].Action+" "+log[i].Target)
	}
	return out
}

func TestClaimsKeepTwoOperatorsApart(t *testing.T) {
	ctx := context.Background()
	db, now := clockDB(t)
	ids := newAlerts(t, db, 2)
	kim, lee := store.Actor{User: "kim"}, store.Actor{User: "lee"}
	advance := func(d time.Duration) { now.Add(int64(d)) }
	steps := []struct {
		name    string
		do      func() error
		wantErr error
	}{
		{"kim claims the first alert", func() error { _, _, err := db.ClaimAlert(ctx, ids[0], 0, kim); return err }, nil},
		{"lee cannot claim what kim holds", func() error { _, _, err := db.ClaimAlert(ctx, ids[0], 0, lee); return err }, store.ErrConflict},
		{"lee cannot confirm what kim holds", func() error { _, err := db.DecideAlert(ctx, ids[0], StatusConfirmed, "", lee); return err }, store.ErrConflict},
		{"kim renews the claim without a new audit record", func() error { advance(time.Minute); _, _, err := db.ClaimAlert(ctx, ids[0], 0, kim); return err }, nil},
		{"after the claim lapses lee may claim it", func() error {
			advance(DefaultClaimFor + time.Second)
			_, _, err := db.ClaimAlert(ctx, ids[0], 0, lee)
			return err
		}, nil},
		{"lee's decision ends lee's claim", func() error { _, err := db.DecideAlert(ctx, ids[0], StatusConfirmed, "", lee); return err }, nil},
		{"kim claims the second alert and gives it up", func() error {
			if _, _, err := db.ClaimAlert(ctx, ids[1], 0, kim); err != nil {
				return err
			}
			released, err := db.ReleaseAlert(ctx, ids[1], kim)
			if err == nil && !released {
				err = errors.New("not released")
			}
			return err
		}, nil},
		{"releasing what one does not hold records nothing", func() error { _, err := db.ReleaseAlert(ctx, ids[1], lee); return err }, nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			err := st.do()
			if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, st.wantErr)
			}
		})
	}
	var ce *ClaimedError
	if _, _, err := db.ClaimAlert(ctx, ids[1], 0, lee); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DecideAlert(ctx, ids[1], StatusConfirmed, "", kim); !errors.As(err, &ce) || ce.Claim.User != "lee" {
		t.Fatalf("kim deciding lee's alert: %v", err)
	}
	claims, err := db.Claims(ids)
	if err != nil || len(claims) != 1 || claims[ids[1]].User != "lee" {
		t.Fatalf("claims in force: %v %v", claims, err)
	}
	got := auditActions(t, db)
	want := []string{"kim alert.claim 1", "lee alert.claim 1", "lee alert.confirm 1", "kim alert.claim 2", "kim alert.release 2", "lee alert.claim 2"}
	if len(got) != len(want) {
		t.Fatalf("audit %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("audit %q, want %q", got, want)
		}
	}
	if _, err := db.DecideAlert(ctx, ids[0], StatusDismissed, "not her", lee); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := db.ClaimAlert(ctx, ids[0], 0, kim); ok || err != nil {
		t.Errorf("a dismissed alert is no work to claim: ok %v err %v", ok, err)
	}
	if _, _, err := db.ClaimAlert(ctx, 999, 0, kim); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("claiming a missing alert: %v", err)
	}
}

func TestBulkDecisionsAreAllOrNothing(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		prepare func(db *testDB, ids []uint64)
		pick    func(ids []uint64) []uint64
		to      Status
		reason  string
		// refused lists the alerts refused (by index into ids), nil when
		// the whole batch must succeed.
		refused []int
		wantErr error
	}{
		{"every alert confirmed, each audited", nil, func(ids []uint64) []uint64 { return ids }, StatusConfirmed, "", nil, nil},
		{"repeated IDs count once", nil, func(ids []uint64) []uint64 { return append(ids, ids[0]) }, StatusDismissed, "duplicates", nil, nil},
		{"one confirmed alert refuses a confirmation of all", func(db *testDB, ids []uint64) {
			db.DecideAlert(ctx, ids[2], StatusConfirmed, "", store.Actor{User: "lee"})
		}, func(ids []uint64) []uint64 { return ids }, StatusConfirmed, "", []int{2}, store.ErrConflict},
		{"a claimed alert and a missing one refuse the batch", func(db *testDB, ids []uint64) {
			db.ClaimAlert(ctx, ids[1], 0, store.Actor{User: "lee"})
		}, func(ids []uint64) []uint64 { return append(ids, 999) }, StatusDismissed, "not her", []int{1, -1}, store.ErrConflict},
		{"a dismissal needs a reason", nil, func(ids []uint64) []uint64 { return ids }, StatusDismissed, "", nil, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := clockDB(t)
			ids := newAlerts(t, db, 4)
			if tt.prepare != nil {
				tt.prepare(db, ids)
			}
			before := auditActions(t, db)
			statuses := func() []Status {
				var out []Status
				for _, id := range ids {
					a, _ := db.Alert(id)
					out = append(out, a.Status)
				}
				return out
			}
			was := statuses()
			got, err := db.DecideAlerts(ctx, tt.pick(ids), tt.to, tt.reason, store.Actor{User: "kim"})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			after := auditActions(t, db)
			if err != nil {
				if now := statuses(); len(now) != len(was) || func() bool {
					for i := range now {
						if now[i] != was[i] {
							return true
						}
					}
					return false
				}() {
					t.Errorf("a refused batch changed statuses %v → %v", was, now)
				}
				if len(after) != len(before) {
					t.Errorf("a refused batch left audit records: %q", after[len(before):])
				}
				var re *BulkRefusedError
				if tt.refused != nil {
					if !errors.As(err, &re) || len(re.Refusals) != len(tt.refused) {
						t.Fatalf("refusals: %v", err)
					}
					for i, k := range tt.refused {
						want := uint64(999)
						if k >= 0 {
							want = ids[k]
						}
						if re.Refusals[i].ID != want {
							t.Errorf("refusal %d names alert %d, want %d", i, re.Refusals[i].ID, want)
						}
					}
				}
				return
			}
			if len(got) != len(ids) {
				t.Fatalf("%d alerts decided, want %d", len(got), len(ids))
			}
			for i, st := range statuses() {
				if st != tt.to {
					t.Errorf("alert %d is %s, want %s", ids[i], st, tt.to)
				}
			}
			if n := len(after) - len(before); n != len(ids) {
				t.Errorf("%d audit records for %d alerts: %q", n, len(ids), after[len(before):])
			}
		})
	}
}
