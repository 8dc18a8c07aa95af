package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/centres"
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
	// Scope narrows what the token may do below its owner's role (see
	// TokenScope); "" is the whole role, as tokens made before scopes.
	Scope TokenScope `json:"scope,omitempty"`
	// ExpiresAt, when set, is when the token stops working.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Revoked reports whether the token was revoked.
func (t Token) Revoked() bool { return !t.RevokedAt.IsZero() }

// TokenScope narrows an API token below its owner's role. The console
// enforces it on every request, on top of the owner's current role.
type TokenScope string

// Token scopes.
const (
	ScopeFull     TokenScope = ""         // everything the owner's role may do
	ScopeRead     TokenScope = "read"     // GET requests only
	ScopeReport   TokenScope = "report"   // submit and read reported URLs only
	ScopeOperator TokenScope = "operator" // what an operator may do (owner: operator or admin)
	ScopeStaff    TokenScope = "staff"    // what staff may do (owner: staff or admin)
	// ScopeLookup is a partner platform's: the lookup API (is this hash
	// registered, and the feed of changes) and nothing else, whatever the
	// owner's role.
	ScopeLookup TokenScope = "lookup"
)

// TokenScopes lists every scope narrower than the whole role, in the
// order the console offers them: ParseTokenScope accepts these and
// "full", so the console's form and the command line offer the same.
var TokenScopes = []TokenScope{ScopeRead, ScopeReport, ScopeOperator, ScopeStaff, ScopeLookup}

// ParseTokenScope checks a scope name ("full" or "" for the whole role).
func ParseTokenScope(s string) (TokenScope, error) {
	if sc := TokenScope(s); sc == ScopeFull || s == "full" {
		return ScopeFull, nil
	} else if slices.Contains(TokenScopes, sc) {
		return sc, nil
	}
	return "", fmt.Errorf("token scope %q: want full, read, report, operator, staff or lookup: %w", s, store.ErrInvalid)
}

// TokenOptions are the optional properties of a new token.
type TokenOptions struct {
	Scope TokenScope
	// TTL, when positive, makes the token expire that long after creation.
	TTL time.Duration
}

var tokenCodec = &store.Codec{Kind: "token", Version: 1}

// CreateToken makes a new API token for user and returns its secret, which
// is never retrievable again.
func (ac *Store) CreateToken(ctx context.Context, user, name string, by store.Actor) (secret string, t Token, err error) {
	return ac.CreateTokenWith(ctx, user, name, TokenOptions{}, by)
}

// CreateTokenWith is CreateToken with a scope and an expiry. A scope the
// owner's role cannot use (operator for a staff member) is refused.
func (ac *Store) CreateTokenWith(ctx context.Context, user, name string, o TokenOptions, by store.Actor) (secret string, t Token, err error) {
	if _, err := ParseTokenScope(string(o.Scope)); err != nil {
		return "", Token{}, err
	}
	if o.TTL < 0 {
		return "", Token{}, fmt.Errorf("token lifetime %v: %w", o.TTL, store.ErrInvalid)
	}
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
	t = Token{ID: hex.EncodeToString(sum[:8]), User: user, Name: name, CreatedAt: now, Scope: o.Scope}
	if o.TTL > 0 {
		t.ExpiresAt = now.Add(o.TTL)
	}
	err = ac.st.Update(func(tx *bolt.Tx) error {
		u, err := getUser(tx, user)
		if err != nil {
			return err
		}
		if (o.Scope == ScopeOperator && !u.Has(RoleOperator) && !u.Has(RoleAdmin)) ||
			(o.Scope == ScopeStaff && !u.Has(RoleStaff) && !u.Has(RoleAdmin)) {
			return fmt.Errorf("a %s token for %s, whose roles are %v: %w", o.Scope, user, u.Roles(), store.ErrInvalid)
		}
		v, err := tokenCodec.Encode(&t)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketTokens).Put(sum[:], v); err != nil {
			return err
		}
		detail := "token " + t.ID
		if t.Scope != ScopeFull {
			detail += ", scope " + string(t.Scope)
		}
		if !t.ExpiresAt.IsZero() {
			detail += ", expires " + t.ExpiresAt.Format(time.RFC3339)
		}
		return store.AppendAudit(tx, store.AuditEntry{At: now, User: by.User, Remote: by.Remote, Token: by.Token, Centre: u.Centre, Action: "token.create", Target: user, Detail: detail})
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
	if t.Revoked() || u.Disabled || (!t.ExpiresAt.IsZero() && !ac.st.Now().Before(t.ExpiresAt)) {
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
		// A regional admin revokes their own centre's users' tokens only.
		// The revocation is the owner's centre's entry (the actor's when
		// the owner is gone).
		centre := by.Centre
		if u, err := getUser(tx, t.User); err == nil {
			if !centres.Sees(by.Centre, u.Centre) {
				return fmt.Errorf("token %q: %w", id, store.ErrNotFound)
			}
			centre = u.Centre
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
		return store.AppendAudit(tx, store.AuditEntry{At: t.RevokedAt, User: by.User, Remote: by.Remote, Token: by.Token, Centre: centre, Action: "token.revoke", Target: t.User, Detail: "token " + t.ID})
	}, nil)
}

// revokeUserTokens revokes every live token of user, in tx, and returns
// how many.
func revokeUserTokens(tx *bolt.Tx, user string, at time.Time) (int, error) {
	b := tx.Bucket(bucketTokens)
	type kv struct {
		k []byte
		t Token
	}
	var live []kv
	if err := b.ForEach(func(k, v []byte) error {
		var t Token
		if err := tokenCodec.Decode(v, &t); err != nil {
			return err
		}
		if t.User == user && !t.Revoked() {
			live = append(live, kv{store.Clone(k), t})
		}
		return nil
	}); err != nil {
		return 0, err
	}
	for _, e := range live {
		e.t.RevokedAt = at
		v, err := tokenCodec.Encode(&e.t)
		if err != nil {
			return 0, err
		}
		if err := b.Put(e.k, v); err != nil {
			return 0, err
		}
	}
	return len(live), nil
}
