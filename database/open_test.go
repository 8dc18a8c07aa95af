package database

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// setSchema stores schema version v in a closed database.
func setSchema(t *testing.T, path string, v uint32) {
	t.Helper()
	mutate(t, path, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, binary.BigEndian.AppendUint32(nil, v))
	})
}

// rawGet reads one value of a closed database with raw bbolt.
func rawGet(t *testing.T, path string, bucket, key []byte) []byte {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	var v []byte
	_ = bdb.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucket); b != nil {
			v = store.Clone(b.Get(key))
		}
		return nil
	})
	return v
}

// testMigrations are the migrations withMigration installs, which
// TestSchemaMigrations passes to Open.
var testMigrations map[uint32]store.Migration

// withMigration installs migrations[from] for the length of the test.
func withMigration(t *testing.T, from uint32, m func(*bolt.Tx) error) {
	t.Helper()
	testMigrations = map[uint32]store.Migration{from: m}
	t.Cleanup(func() { testMigrations = nil })
}

func TestSchemaMigrations(t *testing.T) {
	marker := []byte("migrated")
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		wantErr error  // of a read-write Open
		errText string // in its message
		check   func(t *testing.T, path string)
	}{
		{"an older file is migrated in the transaction that records the new version", func(t *testing.T, path string) {
			setSchema(t, path, store.SchemaVersion-1)
			withMigration(t, store.SchemaVersion-1, func(tx *bolt.Tx) error {
				return tx.Bucket(bucketMeta).Put(marker, []byte("yes"))
			})
		}, nil, "", func(t *testing.T, path string) {
			if got := rawGet(t, path, bucketMeta, marker); string(got) != "yes" {
				t.Fatalf("migration did not run: marker = %q", got)
			}
			if r := verifyFile(t, path); !r.OK() || r.Schema != store.SchemaVersion {
				t.Fatalf("after migration: %+v", r)
			}
		}},
		{"a failed migration leaves the file as it was", func(t *testing.T, path string) {
			setSchema(t, path, store.SchemaVersion-1)
			withMigration(t, store.SchemaVersion-1, func(tx *bolt.Tx) error {
				if err := tx.Bucket(bucketMeta).Put(marker, []byte("half")); err != nil {
					return err
				}
				return errors.New("disk on fire")
			})
		}, errors.New("disk on fire"), fmt.Sprintf("migrate schema %d→%d", store.SchemaVersion-1, store.SchemaVersion), func(t *testing.T, path string) {
			if got := rawGet(t, path, bucketMeta, marker); got != nil {
				t.Fatalf("a failed migration left %q behind", got)
			}
			if v := rawGet(t, path, bucketMeta, keySchemaVersion); binary.BigEndian.Uint32(v) != store.SchemaVersion-1 {
				t.Fatalf("schema version now %d", binary.BigEndian.Uint32(v))
			}
		}},
		{"an older file without a migration is refused", func(t *testing.T, path string) {
			setSchema(t, path, 0) // older than any migration
		}, store.ErrCorrupt, "no migration from schema version 0", nil},
		{"a file from a newer build is refused and left alone", func(t *testing.T, path string) {
			setSchema(t, path, store.SchemaVersion+1)
		}, store.ErrCorrupt, "newer than this build's", func(t *testing.T, path string) {
			if v := rawGet(t, path, bucketMeta, keySchemaVersion); binary.BigEndian.Uint32(v) != store.SchemaVersion+1 {
				t.Fatalf("schema version now %d", binary.BigEndian.Uint32(v))
			}
		}},
		{"a file without its schema version is refused", func(t *testing.T, path string) {
			mutate(t, path, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keySchemaVersion) })
		}, store.ErrCorrupt, "schema version key has 0 bytes", nil},
		{"another program's bbolt file is refused and left alone", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			mutate(t, path, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("theirs")); return err })
		}, store.ErrCorrupt, "not a hashwatch database", func(t *testing.T, path string) {
			bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer bdb.Close()
			_ = bdb.View(func(tx *bolt.Tx) error {
				if tx.Bucket(bucketMeta) != nil {
					t.Error("hashwatch buckets were added to another program's file")
				}
				return nil
			})
		}},
		{"a missing bucket of the current layout is recreated", func(t *testing.T, path string) {
			mutate(t, path, func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketSites) })
		}, nil, "", func(t *testing.T, path string) {
			if r := verifyFile(t, path); !r.OK() {
				t.Fatalf("after reopening: %v", r.Problems)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := populated(t)
			tt.prepare(t, path)
			db, err := Open(path, store.Options{Migrations: testMigrations})
			if err == nil {
				db.Close()
			}
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Open: %v", err)
			case tt.wantErr != nil && err == nil:
				t.Fatalf("Open succeeded, want an error containing %q", tt.errText)
			case err != nil && !strings.Contains(err.Error(), tt.errText):
				t.Fatalf("Open: %v, want a message containing %q", err, tt.errText)
			case tt.wantErr == store.ErrCorrupt && !errors.Is(err, store.ErrCorrupt):
				t.Fatalf("Open: %v, want store.ErrCorrupt", err)
			}
			if tt.check != nil {
				tt.check(t, path)
			}
		})
	}
}

