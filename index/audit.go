package index

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// AuditEntry is one record of the audit log: who did what to which target,
// when and from where. The log is append-only: this package has no call
// that edits or deletes an entry, and entries are keyed by a sequence so
// that a gap would show.
type AuditEntry struct {
	Seq    uint64    `json:"seq"`
	At     time.Time `json:"at"`
	User   string    `json:"user"`             // "" for the command line or the system
	Remote string    `json:"remote,omitempty"` // remote address of the request
	Action string    `json:"action"`           // "login", "alert.confirm", "case.withdraw", …
	Target string    `json:"target,omitempty"` // what was acted on: alert ID, case ID, user name…
	Detail string    `json:"detail,omitempty"`
	// Token is the ID of the API token the change was made with, so an
	// admin-issued token acting as its owner is told apart from the owner.
	Token string `json:"token,omitempty"`
}

var auditCodec = &codec{kind: "audit entry", version: 1}

// maxAuditField bounds each text field of an entry, so a hostile request
// cannot bloat the log.
const maxAuditField = 2000

// appendAudit adds e to the log inside tx, so the record commits or fails
// together with the change it describes.
func appendAudit(tx *bolt.Tx, e AuditEntry) error {
	if e.Action == "" {
		return fmt.Errorf("audit entry without an action: %w", ErrInvalid)
	}
	b := tx.Bucket(bucketAudit)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.Seq = seq
	e.At = e.At.UTC()
	for _, f := range []*string{&e.User, &e.Remote, &e.Action, &e.Target, &e.Detail, &e.Token} {
		if len(*f) > maxAuditField {
			// Cut at a character boundary: the entry stays valid UTF-8.
			cut := maxAuditField
			for cut > 0 && !utf8.RuneStart((*f)[cut]) {
				cut--
			}
			*f = (*f)[:cut] + "…"
		}
	}
	v, err := auditCodec.encode(&e)
	if err != nil {
		return err
	}
	return b.Put(idKey(seq), v)
}

// Audit appends e to the audit log in its own transaction; At defaults to
// now. Changes made through this package's account calls record themselves;
// Audit is for changes made through calls that take no Actor (alert
// statuses, cases), written right after the change succeeds, and for
// events that change nothing but must be on record (revealing a preview).
func (db *DB) Audit(ctx context.Context, e AuditEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = db.now()
	}
	if err := db.update(func(tx *bolt.Tx) error { return appendAudit(tx, e) }, nil); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	User   string
	Action string // exact, or a prefix ending in "." ("alert.")
	Target string
	Since  time.Time // inclusive
	Until  time.Time // exclusive
	Before uint64    // only entries with Seq < Before (paging); 0 means no bound
	Limit  int       // at most this many; 0 means 100
}

// AuditLog returns the entries matching f, newest first.
func (db *DB) AuditLog(f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []AuditEntry
	err := db.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		var k, v []byte
		if f.Before > 0 {
			c.Seek(idKey(f.Before))
			k, v = c.Prev()
		} else {
			k, v = c.Last()
		}
		for ; k != nil && len(out) < f.Limit; k, v = c.Prev() {
			var e AuditEntry
			if err := auditCodec.decode(v, &e); err != nil {
				return fmt.Errorf("audit entry %s: %w", idString(k), err)
			}
			if !f.Since.IsZero() && e.At.Before(f.Since) {
				break // sequence order is time order
			}
			if f.matches(e) {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}

func (f AuditFilter) matches(e AuditEntry) bool {
	switch {
	case f.User != "" && e.User != f.User,
		f.Target != "" && e.Target != f.Target,
		!f.Until.IsZero() && !e.At.Before(f.Until):
		return false
	case f.Action != "" && strings.HasSuffix(f.Action, "."):
		return strings.HasPrefix(e.Action, f.Action)
	case f.Action != "":
		return e.Action == f.Action
	}
	return true
}

// verifyAccounts checks the console's buckets inside tx for Verify: every
// user, session, token and audit entry decodes at its current version, and
// sessions and tokens name existing users.
func verifyAccounts(ctx context.Context, tx *bolt.Tx, r *Report) error {
	tick := ticker(ctx)
	users := map[string]bool{}
	if b := tx.Bucket(bucketUsers); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			where := "users/" + strconv.Quote(string(k))
			var u User
			if err := userCodec.decodeCurrent(v, &u); err != nil {
				r.add(where, "%v", err)
			} else if u.Name != string(k) {
				r.add(where, "holds user %q", u.Name)
			} else if !u.Role.Valid() {
				r.add(where, "unknown role %q", u.Role)
			}
			users[string(k)] = true
			return tick()
		}); err != nil {
			return err
		}
	}
	if b := tx.Bucket(bucketSessions); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			where := "sessions/" + keyString(k)
			var s Session
			if err := sessionCodec.decodeCurrent(v, &s); err != nil {
				r.add(where, "%v", err)
			} else if !users[s.User] {
				r.add(where, "its user %q does not exist", s.User)
			}
			return tick()
		}); err != nil {
			return err
		}
	}
	if b := tx.Bucket(bucketTokens); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			where := "tokens/" + keyString(k)
			var t Token
			if err := tokenCodec.decodeCurrent(v, &t); err != nil {
				r.add(where, "%v", err)
			} else if !users[t.User] {
				r.add(where, "its user %q does not exist", t.User)
			}
			return tick()
		}); err != nil {
			return err
		}
	}
	if b := tx.Bucket(bucketAudit); b != nil {
		seq := b.Sequence()
		if err := b.ForEach(func(k, v []byte) error {
			where, id, ok := idWhere("audit", k, seq, r)
			var e AuditEntry
			if err := auditCodec.decodeCurrent(v, &e); err != nil {
				r.add(where, "%v", err)
			} else if ok && e.Seq != id {
				r.add(where, "holds entry %d", e.Seq)
			}
			return tick()
		}); err != nil {
			return err
		}
	}
	if b := tx.Bucket(bucketSettings); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			if strings.HasPrefix(string(k), pausedPrefix) {
				var p sitePause
				if err := pauseCodec.decodeCurrent(v, &p); err != nil {
					r.add("settings/"+strconv.Quote(string(k)), "%v", err)
				}
			}
			return tick()
		}); err != nil {
			return err
		}
	}
	return nil
}
