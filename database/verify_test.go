package database

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// soak reports whether the long durability runs were asked for (make soak).
func soak() bool { return os.Getenv("HASHWATCH_SOAK") != "" }

// populated creates a closed database holding case "a" with fingerprints 1
// and 2, alert 1 on fingerprint 1 (media SHA-256 0x11…), case "w" withdrawn
// with its alert 2 closed, and the status of site "s". It returns the path.
func populated(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hw.db")
	db, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fps, err := db.Index.Register(ctx, "a", "case a", []index.Registration{
		{Source: "1.jpg", Print: hashingtest.Image(0x1111, 0x2222, 1)},
		{Source: "2.jpg", Print: hashingtest.Image(0x3333, 0x4444, 2)},
	}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := db.Index.Register(ctx, "w", "", []index.Registration{{Source: "3.jpg", Print: hashingtest.Image(0x5555, 0x6666, 3)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range []index.Match{{Fingerprint: fps[0].ID, Case: "a"}, {Fingerprint: w[0].ID, Case: "w"}} {
		if _, _, err := db.Alerts.RecordAlert(ctx, alerts.AlertInput{Site: "s", MediaSHA256: [32]byte{0x11 * byte(i+1)}, Match: m,
			Sighting: alerts.Sighting{PageURL: "http://x/p", MediaURL: "http://x/m.jpg"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := db.Index.Withdraw(ctx, "w", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if err := db.Crawl.PutSiteStatus(crawlstate.SiteStatus{Name: "s", TotalPass: 1}); err != nil {
		t.Fatal(err)
	}
	return path
}

// mutate changes a closed database with raw bbolt, behind the index's back.
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

// verifyFile verifies a closed database the way `hashwatch verify` does.
func verifyFile(t *testing.T, path string) store.Report {
	t.Helper()
	db, err := Open(path, store.Options{ReadOnly: true})
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

// rewrite decodes the JSON of a stored value, lets edit change it and stores
// it back at the same encoding version.
func rewrite(tx *bolt.Tx, bucket []byte, key []byte, edit func(map[string]any)) error {
	b := tx.Bucket(bucket)
	v := b.Get(key)
	var m map[string]any
	if err := json.Unmarshal(v[1:], &m); err != nil {
		return err
	}
	edit(m)
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return b.Put(key, append([]byte{v[0]}, body...))
}

func TestVerifyFindsEachKindOfDamage(t *testing.T) {
	sha1 := [32]byte{0x11}
	tests := []struct {
		name   string
		damage func(tx *bolt.Tx) error
		where  string // prefix of Problem.Where; "" for a clean report
		what   string
	}{
		{"a consistent database has no problems", func(*bolt.Tx) error { return nil }, "", ""},
		{"an alert without its de-duplication key is reported", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketAlertKeys).Delete(alertKey(sha1, 1))
		}, "alerts/1", "de-duplication key (media 11"},
		{"a de-duplication key pointing at a missing alert is reported", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketAlertKeys).Put(alertKey([32]byte{0x99}, 1), store.IDKey(99))
		}, "alertkeys/99", "points at alert 99, which does not exist"},
		{"a de-duplication key pointing at an alert of other media is reported", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketAlertKeys).Put(alertKey([32]byte{0x98}, 1), store.IDKey(1))
		}, "alertkeys/98", "points at alert 1, which is of media 11"},
		{"two alerts for one media and fingerprint are reported", func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketAlerts)
			if err := b.SetSequence(3); err != nil {
				return err
			}
			v := store.Clone(b.Get(store.IDKey(1)))
			if err := b.Put(store.IDKey(3), v); err != nil {
				return err
			}
			return rewrite(tx, bucketAlerts, store.IDKey(3), func(m map[string]any) { m["id"] = 3 })
		}, "alerts/3", "points at alert 1: two alerts for one pair"},
		{"a fingerprint whose case does not exist is reported", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketCases).Delete([]byte("national/a"))
		}, "fingerprints/1", `its case "a" does not exist`},
		{"a fingerprint kept after its case was withdrawn is reported", func(tx *bolt.Tx) error {
			return rewrite(tx, bucketCases, []byte("national/a"), func(m map[string]any) { m["withdrawn_at"] = "2026-01-02T03:04:05Z" })
		}, "fingerprints/2", `its case "a" was withdrawn`},
		{"an alert whose case does not exist is reported", func(tx *bolt.Tx) error {
			return rewrite(tx, bucketAlerts, store.IDKey(1), func(m map[string]any) { m["case"] = "nobody" })
		}, "alerts/1", `its case "nobody" does not exist`},
		{"an alert with an unknown status is reported", func(tx *bolt.Tx) error {
			return rewrite(tx, bucketAlerts, store.IDKey(1), func(m map[string]any) { m["status"] = "lost" })
		}, "alerts/1", `unknown status "lost"`},
		{"a value from a newer build is reported", func(tx *bolt.Tx) error {
			v := store.Clone(tx.Bucket(bucketAlerts).Get(store.IDKey(1)))
			v[0] = 9
			return tx.Bucket(bucketAlerts).Put(store.IDKey(1), v)
		}, "alerts/1", "encoding version 9 is newer"},
		{"a value left at an older encoding version is reported", func(tx *bolt.Tx) error {
			v := store.Clone(tx.Bucket(bucketSites).Get([]byte("s")))
			v[0] = 0
			return tx.Bucket(bucketSites).Put([]byte("s"), v)
		}, `sites/"s"`, "encoding version 0, want 1 (not migrated)"},
		{"a value that is not JSON is reported", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketCases).Put([]byte("a"), []byte{1, '{', 'x'})
		}, `cases/"a"`, "decode case"},
		{"an empty value is reported", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketCases).Put([]byte("a"), nil)
		}, `cases/"a"`, "empty value"},
		{"a fingerprint under another fingerprint's key is reported", func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketFingerprints)
			return b.Put(store.IDKey(1), store.Clone(b.Get(store.IDKey(2))))
		}, "fingerprints/1", "holds fingerprint 2"},
		{"a fingerprint with malformed packed views is reported", func(tx *bolt.Tx) error {
			return rewrite(tx, bucketFingerprints, store.IDKey(2), func(m map[string]any) {
				m["packed"] = "AQ==" // a name length of 1 and no name
			})
		}, "fingerprints/2", "malformed packed views"},
		{"an ID beyond its bucket's sequence is reported", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketFingerprints).SetSequence(1)
		}, "fingerprints/2", "beyond the bucket's sequence 1"},
		{"a key that is not an 8-byte ID is reported", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketAlerts).Put([]byte("x"), store.Clone(tx.Bucket(bucketAlerts).Get(store.IDKey(1))))
		}, "alerts/78", "key of 1 bytes"},
		{"a missing bucket is reported", func(tx *bolt.Tx) error {
			return tx.DeleteBucket(bucketSites)
		}, "sites", "bucket missing"},
		{"a schema version from a newer build is reported", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(keySchemaVersion, binary.BigEndian.AppendUint32(nil, store.SchemaVersion+1))
		}, "meta", fmt.Sprintf("schema version %d, this build's is %d", store.SchemaVersion+1, store.SchemaVersion)},
		{"a malformed schema version is reported", func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte{1})
		}, "meta", "schema version key has 1 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := populated(t)
			mutate(t, path, tt.damage)
			r := verifyFile(t, path)
			if tt.where == "" {
				if !r.OK() {
					t.Fatalf("problems in a consistent database: %v", r.Problems)
				}
				if r.Schema != store.SchemaVersion || r.Cases != 2 || r.Fingerprints != 2 || r.Alerts != 2 || r.AlertKeys != 2 || r.Sites != 1 || r.Bytes == 0 {
					t.Fatalf("report = %+v", r)
				}
				return
			}
			if r.OK() {
				t.Fatal("Verify found no problem")
			}
			for _, p := range r.Problems {
				if strings.HasPrefix(p.Where, tt.where) && strings.Contains(p.What, tt.what) {
					return
				}
			}
			t.Fatalf("no problem at %s containing %q; problems:\n%v", tt.where, tt.what, r.Problems)
		})
	}
}

