package accounts

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// Partners' lookups are counted per partner (the token's owner) and UTC
// day: how many requests, how many hashes and video frames they asked
// about, how many matched. Counts are all that is kept: never the hashes
// asked about, so the centre holds no record of what a platform's users
// uploaded.

// LookupCount is one partner's lookups on one day.
type LookupCount struct {
	User     string `json:"user"`
	Day      string `json:"day"` // YYYY-MM-DD, UTC
	Requests int64  `json:"requests"`
	Hashes   int64  `json:"hashes"` // pictures' hashes and videos asked about
	Frames   int64  `json:"frames"` // video frames asked about
	Matches  int64  `json:"matches"`
}

var lookupCodec = &store.Codec{Kind: "lookupcount", Version: 1}

// CountLookup adds one request of user's to today's counts.
func (ac *Store) CountLookup(ctx context.Context, user string, hashes, frames, matches int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	day := ac.st.Now().UTC().Format(time.DateOnly)
	key := []byte(user + "/" + day)
	return ac.st.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLookups)
		c := LookupCount{User: user, Day: day}
		if v := b.Get(key); v != nil {
			if err := lookupCodec.Decode(v, &c); err != nil {
				return fmt.Errorf("lookup count %s: %w", key, err)
			}
		}
		c.Requests++
		c.Hashes += int64(hashes)
		c.Frames += int64(frames)
		c.Matches += int64(matches)
		v, err := lookupCodec.Encode(&c)
		if err != nil {
			return err
		}
		return b.Put(key, v)
	}, nil)
}

// LookupCounts lists the counts of user (of every partner when user is
// ""), by partner and day.
func (ac *Store) LookupCounts(user string) ([]LookupCount, error) {
	var out []LookupCount
	err := ac.st.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketLookups).ForEach(func(k, v []byte) error {
			if user != "" && !strings.HasPrefix(string(k), user+"/") {
				return nil
			}
			var c LookupCount
			if err := lookupCodec.Decode(v, &c); err != nil {
				return fmt.Errorf("lookup count %s: %w", k, err)
			}
			out = append(out, c)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool {
		if out[i].User != out[j].User {
			return out[i].User < out[j].User
		}
		return out[i].Day < out[j].Day
	})
	return out, err
}
