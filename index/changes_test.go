package index

import (
	"context"
	"slices"
	"testing"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// feedCopy is a partner's local copy kept by the feed: fingerprint IDs.
type feedCopy struct {
	ids  map[uint64]bool
	next string
}

// pull reads the feed to its end in pages of limit items.
func (c *feedCopy) pull(t *testing.T, db *testDB, limit int, centre string) (pages int) {
	t.Helper()
	for {
		p, err := db.Feed(c.next, limit, centre)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if p.Reset {
			c.ids = map[uint64]bool{}
		}
		for _, it := range p.Items {
			switch it.Op {
			case ChangeAdd:
				if it.Print == nil || len(it.Print.Print.Views) == 0 {
					t.Fatalf("addition %d without its hashes", it.Fingerprint)
				}
				c.ids[it.Fingerprint] = true
			case ChangeRemove:
				if it.Print != nil {
					t.Fatalf("removal %d carries a fingerprint", it.Fingerprint)
				}
				delete(c.ids, it.Fingerprint)
			}
		}
		c.next = p.Next
		if !p.More {
			return pages
		}
	}
}

func (c *feedCopy) sorted() []uint64 {
	var out []uint64
	for id := range c.ids {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// registered is what the partner's copy should hold: the IDs a user of
// centre sees.
func registered(t *testing.T, db *testDB, centre string) []uint64 {
	t.Helper()
	fps, err := db.FingerprintsOf("", "")
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, f := range fps {
		if centres.Sees(centre, f.Centre) {
			out = append(out, f.ID)
		}
	}
	return out
}

// TestLookupFeed keeps partners' copies current through registrations,
// withdrawals, a retired fingerprint and a case moved between centres,
// reading in small pages, and checks each copy equals the registered list
// the partner's centre sees after every step.
func TestLookupFeed(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	by := store.Actor{User: "test"}
	cs, err := centres.Open(db.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Add(ctx, "busan", "Busan", by); err != nil {
		t.Fatal(err)
	}
	copies := map[string]*feedCopy{centres.National: {}, "busan": {}}
	check := func(step string) {
		t.Helper()
		for centre, c := range copies {
			c.pull(t, db, 2, centre)
			if got, want := c.sorted(), registered(t, db, centre); !slices.Equal(got, want) {
				t.Errorf("after %s, %s partner's copy %v, want %v", step, centre, got, want)
			}
		}
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"nothing registered", func() error { return nil }},
		{"a national case of three", func() error {
			_, err := db.Register(ctx, "a", "", []Registration{{Print: hashingtest.Image(1, 1, 1)}, {Print: hashingtest.Image(2, 2, 2)}, {Print: hashingtest.Image(3, 3, 3)}}, by)
			return err
		}},
		{"a Busan case of two", func() error {
			_, err := db.RegisterIn(ctx, "busan", "b", "", []Registration{{Print: hashingtest.Image(4, 4, 4)}, {Print: hashingtest.Image(5, 5, 5)}}, by)
			return err
		}},
		{"a withdrawal", func() error { _, _, err := db.Withdraw(ctx, "a", by); return err }},
		{"one fingerprint retired", func() error {
			return db.DeleteFingerprint(ctx, 4, by, "test.retire", func(*bolt.Tx, bool) (string, error) { return "", nil })
		}},
		{"the Busan case moved to the national centre", func() error {
			_, _, err := db.MoveCase(ctx, "busan", "b", centres.National, by)
			return err
		}},
		{"a new registration", func() error {
			_, err := db.RegisterIn(ctx, "busan", "c", "", []Registration{{Print: hashingtest.Image(6, 6, 6)}}, by)
			return err
		}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		check(s.name)
	}
	// A partner starting now gets a snapshot, paged, and then nothing more.
	late := &feedCopy{}
	if pages := late.pull(t, db, 1, centres.National); pages < 2 {
		t.Errorf("a snapshot of %d fingerprints in pages of 1 came in %d page(s)", len(late.ids), pages)
	}
	if got, want := late.sorted(), registered(t, db, centres.National); !slices.Equal(got, want) {
		t.Errorf("late partner's copy %v, want %v", got, want)
	}
	if rep, err := db.Verify(ctx); err != nil || !rep.OK() {
		t.Errorf("verify after the feed's changes: %+v, %v", rep, err)
	}
	for _, bad := range []string{"x", "s1", "s1.x", "999"} {
		if _, err := db.Feed(bad, 10, centres.National); err == nil {
			t.Errorf("feed position %q accepted", bad)
		}
	}
}
