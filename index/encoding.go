package index

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// valueVersion is the encoding version written before every value. Readers
// accept it and any older version they know how to migrate.
const valueVersion = 1

// encode writes v as the version byte followed by JSON.
func encode(v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	return append([]byte{valueVersion}, body...), nil
}

// decode reads a value written by encode. The bytes may belong to a bbolt
// transaction: json.Unmarshal copies what it keeps, so v stays valid after
// the transaction ends.
func decode(data []byte, v any) error {
	if len(data) == 0 {
		return fmt.Errorf("decode %T: empty value: %w", v, ErrCorrupt)
	}
	if data[0] != valueVersion {
		return fmt.Errorf("decode %T: encoding version %d, this build reads %d: %w", v, data[0], valueVersion, ErrCorrupt)
	}
	if err := json.Unmarshal(data[1:], v); err != nil {
		return fmt.Errorf("decode %T: %v: %w", v, err, ErrCorrupt)
	}
	return nil
}

// idKey is the sortable key of a numeric ID.
func idKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, id)
}
