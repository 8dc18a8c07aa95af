package crawlstate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// pausedPrefix starts the settings keys that mark a watched site paused
// ("paused/" + site name). A key is present only while the site is paused.
const pausedPrefix = "paused/"

// sitePause is why and since when a site is paused.
type sitePause struct {
	Site string    `json:"site"`
	By   string    `json:"by,omitempty"`
	At   time.Time `json:"at"`
}

var pauseCodec = &store.Codec{Kind: "site pause", Version: 1}

// SetSitePaused pauses or resumes the scheduled crawling of a site, recorded
// in the audit log in the same transaction. The state is stored, so a
// paused site stays paused across restarts.
func (cs *Store) SetSitePaused(ctx context.Context, site string, paused bool, by store.Actor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if site == "" || len(site) > 200 {
		return fmt.Errorf("site name %q: %w", site, store.ErrInvalid)
	}
	key := []byte(pausedPrefix + site)
	now := cs.st.Now().UTC()
	return cs.st.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSettings)
		was := b.Get(key) != nil
		if was == paused {
			return nil
		}
		action := "site.resume"
		if paused {
			action = "site.pause"
			v, err := pauseCodec.Encode(sitePause{Site: site, By: by.User, At: now})
			if err != nil {
				return err
			}
			if err := b.Put(key, v); err != nil {
				return err
			}
		} else if err := b.Delete(key); err != nil {
			return err
		}
		return store.AppendAudit(tx, store.AuditEntry{At: now, User: by.User, Remote: by.Remote, Token: by.Token, Action: action, Target: site})
	}, nil)
}

// PausedSites returns the names of the paused sites.
func (cs *Store) PausedSites() (map[string]bool, error) {
	out := map[string]bool{}
	err := cs.st.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketSettings).Cursor()
		for k, _ := c.Seek([]byte(pausedPrefix)); k != nil && strings.HasPrefix(string(k), pausedPrefix); k, _ = c.Next() {
			out[strings.TrimPrefix(string(k), pausedPrefix)] = true
		}
		return nil
	})
	return out, err
}
