package alerts

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// The negative bank (issue 17) holds media that operators dismissed as "not
// this content" — a site's logo, a banner, a common stock picture — so that
// the same picture never alerts again, on any site, for any case. An entry
// keeps what identifies the crawled picture, never its bytes: its SHA-256
// and the PDQ hash of the picture as served (Alert.QueryPDQ). RecordAlert
// raises no alert (ErrSuppressed) for media whose SHA-256 is in the bank,
// or whose as-served PDQ is within NegativeRadius of an entry's; sightings
// of alerts that already exist are still recorded.
//
// Buckets: negative (big-endian entry ID → NegativeEntry), negativesha
// (SHA-256 → entry ID) and negativepdq (entry ID → 32-byte PDQ code and a
// quality byte, the part RecordAlert scans, so a check reads no JSON).
var (
	bucketNegative    = []byte("negative")
	bucketNegativeSHA = []byte("negativesha")
	bucketNegativePDQ = []byte("negativepdq")
)

var negativeCodec = &store.Codec{Kind: "negative bank entry", Version: 1}

// ErrSuppressed reports media that the negative bank keeps from alerting;
// RecordAlert returns it and records nothing.
var ErrSuppressed = errors.New("in the negative bank")

// NegativeRadius is the PDQ distance within which crawled media counts as
// the same picture as a bank entry. Re-encoding, resizing and recompressing
// one picture moves its PDQ by a few bits (under 10 for JPEG quality 30–90
// and halving or doubling its size); 16 leaves room for that and is half
// the distance (31) at which PDQ alone calls two pictures a match, so a
// bank entry silences copies of its own picture but not pictures merely
// like it — a bank entry applies to every case, so it must be narrow.
const NegativeRadius = 16

// negativeMinQuality is the PDQ quality below which a hash is not compared
// with the bank: PDQ's authors call hashes under 50 unreliable (flat,
// featureless pictures), and such a hash is near too many others to
// suppress by. The SHA-256 still suppresses them.
const negativeMinQuality = 50

// MaxNegatives bounds the bank: every new alert's transaction scans all of
// its PDQs, about 0.7 ms of CPU for 10,000 entries (BenchmarkNegativeCheck;
// 7 ms for 100,000), which the writers queued behind it wait for. Ten
// thousand logos, banners and stock pictures is far more than a centre's
// operators dismiss by hand.
const MaxNegatives = 10_000

// NegativeEntry is one picture in the negative bank.
type NegativeEntry struct {
	ID     uint64 `json:"id"`
	SHA256 string `json:"sha256"`
	// PDQ is the as-served PDQ of the crawled picture (hex), with its
	// quality; empty when the alert had none (videos, older alerts).
	PDQ        string `json:"pdq,omitempty"`
	PDQQuality int    `json:"pdq_quality,omitempty"`
	// Where it came from: the alert dismissed, its site and media URL.
	AlertID  uint64    `json:"alert_id"`
	Site     string    `json:"site,omitempty"`
	MediaURL string    `json:"media_url,omitempty"`
	Reason   string    `json:"reason"`
	AddedBy  string    `json:"added_by"`
	AddedAt  time.Time `json:"added_at"`
}

// negativeCheck reports ErrSuppressed when media sum, with as-served PDQ
// pdq (zero Algorithm: none), is in the bank. It runs in RecordAlert's
// transaction for every new alert.
func negativeCheck(tx *bolt.Tx, sum [32]byte, pdq hashing.Hash) error {
	if idb := tx.Bucket(bucketNegativeSHA).Get(sum[:]); idb != nil {
		return fmt.Errorf("media %x is negative bank entry %s: %w", sum, store.IDString(idb), ErrSuppressed)
	}
	if pdq.Algorithm != hashing.PDQ || pdq.Quality < negativeMinQuality {
		return nil
	}
	c := tx.Bucket(bucketNegativePDQ).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		code, quality, ok := decodeNegativePDQ(v)
		if !ok || quality < negativeMinQuality {
			continue // Verify reports a malformed value
		}
		if d := code.Distance(pdq.Code); d <= NegativeRadius {
			return fmt.Errorf("media %x is within PDQ %d of negative bank entry %s: %w", sum, d, store.IDString(k), ErrSuppressed)
		}
	}
	return nil
}

