package alerts

import (
	"fmt"

	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// AlertsAfter returns up to limit alerts whose ID is above after, in ID
// (creation) order: the alerts raised since a reader last looked, for
// notifications that follow the store without a hook in every writer.
// Alert IDs only grow, so a reader keeps the last ID it saw.
func (al *Store) AlertsAfter(after uint64, limit int) ([]Alert, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []Alert
	err := al.st.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAlerts).Cursor()
		for k, v := c.Seek(store.IDKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			var a Alert
			if err := decodeAlert(v, &a); err != nil {
				return fmt.Errorf("alert %x: %w", k, err)
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// LastAlertID is the highest alert ID stored, 0 when there is none.
func (al *Store) LastAlertID() (uint64, error) {
	var id uint64
	err := al.st.View(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketAlerts).Cursor().Last(); k != nil {
			id, _ = store.KeyID(k)
		}
		return nil
	})
	return id, err
}
