package index

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// The change log lets a partner keep a copy of the registered list current
// (the lookup feed): every transaction that adds fingerprints to the
// matcher or takes them away appends one change naming the fingerprint IDs
// and their centre — IDs only, never hashes, so a withdrawn fingerprint's
// hash is not kept here either (the victim asked for it to go). An
// addition's hashes are read from the fingerprint itself when the feed is
// read; one withdrawn since has no hashes left to read, and its removal
// follows in the log.
//
// Changes are keyed by the bucket's sequence, so a reader's position is
// one number. A reader with no position (or one from before the log
// began) first gets a snapshot: every registered fingerprint, in ID order,
// and then the changes after the sequence the snapshot was taken at.
var bucketChanges = []byte("fingerprintchanges")

// The operations of the change log.
const (
	ChangeAdd    = "add"
	ChangeRemove = "remove"
)

type changeRecord struct {
	Op     string    `json:"op"`
	Centre string    `json:"centre"`
	IDs    []uint64  `json:"ids"`
	At     time.Time `json:"at"`
}

var changeCodec = &store.Codec{Kind: "fingerprintchange", Version: 1}

// appendChange records, inside tx, that the fingerprints ids of centre
// were added or removed.
func appendChange(tx *bolt.Tx, op, centre string, ids []uint64, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	b := tx.Bucket(bucketChanges)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	v, err := changeCodec.Encode(changeRecord{Op: op, Centre: centre, IDs: ids, At: at.UTC()})
	if err != nil {
		return err
	}
	return b.Put(store.IDKey(seq), v)
}

// FeedItem is one entry of a feed page: a fingerprint added (with its
// hashes) or removed (its ID only).
type FeedItem struct {
	Op          string
	Fingerprint uint64
	At          time.Time
	// Print is the added fingerprint (nil for a removal).
	Print *Fingerprint
}

// FeedPage is one page of the feed.
type FeedPage struct {
	// Reset says the page starts a snapshot: the reader drops its copy
	// and rebuilds it from this and the following pages.
	Reset bool
	Items []FeedItem
	// Next is the position to ask from next; More says there is more to
	// read right away.
	Next string
	More bool
}

// Feed returns the changes after position since ("" or "0": from a
// snapshot) of the fingerprints that a user of centre sees (every
// centre's for the national centre), at most limit items (a video counts
// as its frames).
func (ix *Index) Feed(since string, limit int, centre string) (FeedPage, error) {
	if limit <= 0 {
		limit = 1000
	}
	var page FeedPage
	err := ix.st.View(func(tx *bolt.Tx) error {
		changes := tx.Bucket(bucketChanges)
		fps := tx.Bucket(bucketFingerprints)
		snapSeq, after, snapshot, seq, err := parseFeedPosition(since)
		if err != nil {
			return err
		}
		if !snapshot && seq > changes.Sequence() {
			return fmt.Errorf("feed position %d is ahead of the log (%d): %w", seq, changes.Sequence(), store.ErrInvalid)
		}
		if snapshot {
			if after == 0 {
				snapSeq = changes.Sequence()
				page.Reset = true
			}
			c := fps.Cursor()
			budget := limit
			k, v := c.Seek(store.IDKey(after + 1))
			for ; k != nil && budget > 0; k, v = c.Next() {
				f, err := decodeFingerprint(k, v)
				if err != nil {
					return err
				}
				after = f.ID
				if !centres.Sees(centre, f.Centre) {
					continue
				}
				budget -= max(1, len(f.Print.Frames))
				page.Items = append(page.Items, FeedItem{Op: ChangeAdd, Fingerprint: f.ID, At: f.CreatedAt, Print: f})
			}
			if k != nil {
				page.Next, page.More = fmt.Sprintf("s%d.%d", snapSeq, after), true
			} else {
				page.Next = strconv.FormatUint(snapSeq, 10)
				page.More = changes.Sequence() > snapSeq
			}
			return nil
		}
		c := changes.Cursor()
		budget := limit
		k, v := c.Seek(store.IDKey(seq + 1))
		for ; k != nil && budget > 0; k, v = c.Next() {
			var r changeRecord
			if err := changeCodec.Decode(v, &r); err != nil {
				return fmt.Errorf("fingerprint change %x: %w", k, err)
			}
			seq = binary.BigEndian.Uint64(k)
			if !centres.Sees(centre, r.Centre) {
				continue
			}
			for _, id := range r.IDs {
				it := FeedItem{Op: r.Op, Fingerprint: id, At: r.At}
				if r.Op == ChangeAdd {
					f, ok, err := FingerprintIn(tx, id)
					if err != nil {
						return err
					}
					if !ok || !centres.Sees(centre, f.Centre) {
						continue // withdrawn or moved since: its removal follows
					}
					it.Print = f
					budget -= max(1, len(f.Print.Frames))
				} else {
					budget--
				}
				page.Items = append(page.Items, it)
			}
		}
		page.Next, page.More = strconv.FormatUint(seq, 10), k != nil
		return nil
	})
	return page, err
}

// parseFeedPosition reads a feed position: a change sequence number
// (0 or "" asks for a snapshot), or "sSEQ.ID" inside a snapshot taken at
// change SEQ, after fingerprint ID.
func parseFeedPosition(s string) (snapSeq, after uint64, snapshot bool, seq uint64, err error) {
	if s == "" || s == "0" {
		return 0, 0, true, 0, nil
	}
	if rest, ok := strings.CutPrefix(s, "s"); ok {
		a, b, ok := strings.Cut(rest, ".")
		snapSeq, err1 := strconv.ParseUint(a, 10, 64)
		after, err2 := strconv.ParseUint(b, 10, 64)
		if !ok || err1 != nil || err2 != nil || after == 0 {
			return 0, 0, false, 0, fmt.Errorf("feed position %q: want the next value of an earlier answer: %w", s, store.ErrInvalid)
		}
		return snapSeq, after, true, 0, nil
	}
	seq, err = strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, 0, false, 0, fmt.Errorf("feed position %q: want the next value of an earlier answer: %w", s, store.ErrInvalid)
	}
	return 0, 0, false, seq, nil
}

// decodeFingerprint decodes one value of the fingerprints bucket.
func decodeFingerprint(k, v []byte) (*Fingerprint, error) {
	var r fingerprintRecord
	if err := fingerprintCodec.Decode(v, &r); err != nil {
		return nil, fmt.Errorf("fingerprint %x: %w", k, err)
	}
	return fromRecord(r)
}
