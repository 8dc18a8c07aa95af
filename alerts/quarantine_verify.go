package alerts

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// VerifyQuarantine is the part of store.DB.Verify that checks the flood
// quarantine's and the negative bank's buckets (quarantine.go,
// negative.go):
//
//   - every quarantine record decodes, is keyed by its fingerprint, has a
//     known state, and a held or released fingerprint still exists (retire
//     and withdrawal delete fingerprints; withdrawal deletes the record too);
//   - every floodmedia key is fingerprint ‖ time ‖ SHA-256;
//   - every bank entry decodes under its ID, its SHA-256 maps back to it in
//     negativesha, and its PDQ, if any, is in negativepdq (33 bytes); and
//     every negativesha and negativepdq key belongs to an entry.
func VerifyQuarantine(ctx context.Context, tx *bolt.Tx, r *store.Report) error {
	tick := store.Ticker(ctx)
	if b := tx.Bucket(bucketQuarantine); b != nil {
		err := b.ForEach(func(k, v []byte) error {
			where := "quarantine/" + store.IDString(k)
			var q Quarantine
			if err := quarantineCodec.DecodeCurrent(v, &q); err != nil {
				r.Add(where, "%v", err)
				return tick()
			}
			if id, ok := store.KeyID(k); !ok || id != q.Fingerprint {
				r.Add(where, "holds fingerprint %d", q.Fingerprint)
			}
			switch q.State {
			case QuarantineHeld, QuarantineReleased:
				if id, ok := store.KeyID(k); ok && !index.Registered(tx, id) {
					r.Add(where, "fingerprint is %s but no longer registered", q.State)
				}
			case QuarantineRetired:
			default:
				r.Add(where, "unknown state %q", q.State)
			}
			return tick()
		})
		if err != nil {
			return err
		}
	}
	if b := tx.Bucket(bucketFloodMedia); b != nil {
		err := b.ForEach(func(k, _ []byte) error {
			if len(k) != 8+12+32 {
				r.Add("floodmedia/"+hex.EncodeToString(k), "key of %d bytes, want 52 (fingerprint, time, SHA-256)", len(k))
			}
			return tick()
		})
		if err != nil {
			return err
		}
	}
	bank, shas, pdqs := tx.Bucket(bucketNegative), tx.Bucket(bucketNegativeSHA), tx.Bucket(bucketNegativePDQ)
	if bank == nil || shas == nil || pdqs == nil {
		return nil // reported as missing buckets
	}
	seq := bank.Sequence()
	err := bank.ForEach(func(k, v []byte) error {
		where, id, ok := store.IDWhere("negative", k, seq, r)
		var e NegativeEntry
		if err := negativeCodec.DecodeCurrent(v, &e); err != nil {
			r.Add(where, "%v", err)
			return tick()
		}
		if ok && e.ID != id {
			r.Add(where, "holds entry %d", e.ID)
		}
		if sha, err := store.ParseSHA256(e.SHA256); err != nil {
			r.Add(where, "%v", err)
		} else if got := shas.Get(sha[:]); !bytes.Equal(got, k) {
			r.Add(where, "negativesha does not map its SHA-256 %s back to it", e.SHA256)
		}
		p := pdqs.Get(k)
		switch {
		case e.PDQ == "" && p != nil:
			r.Add(where, "has no PDQ but negativepdq holds one")
		case e.PDQ != "":
			code, _, okp := decodeNegativePDQ(p)
			want, bits, err := hashing.ParseCode(e.PDQ)
			if !okp || err != nil || bits != 256 || code != want {
				r.Add(where, "its PDQ %s is missing or different in negativepdq", e.PDQ)
			}
		}
		return tick()
	})
	if err != nil {
		return err
	}
	for _, idx := range []struct {
		name []byte
		b    *bolt.Bucket
	}{{bucketNegativeSHA, shas}, {bucketNegativePDQ, pdqs}} {
		err := idx.b.ForEach(func(k, v []byte) error {
			id := v
			if bytes.Equal(idx.name, bucketNegativePDQ) {
				id = k
			}
			if bank.Get(id) == nil {
				r.Add(fmt.Sprintf("%s/%x", idx.name, k), "belongs to no negative bank entry")
			}
			return tick()
		})
		if err != nil {
			return err
		}
	}
	return nil
}
