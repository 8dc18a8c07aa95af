package accounts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"
)

// Role is what a console user may do. Roles do not nest: an admin manages
// users and reads the audit log, and is given no other role's work by it.
type Role string

// The console's roles.
const (
	// RoleAdmin manages users and reads the audit log.
	RoleAdmin Role = "admin"
	// RoleStaff registers and withdraws cases.
	RoleStaff Role = "staff"
	// RoleOperator reviews alerts and sends takedown notices.
	RoleOperator Role = "operator"
	// RoleAnalyst manages watched sites and crawls.
	RoleAnalyst Role = "analyst"
)

// Roles lists every role, in the order the console shows them.
var Roles = []Role{RoleAdmin, RoleStaff, RoleOperator, RoleAnalyst}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleStaff, RoleOperator, RoleAnalyst:
		return true
	}
	return false
}

// ErrBadCredentials reports a login that failed: unknown user, wrong
// password or disabled account, deliberately not saying which.
var ErrBadCredentials = errors.New("wrong user name or password")

// Password limits. bcrypt reads at most 72 bytes, so longer passwords would
// silently share a hash with their prefix; they are refused instead.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 72
)

// DefaultTimeZone is the zone times are shown in when a user chose none: the
// support centres hashwatch is built for are in Korea.
const DefaultTimeZone = "Asia/Seoul"

// bcryptCost is the work factor of stored password hashes (bcrypt's
// default: about 50–100 ms per check on a server core, which also slows
// password guessing).
const bcryptCost = bcrypt.DefaultCost

