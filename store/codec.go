package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// A Codec encodes one kind of stored value as a one-byte encoding version
// followed by JSON. The version lets a later build change a value's shape
// without guessing what an old file holds.
//
// To change the shape of a kind of value:
//
//  1. bump its codec's Version and add Upgrades[old], which rewrites the JSON
//     of an old value into the new shape (decode applies the chain, so old
//     values stay readable, e.g. in a read-only open of an old backup);
//  2. bump SchemaVersion and add Options.Migrations[old] calling Reencode for the
//     kind's bucket, so that Open rewrites every old value in the same
//     transaction that records the new schema version. After that Verify
//     expects every value at the current version.
type Codec struct {
	Kind    string // for messages: "case", "fingerprint", …
	Version byte   // written by Encode
	// Upgrades[v] turns the JSON body of a version-v value into version v+1.
	Upgrades map[byte]func(json.RawMessage) (json.RawMessage, error)
}

// Encode writes v as the codec's version byte followed by JSON.
func (c *Codec) Encode(v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", c.Kind, err)
	}
	return append([]byte{c.Version}, body...), nil
}

// Decode reads a value written by Encode at this or any older version it
// has upgrades for. The bytes may belong to a bbolt transaction: the JSON
// decoder copies everything it keeps, so v stays valid after the
// transaction ends.
func (c *Codec) Decode(data []byte, v any) error {
	body, err := c.upgrade(data)
	if err != nil {
		return err
	}
	return c.unmarshal(body, v)
}

// DecodeCurrent is Decode that also refuses an older version: what Verify
// expects of a file that Open has migrated.
func (c *Codec) DecodeCurrent(data []byte, v any) error {
	if len(data) > 0 && data[0] < c.Version {
		return fmt.Errorf("decode %s: encoding version %d, want %d (not migrated): %w", c.Kind, data[0], c.Version, ErrCorrupt)
	}
	return c.Decode(data, v)
}

// upgrade returns the JSON body of data brought up to the current version.
func (c *Codec) upgrade(data []byte) (json.RawMessage, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("decode %s: empty value: %w", c.Kind, ErrCorrupt)
	}
	v, body := data[0], json.RawMessage(data[1:])
	if v > c.Version {
		return nil, fmt.Errorf("decode %s: encoding version %d is newer than this build's %d; upgrade hashwatch: %w", c.Kind, v, c.Version, ErrCorrupt)
	}
	for ; v < c.Version; v++ {
		up, ok := c.Upgrades[v]
		if !ok {
			return nil, fmt.Errorf("decode %s: no upgrade from encoding version %d: %w", c.Kind, v, ErrCorrupt)
		}
		var err error
		if body, err = up(body); err != nil {
			return nil, fmt.Errorf("decode %s: upgrade from encoding version %d: %v: %w", c.Kind, v, err, ErrCorrupt)
		}
	}
	return body, nil
}

func (c *Codec) unmarshal(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("decode %s: %v: %w", c.Kind, err, ErrCorrupt)
	}
	return nil
}

// Reencode rewrites every value of bucket name at the codec's current
// version, inside tx: the body of a schema migration after a codec's version
// was bumped. Values are only re-prefixed after their JSON is upgraded, so
// fields this build does not know survive.
func Reencode(tx *bolt.Tx, name []byte, c *Codec) error {
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
		if len(v) > 0 && v[0] == c.Version {
			return nil
		}
		body, err := c.upgrade(v)
		if err != nil {
			return fmt.Errorf("%s %x: %w", c.Kind, k, err)
		}
		rewrites = append(rewrites, kv{Clone(k), append([]byte{c.Version}, body...)})
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range rewrites {
		if err := b.Put(r.k, r.v); err != nil {
			return fmt.Errorf("rewrite %s %x: %w", c.Kind, r.k, err)
		}
	}
	return nil
}

// Clone copies a slice that bbolt owns, so that it can outlive the
// transaction (or the next change to the bucket).
func Clone(b []byte) []byte { return append([]byte(nil), b...) }

// IDKey is the sortable key of a numeric ID: big-endian, so bbolt's byte
// order is numeric order and cursors walk IDs in creation order.
func IDKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, id)
}

// KeyID is the ID of an IDKey; ok is false for a key of the wrong length.
func KeyID(k []byte) (id uint64, ok bool) {
	if len(k) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(k), true
}

// AddField returns a codec upgrade (Codec.Upgrades) that sets field to
// value in a JSON object that lacks it: how a new field whose old values
// all share one value (everything before centres belongs to the national
// centre) enters an encoding. Fields the build does not know survive.
func AddField(field string, value any) func(json.RawMessage) (json.RawMessage, error) {
	return func(body json.RawMessage) (json.RawMessage, error) {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, err
		}
		if obj == nil {
			return nil, fmt.Errorf("not a JSON object")
		}
		if _, ok := obj[field]; ok {
			return body, nil
		}
		v, err := json.Marshal(value)
		if err != nil {
			return nil, err
		}
		obj[field] = v
		return json.Marshal(obj)
	}
}
