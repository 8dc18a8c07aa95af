package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// maxProblems caps the problems a Report lists: a badly damaged file must
// not turn verify into a memory hog. The rest are counted in Omitted.
const maxProblems = 1000

// Check is one room's part of Verify: it checks the room's buckets inside
// tx (a consistent snapshot), adds what it finds to r, counts what it
// walked in r's fields, and returns an error only when it cannot go on
// (ctx done). Checks run in the order given, after the store's own (schema,
// buckets, audit log).
type Check func(ctx context.Context, tx *bolt.Tx, r *Report) error

// Problem is one thing Verify found wrong.
type Problem struct {
	// Where is "file" for the bbolt page structure, "meta" for the schema,
	// or BUCKET/KEY for one stored value (alerts/42, cases/"2026-0042").
	Where string `json:"where"`
	What  string `json:"what"`
}

// String is the problem as one line for people: "alerts/42: …".
func (p Problem) String() string { return p.Where + ": " + p.What }

// Report is what Verify checked and found. It is a problem list, not an
// error: Verify fails only when it cannot run.
type Report struct {
	Path         string    `json:"path"`
	Schema       uint32    `json:"schema"`
	Bytes        int64     `json:"bytes"` // size of the committed state checked
	Cases        int       `json:"cases"`
	Fingerprints int       `json:"fingerprints"`
	Alerts       int       `json:"alerts"`
	AlertKeys    int       `json:"alert_keys"`
	Sites        int       `json:"sites"`
	Problems     []Problem `json:"problems"`
	// Omitted counts problems found beyond the first maxProblems.
	Omitted int `json:"omitted"`
	// Damaged is true when the page structure is broken: the values were
	// not read, so the counts above are not the file's (they stay zero).
	Damaged bool `json:"damaged,omitempty"`
}

// OK reports whether Verify found nothing wrong.
func (r *Report) OK() bool { return len(r.Problems) == 0 && r.Omitted == 0 }

// Add records a problem at where (BUCKET/KEY), or counts it in Omitted past
// the cap.
func (r *Report) Add(where, format string, args ...any) {
	if len(r.Problems) >= maxProblems {
		r.Omitted++
		return
	}
	r.Problems = append(r.Problems, Problem{Where: where, What: fmt.Sprintf(format, args...)})
}

// Verify checks the database and reports every problem it finds:
//
//   - the file: not truncated, and bbolt's page consistency check (Tx.Check:
//     every page reachable or free, exactly once, keys in order);
//   - the schema: version key present and equal to SchemaVersion, every
//     bucket present;
//   - every value decodes at its kind's current encoding version, under the
//     key it claims (IDs within their bucket's sequence);
//   - every fingerprint's case exists and is not withdrawn (withdrawal
//     deletes them); every alert's case exists and its status is known;
//   - every alert has its de-duplication key in alertkeys, and every key
//     there points at an existing alert of that media and fingerprint.
//   - the alert queue's secondary indexes and counts (alertquery.go) hold
//     exactly what the alerts imply, at this build's index version.
//
// The page check runs in a write transaction when the DB is read-write
// (bbolt's check reads the shared freelist, which only a writer may), so
// writers wait for it; the value checks run in one read transaction, a
// consistent snapshot that does not block writers. When the page check
// finds damage the value checks are skipped: walking a broken tree can crash.
// ctx is checked between stages and every few thousand values.
func (db *DB) Verify(ctx context.Context, checks ...Check) (Report, error) {
	r := Report{Path: db.path, Problems: []Problem{}}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	damaged, err := db.verifyPages(&r)
	if err != nil {
		return r, fmt.Errorf("verify %s: %w", db.path, err)
	}
	if damaged {
		r.Damaged = true
		r.Add("file", "value checks skipped: the page structure is damaged")
		return r, nil
	}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	err = db.bolt.View(func(tx *bolt.Tx) (err error) {
		defer func() {
			if p := recover(); p != nil {
				r.Damaged = true
				r.Add("file", "reading the data panicked: %v", p)
				err = nil
			}
		}()
		return verifyValues(ctx, tx, &r, checks)
	})
	if err != nil {
		return r, fmt.Errorf("verify %s: %w", db.path, err)
	}
	return r, nil
}

