package database

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// TestBackupWhileWriting takes backups (and verifies the live database)
// while another goroutine registers fingerprints and records alerts as fast
// as it can, and checks that each backup opens, verifies clean, and holds
// every write acknowledged before it began and nothing that was never
// acknowledged.
func TestBackupWhileWriting(t *testing.T) {
	rounds, between := 6, 5
	if soak() {
		rounds, between = 60, 20
	}
	db, _ := openTemp(t)
	dir := t.TempDir()

	ctx, stop := context.WithCancel(context.Background())
	var (
		mu    sync.Mutex
		acked = map[uint64]bool{} // fingerprint IDs whose registration returned
		wrote = make(chan struct{}, 1)
	)
	writerDone := make(chan error, 1)
	go func() {
		writerDone <- func() error {
			for i := 0; ; i++ {
				c := fmt.Sprintf("w-%d", i)
				fps, err := db.Index.Register(ctx, c, "", []index.Registration{
					{Print: hashingtest.Image(uint64(i)*0x9E3779B97F4A7C15, ^uint64(i), byte(i))},
					{Print: hashingtest.Image(uint64(i)*0xC2B2AE3D27D4EB4F, uint64(i), byte(i))},
				}, store.Actor{})
				if ctx.Err() != nil {
					return nil
				}
				if err != nil {
					return err
				}
				_, _, err = db.Alerts.RecordAlert(ctx, alerts.AlertInput{Site: "s", MediaSHA256: [32]byte{byte(i), byte(i >> 8), byte(i >> 16)},
					Match: index.Match{Fingerprint: fps[0].ID, Case: c}, Sighting: alerts.Sighting{PageURL: "http://x/p", MediaURL: "http://x/m.jpg"}})
				if ctx.Err() != nil {
					return nil
				}
				if err != nil {
					return err
				}
				mu.Lock()
				for _, f := range fps {
					acked[f.ID] = true
				}
				mu.Unlock()
				select {
				case wrote <- struct{}{}:
				default:
				}
			}
		}()
	}()
	// The writer stops before the test ends, whatever happens.
	stopWriter := sync.OnceValue(func() error { stop(); return <-writerDone })
	defer stopWriter()

	ackedNow := func() map[uint64]bool {
		mu.Lock()
		defer mu.Unlock()
		m := make(map[uint64]bool, len(acked))
		for id := range acked {
			m[id] = true
		}
		return m
	}
	type backup struct {
		path   string
		before map[uint64]bool
	}
	var backups []backup
	for round := range rounds {
		// Wait for the writer to make progress since the last backup.
		deadline := time.After(time.Minute)
		target := len(ackedNow()) + 2*between
		for len(ackedNow()) < target {
			select {
			case <-wrote:
			case err := <-writerDone:
				t.Fatalf("writer stopped: %v", err)
			case <-deadline:
				t.Fatalf("writer made fewer than %d registrations in a minute", between)
			}
		}
		b := backup{path: filepath.Join(dir, fmt.Sprintf("backup-%d.db", round)), before: ackedNow()}
		if round%2 == 0 {
			if _, err := db.Store.BackupFile(context.Background(), b.path); err != nil {
				t.Fatal(err)
			}
		} else {
			var buf bytes.Buffer
			n, err := db.Store.Backup(context.Background(), &buf)
			if err != nil || n != int64(buf.Len()) {
				t.Fatalf("Backup = %d, %v; wrote %d bytes", n, err, buf.Len())
			}
			if err := os.WriteFile(b.path, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		backups = append(backups, b)
		// Verify a live database too: its page check takes the writer's
		// turn, its value checks a snapshot.
		if r, err := db.Verify(context.Background()); err != nil || !r.OK() {
			t.Fatalf("Verify while writing: %v, %v", r.Problems, err)
		}
	}
	if err := stopWriter(); err != nil {
		t.Fatalf("writer: %v", err)
	}
	final := ackedNow()
	if r, err := db.Verify(context.Background()); err != nil || !r.OK() {
		t.Fatalf("live database after the writes: %+v, %v", r.Problems, err)
	}

	for _, b := range backups {
		r := verifyFile(t, b.path)
		if !r.OK() {
			t.Fatalf("%s: %v", b.path, r.Problems)
		}
		bdb, err := Open(b.path, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		fps, err := bdb.Index.Fingerprints("")
		bdb.Close()
		if err != nil {
			t.Fatal(err)
		}
		in := map[uint64]bool{}
		for _, f := range fps {
			in[f.ID] = true
			if !final[f.ID] {
				t.Errorf("%s holds fingerprint %d, which was never acknowledged", b.path, f.ID)
			}
		}
		for id := range b.before {
			if !in[id] {
				t.Errorf("%s lacks fingerprint %d, acknowledged before the backup began", b.path, id)
			}
		}
		// Each registration (a case and two fingerprints) is one
		// transaction and its alert the next, so a backup may fall between
		// the two, but never inside either.
		if r.Fingerprints != 2*r.Cases || (r.Alerts != r.Cases && r.Alerts != r.Cases-1) {
			t.Errorf("%s: %d cases, %d fingerprints, %d alerts: a registration was torn", b.path, r.Cases, r.Fingerprints, r.Alerts)
		}
	}
	t.Logf("%d backups while %d registrations were written", len(backups), len(final)/2)
}

func TestBackupFile(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, db *DB, dir string)
	}{
		{"a backup replaces an older backup with a complete copy", func(t *testing.T, db *DB, dir string) {
			dst := filepath.Join(dir, "b.db")
			if err := os.WriteFile(dst, []byte("yesterday's backup"), 0o600); err != nil {
				t.Fatal(err)
			}
			n, err := db.Store.BackupFile(context.Background(), dst)
			if err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(dst)
			if err != nil || fi.Size() != n || fi.Mode().Perm() != 0o600 {
				t.Fatalf("backup file: %v, %v; want %d bytes, mode 0600", fi, err, n)
			}
			if r := verifyFile(t, dst); !r.OK() || r.Fingerprints != 1 {
				t.Fatalf("backup: %+v", r)
			}
		}},
		{"a backup refuses to replace the database itself", func(t *testing.T, db *DB, dir string) {
			if _, err := db.Store.BackupFile(context.Background(), db.Store.Path()); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("err = %v, want store.ErrInvalid", err)
			}
			if r, err := db.Verify(context.Background()); err != nil || !r.OK() {
				t.Fatalf("database after the refused backup: %v", r.Problems)
			}
		}},
		{"a backup refuses a directory", func(t *testing.T, db *DB, dir string) {
			if _, err := db.Store.BackupFile(context.Background(), dir); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("err = %v, want store.ErrInvalid", err)
			}
		}},
		{"a cancelled backup leaves the old file and no temporary file", func(t *testing.T, db *DB, dir string) {
			dst := filepath.Join(dir, "b.db")
			if err := os.WriteFile(dst, []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if _, err := db.Store.BackupFile(ctx, dst); !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if b, _ := os.ReadFile(dst); string(b) != "old" {
				t.Fatalf("backup file now holds %d bytes", len(b))
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() != "b.db" && e.Name() != "hw.db" && e.Name() != "hw.db.pid" {
					t.Errorf("left behind: %s", e.Name())
				}
			}
		}},
		{"a backup into a missing directory fails and says where", func(t *testing.T, db *DB, dir string) {
			_, err := db.Store.BackupFile(context.Background(), filepath.Join(dir, "nope", "b.db"))
			if !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("err = %v, want ErrNotExist", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			db, err := Open(filepath.Join(dir, "hw.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Index.Register(context.Background(), "c", "", []index.Registration{{Print: hashingtest.Image(1, 2, 3)}}, store.Actor{}); err != nil {
				t.Fatal(err)
			}
			tt.run(t, db, dir)
		})
	}
}
