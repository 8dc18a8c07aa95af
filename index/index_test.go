package index

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
)

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hw.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// print makes a fingerprint with one view whose pHash and dHash are p and d
// and whose PDQ repeats them, so that its distances follow theirs.
func print(p, d uint64, sha byte) hashing.Fingerprint {
	return hashing.Fingerprint{
		Kind: hashing.KindImage, Width: 10, Height: 10, SHA256: [32]byte{sha},
		Views: []hashing.View{{Name: hashing.ViewOriginal, Hashes: []hashing.Hash{
			{Algorithm: hashing.PDQ, Code: hashing.Code{p, d, p, d}, Quality: 100},
			{Algorithm: hashing.PHash, Code: hashing.Code{p}, Quality: 100},
			{Algorithm: hashing.DHash, Code: hashing.Code{d}, Quality: 100},
		}}},
	}
}

func TestRegisterMatchWithdraw(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	outer := t
	rule := hashing.DefaultRule()
	added, err := db.Register(ctx, "case-1", "first", []Registration{
		{Source: "a.jpg", Print: print(0xF0F0F0F0F0F0F0F0, 0x0F0F0F0F0F0F0F0F, 1)},
		{Source: "b.jpg", Print: print(0x123456789ABCDEF0, 0xFEDCBA9876543210, 2)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 2 || added[0].ID >= added[1].ID {
		t.Fatalf("added = %+v", added)
	}

	t.Run("a near copy matches the registered fingerprint at once", func(t *testing.T) {
		ms, err := db.Match(ctx, print(0xF0F0F0F0F0F0F0F1, 0x0F0F0F0F0F0F0F0E, 9), rule)
		if err != nil || len(ms) != 1 || ms[0].Fingerprint != added[0].ID || ms[0].Evidence.Distance != 4 {
			t.Fatalf("Match = %+v, %v", ms, err)
		}
	})
	t.Run("an unrelated picture matches nothing", func(t *testing.T) {
		if ms, _ := db.Match(ctx, print(0, 0xFFFFFFFFFFFFFFFF, 9), rule); len(ms) != 0 {
			t.Fatalf("Match = %+v", ms)
		}
	})
	t.Run("registrations survive a reopen", func(t *testing.T) {
		db.Close()
		db2, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		db = db2
		outer.Cleanup(func() { db2.Close() })
		if n := db.ActiveCount(); n != 2 {
			t.Fatalf("ActiveCount after reopen = %d", n)
		}
		cases, err := db.Cases()
		if err != nil || len(cases) != 1 || cases[0].Fingerprints != 2 || cases[0].Label != "first" {
			t.Fatalf("Cases = %+v, %v", cases, err)
		}
	})
	t.Run("withdrawal deletes the fingerprints, stops matching and closes open alerts", func(t *testing.T) {
		ms, _ := db.Match(ctx, print(0xF0F0F0F0F0F0F0F0, 0x0F0F0F0F0F0F0F0F, 9), rule)
		a, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: [32]byte{9}, Match: ms[0],
			Sighting: Sighting{PageURL: "http://x/p", MediaURL: "http://x/m.jpg"}})
		if err != nil {
			t.Fatal(err)
		}
		fps, closed, err := db.Withdraw(ctx, "case-1")
		if err != nil || fps != 2 || closed != 1 {
			t.Fatalf("Withdraw = %d, %d, %v", fps, closed, err)
		}
		if ms, _ := db.Match(ctx, print(0xF0F0F0F0F0F0F0F0, 0x0F0F0F0F0F0F0F0F, 9), rule); len(ms) != 0 {
			t.Fatalf("withdrawn case still matches: %+v", ms)
		}
		if got, _ := db.Alert(a.ID); got.Status != StatusWithdrawn {
			t.Fatalf("alert status = %s", got.Status)
		}
		if left, _ := db.Fingerprints("case-1"); len(left) != 0 {
			t.Fatalf("fingerprints left after withdrawal: %d", len(left))
		}
		if _, err := db.Register(ctx, "case-1", "", []Registration{{Print: print(1, 1, 1)}}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("register into withdrawn case: err = %v", err)
		}
	})
}

func TestRecordAlertDeduplicates(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	added, err := db.Register(ctx, "c", "", []Registration{{Print: print(1, 1, 1)}})
	if err != nil {
		t.Fatal(err)
	}
	m := Match{Fingerprint: added[0].ID, Case: "c", Evidence: hashing.Evidence{Algorithm: hashing.PHash, Distance: 2}}
	in := AlertInput{Site: "s", MediaSHA256: [32]byte{7}, Match: m, Sighting: Sighting{PageURL: "http://x/1", MediaURL: "http://x/a.jpg"}}
	first, created, err := db.RecordAlert(ctx, in)
	if err != nil || !created {
		t.Fatalf("first RecordAlert: created=%v err=%v", created, err)
	}
	if _, created, _ := db.RecordAlert(ctx, in); created {
		t.Fatal("the same media and fingerprint alerted twice")
	}
	in.Sighting.PageURL = "http://x/2"
	again, created, err := db.RecordAlert(ctx, in)
	if err != nil || created || again.ID != first.ID || len(again.Sightings) != 2 {
		t.Fatalf("second page: %+v created=%v err=%v", again, created, err)
	}
	if _, err := db.SetAlertStatus(ctx, first.ID, StatusDismissed, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("dismiss without reason: %v", err)
	}
	if _, err := db.SetAlertStatus(ctx, first.ID, StatusDismissed, "not the same photo"); err != nil {
		t.Fatal(err)
	}
	in.Sighting.PageURL = "http://x/3"
	if a, created, _ := db.RecordAlert(ctx, in); created || a.Status != StatusDismissed {
		t.Fatalf("a dismissed pair alerted again: created=%v status=%s", created, a.Status)
	}
	all, _ := db.Alerts(AlertFilter{})
	if len(all) != 1 {
		t.Fatalf("%d alerts, want 1", len(all))
	}
}

func TestOpenLockedDatabaseFailsFast(t *testing.T) {
	_, path := openTemp(t)
	start := time.Now()
	_, err := Open(path, Options{LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second Open: err = %v, want ErrInUse", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("second Open took %v", time.Since(start))
	}
}

func TestSchemaVersionIsWritten(t *testing.T) {
	db, _ := openTemp(t)
	if v, err := db.Schema(); err != nil || v != SchemaVersion {
		t.Fatalf("Schema = %d, %v", v, err)
	}
}