// verifyPages runs the size and page checks; damaged says whether reading
// values would be unsafe.
func (db *DB) verifyPages(r *Report) (damaged bool, err error) {
	check := func(tx *bolt.Tx) error {
		if err := checkSize(tx, db.path); err != nil {
			r.Add("file", "%v", err)
			damaged = true
			return nil
		}
		r.Bytes = tx.Size()
		// Check cannot be stopped; its channel is drained to the end so
		// its goroutine always finishes.
		for err := range tx.Check() {
			r.Add("file", "%v", err)
			damaged = true
		}
		return nil
	}
	if db.readOnly {
		// No writer can run: not in this process, and not in another
		// while this one holds its shared lock.
		err = db.bolt.View(check)
		return damaged, err
	}
	tx, err := db.bolt.Begin(true)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	err = check(tx)
	return damaged, err
}

// verifyValues runs the value and cross-reference checks inside tx.
func verifyValues(ctx context.Context, tx *bolt.Tx, r *Report, checks []Check) error {
	v, err := schemaOf(tx)
	switch {
	case err != nil:
		r.Add("meta", "%v", err)
	case v != SchemaVersion:
		r.Add("meta", "schema version %d, this build's is %d", v, SchemaVersion)
	}
	r.Schema = v
	for _, name := range missingBuckets(tx) {
		r.Add(name, "bucket missing")
	}

	if err := checkAudit(ctx, tx, r); err != nil {
		return err
	}
	for _, check := range checks {
		if err := check(ctx, tx, r); err != nil {
			return err
		}
	}
	return nil
}

// IDWhere names a value keyed by ID and checks the key: 8 bytes, and not
// beyond the bucket's sequence (NextSequence would hand the ID out again and
// a new value would overwrite it).
func IDWhere(bucket string, k []byte, seq uint64, r *Report) (where string, id uint64, ok bool) {
	id, ok = KeyID(k)
	if !ok {
		where = bucket + "/" + KeyString(k)
		r.Add(where, "key of %d bytes, want an 8-byte ID", len(k))
		return where, 0, false
	}
	where = bucket + "/" + strconv.FormatUint(id, 10)
	if id > seq {
		r.Add(where, "ID beyond the bucket's sequence %d: the next new value would overwrite it", seq)
	}
	return where, id, true
}

// Ticker returns a function that checks ctx every 4096 calls.
func Ticker(ctx context.Context) func() error {
	n := 0
	return func() error {
		n++
		if n%4096 == 0 {
			return ctx.Err()
		}
		return nil
	}
}

// ParseSHA256 reads a SHA-256 stored as 64 hex digits.
func ParseSHA256(s string) ([32]byte, error) {
	var sum [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return sum, fmt.Errorf("media SHA-256 %q is not 64 hex digits", s)
	}
	copy(sum[:], b)
	return sum, nil
}

// BytesEqualID reports whether v is the IDKey of id.
func BytesEqualID(v []byte, id uint64) bool {
	got, ok := KeyID(v)
	return ok && got == id
}

// IDString shows an ID key as its number, and anything else as hex.
func IDString(v []byte) string {
	if id, ok := KeyID(v); ok {
		return strconv.FormatUint(id, 10)
	}
	return fmt.Sprintf("%x", v)
}

// KeyString shows an alertkeys key as SHA-256 hex + fingerprint ID, and
// anything else as hex.
func KeyString(k []byte) string {
	if len(k) == 40 {
		id, _ := KeyID(k[32:])
		return hex.EncodeToString(k[:32]) + "+" + strconv.FormatUint(id, 10)
	}
	return hex.EncodeToString(k)
}