func TestVerifyFindsDamagedFiles(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
		what   string
	}{
		{"a page of unknown type is reported and the value checks are skipped", func(t *testing.T, path string) {
			// Enough alerts that the bucket has pages of its own.
			db, err := Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			fps, _ := db.Index.Fingerprints("a")
			for i := range 40 {
				if _, _, err := db.Alerts.RecordAlert(context.Background(), alerts.AlertInput{Site: "s", MediaSHA256: [32]byte{0xA0, byte(i)},
					Match: index.Match{Fingerprint: fps[0].ID, Case: "a"}, Sighting: alerts.Sighting{PageURL: "http://x/p", MediaURL: "http://x/m.jpg"}}); err != nil {
					t.Fatal(err)
				}
			}
			var root, pageSize int64
			err = db.Store.View(func(tx *bolt.Tx) error {
				root, pageSize = int64(tx.Bucket(bucketAlerts).Root()), int64(tx.DB().Info().PageSize)
				return nil
			})
			db.Close()
			if err != nil || root == 0 {
				t.Fatalf("alerts bucket root page %d: %v", root, err)
			}
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			// A page header is id (8 bytes), flags (2), count (2), overflow (4).
			if _, err := f.WriteAt([]byte{0, 0}, root*pageSize+8); err != nil {
				t.Fatal(err)
			}
		}, "value checks skipped"},
		{"a truncated file is reported before any page is read", func(t *testing.T, path string) {
			// Cut the last page the last commit needs.
			bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			var size int64
			_ = bdb.View(func(tx *bolt.Tx) error { size = tx.Size() - int64(bdb.Info().PageSize); return nil })
			bdb.Close()
			if err := os.Truncate(path, size); err != nil {
				t.Fatal(err)
			}
		}, "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := populated(t)
			tt.damage(t, path)
			r := verifyFile(t, path)
			found := false
			for _, p := range r.Problems {
				if p.Where != "file" {
					t.Errorf("problem outside the file checks: %v", p)
				}
				found = found || strings.Contains(p.What, tt.what)
			}
			if !found {
				t.Fatalf("no file problem containing %q; problems:\n%v", tt.what, r.Problems)
			}
		})
	}
}

