package store

import (
	"path/filepath"
	"testing"
)

func TestCommitsAreFsynced(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "hw.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.bolt.NoSync || db.bolt.NoFreelistSync || db.bolt.NoGrowSync {
		t.Fatalf("NoSync=%v NoFreelistSync=%v NoGrowSync=%v: an acknowledged write could be lost", db.bolt.NoSync, db.bolt.NoFreelistSync, db.bolt.NoGrowSync)
	}
}
