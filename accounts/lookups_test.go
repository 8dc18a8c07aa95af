package accounts

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/store"
)

// TestLookupScopeAndCounts issues a lookup token for an analyst (any role
// may hold one) and counts lookups per partner and UTC day.
func TestLookupScopeAndCounts(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 23, 30, 0, 0, time.UTC)
	db, err := openDB(filepath.Join(t.TempDir(), "hw.db"), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.DB.Close()
	for _, s := range []struct {
		in   string
		want TokenScope
		err  bool
	}{{"lookup", ScopeLookup, false}, {"full", ScopeFull, false}, {"lookups", "", true}} {
		got, err := ParseTokenScope(s.in)
		if got != s.want || (err != nil) != s.err {
			t.Errorf("ParseTokenScope(%q) = %q, %v", s.in, got, err)
		}
	}
	for _, name := range []string{"platform-a", "platform-b"} {
		if _, err := db.AddUser(ctx, NewUser{Name: name, Role: RoleAnalyst, Password: "a long password"}, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, tok, err := db.CreateTokenWith(ctx, "platform-a", "", TokenOptions{Scope: ScopeLookup}, store.Actor{}); err != nil || tok.Scope != ScopeLookup {
		t.Fatalf("a lookup token for an analyst: %+v, %v", tok, err)
	}
	steps := []struct {
		user                    string
		hashes, frames, matches int
		advance                 time.Duration
	}{
		{"platform-a", 10, 0, 1, 0},
		{"platform-a", 2, 120, 1, 0},
		{"platform-b", 5, 0, 0, 0},
		{"platform-a", 1, 0, 0, time.Hour}, // the next UTC day
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		if err := db.CountLookup(ctx, s.user, s.hashes, s.frames, s.matches); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.LookupCounts("platform-a")
	want := []LookupCount{
		{User: "platform-a", Day: "2026-12-06", Requests: 2, Hashes: 12, Frames: 120, Matches: 2},
		{User: "platform-a", Day: "2026-12-07", Requests: 1, Hashes: 1},
	}
	if err != nil || len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("counts of platform-a = %+v, %v; want %+v", got, err, want)
	}
	if all, _ := db.LookupCounts(""); len(all) != 3 {
		t.Errorf("every partner's counts: %+v", all)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.CountLookup(cancelled, "platform-a", 1, 0, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled count: %v", err)
	}
}
