package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Errors callers act on.
var (
	// ErrNotFound reports a case, fingerprint or alert that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInUse reports a database file locked by another process; the error
	// is an *InUseError naming the holder when it is known.
	ErrInUse = errors.New("database in use")
	// ErrCorrupt reports a value or schema this build cannot read.
	ErrCorrupt = errors.New("database content unreadable")
	// ErrInvalid reports an argument the database refuses (empty case ID,
	// fingerprint without hashes, unknown status).
	ErrInvalid = errors.New("invalid")
	// ErrReadOnly reports a write to a database opened with
	// Options.ReadOnly.
	ErrReadOnly = errors.New("database opened read-only")
	// ErrConflict reports a change the current state does not allow (an
	// alert already decided, a case already withdrawn), typically because
	// someone else acted first.
	ErrConflict = errors.New("conflicts with the current state")
)

// SchemaVersion is the layout version this build writes. Open migrates files
// of older versions and refuses newer ones.
const SchemaVersion = 3

// Options configure Open.
type Options struct {
	// LockTimeout is how long Open waits for another process to release the
	// file before failing with ErrInUse. Zero means one second.
	LockTimeout time.Duration
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
	// ReadOnly opens the file for inspection (backup, verify) without ever
	// writing to it: no migration, no PID file, writes fail with
	// ErrReadOnly. It takes a shared lock, so several read-only opens may
	// run together, but none while a read-write process holds the file (and
	// the reverse). A read-only open succeeds on a file whose layout this
	// build cannot read, so that it can still be backed up and verified;
	// other reads then fail with that problem (ErrCorrupt).
	ReadOnly bool
	// Migrations[v] upgrades a file from schema v to v+1 (see Migration).
	// The rooms that own the migrated values supply them; database.Open
	// passes them all.
	Migrations map[uint32]Migration
}

// Migration upgrades a file from one schema version to the next inside the
// opening transaction; see Codec for how a change of value encoding becomes
// one.
type Migration func(*bolt.Tx) error

// DB is an open hashwatch database file. It is safe for concurrent use.
// The rooms (centres, index, alerts, accounts, takedown, crawlstate) keep their
// records in it through View and Update.
type DB struct {
	bolt       *bolt.DB
	path       string
	now        func() time.Time
	readOnly   bool
	migrations map[uint32]Migration
	// layoutErr is why a read-only DB's layout cannot be read (a schema
	// this build does not read, a missing bucket); nil when it can.
	layoutErr error

	// writeMu serialises each write transaction with the in-memory change
	// it implies, so that in-memory state (the fingerprint matcher) sees
	// changes in commit order (bbolt runs its commit handlers after
	// releasing its writer lock).
	writeMu sync.Mutex

	// damaged holds the error of the first page-check panic: from then on
	// every write is refused, so a damaged file is never written into.
	damaged atomic.Pointer[error]

	// commits counts the write transactions committed (WriteStats).
	commits atomic.Int64
}

// WriteStats is what the DB's writes have cost since it was opened: what
// a measurement divides by the work done (make bench-scale reads it from
// serve's log), since a commit's fsync and the pages it writes are much of
// a busy coordinator's CPU.
type WriteStats struct {
	// Commits counts write transactions committed through Update.
	Commits int64
	// PagesWritten counts the pages bbolt wrote to the file, meta pages
	// included.
	PagesWritten int64
}

// WriteStats returns the writes' cost so far.
func (db *DB) WriteStats() WriteStats {
	st := db.bolt.Stats()
	return WriteStats{Commits: db.commits.Load(), PagesWritten: st.TxStats.GetWrite()}
}

// ErrDamaged reports a database whose pages failed bbolt's own checks
// (bytes changed on disk). It wraps ErrCorrupt. Reads that reach the
// damage fail, every write is refused; run `hashwatch verify`, and restore
// from a backup.
var ErrDamaged = errors.New("database damaged")

// recoverDamage turns a panic inside bbolt — its page checks panic on
// damaged pages ("invalid page type", "unreachable" …) — into ErrDamaged,
// and marks the database damaged. A damaged file must cost one clear error,
// not the process.
func (db *DB) recoverDamage(err *error) {
	r := recover()
	if r == nil {
		return
	}
	e := fmt.Errorf("%w at %s (%v): run `hashwatch verify`, then restore from a backup: %w", ErrDamaged, db.path, r, ErrCorrupt)
	db.damaged.CompareAndSwap(nil, &e)
	*err = e
}

