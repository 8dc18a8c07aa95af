package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// TokenPrefix starts every API token, so a leaked one is recognisable (and
// findable by secret scanners).
const TokenPrefix = "hwt_"

// Token is an API token for scripts: it acts with its owner's role, at the
// moment of each request (a demoted or disabled owner's tokens follow). The
// secret is shown once at creation; only its SHA-256 is kept.
type Token struct {
	ID        string    `json:"id"` // first 16 hex digits of the secret's SHA-256, for listing and revoking
	User      string    `json:"user"`
	Name      string    `json:"name,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Revoked reports whether the token was revoked.
func (t Token) Revoked() bool { return !t.RevokedAt.IsZero() }

var tokenCodec = &store.Codec{Kind: "token", Version: 1}

// CreateToken makes a new API token for user and returns its secret, which
// is never retrievable again.
func (ac *Store) CreateToken(ctx context.Context, user, name string, by store.Actor) (secret string, t Token, err error) {
	if err := ctx.Err(); err != nil {
		return "", Token{}, err
	}
	if len(name) > 100 {
		return "", Token{}, fmt.Errorf("token name longer than 100 bytes: %w", store.ErrInvalid)
	}
	raw, _, err := newSecret(32)
	if err != nil {
		return "", Token{}, err
	}
	secret = TokenPrefix + raw
	sum := sha256.Sum256([]byte(secret))
	now := ac.st.Now().UTC()
	t = Token{ID: hex.EncodeToString(sum[:8]), User: user, Name: name, CreatedAt: now}
	err = ac.st.Update(func(tx *bolt.Tx) error {
		if _, err := getUser(tx, user); err != nil {
			return err
		}
		v, err := tokenCodec.Encode(&t)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketTokens).Put(sum[:], v); err != nil {
			return err
		}
		return store.AppendAudit(tx, store.AuditEntry{At: now, User: by.User, Remote: by.Remote, Action: "token.create", Target: user, Detail: "token " + t.ID})
	}, nil)
	if err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	return secret, t, nil
}

// TokenBySecret returns the token a bearer secret names and its owner. An
// unknown secret is store.ErrNotFound; a revoked token, or one whose owner is
// disabled, ErrExpired.
func (ac *Store) TokenBySecret(ctx context.Context, secret string) (Token, User, error) {
	if err := ctx.Err(); err != nil {
		return Token{}, User{}, err
	}
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 128 {
		return Token{}, User{}, fmt.Errorf("token: %w", store.ErrNotFound)
	}
	sum := sha256.Sum256([]byte(secret))
	var t Token
	var u User
	err := ac.st.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketTokens).Get(sum[:])
		if v == nil {
			return fmt.Errorf("token: %w", store.ErrNotFound)
		}
		if err := tokenCodec.Decode(v, &t); err != nil {
			return err
		}
		var err error
		u, err = getUser(tx, t.User)
		return err
	})
	if err != nil {
		return Token{}, User{}, err
	}
	if t.Revoked() || u.Disabled {
		return Token{}, User{}, fmt.Errorf("token %s: %w", t.ID, ErrExpired)
	}
	return t, u, nil
}

// Tokens lists the tokens of user (every user's when user is ""), oldest
// first.
func (ac *Store) Tokens(user string) ([]Token, error) {
	var out []Token
	err := ac.st.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTokens).ForEach(func(k, v []byte) error {
			var t Token
			if err := tokenCodec.Decode(v, &t); err != nil {
				return fmt.Errorf("token %x: %w", k[:8], err)
			}
			if user == "" || t.User == user {
				out = append(out, t)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

// RevokeToken revokes the token with the given ID. The record stays, so the
// audit log's references to it keep meaning something.
func (ac *Store) RevokeToken(ctx context.Context, id string, by store.Actor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return ac.st.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		var key []byte
		var t Token
		if err := b.ForEach(func(k, v []byte) error {
			if hex.EncodeToString(k[:min(8, len(k))]) == id {
				key = store.Clone(k)
				return tokenCodec.Decode(v, &t)
			}
			return nil
		}); err != nil {
			return err
		}
		if key == nil {
			return fmt.Errorf("token %q: %w", id, store.ErrNotFound)
		}
		if t.Revoked() {
			return nil
		}
		t.RevokedAt = ac.st.Now().UTC()
		v, err := tokenCodec.Encode(&t)
		if err != nil {
			return err
		}
		if err := b.Put(key, v); err != nil {
			return err
		}
		return store.AppendAudit(tx, store.AuditEntry{At: t.RevokedAt, User: by.User, Remote: by.Remote, Action: "token.revoke", Target: t.User, Detail: "token " + t.ID})
	}, nil)
}
