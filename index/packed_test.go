package index

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

func TestPackedViewsRoundTrip(t *testing.T) {
	views := hashingtest.Image(0x0123456789abcdef, 0xfedcba9876543210, 1).Views
	views = append(views, hashing.View{Name: "empty"})
	b, err := packViews(views)
	if err != nil {
		t.Fatal(err)
	}
	got, err := unpackViews(b)
	if err != nil || !reflect.DeepEqual(got[0], views[0]) || got[1].Name != "empty" || len(got[1].Hashes) != 0 {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	// Cutting inside the first view's hashes is always an error.
	if _, err := unpackViews(b[:len(b)/4]); err == nil {
		t.Fatal("a truncated packing was accepted")
	}
}

// TestMigrationPacksVersion1Fingerprints writes a fingerprint the way
// schema 1 stored it (views as JSON with hex codes) and checks that Open
// migrates it to packed views that match as before.
func TestMigrationPacksVersion1Fingerprints(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hw.db")
	db, err := openDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fp := hashingtest.Image(0xF0F0F0F0F0F0F0F0, 0x0F0F0F0F0F0F0F0F, 1)
	if _, err := db.Register(ctx, "c", "", []Registration{{Print: fp}}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Turn the stored value back into encoding version 1.
	v1 := map[string]any{"id": 1, "case": "c", "kind": "image", "width": 10, "height": 10,
		"sha256": "0100000000000000000000000000000000000000000000000000000000000000", "created_at": "2026-11-30T00:00:00Z"}
	var views []map[string]any
	for _, v := range fp.Views {
		var hs []map[string]any
		for _, h := range v.Hashes {
			hs = append(hs, map[string]any{"alg": string(h.Algorithm), "hex": h.Hex(), "q": h.Quality})
		}
		views = append(views, map[string]any{"name": v.Name, "hashes": hs})
	}
	v1["views"] = views
	body, _ := json.Marshal(v1)
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFingerprints).Put(store.IDKey(1), append([]byte{1}, body...))
	}); err != nil {
		t.Fatal(err)
	}
	bdb.Close()
	setSchema(t, path, 1)

	db, err = openDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if raw := rawGetOpen(t, db, bucketFingerprints, store.IDKey(1)); raw[0] != fingerprintCodec.Version {
		t.Fatalf("value still at encoding version %d", raw[0])
	}
	ms, err := db.Match(ctx, fp, hashing.DefaultRule())
	if err != nil || len(ms) != 1 || ms[0].Fingerprint != 1 || ms[0].Evidence.Distance != 0 {
		t.Fatalf("Match after migration = %+v, %v", ms, err)
	}
	if r, err := db.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("Verify after migration: %+v, %v", r, err)
	}
}

func rawGetOpen(t *testing.T, db *testDB, bucket, key []byte) []byte {
	t.Helper()
	var out []byte
	if err := db.View(func(tx *bolt.Tx) error {
		out = store.Clone(tx.Bucket(bucket).Get(key))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
