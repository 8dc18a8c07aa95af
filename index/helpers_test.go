package index

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/hashwatch/hashwatch/store"
)

// testDB is a store with the fingerprint index over it, as database.Open
// wires them (without the other rooms).
type testDB struct {
	*Index
	*store.DB
}

func openDB(path string, opts store.Options) (*testDB, error) {
	opts.Migrations = Migrations()
	st, err := store.Open(path, opts)
	if err != nil {
		return nil, err
	}
	ix, err := Open(st, Options{})
	if err != nil {
		st.Close()
		return nil, err
	}
	return &testDB{Index: ix, DB: st}, nil
}

func (db *testDB) Verify(ctx context.Context) (store.Report, error) {
	return db.DB.Verify(ctx, Verify)
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

// setSchema writes schema version v into a closed database with raw bbolt.
func setSchema(t *testing.T, path string, v uint32) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	if err := bdb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint32(nil, v))
	}); err != nil {
		t.Fatal(err)
	}
}
