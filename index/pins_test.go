package index

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/store"
)

// pinDB is a database with centre "busan", a case "c1" in it, and a clock
// the test moves.
func pinDB(t *testing.T, selfSubmit bool) (*testDB, *centres.Store, *atomic.Int64) {
	t.Helper()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).Unix())
	db, err := openDB(filepath.Join(t.TempDir(), "hw.db"), store.Options{Now: func() time.Time { return time.Unix(clock.Load(), 0) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cs, err := centres.Open(db.DB)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := cs.Add(ctx, "busan", "Busan", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if selfSubmit {
		if err := cs.SetSelfSubmit(ctx, "busan", true, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.RegisterIn(ctx, "busan", "c1", "", []Registration{{Source: "a", Print: hashingtest.Image(1, 2, 1)}}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	return db, cs, &clock
}

func TestPINs(t *testing.T) {
	ctx := context.Background()
	self := store.Actor{User: "self:c1", Remote: "192.0.2.1"}

	t.Run("a PIN cannot be issued while the centre has self-submission off", func(t *testing.T) {
		db, _, _ := pinDB(t, false)
		if _, _, err := db.IssuePIN(ctx, "busan", "c1", 0, store.Actor{}); !errors.Is(err, ErrSelfSubmitOff) {
			t.Fatalf("IssuePIN = %v, want ErrSelfSubmitOff", err)
		}
		if err := db.CheckPIN(ctx, "busan", "c1", "AAAA-AAAA", self); !errors.Is(err, ErrSelfSubmitOff) {
			t.Fatalf("CheckPIN = %v, want ErrSelfSubmitOff", err)
		}
	})

	t.Run("the issued PIN is right, in any case and spacing, until it expires", func(t *testing.T) {
		db, _, clock := pinDB(t, true)
		pin, exp, err := db.IssuePIN(ctx, "busan", "c1", 0, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if got := exp.Sub(time.Unix(clock.Load(), 0)); got != DefaultPINTTL {
			t.Errorf("valid for %s, want %s", got, DefaultPINTTL)
		}
		for _, typed := range []string{pin, NormalPIN(pin), " " + string([]rune(pin)[0:2]) + " " + string([]rune(pin)[2:]) + " "} {
			if err := db.CheckPIN(ctx, "busan", "c1", typed, self); err != nil {
				t.Errorf("CheckPIN(%q) = %v", typed, err)
			}
		}
		// A registration of the case keeps its PIN.
		if _, err := db.RegisterIn(ctx, "busan", "c1", "", []Registration{{Source: "b", Print: hashingtest.Image(3, 4, 2)}}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if err := db.CheckPIN(ctx, "busan", "c1", pin, self); err != nil {
			t.Errorf("after a registration: CheckPIN = %v", err)
		}
		clock.Add(int64(DefaultPINTTL / time.Second))
		if err := db.CheckPIN(ctx, "busan", "c1", pin, self); !errors.Is(err, ErrPINExpired) {
			t.Errorf("at expiry: CheckPIN = %v, want ErrPINExpired", err)
		}
	})

	t.Run("wrong PINs lock the PIN; a new PIN works again", func(t *testing.T) {
		db, _, _ := pinDB(t, true)
		pin, _, err := db.IssuePIN(ctx, "busan", "c1", 0, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= MaxPINFailures; i++ {
			err := db.CheckPIN(ctx, "busan", "c1", "WRNG-WRNG", self)
			want := ErrPINWrong
			if i == MaxPINFailures {
				want = ErrPINLocked
			}
			if !errors.Is(err, want) {
				t.Fatalf("wrong PIN %d: %v, want %v", i, err, want)
			}
		}
		if err := db.CheckPIN(ctx, "busan", "c1", pin, self); !errors.Is(err, ErrPINLocked) {
			t.Fatalf("the right PIN once locked: %v, want ErrPINLocked", err)
		}
		pin2, _, err := db.IssuePIN(ctx, "busan", "c1", 0, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CheckPIN(ctx, "busan", "c1", pin2, self); err != nil {
			t.Fatalf("new PIN: %v", err)
		}
		entries, err := db.DB.AuditLog(store.AuditFilter{Action: "case.pin_failed"})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != MaxPINFailures || entries[0].User != "self:c1" || entries[0].Centre != "busan" {
			t.Errorf("audit: %d case.pin_failed entries (want %d), first %+v", len(entries), MaxPINFailures, entries[0])
		}
	})

	t.Run("an unknown case, a case without a PIN and a revoked PIN all answer wrong PIN", func(t *testing.T) {
		db, _, _ := pinDB(t, true)
		if err := db.CheckPIN(ctx, "busan", "nope", "AAAA-AAAA", self); !errors.Is(err, ErrPINWrong) {
			t.Errorf("unknown case: %v", err)
		}
		if err := db.CheckPIN(ctx, "busan", "c1", "AAAA-AAAA", self); !errors.Is(err, ErrPINWrong) {
			t.Errorf("no PIN: %v", err)
		}
		pin, _, err := db.IssuePIN(ctx, "busan", "c1", 0, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.RevokePIN(ctx, "busan", "c1", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if err := db.CheckPIN(ctx, "busan", "c1", pin, self); !errors.Is(err, ErrPINWrong) {
			t.Errorf("revoked: %v", err)
		}
	})
}
