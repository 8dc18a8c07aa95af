package alerts

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// MaxPreviewBytes bounds a stored preview. hashing.Preview makes 1–3 KB;
// anything much larger is not a blurred thumbnail and is refused.
const MaxPreviewBytes = 32 << 10

// preview is a stored blurred thumbnail of alerted media, keyed in bucket
// previews by the media's SHA-256. It is the only picture hashwatch keeps of
// what it found, and only of media that matched a registered fingerprint.
type preview struct {
	JPEG      []byte    `json:"jpeg"`
	CreatedAt time.Time `json:"created_at"`
}

var previewCodec = &store.Codec{Kind: "preview", Version: 1}

// jpegMagic starts every JPEG; a preview is refused unless it is one, so
// the console can serve it as image/jpeg without sniffing.
var jpegMagic = []byte{0xFF, 0xD8, 0xFF}

func checkPreview(jpeg []byte) error {
	if len(jpeg) > MaxPreviewBytes {
		return fmt.Errorf("preview of %d bytes, limit %d: %w", len(jpeg), MaxPreviewBytes, store.ErrInvalid)
	}
	if !bytes.HasPrefix(jpeg, jpegMagic) {
		return fmt.Errorf("preview is not a JPEG: %w", store.ErrInvalid)
	}
	return nil
}

// Preview returns the blurred JPEG preview of the media with the given
// SHA-256 (64 hex digits, as in Alert.MediaSHA256), or store.ErrNotFound when
// none is stored (the media was matched from an earlier result without its
// bytes, or its case was withdrawn).
func (al *Store) Preview(sha256Hex string) ([]byte, error) {
	sum, err := store.ParseSHA256(sha256Hex)
	if err != nil {
		return nil, fmt.Errorf("preview: %v: %w", err, store.ErrInvalid)
	}
	var p preview
	err = al.st.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketPreviews).Get(sum[:])
		if v == nil {
			return fmt.Errorf("preview of %s: %w", sha256Hex, store.ErrNotFound)
		}
		return previewCodec.Decode(v, &p)
	})
	if err != nil {
		return nil, err
	}
	return p.JPEG, nil
}

// putPreviewIfAbsent stores jpeg as the preview of sha inside tx unless
// jpeg is empty or a preview is stored already. A preview that is not a
// small JPEG is dropped rather than failing the alert it came with.
func putPreviewIfAbsent(tx *bolt.Tx, sha [32]byte, jpeg []byte, now time.Time) error {
	if len(jpeg) == 0 || checkPreview(jpeg) != nil {
		return nil
	}
	b := tx.Bucket(bucketPreviews)
	if b.Get(sha[:]) != nil {
		return nil
	}
	v, err := previewCodec.Encode(preview{JPEG: jpeg, CreatedAt: now})
	if err != nil {
		return err
	}
	return b.Put(sha[:], v)
}

// dropPreviewIfUnused deletes the preview of the media sha256Hex inside tx
// unless an alert of a case other than exceptCase, and not withdrawn,
// still shows that media.
func dropPreviewIfUnused(tx *bolt.Tx, sha256Hex, exceptCase string) error {
	sum, err := store.ParseSHA256(sha256Hex)
	if err != nil {
		return nil // reported by Verify; nothing stored under it
	}
	previews := tx.Bucket(bucketPreviews)
	if previews.Get(sum[:]) == nil {
		return nil
	}
	alerts := tx.Bucket(bucketAlerts)
	c := tx.Bucket(bucketAlertKeys).Cursor()
	for k, id := c.Seek(sum[:]); k != nil && bytes.HasPrefix(k, sum[:]); k, id = c.Next() {
		v := alerts.Get(id)
		if v == nil {
			continue
		}
		var a Alert
		if err := decodeAlert(v, &a); err != nil {
			return err
		}
		if a.Case == exceptCase || a.Status == StatusWithdrawn {
			continue
		}
		cs, ok, err := index.CaseIn(tx, a.Case)
		if err != nil {
			return err
		}
		if ok && !cs.Withdrawn() {
			return nil // still needed
		}
	}
	return previews.Delete(sum[:])
}

// verifyPreviews checks every stored preview: keyed by a SHA-256, decodable,
// a JPEG within MaxPreviewBytes, and of media some alert shows (a preview
// without an alert is a picture kept for no reason).
func verifyPreviews(ctx context.Context, tx *bolt.Tx, r *store.Report) error {
	b := tx.Bucket(bucketPreviews)
	if b == nil {
		return nil
	}
	keys := tx.Bucket(bucketAlertKeys)
	tick := store.Ticker(ctx)
	return b.ForEach(func(k, v []byte) error {
		where := "previews/" + hex.EncodeToString(k)
		if len(k) != 32 {
			r.Add(where, "key of %d bytes, want a 32-byte SHA-256", len(k))
			return tick()
		}
		var p preview
		if err := previewCodec.DecodeCurrent(v, &p); err != nil {
			r.Add(where, "%v", err)
			return tick()
		}
		if err := checkPreview(p.JPEG); err != nil {
			r.Add(where, "%v", err)
		}
		if keys != nil {
			if kk, _ := keys.Cursor().Seek(k); kk == nil || !bytes.HasPrefix(kk, k) {
				r.Add(where, "no alert shows this media; the preview should have been deleted")
			}
		}
		return tick()
	})
}

// HasPreview reports whether a preview of the media sha is stored, so a
// crawler does not make one it would not store.
func (al *Store) HasPreview(sha [32]byte) (bool, error) {
	var ok bool
	err := al.st.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket(bucketPreviews).Get(sha[:]) != nil
		return nil
	})
	return ok, err
}