func encodeNegativePDQ(h hashing.Hash) []byte {
	out := make([]byte, 0, 33)
	for _, w := range h.Code {
		out = binary.BigEndian.AppendUint64(out, w)
	}
	return append(out, byte(h.Quality))
}

func decodeNegativePDQ(v []byte) (hashing.Code, int, bool) {
	var c hashing.Code
	if len(v) != 33 {
		return c, 0, false
	}
	for i := range c {
		c[i] = binary.BigEndian.Uint64(v[i*8:])
	}
	return c, int(v[32]), true
}

// AddNegative adds the media of alert alertID to the negative bank, in one
// transaction with its audit record ("negative.add"): a new or confirmed
// alert is dismissed with the reason at the same time (and that decision
// audited as "alert.dismiss"), an already dismissed one is only banked.
// Other alerts (sent, removed, withdrawn, quarantined) and media already in
// the bank fail with store.ErrConflict; a reason is required.
func (al *Store) AddNegative(ctx context.Context, alertID uint64, reason string, by store.Actor) (NegativeEntry, Alert, error) {
	if err := ctx.Err(); err != nil {
		return NegativeEntry{}, Alert{}, err
	}
	if reason == "" {
		return NegativeEntry{}, Alert{}, fmt.Errorf("adding alert %d to the negative bank needs a reason: %w", alertID, store.ErrInvalid)
	}
	now := al.st.Now().UTC()
	var e NegativeEntry
	var a Alert
	err := al.st.Update(func(tx *bolt.Tx) error {
		alerts := tx.Bucket(bucketAlerts)
		v := alerts.Get(store.IDKey(alertID))
		if v == nil {
			return fmt.Errorf("alert %d: %w", alertID, store.ErrNotFound)
		}
		if err := decodeAlert(v, &a); err != nil {
			return err
		}
		if !centres.Sees(by.Centre, a.Centre) {
			return fmt.Errorf("alert %d: %w", alertID, store.ErrNotFound)
		}
		sha, err := store.ParseSHA256(a.MediaSHA256)
		if err != nil {
			return fmt.Errorf("alert %d: %w", alertID, err)
		}
		shas := tx.Bucket(bucketNegativeSHA)
		if idb := shas.Get(sha[:]); idb != nil {
			return fmt.Errorf("the media of alert %d is negative bank entry %s already: %w", alertID, store.IDString(idb), store.ErrConflict)
		}
		switch a.Status {
		case StatusNew, StatusConfirmed:
			a.transition(StatusDismissed, now)
			a.Reason = reason
			if err := putAlert(alerts, &a); err != nil {
				return err
			}
			if err := store.AppendAudit(tx, store.AuditEntry{At: now, User: by.User, Remote: by.Remote, Token: by.Token, Centre: a.Centre, Action: "alert.dismiss",
				Target: strconv.FormatUint(alertID, 10), Detail: reason}); err != nil {
				return err
			}
		case StatusDismissed:
		default:
			return fmt.Errorf("alert %d is %s; only a new, confirmed or dismissed alert's media goes to the negative bank: %w", alertID, a.Status, store.ErrConflict)
		}
		bank := tx.Bucket(bucketNegative)
		if bank.Stats().KeyN >= MaxNegatives {
			return fmt.Errorf("the negative bank holds %d entries, its limit; remove some first: %w", MaxNegatives, store.ErrConflict)
		}
		id, err := bank.NextSequence()
		if err != nil {
			return err
		}
		e = NegativeEntry{ID: id, SHA256: a.MediaSHA256, AlertID: a.ID, Site: a.Site, MediaURL: a.MediaURL,
			Reason: reason, AddedBy: by.User, AddedAt: now}
		if a.QueryPDQ != "" {
			code, bits, err := hashing.ParseCode(a.QueryPDQ)
			if err == nil && bits == hashing.PDQ.Bits() {
				e.PDQ, e.PDQQuality = a.QueryPDQ, a.QueryPDQQuality
				h := hashing.Hash{Algorithm: hashing.PDQ, Code: code, Quality: a.QueryPDQQuality}
				if err := tx.Bucket(bucketNegativePDQ).Put(store.IDKey(id), encodeNegativePDQ(h)); err != nil {
					return err
				}
			}
		}
		ev, err := negativeCodec.Encode(&e)
		if err != nil {
			return err
		}
		if err := bank.Put(store.IDKey(id), ev); err != nil {
			return err
		}
		if err := shas.Put(sha[:], store.IDKey(id)); err != nil {
			return err
		}
		return store.AppendAudit(tx, store.AuditEntry{At: now, User: by.User, Remote: by.Remote, Token: by.Token, Centre: a.Centre, Action: "negative.add",
			Target: strconv.FormatUint(id, 10), Detail: fmt.Sprintf("alert %d, media %s: %s", alertID, a.MediaSHA256, reason)})
	}, nil)
	if err != nil {
		return NegativeEntry{}, Alert{}, fmt.Errorf("negative bank: %w", err)
	}
	return e, a, nil
}

