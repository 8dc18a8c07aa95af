package alerts

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
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

func synthVideo(rng *rand.Rand, n int, query bool) hashing.Fingerprint {
	fp := hashing.Fingerprint{Kind: hashing.KindVideo, Format: "mp4", Width: 320, Height: 240}
	step := video.RegistrationInterval
	if query {
		step = video.QueryInterval
	}
	code := func() []hashing.Hash {
		return []hashing.Hash{{Algorithm: hashing.PDQ, Code: hashing.Code{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}, Quality: 100}}
	}
	for i := range n {
		f := hashing.Frame{At: time.Duration(i) * step, Hashes: code()}
		if query {
			f.Mirrored = code()
		} else {
			f.Cropped = code()
		}
		fp.Frames = append(fp.Frames, f)
	}
	fp.Duration = time.Duration(n) * step
	fp.SHA256[0] = byte(rng.Uint32())
	return fp
}

func clipOf(rng *rand.Rand, reg hashing.Fingerprint, from, n, flip int) hashing.Fingerprint {
	q := hashing.Fingerprint{Kind: hashing.KindVideo, Format: "mp4"}
	for i := range n {
		src := reg.Frames[from+2*i]
		c := src.Hashes[0].Code
		for range flip {
			b := rng.IntN(256)
			c[b/64] ^= 1 << (b % 64)
		}
		q.Frames = append(q.Frames, hashing.Frame{
			At:       time.Duration(i) * time.Second,
			Hashes:   []hashing.Hash{{Algorithm: hashing.PDQ, Code: c, Quality: 90}},
			Mirrored: []hashing.Hash{{Algorithm: hashing.PDQ, Code: hashing.Code{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}, Quality: 90}},
		})
	}
	q.Duration = time.Duration(n) * time.Second
	return q
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
