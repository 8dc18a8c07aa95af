package index

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/store"
)

// print makes a fingerprint with one view whose pHash and dHash are p and d
// and whose PDQ repeats them, so that its distances follow theirs.
func TestOpenLockedDatabaseFailsFast(t *testing.T) {
	_, path := openTemp(t)
	start := time.Now()
	_, err := openDB(path, store.Options{LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, store.ErrInUse) {
		t.Fatalf("second Open: err = %v, want store.ErrInUse", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("second Open took %v", time.Since(start))
	}
}

func TestSchemaVersionIsWritten(t *testing.T) {
	db, _ := openTemp(t)
	if v, err := db.Schema(); err != nil || v != store.SchemaVersion {
		t.Fatalf("Schema = %d, %v", v, err)
	}
}

// TestTheMatcherFollowsCommitOrder races registrations against withdrawals
// of the same cases: whatever the interleaving, the matcher must end up
// holding exactly the fingerprints the file holds.
func TestTheMatcherFollowsCommitOrder(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	var wg sync.WaitGroup
	for i := range 20 {
		c := fmt.Sprintf("c%d", i)
		wg.Go(func() {
			_, _ = db.Register(ctx, c, "", []Registration{{Print: hashingtest.Image(uint64(i), uint64(i), byte(i))}}, store.Actor{})
		})
		wg.Go(func() { _, _, _ = db.Withdraw(ctx, c, store.Actor{}) })
	}
	wg.Wait()
	stored, err := db.Fingerprints("")
	if err != nil {
		t.Fatal(err)
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	if len(db.active.fps) != len(stored) {
		t.Fatalf("matcher holds %d fingerprints, the file %d", len(db.active.fps), len(stored))
	}
	for _, f := range stored {
		if db.active.fps[f.ID] == nil {
			t.Fatalf("fingerprint %d is stored but not matched", f.ID)
		}
	}
}
