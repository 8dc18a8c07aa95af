package takedown

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// testDB is a store with the rooms these tests use over it, wired as
// database.Open wires them.
type testDB struct {
	*store.DB
	*Store
	*alertsRoom
	*index.Index
}

// alertsRoom lets testDB embed the alerts room beside this package's Store.
type alertsRoom = alerts.Store

func openDB(path string, opts store.Options) (*testDB, error) {
	opts.Migrations = index.Migrations()
	st, err := store.Open(path, opts)
	if err != nil {
		return nil, err
	}
	db := &testDB{DB: st}
	ix, err := index.Open(st, index.Options{OnWithdraw: alerts.CloseCase})
	if err != nil {
		st.Close()
		return nil, err
	}
	db.Index = ix
	al, err := alerts.Open(st, ix)
	if err != nil {
		st.Close()
		return nil, err
	}
	db.alertsRoom, db.Store = al, New(st, al)
	return db, nil
}

func (db *testDB) Verify(ctx context.Context) (store.Report, error) {
	return db.DB.Verify(ctx, index.Verify, alerts.Verify, alerts.VerifyIndex, alerts.VerifyQuarantine, Verify, alerts.VerifyRecords)
}

func openTemp(t *testing.T) (*testDB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hw.db")
	db, err := openDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

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

// confirm has the alerts of ids confirmed, as a reviewer does before a
// notice is sent about them.
func confirm(t *testing.T, db *testDB, ids ...uint64) {
	t.Helper()
	for _, id := range ids {
		if _, err := db.DecideAlert(context.Background(), id, alerts.StatusConfirmed, "", store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
}

// confirmedAlert opens a clocked database, its time 30 November 2026,
// 09:00 UTC, with one confirmed alert at site "s": where the tests of a
// notice's life begin.
func confirmedAlert(t *testing.T) (*testDB, *clock, alerts.Alert) {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	db, m := openClocked(t, c)
	a := newAlert(t, db, m, 1, "s")
	confirm(t, db, a.ID)
	return db, c, a
}

func newAlert(t *testing.T, db *testDB, m index.Match, sha byte, site string) alerts.Alert {
	t.Helper()
	a, _, err := db.RecordAlert(context.Background(), alerts.AlertInput{Site: site, MediaSHA256: [32]byte{sha}, Match: m,
		Sighting: alerts.Sighting{PageURL: "http://x/p", MediaURL: "http://x/m.jpg"}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
