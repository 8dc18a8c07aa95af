package index

import (
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SiteStatus is what the last crawl pass of one watched site did, kept so
// analysts can see a monitor's health without reading logs.
type SiteStatus struct {
	Name       string         `json:"name"`
	PassStart  time.Time      `json:"pass_start,omitzero"`
	PassEnd    time.Time      `json:"pass_end,omitzero"`
	Pages      int            `json:"pages"`
	Media      int            `json:"media"`
	Bytes      int64          `json:"bytes"`
	NewAlerts  int            `json:"new_alerts"`
	Errors     map[string]int `json:"errors"`
	TotalPass  int            `json:"passes"`
	LastErrors []string       `json:"last_errors,omitempty"`
}

// PutSiteStatus stores a site's status, replacing the previous one.
func (db *DB) PutSiteStatus(s SiteStatus) error {
	v, err := encode(s)
	if err != nil {
		return err
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSites).Put([]byte(s.Name), v)
	})
}

// SiteStatus returns one site's status; ok is false if it never ran.
func (db *DB) SiteStatus(name string) (s SiteStatus, ok bool, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSites).Get([]byte(name))
		if v == nil {
			return nil
		}
		ok = true
		return decode(v, &s)
	})
	if err != nil {
		return SiteStatus{}, false, fmt.Errorf("site %s status: %w", name, err)
	}
	return s, ok, nil
}

// SiteStatuses lists every site that has run, by name.
func (db *DB) SiteStatuses() ([]SiteStatus, error) {
	var out []SiteStatus
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSites).ForEach(func(k, v []byte) error {
			var s SiteStatus
			if err := decode(v, &s); err != nil {
				return fmt.Errorf("site %s: %w", k, err)
			}
			out = append(out, s)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}
