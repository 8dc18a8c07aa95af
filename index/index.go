package index

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// The buckets this room keeps (see store's layout).
var (
	bucketCases        = []byte("cases")
	bucketFingerprints = []byte("fingerprints")
)

// The codecs of the stored kinds (see store.Codec).
var (
	caseCodec = &store.Codec{Kind: "case", Version: 2,
		Upgrades: map[byte]func(json.RawMessage) (json.RawMessage, error){1: store.AddField("centre", centres.National)}}
	fingerprintCodec = &store.Codec{Kind: "fingerprint", Version: 3,
		Upgrades: map[byte]func(json.RawMessage) (json.RawMessage, error){
			1: upgradeFingerprintV1, 2: store.AddField("centre", centres.National)}}
)

// Migrations are the schema migrations of this room's values, for
// store.Options.Migrations:
//
//   - 1 → 2: fingerprint values are rewritten with their views packed
//     (encoding version 2), which loads several times faster.
//   - 2 → 3 (centres): every case and fingerprint is handed to the
//     national centre, and cases are keyed by centre and ID (case IDs are
//     unique per centre); see MigrateCentres. database.Open runs it
//     together with the other rooms' parts of the same migration.
func Migrations() map[uint32]store.Migration {
	return map[uint32]store.Migration{
		1: func(tx *bolt.Tx) error { return store.Reencode(tx, bucketFingerprints, fingerprintCodec) },
		2: MigrateCentres,
	}
}

// MigrateCentres is this room's part of the migration to centres (schema
// 2 → 3): each case, keyed until then by its bare ID, moves to the key
// centres.Key(national, ID) at case encoding version 2 (which names its
// centre), and every fingerprint is rewritten at encoding version 3
// (which names its case's centre, national).
func MigrateCentres(tx *bolt.Tx) error {
	b := tx.Bucket(bucketCases)
	if b == nil {
		return fmt.Errorf("bucket %s missing: %w", bucketCases, store.ErrCorrupt)
	}
	type kv struct{ k, v []byte }
	var moves []kv
	err := b.ForEach(func(k, v []byte) error {
		var c Case
		if err := caseCodec.Decode(v, &c); err != nil {
			return fmt.Errorf("case %q: %w", k, err)
		}
		if string(k) == caseKey(c.Centre, c.ID) {
			return nil // already keyed by centre
		}
		nv, err := caseCodec.Encode(caseRecordOf(c))
		if err != nil {
			return err
		}
		moves = append(moves, kv{store.Clone(k), nv})
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range moves {
		if err := b.Delete(m.k); err != nil {
			return err
		}
		if err := b.Put([]byte(caseKey(centres.National, string(m.k))), m.v); err != nil {
			return err
		}
	}
	return store.Reencode(tx, bucketFingerprints, fingerprintCodec)
}

// WithdrawHook runs inside a withdrawal's transaction, after the case is
// marked withdrawn and its fingerprints (deleted) deleted, so that what
// hangs off the case elsewhere (its open alerts, their previews, the
// fingerprints' flood state) goes in the same commit. It returns how many
// alerts it closed.
type WithdrawHook func(tx *bolt.Tx, centre, caseID string, deleted []uint64, now time.Time) (closed int, err error)

// Options configure Open.
type Options struct {
	// OnWithdraw, when set, runs inside every withdrawal's transaction
	// (database.Open sets alerts.CloseCase).
	OnWithdraw WithdrawHook
	// OnMove, when set, runs inside every case move's transaction
	// (database.Open sets alerts.MoveCase).
	OnMove MoveHook
}

// Index is the fingerprint index over one store: cases, registered
// fingerprints, and the in-memory matcher that searches them. It is safe
// for concurrent use.
type Index struct {
	st         *store.DB
	onWithdraw WithdrawHook
	onMove     MoveHook

	mu     sync.RWMutex
	active *matcher // registered fingerprints of open cases, indexed
	// watermark is the highest fingerprint ID the matcher has taken in
	// (FingerprintWatermark), raised after each registration's in-memory
	// change, never before: bbolt's sequence moves at commit, a moment
	// before the matcher sees the new fingerprints.
	watermark atomic.Uint64
	// A read-only store loads the matcher at the first Match, so that
	// backup and verify work on files whose fingerprints do not decode.
	loadOnce sync.Once
	loadErr  error
}

// Open loads the registered fingerprints of st into the matcher (at the
// first Match when st is read-only).
func Open(st *store.DB, opts Options) (*Index, error) {
	ix := &Index{st: st, onWithdraw: opts.OnWithdraw, onMove: opts.OnMove, active: emptyMatcher()}
	if st.ReadOnly() {
		return ix, nil
	}
	if err := ix.loadActive(); err != nil {
		return nil, fmt.Errorf("open %s: %w", st.Path(), err)
	}
	return ix, nil
}

// FingerprintWatermark returns the highest fingerprint ID that Match
// already searches. IDs only grow, so a match result stored with the
// watermark read before matching is complete for every fingerprint up to
// it. It is the matcher's own mark, not bbolt's sequence: a registration
// commits a moment before its fingerprints reach the matcher, and a result
// computed in that moment must not claim to cover them.
func (ix *Index) FingerprintWatermark() (uint64, error) {
	if !ix.st.ReadOnly() {
		return ix.watermark.Load(), nil
	}
	var w uint64
	err := ix.st.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketFingerprints); b != nil {
			w = b.Sequence()
		}
		return nil
	})
	return w, err
}

