package crawlstate

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hashwatch/hashwatch/alerts"
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
