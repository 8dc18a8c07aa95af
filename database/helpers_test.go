package database

import (
	"path/filepath"
	"testing"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/store"
)

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hw.db")
	db, err := Open(path, store.Options{})
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

// The file's buckets and keys these tests damage on purpose, named as the
// rooms name them.
var (
	bucketMeta         = []byte("meta")
	bucketCases        = []byte("cases")
	bucketFingerprints = []byte("fingerprints")
	bucketAlerts       = []byte("alerts")
	bucketAlertKeys    = []byte("alertkeys")
	bucketSites        = []byte("sites")
	keySchemaVersion   = []byte("schema_version")
)

// maxProblems is the cap store.Report documents on the problems it lists.
const maxProblems = 1000

// alertKey is an alert's de-duplication key: SHA-256 ‖ big-endian
// fingerprint ID (see the alerts room).
func alertKey(sha [32]byte, fingerprint uint64) []byte {
	return append(append(make([]byte, 0, 40), sha[:]...), store.IDKey(fingerprint)...)
}

// pidPath is where the holder of path names itself (README: PATH.pid).
func pidPath(path string) string { return path + ".pid" }