func TestVerifyCapsTheProblemList(t *testing.T) {
	path := populated(t)
	mutate(t, path, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAlertKeys)
		for i := range maxProblems + 10 {
			if err := b.Put(alertKey([32]byte{0xEE, byte(i >> 8), byte(i)}, 1), store.IDKey(1000+uint64(i))); err != nil {
				return err
			}
		}
		return nil
	})
	r := verifyFile(t, path)
	if len(r.Problems) != maxProblems || r.Omitted != 10 || r.OK() {
		t.Fatalf("%d problems listed, %d omitted; want %d and 10", len(r.Problems), r.Omitted, maxProblems)
	}
}

func TestVerifyOfALiveDatabase(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	fps, err := db.Index.Register(ctx, "c", "", []index.Registration{{Print: hashingtest.Image(1, 2, 3)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Alerts.RecordAlert(ctx, alerts.AlertInput{Site: "s", MediaSHA256: [32]byte{1}, Match: index.Match{Fingerprint: fps[0].ID, Case: "c", Evidence: hashing.Evidence{Algorithm: hashing.PHash}}}); err != nil {
		t.Fatal(err)
	}
	r, err := db.Verify(ctx)
	if err != nil || !r.OK() || r.Alerts != 1 || r.AlertKeys != 1 {
		t.Fatalf("Verify of a read-write database = %+v, %v", r, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.Verify(cancelled); err == nil {
		t.Fatal("Verify with a cancelled context succeeded")
	}
}

func TestVerifyFindsBadConsoleRecords(t *testing.T) {
	ctx := context.Background()
	path := populated(t)
	sha := [32]byte{0x77}
	mutate(t, path, func(tx *bolt.Tx) error {
		for _, kv := range []struct {
			bucket []byte
			key    []byte
			val    []byte
		}{
			{[]byte("previews"), sha[:], []byte{1, '{'}},                          // undecodable
			{[]byte("previews"), []byte("short"), []byte{1, '{', '}'}},            // not a SHA-256 key
			{[]byte("notices"), store.IDKey(1), []byte(`{"id":1}`)},               // no version byte
			{[]byte("reports"), store.IDKey(1), append([]byte{1}, `{"id":2}`...)}, // wrong ID
			{[]byte("settings"), []byte("site_contact/s"), []byte{9, '{'}},        // newer encoding
		} {
			if err := tx.Bucket(kv.bucket).Put(kv.key, kv.val); err != nil {
				return err
			}
		}
		tx.Bucket([]byte("notices")).SetSequence(1)
		return tx.Bucket([]byte("reports")).SetSequence(1)
	})
	db, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range r.Problems {
		got = append(got, p.Where)
	}
	for _, want := range []string{"previews/" + hex.EncodeToString(sha[:]), "previews/" + hex.EncodeToString([]byte("short")),
		"notices/1", "reports/1", `settings/"site_contact/s"`} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("Verify did not report %s (problems: %v)", want, r.Problems)
		}
	}
}
