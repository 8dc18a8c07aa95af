package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Errors callers act on.
var (
	// ErrNotFound reports a case, fingerprint or alert that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInUse reports a database file locked by another process.
	ErrInUse = errors.New("database in use")
	// ErrCorrupt reports a value or schema this build cannot read.
	ErrCorrupt = errors.New("database content unreadable")
	// ErrInvalid reports an argument the database refuses (empty case ID,
	// fingerprint without hashes, unknown status).
	ErrInvalid = errors.New("invalid")
)

// SchemaVersion is the layout version this build writes. Open migrates files
// of older versions and refuses newer ones.
const SchemaVersion = 1

var (
	bucketMeta         = []byte("meta")
	bucketCases        = []byte("cases")
	bucketFingerprints = []byte("fingerprints")
	bucketAlerts       = []byte("alerts")
	bucketAlertKeys    = []byte("alertkeys")
	bucketSites        = []byte("sites")
	bucketCrawl        = []byte("crawl")

	keySchemaVersion = []byte("schema_version")

	allBuckets = [][]byte{bucketMeta, bucketCases, bucketFingerprints, bucketAlerts, bucketAlertKeys, bucketSites, bucketCrawl}
)

// Options configure Open.
type Options struct {
	// LockTimeout is how long Open waits for another process to release the
	// file before failing with ErrInUse. Zero means one second.
	LockTimeout time.Duration
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// DB is an open hashwatch database. It is safe for concurrent use.
type DB struct {
	bolt *bolt.DB
	path string
	now  func() time.Time

	mu     sync.RWMutex
	active map[uint64]*Fingerprint // registered fingerprints of open cases
}

// Open opens or creates the database at path, migrating an older schema.
// A file locked by another process fails within opts.LockTimeout with an
// error wrapping ErrInUse that names the holder's PID when it is known.
func Open(path string, opts Options) (*DB, error) {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.LockTimeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			holder := ""
			if pid := readPID(path); pid > 0 {
				holder = fmt.Sprintf(" by PID %d", pid)
			}
			return nil, fmt.Errorf("open %s: %w%s (another hashwatch is running; stop it or use another --db)", path, ErrInUse, holder)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{bolt: bdb, path: path, now: opts.Now, active: map[uint64]*Fingerprint{}}
	if err := db.init(); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.loadActive(); err != nil {
		bdb.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// The PID file only improves the "in use" message; failing to write it
	// is not an error.
	_ = os.WriteFile(pidPath(path), []byte(strconv.Itoa(os.Getpid())), 0o600)
	return db, nil
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// Close releases the file. The DB must not be used afterwards.
func (db *DB) Close() error {
	_ = os.Remove(pidPath(db.path))
	return db.bolt.Close()
}

func pidPath(path string) string { return path + ".pid" }

func readPID(path string) int {
	b, err := os.ReadFile(pidPath(path))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// init creates the buckets and checks or migrates the schema version.
func (db *DB) init() error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		v := meta.Get(keySchemaVersion)
		switch {
		case v == nil:
			return meta.Put(keySchemaVersion, binary.BigEndian.AppendUint32(nil, SchemaVersion))
		case len(v) != 4:
			return fmt.Errorf("schema version key has %d bytes: %w", len(v), ErrCorrupt)
		}
		have := binary.BigEndian.Uint32(v)
		if have > SchemaVersion {
			return fmt.Errorf("schema version %d is newer than this build's %d; upgrade hashwatch: %w", have, SchemaVersion, ErrCorrupt)
		}
		for have < SchemaVersion {
			m, ok := migrations[have]
			if !ok {
				return fmt.Errorf("no migration from schema version %d: %w", have, ErrCorrupt)
			}
			if err := m(tx); err != nil {
				return fmt.Errorf("migrate schema %d→%d: %w", have, have+1, err)
			}
			have++
		}
		return meta.Put(keySchemaVersion, binary.BigEndian.AppendUint32(nil, have))
	})
}

// migrations[v] upgrades a file from schema v to v+1 inside the opening
// transaction. Version 1 is the first layout, so there are none yet.
var migrations = map[uint32]func(*bolt.Tx) error{}

// Schema returns the schema version stored in the file.
func (db *DB) Schema() (uint32, error) {
	var v uint32
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta).Get(keySchemaVersion)
		if len(b) != 4 {
			return fmt.Errorf("schema version missing: %w", ErrCorrupt)
		}
		v = binary.BigEndian.Uint32(b)
		return nil
	})
	return v, err
}
