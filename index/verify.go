package index

import (
	"context"
	"strconv"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// Verify is this room's part of store.DB.Verify: every case and fingerprint
// decodes at its current version under the key it claims (a case under
// centre/ID), every case's centre exists, and every fingerprint's case
// exists and is not withdrawn (withdrawal deletes them); every entry of
// the partners' change log decodes, under a key within its sequence, and
// names only fingerprint IDs already issued; every stored corner set
// decodes and belongs to a registered fingerprint.
func Verify(ctx context.Context, tx *bolt.Tx, r *store.Report) error {
	tick := store.Ticker(ctx)
	// Cases, kept (key → withdrawn) for the cross-checks; there are few.
	cases := map[string]bool{}
	if b := tx.Bucket(bucketCases); b != nil {
		err := b.ForEach(func(k, v []byte) error {
			r.Cases++
			where := "cases/" + strconv.Quote(string(k))
			var rec caseRecord
			if err := caseCodec.DecodeCurrent(v, &rec); err != nil {
				r.Add(where, "%v", err)
				return tick()
			}
			c := rec.kase()
			if caseKey(c.Centre, c.ID) != string(k) {
				r.Add(where, "holds case %q of centre %q", c.ID, c.Centre)
			}
			if err := validCaseID(c.ID); err != nil {
				r.Add(where, "%v", err)
			}
			if c.Centre != centres.National && !centres.Exists(tx, c.Centre) {
				r.Add(where, "its centre %q does not exist", c.Centre)
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
			where, id, ok := store.IDWhere("fingerprints", k, seq, r)
			var rec fingerprintRecord
			if err := fingerprintCodec.DecodeCurrent(v, &rec); err != nil {
				r.Add(where, "%v", err)
				return tick()
			}
			if _, err := fromRecord(rec); err != nil {
				r.Add(where, "%v", err)
			}
			if ok && rec.ID != id {
				r.Add(where, "holds fingerprint %d", rec.ID)
			}
			key := caseKey(rec.Centre, rec.Case)
			switch withdrawn, exists := cases[key]; {
			case !exists:
				r.Add(where, "its case %q does not exist (centre %q)", rec.Case, rec.Centre)
			case withdrawn:
				r.Add(where, "its case %q was withdrawn, which should have deleted it (centre %q)", rec.Case, rec.Centre)
			}
			return tick()
		})
		if err != nil {
			return err
		}
	}

	if err := verifyFeatures(ctx, tx, r); err != nil {
		return err
	}

	if b := tx.Bucket(bucketChanges); b != nil {
		seq, issued := b.Sequence(), uint64(0)
		if fb := tx.Bucket(bucketFingerprints); fb != nil {
			issued = fb.Sequence()
		}
		err := b.ForEach(func(k, v []byte) error {
			where, _, _ := store.IDWhere("fingerprintchanges", k, seq, r)
			var rec changeRecord
			if err := changeCodec.DecodeCurrent(v, &rec); err != nil {
				r.Add(where, "%v", err)
				return tick()
			}
			if rec.Op != ChangeAdd && rec.Op != ChangeRemove {
				r.Add(where, "operation %q, want add or remove", rec.Op)
			}
			for _, id := range rec.IDs {
				if id == 0 || id > issued {
					r.Add(where, "names fingerprint %d, never issued (sequence %d)", id, issued)
					break
				}
			}
			return tick()
		})
		if err != nil {
			return err
		}
	}
	return nil
}
