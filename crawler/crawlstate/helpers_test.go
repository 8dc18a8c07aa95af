package crawlstate

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// testDB is a store with the rooms these tests use over it, wired as
// database.Open wires them.
type testDB struct {
	*store.DB
	*Store
	*index.Index
}

func openDB(path string, opts store.Options) (*testDB, error) {
	opts.Migrations = index.Migrations()
	st, err := store.Open(path, opts)
	if err != nil {
		return nil, err
	}
	db := &testDB{DB: st}
	db.Store = New(st)
	ix, err := index.Open(st, index.Options{OnWithdraw: alerts.CloseCase})
	if err != nil {
		st.Close()
		return nil, err
	}
	db.Index = ix
	return db, nil
}

func (db *testDB) Verify(ctx context.Context) (store.Report, error) {
	return db.DB.Verify(ctx, index.Verify, Verify)
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
