package alerts

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

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
	ix, err := index.Open(st, index.Options{OnWithdraw: CloseCase})
	if err != nil {
		st.Close()
		return nil, err
	}
	db.Index = ix
	al, err := Open(st, ix)
	if err != nil {
		st.Close()
		return nil, err
	}
	db.Store = al
	return db, nil
}

func (db *testDB) Verify(ctx context.Context) (store.Report, error) {
	return db.DB.Verify(ctx, index.Verify, Verify, VerifyIndex, VerifyQuarantine, VerifyRecords)
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

// mutate changes a closed database with raw bbolt, past every check.
func mutate(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	if err := bdb.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// verifyFile verifies a closed database read-only, the way `hashwatch
// verify` does, with this room's checks.
func verifyFile(t *testing.T, path string) store.Report {
	t.Helper()
	db, err := openDB(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// rawUpdate runs fn as one write transaction, past every room's checks:
// for tests that damage or bulk-fill buckets.
func (db *testDB) rawUpdate(fn func(*bolt.Tx) error) error { return db.DB.Update(fn, nil) }
