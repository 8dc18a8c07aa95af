package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// ErrExpired reports a session past its lifetime or idle timeout, or a
// revoked token: the caller must log in again.
var ErrExpired = errors.New("expired")

// Session limits; SessionOptions overrides them.
const (
	DefaultSessionTTL  = 12 * time.Hour
	DefaultSessionIdle = 30 * time.Minute
	// touchEvery is how stale LastSeen may get before a request rewrites
	// it: the idle timeout needs no fsync per page view.
	touchEvery = time.Minute
)

// SessionOptions bound a session's life.
type SessionOptions struct {
	TTL  time.Duration // lifetime from login; zero means DefaultSessionTTL
	Idle time.Duration // ends after this long without a request; zero means DefaultSessionIdle
}

// Session is a logged-in browser. Its token is a random 256-bit secret
// handed to the browser once; the database keeps only its SHA-256, so a
// copy of the file (a backup) cannot be used to take over sessions.
type Session struct {
	ID        string        `json:"id"` // hex SHA-256 of the token
	User      string        `json:"user"`
	CSRF      string        `json:"csrf"` // per-session token every form must echo
	Remote    string        `json:"remote,omitempty"`
	CreatedAt time.Time     `json:"created_at"`
	ExpiresAt time.Time     `json:"expires_at"`
	LastSeen  time.Time     `json:"last_seen"`
	Idle      time.Duration `json:"idle"`
}

var sessionCodec = &store.Codec{Kind: "session", Version: 1}

// newSecret returns n random bytes as unpadded base64url, and the SHA-256
// of that text, which is what is stored.
func newSecret(n int) (secret string, sum [32]byte, err error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", sum, fmt.Errorf("random: %w", err)
	}
	secret = base64.RawURLEncoding.EncodeToString(b)
	return secret, sha256.Sum256([]byte(secret)), nil
}

// CreateSession logs user in: it stores a new session (and the login in the
// audit log, in the same transaction) and returns the token for the cookie.
// The user must exist and not be disabled.
func (ac *Store) CreateSession(ctx context.Context, user string, opts SessionOptions, by store.Actor) (token string, s Session, err error) {
	if err := ctx.Err(); err != nil {
		return "", Session{}, err
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultSessionTTL
	}
	if opts.Idle <= 0 {
		opts.Idle = DefaultSessionIdle
	}
	token, sum, err := newSecret(32)
	if err != nil {
		return "", Session{}, err
	}
	csrf, _, err := newSecret(32)
	if err != nil {
		return "", Session{}, err
	}
	now := ac.st.Now().UTC()
	s = Session{ID: hex.EncodeToString(sum[:]), User: user, CSRF: csrf, Remote: by.Remote,
		CreatedAt: now, ExpiresAt: now.Add(opts.TTL), LastSeen: now, Idle: opts.Idle}
	err = ac.st.Update(func(tx *bolt.Tx) error {
		u, err := getUser(tx, user)
		if err != nil {
			return err
		}
		if u.Disabled {
			return fmt.Errorf("user %q is disabled: %w", user, ErrBadCredentials)
		}
		b := tx.Bucket(bucketSessions)
		if err := pruneSessions(b, now); err != nil {
			return err
		}
		v, err := sessionCodec.Encode(&s)
		if err != nil {
			return err
		}
		if err := b.Put(sum[:], v); err != nil {
			return err
		}
		return store.AppendAudit(tx, store.AuditEntry{At: now, User: user, Remote: by.Remote, Centre: u.Centre, Action: "login", Target: user})
	}, nil)
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return token, s, nil
}

// pruneSessions deletes expired sessions, so logins that never log out do
// not grow the bucket without bound.
func pruneSessions(b *bolt.Bucket, now time.Time) error {
	var dead [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var s Session
		if sessionCodec.Decode(v, &s) != nil || s.over(now) {
			dead = append(dead, store.Clone(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range dead {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func (s *Session) over(now time.Time) bool {
	return !now.Before(s.ExpiresAt) || (s.Idle > 0 && now.Sub(s.LastSeen) >= s.Idle)
}

// SessionByToken returns the live session a cookie's token names and its
// user. An unknown token is store.ErrNotFound; an expired or idle one, or one
// whose user was disabled, ErrExpired (and it is deleted). A use refreshes
// the idle timer (written at most once a minute).
func (ac *Store) SessionByToken(ctx context.Context, token string) (Session, User, error) {
	if err := ctx.Err(); err != nil {
		return Session{}, User{}, err
	}
	if token == "" || len(token) > 128 {
		return Session{}, User{}, fmt.Errorf("session: %w", store.ErrNotFound)
	}
	sum := sha256.Sum256([]byte(token))
	var s Session
	var u User
	now := ac.st.Now().UTC()
	stale := false
	err := ac.st.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSessions).Get(sum[:])
		if v == nil {
			return fmt.Errorf("session: %w", store.ErrNotFound)
		}
		if err := sessionCodec.Decode(v, &s); err != nil {
			return err
		}
		var err error
		if u, err = getUser(tx, s.User); err != nil {
			return err
		}
		if s.over(now) || u.Disabled {
			stale = true
		}
		return nil
	})
	if err != nil {
		return Session{}, User{}, err
	}
	if stale {
		_ = ac.st.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSessions).Delete(sum[:]) }, nil)
		return Session{}, User{}, fmt.Errorf("session: %w", ErrExpired)
	}
	if now.Sub(s.LastSeen) >= touchEvery {
		s.LastSeen = now
		err := ac.st.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketSessions)
			if b.Get(sum[:]) == nil { // logged out meanwhile
				return fmt.Errorf("session: %w", store.ErrNotFound)
			}
			v, err := sessionCodec.Encode(&s)
			if err != nil {
				return err
			}
			return b.Put(sum[:], v)
		}, nil)
		if err != nil {
			return Session{}, User{}, err
		}
	}
	return s, u, nil
}

// DeleteSession logs a session out (recorded in the audit log in the same
// transaction). Deleting an unknown token is not an error.
func (ac *Store) DeleteSession(ctx context.Context, token string, by store.Actor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(token))
	return ac.st.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		if b.Get(sum[:]) == nil {
			return nil
		}
		if err := b.Delete(sum[:]); err != nil {
			return err
		}
		return store.AppendAudit(tx, store.AuditEntry{At: ac.st.Now().UTC(), User: by.User, Remote: by.Remote, Token: by.Token, Centre: by.Centre, Action: "logout", Target: by.User})
	}, nil)
}

// deleteUserSessions ends every session of user inside tx but the one
// whose ID is keep ("" keeps none).
func deleteUserSessions(tx *bolt.Tx, user, keep string) error {
	b := tx.Bucket(bucketSessions)
	var dead [][]byte
	if err := b.ForEach(func(k, v []byte) error {
		var s Session
		if err := sessionCodec.Decode(v, &s); err != nil || (s.User == user && (keep == "" || s.ID != keep)) {
			dead = append(dead, store.Clone(k))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range dead {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