// fileSum is the SHA-256 of a file's bytes.
func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestOpeningACurrentFileDoesNotWriteIt(t *testing.T) {
	path := populated(t)
	before := fileSum(t, path)
	db, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Alerts.Alerts(alerts.AlertFilter{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if fileSum(t, path) != before {
		t.Fatal("opening and reading a current database changed the file")
	}
}

func TestReadOnlyOpen(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, path string)
	}{
		{"a read-only open never writes the file, even to back it up and verify it", func(t *testing.T, path string) {
			before := fileSum(t, path)
			db, err := Open(path, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Alerts.Alerts(alerts.AlertFilter{}); err != nil {
				t.Fatal(err)
			}
			if r, err := db.Verify(ctx); err != nil || !r.OK() {
				t.Fatalf("Verify: %+v, %v", r, err)
			}
			if _, err := db.Store.Backup(ctx, &bytes.Buffer{}); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(pidPath(path)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a read-only open wrote a PID file: %v", err)
			}
			db.Close()
			if fileSum(t, path) != before {
				t.Fatal("the file changed")
			}
		}},
		{"writes to a read-only database fail with store.ErrReadOnly", func(t *testing.T, path string) {
			db, err := Open(path, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Index.Register(ctx, "new", "", []index.Registration{{Print: hashingtest.Image(1, 1, 1)}}, store.Actor{}); !errors.Is(err, store.ErrReadOnly) {
				t.Errorf("Register: %v", err)
			}
			if _, err := db.Alerts.DecideAlert(ctx, 1, alerts.StatusConfirmed, "", store.Actor{}); !errors.Is(err, store.ErrReadOnly) {
				t.Errorf("DecideAlert: %v", err)
			}
			if _, _, err := db.Index.Withdraw(ctx, "a", store.Actor{}); !errors.Is(err, store.ErrReadOnly) {
				t.Errorf("Withdraw: %v", err)
			}
		}},
		{"a read-only database loads the matcher at the first Match", func(t *testing.T, path string) {
			db, err := Open(path, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ms, err := db.Index.Match(ctx, hashingtest.Image(0x1111, 0x2222, 9), hashing.DefaultRule())
			if err != nil || len(ms) == 0 || ms[0].Fingerprint != 1 || ms[0].Evidence.Distance != 0 {
				t.Fatalf("Match = %+v, %v", ms, err)
			}
		}},
		{"two read-only opens share the file", func(t *testing.T, path string) {
			a, err := Open(path, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			b, err := Open(path, store.Options{ReadOnly: true, LockTimeout: 100 * time.Millisecond})
			if err != nil {
				t.Fatalf("second read-only open: %v", err)
			}
			b.Close()
		}},
		{"a writer cannot open a file being backed up, and fails fast", func(t *testing.T, path string) {
			r, err := Open(path, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			_, err = Open(path, store.Options{LockTimeout: 100 * time.Millisecond})
			var inUse *store.InUseError
			if !errors.As(err, &inUse) || !errors.Is(err, store.ErrInUse) || inUse.PID != 0 || !strings.Contains(err.Error(), "database in use by another process") {
				t.Fatalf("err = %v", err)
			}
		}},
		{"a reader cannot open a file being written, and the error names the writer", func(t *testing.T, path string) {
			w, err := Open(path, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			_, err = Open(path, store.Options{ReadOnly: true, LockTimeout: 100 * time.Millisecond})
			var inUse *store.InUseError
			if !errors.As(err, &inUse) || inUse.PID != os.Getpid() || !strings.Contains(err.Error(), fmt.Sprintf("database in use by PID %d", os.Getpid())) {
				t.Fatalf("err = %v", err)
			}
		}},
		{"a read-only open of an empty file says it is not a database yet", func(t *testing.T, path string) {
			empty := filepath.Join(filepath.Dir(path), "empty.db")
			if err := os.WriteFile(empty, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(empty, store.Options{ReadOnly: true}); !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "empty file") {
				t.Fatalf("err = %v", err)
			}
		}},
		{"a read-only open of a missing file fails without creating it", func(t *testing.T, path string) {
			missing := filepath.Join(filepath.Dir(path), "missing.db")
			if _, err := Open(missing, store.Options{ReadOnly: true}); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("err = %v", err)
			}
			if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the file was created: %v", err)
			}
		}},
		{"reads of a file of another schema fail but it can still be verified", func(t *testing.T, path string) {
			setSchema(t, path, store.SchemaVersion+1)
			db, err := Open(path, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Alerts.Alerts(alerts.AlertFilter{}); !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "upgrade hashwatch") {
				t.Errorf("Alerts: %v", err)
			}
			if _, err := db.Store.Backup(ctx, &bytes.Buffer{}); err != nil {
				t.Errorf("Backup: %v", err)
			}
			if r, err := db.Verify(ctx); err != nil || r.OK() {
				t.Errorf("Verify = %+v, %v; want a schema problem", r, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, populated(t)) })
	}
}

func TestInUseNamesOnlyALiveHolder(t *testing.T) {
	_, path := openTemp(t)
	// A holder killed with SIGKILL leaves its PID file behind; a PID beyond
	// Linux's pid_max stands for it.
	if err := os.WriteFile(pidPath(path), []byte("2147483000"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, store.Options{LockTimeout: 100 * time.Millisecond})
	var inUse *store.InUseError
	if !errors.As(err, &inUse) || inUse.PID != 0 {
		t.Fatalf("err = %v, want an in-use error naming no PID", err)
	}
}

func TestOpenLockedDatabaseNamesThisProcess(t *testing.T) {
	_, path := openTemp(t)
	start := time.Now()
	_, err := Open(path, store.Options{LockTimeout: 300 * time.Millisecond})
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("second Open took %v", elapsed)
	}
	want := fmt.Sprintf("database in use by PID %d", os.Getpid())
	if !errors.Is(err, store.ErrInUse) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestAMatchMadeBeforeAWithdrawalRaisesNoAlert(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	fps, err := db.Index.Register(ctx, "c", "", []index.Registration{{Print: hashingtest.Image(1, 2, 3)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := db.Index.Match(ctx, hashingtest.Image(1, 2, 9), hashing.DefaultRule())
	if err != nil || len(ms) != 1 || ms[0].Fingerprint != fps[0].ID {
		t.Fatalf("Match = %+v, %v", ms, err)
	}
	if _, _, err := db.Index.Withdraw(ctx, "c", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	_, created, err := db.Alerts.RecordAlert(ctx, alerts.AlertInput{Site: "s", MediaSHA256: [32]byte{1}, Match: ms[0]})
	if !errors.Is(err, store.ErrNotFound) || created {
		t.Fatalf("RecordAlert after withdrawal: created=%v err=%v", created, err)
	}
	if all, _ := db.Alerts.Alerts(alerts.AlertFilter{}); len(all) != 0 {
		t.Fatalf("%d alerts recorded for a withdrawn case", len(all))
	}
	if r, err := db.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("Verify: %+v, %v", r, err)
	}
}

// TestBorrow checks that closing a borrowed handle leaves the owner's
// database open, and that closing the owner closes it.
func TestBorrow(t *testing.T) {
	db, _ := openTemp(t)
	b := db.Borrow()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Index.Cases(); err != nil {
		t.Fatalf("the owner's database after a borrowed handle was closed: %v", err)
	}
	if _, err := b.Index.Cases(); err != nil {
		t.Fatalf("the borrowed handle after its Close: %v", err)
	}
}
