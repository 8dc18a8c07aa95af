package alerts

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// TestDecisionsAreAuditedInTheirOwnTransaction checks that a decision,
// registration or withdrawal made on someone's behalf leaves exactly one
// audit record naming them, and that a refused decision leaves none.
func TestDecisionsAreAuditedInTheirOwnTransaction(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	kim := store.Actor{User: "kim", Remote: "192.0.2.7"}
	fps, err := db.Register(ctx, "c1", "", []index.Registration{{Print: hashingtest.Image(1, 1, 1)}, {Print: hashingtest.Image(2, 2, 2)}}, kim)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for i := range 3 {
		a, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: [32]byte{byte(i + 10)}, Match: index.Match{Fingerprint: fps[0].ID, Case: "c1"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	steps := []struct {
		name    string
		do      func() error
		wantErr error
		audited string // action recorded, "" for none
	}{
		{"confirming a new alert is recorded", func() error { _, err := db.DecideAlert(ctx, ids[0], StatusConfirmed, "", kim); return err }, nil, "alert.confirm"},
		{"confirming it again conflicts and records nothing", func() error { _, err := db.DecideAlert(ctx, ids[0], StatusConfirmed, "", kim); return err }, store.ErrConflict, ""},
		{"dismissing without a reason is refused", func() error { _, err := db.DecideAlert(ctx, ids[1], StatusDismissed, "", kim); return err }, store.ErrInvalid, ""},
		{"dismissing with a reason is recorded", func() error {
			_, err := db.DecideAlert(ctx, ids[1], StatusDismissed, "a different person", kim)
			return err
		}, nil, "alert.dismiss"},
		{"a decision is only confirm or dismiss", func() error { _, err := db.DecideAlert(ctx, ids[2], StatusRemoved, "", kim); return err }, store.ErrInvalid, ""},
		{"a missing alert is not found", func() error { _, err := db.DecideAlert(ctx, 999, StatusConfirmed, "", kim); return err }, store.ErrNotFound, ""},
		{"withdrawing is recorded", func() error { _, _, err := db.Withdraw(ctx, "c1", kim); return err }, nil, "case.withdraw"},
	}
	before := 1 // the registration
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			err := st.do()
			if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, st.wantErr)
			}
			log, err := db.AuditLog(store.AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			want := before
			if st.audited != "" {
				want++
			}
			if len(log) != want {
				t.Fatalf("%d audit records, want %d", len(log), want)
			}
			before = want
			if st.audited == "" {
				return
			}
			last := log[0]
			for _, e := range log {
				if e.Seq > last.Seq {
					last = e
				}
			}
			if last.Action != st.audited || last.User != "kim" || last.Remote != "192.0.2.7" {
				t.Errorf("last record %+v, want %s by kim from 192.0.2.7", last, st.audited)
			}
		})
	}
}

// TestConcurrentDecisionsDecideOnce races four confirmations of one alert:
// one wins, three conflict, one record.
func TestConcurrentDecisionsDecideOnce(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	fps, err := db.Register(ctx, "c1", "", []index.Registration{{Print: hashingtest.Image(1, 1, 1)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: [32]byte{9}, Match: index.Match{Fingerprint: fps[0].ID, Case: "c1"}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { _, errs[i] = db.DecideAlert(ctx, a.ID, StatusConfirmed, "", store.Actor{User: "op"}) })
	}
	wg.Wait()
	won, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, store.ErrConflict):
			conflicts++
		default:
			t.Fatal(err)
		}
	}
	log, _ := db.AuditLog(store.AuditFilter{Action: "alert.confirm"})
	if won != 1 || conflicts != 3 || len(log) != 1 {
		t.Fatalf("%d won, %d conflicted, %d records; want 1, 3, 1", won, conflicts, len(log))
	}
}

// TestAlertsByStatusReadThroughTheIndexAgreeWithAFullScan compares the
// indexed path of Alerts (a status given) with filtering every alert.
func TestAlertsByStatusReadThroughTheIndexAgreeWithAFullScan(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	// 30 media on one fingerprint is a flood; this test is about the
	// status index, so quarantine is off.
	if err := db.SetFloodLimit(FloodLimit{}); err != nil {
		t.Fatal(err)
	}
	fps, err := db.Register(ctx, "c1", "", []index.Registration{{Print: hashingtest.Image(1, 1, 1)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		a, _, err := db.RecordAlert(ctx, AlertInput{Site: []string{"s1", "s2"}[i%2], MediaSHA256: [32]byte{byte(i), 1},
			Match: index.Match{Fingerprint: fps[0].ID, Case: "c1"}})
		if err != nil {
			t.Fatal(err)
		}
		switch i % 3 {
		case 1:
			_, err = db.DecideAlert(ctx, a.ID, StatusConfirmed, "", store.Actor{})
		case 2:
			_, err = db.DecideAlert(ctx, a.ID, StatusDismissed, "not her", store.Actor{})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	all, err := db.Alerts(AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []AlertFilter{{Status: StatusNew}, {Status: StatusConfirmed, Site: "s1"}, {Status: StatusDismissed, Case: "c1"}, {Status: StatusRemoved}} {
		var want []uint64
		for _, a := range all {
			if a.Status == f.Status && (f.Site == "" || a.Site == f.Site) && (f.Case == "" || a.Case == f.Case) {
				want = append(want, a.ID)
			}
		}
		got, err := db.Alerts(f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []uint64
		for _, a := range got {
			ids = append(ids, a.ID)
		}
		if fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Errorf("Alerts(%+v) = %v, want %v", f, ids, want)
		}
	}
}