// User is one console account. The password is kept only as a bcrypt hash.
type User struct {
	Name string `json:"name"`
	// Role is the user's first role, AlsoRoles the others: a person of a
	// small centre may, say, both register cases and review alerts. Roles
	// lists them all.
	Role      Role   `json:"role"`
	AlsoRoles []Role `json:"also_roles,omitempty"`
	// Centre is the centre the user works for; users of the national
	// centre have national scope (see package centres).
	Centre       string `json:"centre"`
	PasswordHash []byte `json:"password_hash"`
	Language     string `json:"language,omitempty"`  // "ko", "en" or empty (Accept-Language decides)
	TimeZone     string `json:"time_zone,omitempty"` // IANA name; empty means DefaultTimeZone
	// ViewColour is the user's choice to see live views of matched media
	// in colour; the default is grey, which spares an operator some of
	// the material's impact.
	ViewColour bool      `json:"view_colour,omitempty"`
	Disabled   bool      `json:"disabled"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// NewUser is what AddUser needs to create an account.
type NewUser struct {
	Name string
	Role Role
	// AlsoRoles are further roles beside Role.
	AlsoRoles []Role
	// Centre is the user's centre; empty means the national centre.
	Centre   string
	Password string
	Language string
	TimeZone string
}

// userCodec: encoding version 2 names the user's centre; version 1 users,
// from before centres, are the national centre's.
var userCodec = &store.Codec{Kind: "user", Version: 2,
	Upgrades: map[byte]func(json.RawMessage) (json.RawMessage, error){1: store.AddField("centre", centres.National)}}

// MigrateCentres is this room's part of the migration to centres (schema
// 2 → 3): every user is rewritten as a user of the national centre.
func MigrateCentres(tx *bolt.Tx) error { return store.Reencode(tx, bucketUsers, userCodec) }

// Roles lists every role of u, Role first.
func (u User) Roles() []Role { return append([]Role{u.Role}, u.AlsoRoles...) }

// Has reports whether u has role r.
func (u User) Has(r Role) bool {
	for _, have := range u.Roles() {
		if have == r {
			return true
		}
	}
	return false
}

// validRoles checks a user's roles: each known, none twice.
func validRoles(first Role, also []Role) error {
	seen := map[Role]bool{}
	for _, r := range append([]Role{first}, also...) {
		if !r.Valid() {
			return fmt.Errorf("role %q: want admin, staff, operator or analyst: %w", r, store.ErrInvalid)
		}
		if seen[r] {
			return fmt.Errorf("role %q given twice: %w", r, store.ErrInvalid)
		}
		seen[r] = true
	}
	return nil
}

// NationalScope reports whether u sees every centre's work.
func (u User) NationalScope() bool { return u.Centre == centres.National }

// validUserName accepts 1–64 letters, digits and . _ - @, but not "." or
// "..", which cannot be a path segment of the console's /users/NAME.
func validUserName(name string) error {
	ok := name != "" && name != "." && name != ".." && len(name) <= 64 && !strings.ContainsFunc(name, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-@", r))
	})
	if !ok {
		return fmt.Errorf("user name %q: want 1–64 letters, digits, '.', '_', '-' or '@': %w", name, store.ErrInvalid)
	}
	return nil
}

// ValidPassword says why a password is refused, or nil.
func ValidPassword(p string) error {
	if len(p) < MinPasswordLen || len(p) > MaxPasswordLen {
		return fmt.Errorf("password: want %d–%d bytes, got %d: %w", MinPasswordLen, MaxPasswordLen, len(p), store.ErrInvalid)
	}
	return nil
}

// validPrefs checks a language and time zone choice.
func validPrefs(lang, tz string) error {
	if lang != "" && lang != "ko" && lang != "en" {
		return fmt.Errorf("language %q: want ko, en or empty: %w", lang, store.ErrInvalid)
	}
	if tz != "" {
		if _, err := time.LoadLocation(tz); err != nil {
			return fmt.Errorf("time zone %q: %v: %w", tz, err, store.ErrInvalid)
		}
	}
	return nil
}

// AddUser creates an account, hashing its password, and records it in the
// audit log in the same transaction. A taken name fails with store.ErrInvalid.
func (ac *Store) AddUser(ctx context.Context, nu NewUser, by store.Actor) (User, error) {
	if err := ctx.Err(); err != nil {
		return User{}, err
	}
	if err := validUserName(nu.Name); err != nil {
		return User{}, err
	}
	if err := validRoles(nu.Role, nu.AlsoRoles); err != nil {
		return User{}, err
	}
	if err := ValidPassword(nu.Password); err != nil {
		return User{}, err
	}
	if err := validPrefs(nu.Language, nu.TimeZone); err != nil {
		return User{}, err
	}
	if nu.Centre == "" {
		nu.Centre = centres.National
	}
	if err := centres.Valid(nu.Centre); err != nil {
		return User{}, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(nu.Password), bcryptCost)
	if err != nil {
		return User{}, fmt.Errorf("hash password: %w", err)
	}
	now := ac.st.Now().UTC()
	u := User{Name: nu.Name, Role: nu.Role, AlsoRoles: nu.AlsoRoles, Centre: nu.Centre, PasswordHash: hash, Language: nu.Language, TimeZone: nu.TimeZone, CreatedAt: now, UpdatedAt: now}
	err = ac.st.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		if b.Get([]byte(u.Name)) != nil {
			return fmt.Errorf("user %q already exists: %w", u.Name, store.ErrInvalid)
		}
		if u.Centre != centres.National && !centres.Exists(tx, u.Centre) {
			return fmt.Errorf("centre %q: %w", u.Centre, store.ErrNotFound)
		}
		if err := putUser(b, &u); err != nil {
			return err
		}
		return store.AppendAudit(tx, store.AuditEntry{At: now, User: by.User, Remote: by.Remote, Token: by.Token, Centre: u.Centre, Action: "user.add", Target: u.Name, Detail: fmt.Sprintf("roles %v, centre %s", u.Roles(), u.Centre)})
	}, nil)
	if err != nil {
		return User{}, fmt.Errorf("add user: %w", err)
	}
	return u, nil
}

func putUser(b *bolt.Bucket, u *User) error {
	v, err := userCodec.Encode(u)
	if err != nil {
		return err
	}
	return b.Put([]byte(u.Name), v)
}

func getUser(tx *bolt.Tx, name string) (User, error) {
	var u User
	v := tx.Bucket(bucketUsers).Get([]byte(name))
	if v == nil {
		return u, fmt.Errorf("user %q: %w", name, store.ErrNotFound)
	}
	err := userCodec.Decode(v, &u)
	return u, err
}

// User returns one account.
func (ac *Store) User(name string) (User, error) {
	var u User
	err := ac.st.View(func(tx *bolt.Tx) (err error) {
		u, err = getUser(tx, name)
		return err
	})
	return u, err
}

// Users lists every account by name.
func (ac *Store) Users() ([]User, error) {
	var out []User
	err := ac.st.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
			var u User
			if err := userCodec.Decode(v, &u); err != nil {
				return fmt.Errorf("user %q: %w", k, err)
			}
			out = append(out, u)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// dummyHash is compared against when a login names no existing user, so
// that such a login takes as long as a wrong password and does not reveal
// which names exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("no such user, same cost"), bcryptCost)

// Authenticate checks a name and password. Every failure — unknown name,
// wrong password, disabled account — is ErrBadCredentials, taking about as
// long as a success.
func (ac *Store) Authenticate(ctx context.Context, name, password string) (User, error) {
	if err := ctx.Err(); err != nil {
		return User{}, err
	}
	u, err := ac.User(name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
			return User{}, ErrBadCredentials
		}
		return User{}, err
	}
	if bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(password)) != nil || u.Disabled {
		return User{}, ErrBadCredentials
	}
	return u, nil
}

// UserChange is an edit of an account; nil fields stay as they are.
type UserChange struct {
	Role       *Role
	Disabled   *bool
	Password   *string
	Language   *string
	TimeZone   *string
	ViewColour *bool
	// KeepSession is the ID of a session that survives a password change
	// (the one the user changed their own password from); every other
	// session of the account ends with the old password.
	KeepSession string
}

// UpdateUser applies ch to the account name and records it in the audit log
// in the same transaction. Disabling an account ends all its sessions;
// changing its password ends all but ch.KeepSession.
func (ac *Store) UpdateUser(ctx context.Context, name string, ch UserChange, by store.Actor) (User, error) {
	if err := ctx.Err(); err != nil {
		return User{}, err
	}
	var details []string
	var hash []byte
	if ch.Role != nil && !ch.Role.Valid() {
		return User{}, fmt.Errorf("role %q: want admin, staff, operator or analyst: %w", *ch.Role, store.ErrInvalid)
	}
	if ch.Password != nil {
		if err := ValidPassword(*ch.Password); err != nil {
			return User{}, err
		}
		var err error
		if hash, err = bcrypt.GenerateFromPassword([]byte(*ch.Password), bcryptCost); err != nil {
			return User{}, fmt.Errorf("hash password: %w", err)
		}
	}
	lang, tz := "", ""
	if ch.Language != nil {
		lang = *ch.Language
	}
	if ch.TimeZone != nil {
		tz = *ch.TimeZone
	}
	if err := validPrefs(lang, tz); err != nil {
		return User{}, err
	}
	var u User
	err := ac.st.Update(func(tx *bolt.Tx) error {
		var err error
		if u, err = getUser(tx, name); err != nil {
			return err
		}
		if ch.Role != nil && (*ch.Role != u.Role || len(u.AlsoRoles) > 0) {
			// A change of role makes it the user's only one.
			details = append(details, fmt.Sprintf("roles %v→%s", u.Roles(), *ch.Role))
			u.Role, u.AlsoRoles = *ch.Role, nil
		}
		if ch.Disabled != nil && *ch.Disabled != u.Disabled {
			u.Disabled = *ch.Disabled
			if u.Disabled {
				details = append(details, "disabled")
				if err := deleteUserSessions(tx, name, ""); err != nil {
					return err
				}
				// Disabling ends every way in: the tokens are revoked
				// for good, so re-enabling the account does not bring
				// back a script key that may have leaked meanwhile.
				n, err := revokeUserTokens(tx, name, ac.st.Now().UTC())
				if err != nil {
					return err
				}
				if n > 0 {
					details = append(details, fmt.Sprintf("%d API token(s) revoked", n))
				}
			} else {
				details = append(details, "enabled")
			}
		}
		if hash != nil {
			u.PasswordHash = hash
			details = append(details, "password changed")
			// Whoever held a session through the old password (or stole
			// one) loses it; API tokens are separate secrets and stay
			// until revoked.
			if err := deleteUserSessions(tx, name, ch.KeepSession); err != nil {
				return err
			}
		}
		if ch.Language != nil && lang != u.Language {
			u.Language = lang
			details = append(details, "language "+lang)
		}
		if ch.TimeZone != nil && tz != u.TimeZone {
			u.TimeZone = tz
			details = append(details, "time zone "+tz)
		}
		if ch.ViewColour != nil && *ch.ViewColour != u.ViewColour {
			u.ViewColour = *ch.ViewColour
			details = append(details, fmt.Sprintf("view in colour %v", u.ViewColour))
		}
		if len(details) == 0 {
			return nil
		}
		u.UpdatedAt = ac.st.Now().UTC()
		if err := putUser(tx.Bucket(bucketUsers), &u); err != nil {
			return err
		}
		return store.AppendAudit(tx, store.AuditEntry{At: u.UpdatedAt, User: by.User, Remote: by.Remote, Token: by.Token, Centre: u.Centre, Action: "user.update", Target: name, Detail: strings.Join(details, ", ")})
	}, nil)
	if err != nil {
		return User{}, fmt.Errorf("update user: %w", err)
	}
	return u, nil
}
