package alerts

import (
	"context"

	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// Verify is this room's part of store.DB.Verify for the alerts themselves:
// every alert decodes at its current version under the ID it claims, its
// case exists and its status is known; every alert has its de-duplication
// key in alertkeys, and every key there points at an existing alert of
// that media and fingerprint. VerifyIndex and VerifyRecords check the rest.
func Verify(ctx context.Context, tx *bolt.Tx, r *store.Report) error {
	tick := store.Ticker(ctx)
	alerts, keys := tx.Bucket(bucketAlerts), tx.Bucket(bucketAlertKeys)
	if alerts != nil {
		seq := alerts.Sequence()
		err := alerts.ForEach(func(k, v []byte) error {
			r.Alerts++
			where, id, ok := store.IDWhere("alerts", k, seq, r)
			var a Alert
			if err := decodeAlertCurrent(v, &a); err != nil {
				r.Add(where, "%v", err)
				return tick()
			}
			if ok && a.ID != id {
				r.Add(where, "holds alert %d", a.ID)
			}
			if !a.Status.Valid() {
				r.Add(where, "unknown status %q", a.Status)
			}
			if !index.CaseExists(tx, a.Centre, a.Case) {
				r.Add(where, "its case %q does not exist (centre %q)", a.Case, a.Centre)
			}
			sha, err := store.ParseSHA256(a.MediaSHA256)
			if err != nil {
				r.Add(where, "%v", err)
				return tick()
			}
			if keys == nil {
				return tick()
			}
			key := alertKey(sha, a.Fingerprint)
			switch got := keys.Get(key); {
			case got == nil:
				r.Add(where, "its de-duplication key (media %s, fingerprint %d) is missing from alertkeys, so the same media would alert again", a.MediaSHA256, a.Fingerprint)
			case !store.BytesEqualID(got, a.ID):
				r.Add(where, "its de-duplication key (media %s, fingerprint %d) points at alert %s: two alerts for one pair", a.MediaSHA256, a.Fingerprint, store.IDString(got))
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
			where := "alertkeys/" + store.KeyString(k)
			if len(k) != 40 {
				r.Add(where, "key of %d bytes, want 40 (SHA-256 and fingerprint ID)", len(k))
				return tick()
			}
			id, ok := store.KeyID(v)
			if !ok {
				r.Add(where, "value of %d bytes, want an 8-byte alert ID", len(v))
				return tick()
			}
			var av []byte
			if alerts != nil {
				av = alerts.Get(v)
			}
			if av == nil {
				r.Add(where, "points at alert %d, which does not exist", id)
				return tick()
			}
			var a Alert
			if err := decodeAlert(av, &a); err != nil {
				return tick() // reported under alerts/
			}
			if sha, err := store.ParseSHA256(a.MediaSHA256); err == nil && string(alertKey(sha, a.Fingerprint)) != string(k) {
				r.Add(where, "points at alert %d, which is of media %s and fingerprint %d", id, a.MediaSHA256, a.Fingerprint)
			}
			return tick()
		})
		if err != nil {
			return err
		}
	}
	return nil
}
