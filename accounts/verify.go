package accounts

import (
	"context"
	"strconv"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// Verify is this room's part of store.DB.Verify: every user, session and
// token decodes at its current version, users belong to existing
// centres, and sessions and tokens name existing users.
func Verify(ctx context.Context, tx *bolt.Tx, r *store.Report) error {
	tick := store.Ticker(ctx)
	users := map[string]bool{}
	if b := tx.Bucket(bucketUsers); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			where := "users/" + strconv.Quote(string(k))
			var u User
			if err := userCodec.DecodeCurrent(v, &u); err != nil {
				r.Add(where, "%v", err)
			} else if u.Name != string(k) {
				r.Add(where, "holds user %q", u.Name)
			} else if err := validRoles(u.Role, u.AlsoRoles); err != nil {
				r.Add(where, "%v", err)
			} else if u.Centre != centres.National && !centres.Exists(tx, u.Centre) {
				r.Add(where, "its centre %q does not exist", u.Centre)
			}
			users[string(k)] = true
			return tick()
		}); err != nil {
			return err
		}
	}
	if b := tx.Bucket(bucketSessions); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			where := "sessions/" + store.KeyString(k)
			var s Session
			if err := sessionCodec.DecodeCurrent(v, &s); err != nil {
				r.Add(where, "%v", err)
			} else if !users[s.User] {
				r.Add(where, "its user %q does not exist", s.User)
			}
			return tick()
		}); err != nil {
			return err
		}
	}
	if b := tx.Bucket(bucketTokens); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			where := "tokens/" + store.KeyString(k)
			var t Token
			if err := tokenCodec.DecodeCurrent(v, &t); err != nil {
				r.Add(where, "%v", err)
			} else if !users[t.User] {
				r.Add(where, "its user %q does not exist", t.User)
			}
			return tick()
		}); err != nil {
			return err
		}
	}
	return nil
}
