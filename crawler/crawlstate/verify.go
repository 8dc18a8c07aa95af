package crawlstate

import (
	"context"
	"strconv"
	"strings"

	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// Verify is this room's part of store.DB.Verify: every site status and
// every paused-site setting decodes at its current version under the key
// it claims.
func Verify(ctx context.Context, tx *bolt.Tx, r *store.Report) error {
	tick := store.Ticker(ctx)
	if b := tx.Bucket(bucketSites); b != nil {
		err := b.ForEach(func(k, v []byte) error {
			r.Sites++
			where := "sites/" + strconv.Quote(string(k))
			var s SiteStatus
			if err := siteCodec.DecodeCurrent(v, &s); err != nil {
				r.Add(where, "%v", err)
			} else if s.Name != string(k) {
				r.Add(where, "holds site %q", s.Name)
			}
			return tick()
		})
		if err != nil {
			return err
		}
	}
	if b := tx.Bucket(bucketSettings); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			if strings.HasPrefix(string(k), pausedPrefix) {
				var p sitePause
				if err := pauseCodec.DecodeCurrent(v, &p); err != nil {
					r.Add("settings/"+strconv.Quote(string(k)), "%v", err)
				}
			}
			return tick()
		}); err != nil {
			return err
		}
	}
	return nil
}