// Damaged returns the error that marked the database damaged, or nil.
func (db *DB) Damaged() error {
	if e := db.damaged.Load(); e != nil {
		return *e
	}
	return nil
}

// Open opens or creates the database at path, migrating an older schema.
// A file locked by another process fails within opts.LockTimeout with an
// *InUseError (errors.Is ErrInUse) that names the holder's PID when it is
// known.
//
// Every commit is fsynced before the call that made it returns (bbolt's
// NoSync stays false), so an acknowledged write survives a crash of the
// process or the machine.
func Open(path string, opts Options) (*DB, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ReadOnly {
		// bbolt would try to lay out an empty file, which read-only it
		// cannot; say what the file is instead.
		if fi, err := os.Stat(path); err == nil && fi.Size() == 0 {
			return nil, fmt.Errorf("open %s: empty file, not a database yet (a read-write command lays it out): %w", path, ErrCorrupt)
		}
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil, fmt.Errorf("open %s: a symbolic link; the database is never opened through one (a planted link could point it at another file): give the real path: %w", path, ErrInvalid)
	}
	var file *os.File
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{
		// Without following a link (one planted between the check above
		// and the open included), and keeping the file for the mode check.
		OpenFile: func(name string, flag int, mode os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag|oNoFollow, mode)
			if err == nil && name == path {
				file = f
			}
			return f, err
		},
		Timeout:  opts.LockTimeout,
		ReadOnly: opts.ReadOnly,
		// Durability: fsync data and freelist on every commit. These are
		// bbolt's defaults, spelled out because turning either on trades
		// acknowledged writes for speed.
		NoSync:         false,
		NoFreelistSync: false,
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, &InUseError{Path: path, PID: holderPID(path)}
		}
		if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) || errors.Is(err, berrors.ErrVersionMismatch) {
			// Both header (meta) pages unusable: zeroed, overwritten, or
			// not a database at all. Say so, and what to do.
			return nil, fmt.Errorf("open %s: its header pages are damaged or it is not a hashwatch database (%v); nothing was written to it: check the path, run `hashwatch verify` on it, and restore from a backup: %w: %w", path, err, ErrDamaged, ErrCorrupt)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{bolt: bdb, path: path, now: opts.Now, readOnly: opts.ReadOnly, migrations: opts.Migrations}
	if opts.ReadOnly {
		db.layoutErr = db.checkLayout()
		return db, nil
	}
	// Written as soon as the lock is held, so that a process waiting for
	// the lock while this one migrates or loads can name it.
	writePIDFile(path)
	if err := tightenMode(file); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// ReadOnly reports whether the DB was opened with Options.ReadOnly.
func (db *DB) ReadOnly() bool { return db.readOnly }

// Close releases the file. The DB must not be used afterwards.
func (db *DB) Close() error {
	if !db.readOnly {
		// Before the lock is released, or the next holder's file could go.
		removePIDFile(db.path)
	}
	return db.bolt.Close()
}

// Now is the DB's clock (Options.Now).
func (db *DB) Now() time.Time { return db.now() }

// View runs fn as one read transaction, refusing a layout this build cannot
// read. Slices fn sees are valid only inside it. A panic of bbolt's page
// checks inside it marks the database damaged (ErrDamaged).
func (db *DB) View(fn func(*bolt.Tx) error) (err error) {
	if db.layoutErr != nil {
		return db.layoutErr
	}
	defer db.recoverDamage(&err)
	return db.bolt.View(fn)
}

// Update runs fn as one write transaction (committed and fsynced when
// Update returns nil) and then, still holding the writer's turn, applies
// the in-memory change after describes (nil for none). One logical change,
// one call: a room writes its records and their audit entry (AppendAudit)
// in the same fn, so they commit or fail together. A damaged database
// takes no write.
func (db *DB) Update(fn func(*bolt.Tx) error, after func()) (err error) {
	if db.readOnly {
		return ErrReadOnly
	}
	if err := db.Damaged(); err != nil {
		return err
	}
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	defer db.recoverDamage(&err)
	if err := db.bolt.Update(fn); err != nil {
		return err
	}
	db.commits.Add(1)
	if after != nil {
		after()
	}
	return nil
}

// init creates the buckets of a new file, or checks and migrates the schema
// of an existing one. A file already at the current layout is not written:
// read-only commands such as `alerts list` cost no fsync.
func (db *DB) init() (err error) {
	defer db.recoverDamage(&err)
	current := false
	err = db.bolt.View(func(tx *bolt.Tx) error {
		if err := checkSize(tx, db.path); err != nil {
			return err
		}
		v, err := schemaOf(tx)
		current = err == nil && v == SchemaVersion && missingBuckets(tx) == nil
		return nil
	})
	if err != nil || current {
		return err
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return createLayout(tx)
		}
		have, err := schemaOf(tx)
		if err != nil {
			return err
		}
		if have > SchemaVersion {
			return fmt.Errorf("schema version %d is newer than this build's %d; upgrade hashwatch: %w", have, SchemaVersion, ErrCorrupt)
		}
		for have < SchemaVersion {
			m, ok := db.migrations[have]
			if !ok {
				return fmt.Errorf("no migration from schema version %d: %w", have, ErrCorrupt)
			}
			if err := m(tx); err != nil {
				return fmt.Errorf("migrate schema %d→%d: %w", have, have+1, err)
			}
			have++
		}
		// Buckets the current layout adds without a migration.
		for _, name := range layout {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, binary.BigEndian.AppendUint32(nil, have))
	})
}

