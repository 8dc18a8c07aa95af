package store

import (
	"context"
	"fmt"
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
	// Centre is the centre the entry concerns: the centre of the case or
	// alert acted on, else the actor's. Empty for entries written before
	// centres existed and for the command line and the system, which act
	// with national scope: such entries are the national centre's.
	Centre string `json:"centre,omitempty"`
}

var auditCodec = &Codec{Kind: "audit entry", Version: 1}

// maxAuditField bounds each text field of an entry, so a hostile request
// cannot bloat the log.
const maxAuditField = 2000

// Actor is who makes a change: a console user (with the remote address of
// the request) or, with an empty User, the command line or the system.
// Every call that changes what a person decides takes one, and writes its
// audit record in the change's own transaction.
type Actor struct {
	User   string // "" for the command line or the system
	Remote string // remote address, "" for the command line
	Token  string // ID of the API token the request used, "" for a session or the command line
	// Centre is the actor's centre; "" for the command line and the
	// system, which act with national scope.
	Centre string
}

// Entry is the audit record of an action by a, concerning a's centre.
func (a Actor) Entry(at time.Time, action, target, detail string) AuditEntry {
	return AuditEntry{At: at, User: a.User, Remote: a.Remote, Token: a.Token, Centre: a.Centre, Action: action, Target: target, Detail: detail}
}

// EntryFor is Entry for an action on something of centre (a case, an
// alert), which may not be the actor's own: its audit entry is that
// centre's.
func (a Actor) EntryFor(centre string, at time.Time, action, target, detail string) AuditEntry {
	e := a.Entry(at, action, target, detail)
	e.Centre = centre
	return e
}

// AppendAudit adds e to the log inside tx, so the record commits or fails
// together with the change it describes.
func AppendAudit(tx *bolt.Tx, e AuditEntry) error {
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
	for _, f := range []*string{&e.User, &e.Remote, &e.Action, &e.Target, &e.Detail, &e.Token, &e.Centre} {
		if len(*f) > maxAuditField {
			// Cut at a character boundary: the entry stays valid UTF-8.
			cut := maxAuditField
			for cut > 0 && !utf8.RuneStart((*f)[cut]) {
				cut--
			}
			*f = (*f)[:cut] + "…"
		}
	}
	v, err := auditCodec.Encode(&e)
	if err != nil {
		return err
	}
	return b.Put(IDKey(seq), v)
}

// Audit appends e to the audit log in its own transaction; At defaults to
// now. Changes made through the rooms' calls that take an Actor record
// themselves; Audit is for events that change nothing but must be on record
// (a login, revealing a preview).
func (db *DB) Audit(ctx context.Context, e AuditEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.At.IsZero() {
		e.At = db.now()
	}
	if err := db.Update(func(tx *bolt.Tx) error { return AppendAudit(tx, e) }, nil); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	// Centre keeps the entries of one centre ("national" includes the
	// entries that name none); empty keeps every centre's.
	Centre string
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
	err := db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		var k, v []byte
		if f.Before > 0 {
			c.Seek(IDKey(f.Before))
			k, v = c.Prev()
		} else {
			k, v = c.Last()
		}
		for ; k != nil && len(out) < f.Limit; k, v = c.Prev() {
			var e AuditEntry
			if err := auditCodec.Decode(v, &e); err != nil {
				return fmt.Errorf("audit entry %s: %w", IDString(k), err)
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

// AuditAfter returns up to limit entries whose Seq is above after, oldest
// first: what was done since a reader last looked, for notifications that
// follow the log (each change's record commits with the change, so the
// log is an outbox no writer has to remember to fill). limit <= 0 means
// 100.
func (db *DB) AuditAfter(after uint64, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []AuditEntry
	err := db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Seek(IDKey(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			var e AuditEntry
			if err := auditCodec.Decode(v, &e); err != nil {
				return fmt.Errorf("audit entry %s: %w", IDString(k), err)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// LastAuditSeq is the highest audit sequence stored, 0 when the log is
// empty.
func (db *DB) LastAuditSeq() (uint64, error) {
	var seq uint64
	err := db.View(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketAudit).Cursor().Last(); k != nil {
			seq, _ = KeyID(k)
		}
		return nil
	})
	return seq, err
}

func (f AuditFilter) matches(e AuditEntry) bool {
	centre := e.Centre
	if centre == "" {
		centre = "national"
	}
	switch {
	case f.Centre != "" && centre != f.Centre,
		f.User != "" && e.User != f.User,
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

// checkAudit checks the audit log for Verify: every entry decodes at its
// current version under the sequence it holds.
func checkAudit(ctx context.Context, tx *bolt.Tx, r *Report) error {
	b := tx.Bucket(bucketAudit)
	if b == nil {
		return nil
	}
	tick := Ticker(ctx)
	seq := b.Sequence()
	return b.ForEach(func(k, v []byte) error {
		where, id, ok := IDWhere("audit", k, seq, r)
		var e AuditEntry
		if err := auditCodec.DecodeCurrent(v, &e); err != nil {
			r.Add(where, "%v", err)
		} else if ok && e.Seq != id {
			r.Add(where, "holds entry %d", e.Seq)
		}
		return tick()
	})
}
