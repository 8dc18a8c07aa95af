package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the whole database to w while other
// goroutines keep reading and writing it: one bbolt read transaction pins
// the last committed state, and its pages are copied from the file (pages a
// writer frees meanwhile are not reused until the copy ends). The copy is a
// bbolt file that opens as a hashwatch database. It returns the number of
// bytes written.
//
// Only the process holding the database can do this: bbolt locks the file
// against other processes, and a copy made from outside without the lock
// could be torn. A long-running process (crawl, serve) therefore exposes
// Backup itself, e.g. as an HTTP download; see the package documentation.
//
// While the copy runs the file may grow (freed pages wait for it), and a
// writer that must grow bbolt's memory map waits for it to finish.
// Cancelling ctx stops the copy at the next chunk.
func (db *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if err := checkSize(tx, db.path); err != nil {
			return err
		}
		var err error
		n, err = tx.WriteTo(ctxWriter{ctx, w})
		return err
	})
	if cerr := ctx.Err(); cerr != nil {
		// bbolt formats some write errors with %s, losing the cause.
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("back up %s: %w", db.path, err)
	}
	return n, nil
}

// BackupFile writes a consistent copy of the database to path, atomically:
// the copy goes to a temporary file beside path, is fsynced, is checked page
// by page (bbolt's Tx.Check, so a bad copy never replaces a good one), and
// only then renamed over path, and the directory is fsynced. A failed or
// cancelled backup leaves path as it was and no temporary file behind.
// path must not be the database itself. It returns the copy's size.
func (db *DB) BackupFile(ctx context.Context, path string) (n int64, err error) {
	if err := db.refuseBackupTarget(path); err != nil {
		return 0, err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return 0, fmt.Errorf("back up %s: %w", db.path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if n, err = db.Backup(ctx, tmp); err != nil {
		return 0, err
	}
	if err = tmp.Sync(); err != nil {
		return 0, fmt.Errorf("back up %s: sync %s: %w", db.path, tmp.Name(), err)
	}
	if err = tmp.Close(); err != nil {
		return 0, fmt.Errorf("back up %s: close %s: %w", db.path, tmp.Name(), err)
	}
	if err = checkPagesOf(tmp.Name()); err != nil {
		return 0, fmt.Errorf("back up %s: the copy failed its check, %s was not replaced: %w", db.path, path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("back up %s: %w", db.path, err)
	}
	if err = syncDir(dir); err != nil {
		return 0, fmt.Errorf("back up %s: the copy is at %s but its directory was not synced: %w", db.path, path, err)
	}
	return n, nil
}

// refuseBackupTarget refuses a backup path that would replace the database
// (renaming over the open file would drop every later write) or that is a
// directory.
func (db *DB) refuseBackupTarget(path string) error {
	dst, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("back up to %s: %w", path, err)
	}
	if dst.IsDir() {
		return fmt.Errorf("back up to %s: is a directory; name the backup file: %w", path, ErrInvalid)
	}
	if src, err := os.Stat(db.path); err == nil && os.SameFile(src, dst) {
		return fmt.Errorf("back up to %s: that is the database itself; name another file: %w", path, ErrInvalid)
	}
	return nil
}

// checkPagesOf opens a closed bbolt file read-only and runs bbolt's page
// consistency check on it.
func checkPagesOf(path string) error {
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer bdb.Close()
	return bdb.View(func(tx *bolt.Tx) error {
		if err := checkSize(tx, path); err != nil {
			return err
		}
		var errs []string
		for err := range tx.Check() {
			if len(errs) < 10 {
				errs = append(errs, err.Error())
			}
		}
		if len(errs) > 0 {
			return fmt.Errorf("%s: %w", strings.Join(errs, "; "), ErrCorrupt)
		}
		return nil
	})
}

// checkSize refuses a file shorter than its last commit says, before any of
// its pages is read: bbolt maps the file into memory, and touching a page
// past its end kills the process (SIGBUS) instead of returning an error.
func checkSize(tx *bolt.Tx, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Size() < tx.Size() {
		return fmt.Errorf("file is %d bytes but its last commit needs %d: truncated (restore it from a backup): %w", fi.Size(), tx.Size(), ErrCorrupt)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ctxWriter stops a copy when its context is done.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