// createLayout lays out a new file. A bbolt file that has buckets but no
// meta bucket is someone else's database: hashwatch refuses to write into
// it.
func createLayout(tx *bolt.Tx) error {
	var foreign []string
	_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		foreign = append(foreign, string(name))
		return nil
	})
	if len(foreign) > 0 {
		return fmt.Errorf("a bbolt file with buckets %q but no hashwatch schema; not a hashwatch database: %w", foreign, ErrCorrupt)
	}
	for _, name := range layout {
		if _, err := tx.CreateBucket([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return tx.Bucket(bucketMeta).Put(keySchemaVersion, binary.BigEndian.AppendUint32(nil, SchemaVersion))
}

// schemaOf reads the schema version stored in tx.
func schemaOf(tx *bolt.Tx) (uint32, error) {
	meta := tx.Bucket(bucketMeta)
	if meta == nil {
		return 0, fmt.Errorf("no meta bucket; not a hashwatch database: %w", ErrCorrupt)
	}
	v := meta.Get(keySchemaVersion)
	if len(v) != 4 {
		return 0, fmt.Errorf("schema version key has %d bytes, want 4: %w", len(v), ErrCorrupt)
	}
	return binary.BigEndian.Uint32(v), nil
}

// missingBuckets names the buckets of the current layout that tx lacks.
func missingBuckets(tx *bolt.Tx) []string {
	var missing []string
	for _, name := range layout {
		if tx.Bucket([]byte(name)) == nil {
			missing = append(missing, name)
		}
	}
	return missing
}

// checkLayout says whether this build can read a read-only DB's layout. It
// recovers from bbolt panicking on a damaged file, so that backup and
// verify still run on it.
func (db *DB) checkLayout() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("read layout of %s: %v: %w", db.path, r, ErrCorrupt)
		}
	}()
	return db.bolt.View(func(tx *bolt.Tx) error {
		if err := checkSize(tx, db.path); err != nil {
			return fmt.Errorf("%s: %w", db.path, err)
		}
		v, err := schemaOf(tx)
		switch {
		case err != nil:
			return fmt.Errorf("%s: %w", db.path, err)
		case v > SchemaVersion:
			return fmt.Errorf("%s: schema version %d is newer than this build's %d; upgrade hashwatch: %w", db.path, v, SchemaVersion, ErrCorrupt)
		case v < SchemaVersion:
			return fmt.Errorf("%s: schema version %d is older than this build's %d; any read-write command migrates it: %w", db.path, v, SchemaVersion, ErrCorrupt)
		}
		if m := missingBuckets(tx); m != nil {
			return fmt.Errorf("%s: buckets %q missing: %w", db.path, m, ErrCorrupt)
		}
		return nil
	})
}

// Schema returns the schema version stored in the file.
func (db *DB) Schema() (uint32, error) {
	var v uint32
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		v, err = schemaOf(tx)
		return err
	})
	return v, err
}

// tightenMode makes the database file readable and writable by its owner
// only. It holds password hashes, session and token hashes and the audit
// log, so a file other users can read (a copy or restore made with the
// umask's 0644) is tightened at every read-write open rather than refused:
// refusing would stop a crawl or the console over a mode the owner can
// always fix, while tightening through the open descriptor costs nothing
// and cannot be redirected. A file we may not chmod (not ours) is refused.
func tightenMode(f *os.File) error {
	if f == nil {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := f.Chmod(fi.Mode().Perm() & 0o700); err != nil {
		return fmt.Errorf("database file mode %v lets other users read it, and it cannot be tightened to owner-only: %w", fi.Mode().Perm(), err)
	}
	return nil
}
