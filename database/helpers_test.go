package database

import (
	"path/filepath"
	"testing"

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
