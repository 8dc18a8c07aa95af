package alerts

import (
	"context"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

func TestRegisterMatchWithdraw(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	outer := t
	rule := hashing.DefaultRule()
	added, err := db.Register(ctx, "case-1", "first", []index.Registration{
		{Source: "a.jpg", Print: hashingtest.Image(0xF0F0F0F0F0F0F0F0, 0x0F0F0F0F0F0F0F0F, 1)},
		{Source: "b.jpg", Print: hashingtest.Image(0x123456789ABCDEF0, 0xFEDCBA9876543210, 2)},
	}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if len(added) != 2 || added[0].ID >= added[1].ID {
		t.Fatalf("added = %+v", added)
	}

	t.Run("a near copy matches the registered fingerprint at once", func(t *testing.T) {
		ms, err := db.Match(ctx, hashingtest.Image(0xF0F0F0F0F0F0F0F1, 0x0F0F0F0F0F0F0F0E, 9), rule)
		if err != nil || len(ms) != 1 || ms[0].Fingerprint != added[0].ID || ms[0].Evidence.Distance != 4 {
			t.Fatalf("Match = %+v, %v", ms, err)
		}
	})
	t.Run("an unrelated picture matches nothing", func(t *testing.T) {
		if ms, _ := db.Match(ctx, hashingtest.Image(0, 0xFFFFFFFFFFFFFFFF, 9), rule); len(ms) != 0 {
			t.Fatalf("Match = %+v", ms)
		}
	})
	t.Run("registrations survive a reopen", func(t *testing.T) {
		db.Close()
		db2, err := openDB(path, store.Options{})
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
		ms, _ := db.Match(ctx, hashingtest.Image(0xF0F0F0F0F0F0F0F0, 0x0F0F0F0F0F0F0F0F, 9), rule)
		a, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: [32]byte{9}, Match: ms[0],
			Sighting: Sighting{PageURL: "http://x/p", MediaURL: "http://x/m.jpg"}})
		if err != nil {
			t.Fatal(err)
		}
		fps, closed, err := db.Withdraw(ctx, "case-1", store.Actor{})
		if err != nil || fps != 2 || closed != 1 {
			t.Fatalf("Withdraw = %d, %d, %v", fps, closed, err)
		}
		if ms, _ := db.Match(ctx, hashingtest.Image(0xF0F0F0F0F0F0F0F0, 0x0F0F0F0F0F0F0F0F, 9), rule); len(ms) != 0 {
			t.Fatalf("withdrawn case still matches: %+v", ms)
		}
		if got, _ := db.Alert(a.ID); got.Status != StatusWithdrawn {
			t.Fatalf("alert status = %s", got.Status)
		}
		if left, _ := db.Fingerprints("case-1"); len(left) != 0 {
			t.Fatalf("fingerprints left after withdrawal: %d", len(left))
		}
		if _, err := db.Register(ctx, "case-1", "", []index.Registration{{Print: hashingtest.Image(1, 1, 1)}}, store.Actor{}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("register into withdrawn case: err = %v", err)
		}
	})
}

func TestRecordAlertDeduplicates(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	added, err := db.Register(ctx, "c", "", []index.Registration{{Print: hashingtest.Image(1, 1, 1)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	m := index.Match{Fingerprint: added[0].ID, Case: "c", Evidence: hashing.Evidence{Algorithm: hashing.PHash, Distance: 2}}
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
	if _, err := db.SetAlertStatus(ctx, first.ID, StatusDismissed, ""); !errors.Is(err, store.ErrInvalid) {
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

func TestVideoRegisterMatchWithdraw(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hw.db")
	db, err := openDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	long := hashingtest.Video(rng, 240, false) // two minutes
	other := hashingtest.Video(rng, 120, false)
	if _, err := db.Register(ctx, "case-v", "", []index.Registration{{Source: "long.mp4", Print: long}, {Source: "other.mp4", Print: other}}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	// A 20-s clip from 30 s into the long video.
	query := hashingtest.Clip(rng, long, 60, 20, 8)
	ms, err := db.Match(ctx, query, hashing.DefaultRule())
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Source != "long.mp4" || ms[0].Video == nil {
		t.Fatalf("matches %+v, want long.mp4 with video evidence", ms)
	}
	ev := ms[0].Video
	if ev.QueryShare < 0.9 || ev.RegisteredShare > 0.3 || len(ev.Ranges) != 1 {
		t.Fatalf("evidence %+v, want query share ~1, registered ~1/6, one range", ev)
	}
	if r := ev.Ranges[0]; r.QueryStart != 0 || r.RegisteredStart < 29 || r.RegisteredStart > 31 || r.RegisteredEnd < 48 || r.RegisteredEnd > 52 {
		t.Errorf("range %+v, want query 0– at registered 30–50", r)
	}

	// Frames survive a reopen exactly.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = openDB(path, store.Options{}); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fps, err := db.Fingerprints("case-v")
	if err != nil {
		t.Fatal(err)
	}
	if len(fps) != 2 || !reflect.DeepEqual(fps[0].Print.Frames, long.Frames) || fps[0].Print.Duration != long.Duration {
		t.Fatalf("reopened frames differ from the registered ones")
	}
	if ms, _ := db.Match(ctx, query, hashing.DefaultRule()); len(ms) != 1 {
		t.Fatalf("after reopen: %d matches, want 1", len(ms))
	}
	// An alert carries the video evidence.
	a, _, err := db.RecordAlert(ctx, AlertInput{Site: "s", MediaSHA256: query.SHA256, Match: ms[0], Sighting: Sighting{PageURL: "http://s/p", MediaURL: "http://s/v.mp4"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Video == nil || a.Video.QueryShare != ms[0].Video.QueryShare {
		t.Fatalf("alert video evidence %+v", a.Video)
	}
	// Withdrawal stops matching at once.
	if _, _, err := db.Withdraw(ctx, "case-v", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if ms, _ := db.Match(ctx, query, hashing.DefaultRule()); len(ms) != 0 {
		t.Fatalf("withdrawn video still matches: %+v", ms)
	}
}