// Negatives lists the negative bank, oldest first.
func (al *Store) Negatives() ([]NegativeEntry, error) {
	out := []NegativeEntry{}
	err := al.st.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketNegative).ForEach(func(k, v []byte) error {
			var e NegativeEntry
			if err := negativeCodec.Decode(v, &e); err != nil {
				return fmt.Errorf("negative bank entry %s: %w", store.IDString(k), err)
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

// RemoveNegative deletes bank entry id, in one transaction with its audit
// record ("negative.remove"): the picture may alert again from the next
// crawl on. The alert it came from stays dismissed.
func (al *Store) RemoveNegative(ctx context.Context, id uint64, by store.Actor) (NegativeEntry, error) {
	if err := ctx.Err(); err != nil {
		return NegativeEntry{}, err
	}
	now := al.st.Now().UTC()
	var e NegativeEntry
	err := al.st.Update(func(tx *bolt.Tx) error {
		bank := tx.Bucket(bucketNegative)
		v := bank.Get(store.IDKey(id))
		if v == nil {
			return fmt.Errorf("negative bank entry %d: %w", id, store.ErrNotFound)
		}
		if err := negativeCodec.Decode(v, &e); err != nil {
			return err
		}
		// An entry is the centre's whose alert it came from.
		centre := by.Centre
		if a, ok, err := AlertIn(tx, e.AlertID); err != nil {
			return err
		} else if ok {
			if !centres.Sees(by.Centre, a.Centre) {
				return fmt.Errorf("negative bank entry %d: %w", id, store.ErrNotFound)
			}
			centre = a.Centre
		}
		sha, err := hex.DecodeString(e.SHA256)
		if err != nil {
			return fmt.Errorf("negative bank entry %d: SHA-256 %q: %w", id, e.SHA256, store.ErrCorrupt)
		}
		for _, del := range []struct {
			b []byte
			k []byte
		}{{bucketNegative, store.IDKey(id)}, {bucketNegativePDQ, store.IDKey(id)}, {bucketNegativeSHA, sha}} {
			if err := tx.Bucket(del.b).Delete(del.k); err != nil {
				return err
			}
		}
		return store.AppendAudit(tx, store.AuditEntry{At: now, User: by.User, Remote: by.Remote, Token: by.Token, Centre: centre, Action: "negative.remove",
			Target: strconv.FormatUint(id, 10), Detail: fmt.Sprintf("media %s (alert %d)", e.SHA256, e.AlertID)})
	}, nil)
	if err != nil {
		return NegativeEntry{}, fmt.Errorf("negative bank: %w", err)
	}
	return e, nil
}

// NegativeOf returns the bank entry of media sha256 (hex), if there is one.
func (al *Store) NegativeOf(sha256Hex string) (NegativeEntry, bool, error) {
	sha, err := store.ParseSHA256(sha256Hex)
	if err != nil {
		return NegativeEntry{}, false, fmt.Errorf("negative bank: %w", store.ErrInvalid)
	}
	var e NegativeEntry
	found := false
	err = al.st.View(func(tx *bolt.Tx) error {
		idb := tx.Bucket(bucketNegativeSHA).Get(sha[:])
		if idb == nil {
			return nil
		}
		v := tx.Bucket(bucketNegative).Get(idb)
		if v == nil {
			return fmt.Errorf("negativesha names missing entry %s: %w", store.IDString(idb), store.ErrCorrupt)
		}
		found = true
		return negativeCodec.Decode(v, &e)
	})
	return e, found, err
}
