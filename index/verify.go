package index

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

func (r *Report) add(where, format string, args ...any) {
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
func (db *DB) Verify(ctx context.Context) (Report, error) {
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
		r.add("file", "value checks skipped: the page structure is damaged")
		return r, nil
	}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	err = db.bolt.View(func(tx *bolt.Tx) (err error) {
		defer func() {
			if p := recover(); p != nil {
				r.Damaged = true
				r.add("file", "reading the data panicked: %v", p)
				err = nil
			}
		}()
		return verifyValues(ctx, tx, &r)
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
			r.add("file", "%v", err)
			damaged = true
			return nil
		}
		r.Bytes = tx.Size()
		// Check cannot be stopped; its channel is drained to the end so
		// its goroutine always finishes.
		for err := range tx.Check() {
			r.add("file", "%v", err)
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
func verifyValues(ctx context.Context, tx *bolt.Tx, r *Report) error {
	v, err := schemaOf(tx)
	switch {
	case err != nil:
		r.add("meta", "%v", err)
	case v != SchemaVersion:
		r.add("meta", "schema version %d, this build's is %d", v, SchemaVersion)
	}
	r.Schema = v
	for _, name := range missingBuckets(tx) {
		r.add(name, "bucket missing")
	}
	tick := ticker(ctx)

	// Cases, kept (ID → withdrawn) for the cross-checks; there are few.
	cases := map[string]bool{}
	if b := tx.Bucket(bucketCases); b != nil {
		err := b.ForEach(func(k, v []byte) error {
			r.Cases++
			where := "cases/" + strconv.Quote(string(k))
			var c Case
			if err := caseCodec.decodeCurrent(v, &c); err != nil {
				r.add(where, "%v", err)
				return tick()
			}
			if c.ID != string(k) {
				r.add(where, "holds case %q", c.ID)
			}
			if err := validCaseID(c.ID); err != nil {
				r.add(where, "%v", err)
			}
			cases[string(k)] = c.Withdrawn()
			return tick()
		})
		if err != nil {
			return err
		}
	}

	if b := tx.Bucket(bucketFingerprints); b != nil {
		seq := b.Sequence()
		err := b.ForEach(func(k, v []byte) error {
			r.Fingerprints++
			where, id, ok := idWhere("fingerprints", k, seq, r)
			var rec fingerprintRecord
			if err := fingerprintCodec.decodeCurrent(v, &rec); err != nil {
				r.add(where, "%v", err)
				return tick()
			}
			if _, err := fromRecord(rec); err != nil {
				r.add(where, "%v", err)
			}
			if ok && rec.ID != id {
				r.add(where, "holds fingerprint %d", rec.ID)
			}
			switch withdrawn, exists := cases[rec.Case]; {
			case !exists:
				r.add(where, "its case %q does not exist", rec.Case)
			case withdrawn:
				r.add(where, "its case %q was withdrawn, which should have deleted it", rec.Case)
			}
			return tick()
		})
		if err != nil {
			return err
		}
	}

	alerts, keys := tx.Bucket(bucketAlerts), tx.Bucket(bucketAlertKeys)
	if alerts != nil {
		seq := alerts.Sequence()
		err := alerts.ForEach(func(k, v []byte) error {
			r.Alerts++
			where, id, ok := idWhere("alerts", k, seq, r)
			var a Alert
			if err := alertCodec.decodeCurrent(v, &a); err != nil {
				r.add(where, "%v", err)
				return tick()
			}
			if ok && a.ID != id {
				r.add(where, "holds alert %d", a.ID)
			}
			if !a.Status.Valid() {
				r.add(where, "unknown status %q", a.Status)
			}
			if _, exists := cases[a.Case]; !exists {
				r.add(where, "its case %q does not exist", a.Case)
			}
			sha, err := parseSHA256(a.MediaSHA256)
			if err != nil {
				r.add(where, "%v", err)
				return tick()
			}
			if keys == nil {
				return tick()
			}
			key := alertKey(sha, a.Fingerprint)
			switch got := keys.Get(key); {
			case got == nil:
				r.add(where, "its de-duplication key (media %s, fingerprint %d) is missing from alertkeys, so the same media would alert again", a.MediaSHA256, a.Fingerprint)
			case !bytesEqualID(got, a.ID):
				r.add(where, "its de-duplication key (media %s, fingerprint %d) points at alert %s: two alerts for one pair", a.MediaSHA256, a.Fingerprint, idString(got))
			}
			return tick()
		})
		if err != nil {
			return err
		}
	}

	if keys != nil {
		err := keys.ForEach(func(k, v []byte) error {
			r.AlertKeys++
			where := "alertkeys/" + keyString(k)
			if len(k) != 40 {
				r.add(where, "key of %d bytes, want 40 (SHA-256 and fingerprint ID)", len(k))
				return tick()
			}
			id, ok := keyID(v)
			if !ok {
				r.add(where, "value of %d bytes, want an 8-byte alert ID", len(v))
				return tick()
			}
			var av []byte
			if alerts != nil {
				av = alerts.Get(v)
			}
			if av == nil {
				r.add(where, "points at alert %d, which does not exist", id)
				return tick()
			}
			var a Alert
			if err := alertCodec.decode(av, &a); err != nil {
				return tick() // reported under alerts/
			}
			if sha, err := parseSHA256(a.MediaSHA256); err == nil && string(alertKey(sha, a.Fingerprint)) != string(k) {
				r.add(where, "points at alert %d, which is of media %s and fingerprint %d", id, a.MediaSHA256, a.Fingerprint)
			}
			return tick()
		})
		if err != nil {
			return err
		}
	}

	if b := tx.Bucket(bucketSites); b != nil {
		err := b.ForEach(func(k, v []byte) error {
			r.Sites++
			where := "sites/" + strconv.Quote(string(k))
			var s SiteStatus
			if err := siteCodec.decodeCurrent(v, &s); err != nil {
				r.add(where, "%v", err)
			} else if s.Name != string(k) {
				r.add(where, "holds site %q", s.Name)
			}
			return tick()
		})
		if err != nil {
			return err
		}
	}
	// Console accounts, sessions, tokens, audit log and settings (audit.go).
	if err := verifyAccounts(ctx, tx, r); err != nil {
		return err
	}
	// The alert queue's secondary indexes (alertquery.go).
	if err := verifyAlertIndex(ctx, tx, r); err != nil {
		return err
	}
	// Flood quarantine and the negative bank (quarantine_verify.go).
	if err := verifyFloodAndBank(ctx, tx, r); err != nil {
		return err
	}
	// Notices, previews and URL reports (reports.go).
	return verifyConsoleRecords(ctx, tx, r)
}

// idWhere names a value keyed by ID and checks the key: 8 bytes, and not
// beyond the bucket's sequence (NextSequence would hand the ID out again and
// a new value would overwrite it).
func idWhere(bucket string, k []byte, seq uint64, r *Report) (where string, id uint64, ok bool) {
	id, ok = keyID(k)
	if !ok {
		where = bucket + "/" + keyString(k)
		r.add(where, "key of %d bytes, want an 8-byte ID", len(k))
		return where, 0, false
	}
	where = bucket + "/" + strconv.FormatUint(id, 10)
	if id > seq {
		r.add(where, "ID beyond the bucket's sequence %d: the next new value would overwrite it", seq)
	}
	return where, id, true
}

// ticker returns a function that checks ctx every 4096 calls.
func ticker(ctx context.Context) func() error {
	n := 0
	return func() error {
		n++
		if n%4096 == 0 {
			return ctx.Err()
		}
		return nil
	}
}

func parseSHA256(s string) ([32]byte, error) {
	var sum [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return sum, fmt.Errorf("media SHA-256 %q is not 64 hex digits", s)
	}
	copy(sum[:], b)
	return sum, nil
}

func bytesEqualID(v []byte, id uint64) bool {
	got, ok := keyID(v)
	return ok && got == id
}

func idString(v []byte) string {
	if id, ok := keyID(v); ok {
		return strconv.FormatUint(id, 10)
	}
	return fmt.Sprintf("%x", v)
}

// keyString shows an alertkeys key as SHA-256 hex + fingerprint ID, and
// anything else as hex.
func keyString(k []byte) string {
	if len(k) == 40 {
		id, _ := keyID(k[32:])
		return hex.EncodeToString(k[:32]) + "+" + strconv.FormatUint(id, 10)
	}
	return hex.EncodeToString(k)
}