// ActiveMatches drops from ms the fingerprints no longer registered (their
// case was withdrawn), so a cached match result never alerts on them.
func (ix *Index) ActiveMatches(ms []Match) ([]Match, error) {
	if len(ms) == 0 {
		return ms, nil
	}
	out := make([]Match, 0, len(ms))
	err := ix.st.View(func(tx *bolt.Tx) error {
		for _, m := range ms {
			if Registered(tx, m.Fingerprint) {
				out = append(out, m)
			}
		}
		return nil
	})
	return out, err
}

// caseKey is a case's key in bucket cases: case IDs are unique per centre.
func caseKey(centre, id string) string { return centres.Key(centre, id) }

// Registered reports, inside tx, whether fingerprint id is registered (its
// case not withdrawn): other rooms check it in their own transactions, so
// that a withdrawal is never followed by a new alert.
func Registered(tx *bolt.Tx, id uint64) bool {
	b := tx.Bucket(bucketFingerprints)
	return b != nil && b.Get(store.IDKey(id)) != nil
}

// RegisteredCase is Registered that also names, inside tx, the centre and
// case the fingerprint is registered under, so an alert goes to the
// centre owning the case as it stands when the alert commits.
func RegisteredCase(tx *bolt.Tx, id uint64) (centre, caseID string, ok bool, err error) {
	b := tx.Bucket(bucketFingerprints)
	if b == nil {
		return "", "", false, nil
	}
	v := b.Get(store.IDKey(id))
	if v == nil {
		return "", "", false, nil
	}
	var r struct {
		Centre string `json:"centre"`
		Case   string `json:"case"`
	}
	if err := fingerprintCodec.Decode(v, &r); err != nil {
		return "", "", false, fmt.Errorf("fingerprint %d: %w", id, err)
	}
	return r.Centre, r.Case, true, nil
}

// CaseExists reports, inside tx, whether centre's case with this ID was
// ever registered (withdrawn or not).
func CaseExists(tx *bolt.Tx, centre, id string) bool {
	b := tx.Bucket(bucketCases)
	return b != nil && b.Get([]byte(caseKey(centre, id))) != nil
}

// CaseIn reads centre's case id inside tx; ok is false when there is none.
func CaseIn(tx *bolt.Tx, centre, id string) (c Case, ok bool, err error) {
	b := tx.Bucket(bucketCases)
	if b == nil {
		return c, false, nil
	}
	v := b.Get([]byte(caseKey(centre, id)))
	if v == nil {
		return c, false, nil
	}
	c, err = decodeCase(v)
	return c, err == nil, err
}

// FingerprintIn reads fingerprint id inside tx; ok is false when it is not
// registered.
func FingerprintIn(tx *bolt.Tx, id uint64) (f *Fingerprint, ok bool, err error) {
	b := tx.Bucket(bucketFingerprints)
	if b == nil {
		return nil, false, nil
	}
	v := b.Get(store.IDKey(id))
	if v == nil {
		return nil, false, nil
	}
	var r fingerprintRecord
	if err := fingerprintCodec.Decode(v, &r); err != nil {
		return nil, false, err
	}
	f, err = fromRecord(r)
	return f, err == nil, err
}

// DeleteFingerprint deletes fingerprint id, if it is registered, and runs
// also (told whether it deleted one) in the same transaction: a decision
// that one fingerprint must stop matching (a quarantined one retired by
// staff), what the deciding room records of it, and its audit record
// (action by by, on the fingerprint's ID, with the detail also returns)
// commit together. The fingerprint stops matching before DeleteFingerprint
// returns, as after a withdrawal.
func (ix *Index) DeleteFingerprint(ctx context.Context, id uint64, by store.Actor, action string,
	also func(tx *bolt.Tx, deleted bool) (detail string, err error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	deleted := false
	return ix.st.Update(func(tx *bolt.Tx) error {
		fps := tx.Bucket(bucketFingerprints)
		// The entry is the centre's whose case the fingerprint was.
		e := by.Entry(ix.st.Now(), action, strconv.FormatUint(id, 10), "")
		if f, ok, err := FingerprintIn(tx, id); err != nil {
			return err
		} else if ok {
			if f.Centre != "" {
				e.Centre = f.Centre
			}
			if err := fps.Delete(store.IDKey(id)); err != nil {
				return err
			}
			if err := deleteFeatures(tx, id); err != nil {
				return err
			}
			if err := appendChange(tx, ChangeRemove, f.Centre, []uint64{id}, ix.st.Now()); err != nil {
				return err
			}
			deleted = true
		}
		detail, err := also(tx, deleted)
		if err != nil {
			return err
		}
		e.Detail = detail
		return store.AppendAudit(tx, e)
	}, func() {
		if deleted {
			ix.mu.Lock()
			ix.active.remove(id)
			ix.mu.Unlock()
		}
	})
}
