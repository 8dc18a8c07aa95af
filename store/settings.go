package store

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// setting is an editable value in the settings bucket, with who changed it
// and when.
type setting struct {
	Value     string    `json:"value"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

var settingCodec = &Codec{Kind: "setting", Version: 1}

// Setting returns the value stored under key; ok is false when none is.
func (db *DB) Setting(key string) (value string, ok bool, err error) {
	err = db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSettings).Get([]byte(key))
		if v == nil {
			return nil
		}
		var s setting
		if err := settingCodec.Decode(v, &s); err != nil {
			return err
		}
		value, ok = s.Value, true
		return nil
	})
	return value, ok, err
}

// PutSetting stores value under key (deleting it when value is empty) and
// audits the change as action on target, in one transaction.
func (db *DB) PutSetting(key, value, action, target string, by Actor) error {
	now := db.now().UTC()
	return db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSettings)
		if value == "" {
			if err := b.Delete([]byte(key)); err != nil {
				return err
			}
		} else {
			v, err := settingCodec.Encode(setting{Value: value, UpdatedAt: now, UpdatedBy: by.User})
			if err != nil {
				return err
			}
			if err := b.Put([]byte(key), v); err != nil {
				return err
			}
		}
		return AppendAudit(tx, by.Entry(now, action, target, ""))
	}, nil)
}

// VerifySetting checks, for a room's part of Verify, that v is a setting
// stored by PutSetting at the current encoding version.
func VerifySetting(v []byte) error {
	var s setting
	return settingCodec.DecodeCurrent(v, &s)
}
