package index

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// A codec encodes one kind of stored value as a one-byte encoding version
// followed by JSON. The version lets a later build change a value's shape
// without guessing what an old file holds.
//
// To change the shape of a kind of value:
//
//  1. bump its codec's version and add upgrades[old], which rewrites the JSON
//     of an old value into the new shape (decode applies the chain, so old
//     values stay readable, e.g. in a read-only open of an old backup);
//  2. bump SchemaVersion and add migrations[old] calling reencode for the
//     kind's bucket, so that Open rewrites every old value in the same
//     transaction that records the new schema version. After that Verify
//     expects every value at the current version.
type codec struct {
	kind    string // for messages: "case", "fingerprint", …
	version byte   // written by encode
	// upgrades[v] turns the JSON body of a version-v value into version v+1.
	upgrades map[byte]func(json.RawMessage) (json.RawMessage, error)
}

// The codecs of the stored kinds, and the bucket each lives in.
var (
	caseCodec        = &codec{kind: "case", version: 1}
	fingerprintCodec = &codec{kind: "fingerprint", version: 2,
		upgrades: map[byte]func(json.RawMessage) (json.RawMessage, error){1: upgradeFingerprintV1}}
	alertCodec = &codec{kind: "alert", version: 1}
	siteCodec  = &codec{kind: "site status", version: 1}
)

// encode writes v as the codec's version byte followed by JSON.
func (c *codec) encode(v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", c.kind, err)
	}
	return append([]byte{c.version}, body...), nil
}

// decode reads a value written by encode at this or any older version it
// has upgrades for. The bytes may belong to a bbolt transaction: the JSON
// decoder copies everything it keeps, so v stays valid after the
// transaction ends.
func (c *codec) decode(data []byte, v any) error {
	body, err := c.upgrade(data)
	if err != nil {
		return err
	}
	return c.unmarshal(body, v)
}

// decodeCurrent is decode that also refuses an older version: what Verify
// expects of a file that Open has migrated.
func (c *codec) decodeCurrent(data []byte, v any) error {
	if len(data) > 0 && data[0] < c.version {
		return fmt.Errorf("decode %s: encoding version %d, want %d (not migrated): %w", c.kind, data[0], c.version, ErrCorrupt)
	}
	return c.decode(data, v)
}

// upgrade returns the JSON body of data brought up to the current version.
func (c *codec) upgrade(data []byte) (json.RawMessage, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("decode %s: empty value: %w", c.kind, ErrCorrupt)
	}
	v, body := data[0], json.RawMessage(data[1:])
	if v > c.version {
		return nil, fmt.Errorf("decode %s: encoding version %d is newer than this build's %d; upgrade hashwatch: %w", c.kind, v, c.version, ErrCorrupt)
	}
	for ; v < c.version; v++ {
		up, ok := c.upgrades[v]
		if !ok {
			return nil, fmt.Errorf("decode %s: no upgrade from encoding version %d: %w", c.kind, v, ErrCorrupt)
		}
		var err error
		if body, err = up(body); err != nil {
			return nil, fmt.Errorf("decode %s: upgrade from encoding version %d: %v: %w", c.kind, v, err, ErrCorrupt)
		}
	}
	return body, nil
}

func (c *codec) unmarshal(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode %s: %v: %w", c.kind, err, ErrCorrupt)
	}
	return nil
}

// reencode rewrites every value of bucket name at the codec's current
// version, inside tx: the body of a schema migration after a codec's version
// was bumped. Values are only re-prefixed after their JSON is upgraded, so
// fields this build does not know survive.
func reencode(tx *bolt.Tx, name []byte, c *codec) error {
	b := tx.Bucket(name)
	if b == nil {
		return fmt.Errorf("bucket %s missing: %w", name, ErrCorrupt)
	}
	type kv struct{ k, v []byte }
	var rewrites []kv
	// Collect first: changing a bucket under a moving cursor can skip keys.
	// Keys are copied because bbolt's slices are only valid until the
	// bucket changes.
	err := b.ForEach(func(k, v []byte) error {
		if len(v) > 0 && v[0] == c.version {
			return nil
		}
		body, err := c.upgrade(v)
		if err != nil {
			return fmt.Errorf("%s %x: %w", c.kind, k, err)
		}
		rewrites = append(rewrites, kv{clone(k), append([]byte{c.version}, body...)})
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range rewrites {
		if err := b.Put(r.k, r.v); err != nil {
			return fmt.Errorf("rewrite %s %x: %w", c.kind, r.k, err)
		}
	}
	return nil
}

// clone copies a slice that bbolt owns, so that it can outlive the
// transaction (or the next change to the bucket).
func clone(b []byte) []byte { return append([]byte(nil), b...) }

// idKey is the sortable key of a numeric ID: big-endian, so bbolt's byte
// order is numeric order and cursors walk IDs in creation order.
func idKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, id)
}

// keyID is the ID of an idKey; ok is false for a key of the wrong length.
func keyID(k []byte) (id uint64, ok bool) {
	if len(k) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k), true
}
