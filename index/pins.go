package index

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"
)

// Self-submission PINs (issue 16). A centre that has turned
// self-submission on (centres.Centre.SelfSubmit) lets its staff issue a
// one-time PIN for a case; the victim, given the case number and the PIN
// by their counsellor, adds fingerprints hashed in their own browser to
// that case from the public /submit page, and may later withdraw the case
// with the same case number and PIN.
//
// The PIN is shown once, when issued, and stored only as a bcrypt hash
// (the hashing the accounts room uses for passwords, at the same cost)
// inside the case record. It is valid until it expires (DefaultPINTTL
// unless the issuer says otherwise), is revoked, is replaced by a newer
// PIN, or has been given wrong MaxPINFailures times, whichever comes
// first; a locked or expired PIN is replaced by issuing a new one.
// "One-time" means one PIN per issue, not one use: the victim may submit
// more than once and withdraw with the same PIN until it ends.

// DefaultPINTTL is how long a PIN stays valid unless the issuer says
// otherwise: long enough for a victim to gather their pictures and come
// back to withdraw, short enough that a PIN noted down and forgotten
// does not stay a way into the case.
const DefaultPINTTL = 14 * 24 * time.Hour

// MaxPINTTL bounds the validity an issuer may ask for.
const MaxPINTTL = 90 * 24 * time.Hour

// MaxPINFailures is how many wrong PINs a case's PIN survives: the next
// failure locks it for good (counted across all addresses, in the
// database, so a restart or a change of address does not reset it).
const MaxPINFailures = 5

// pinAlphabet has no 0/O, 1/I/L: a PIN is read out or copied by hand.
const pinAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// pinLen characters of pinAlphabet are some 40 bits: with
// MaxPINFailures guesses per PIN, guessing is hopeless.
const pinLen = 8

// pinCost is bcrypt's work factor for PINs, as for passwords.
const pinCost = bcrypt.DefaultCost

// Errors a PIN check answers, for the page to say which.
var (
	// ErrSelfSubmitOff: the centre does not exist or has not turned
	// self-submission on.
	ErrSelfSubmitOff = errors.New("self-submission is not enabled for this centre")
	// ErrPINWrong: no such case, no PIN issued for it, or a wrong PIN —
	// deliberately one answer, so the page does not tell which case
	// numbers exist.
	ErrPINWrong = errors.New("wrong case number or PIN")
	// ErrPINExpired: the PIN was right once but its time is over.
	ErrPINExpired = errors.New("the PIN has expired")
	// ErrPINLocked: too many wrong PINs; staff must issue a new one.
	ErrPINLocked = errors.New("too many wrong PINs: this PIN is locked")
)

// pinRecord is a case's PIN as stored in its case record.
type pinRecord struct {
	Hash     []byte    `json:"hash"`
	IssuedAt time.Time `json:"issued_at"`
	Expires  time.Time `json:"expires"`
	Failures int       `json:"failures,omitempty"`
}

// dummyPINHash makes a check of a case without a PIN cost what a real
// check costs.
var dummyPINHash, _ = bcrypt.GenerateFromPassword([]byte("no such case, same cost"), pinCost)

// NormalPIN is pin as typed, made comparable: upper case, without the
// spaces and dashes people add.
func NormalPIN(pin string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, pin)
}

// IssuePIN gives centre's case caseID a new PIN valid for ttl (0:
// DefaultPINTTL), replacing any earlier one, audited as "case.pin_issue"
// in the same transaction. It returns the PIN, written as XXXX-XXXX, to be
// shown once: only its hash is kept. The centre must have self-submission
// on (ErrSelfSubmitOff); a case that does not exist yet is created, empty,
// so a counsellor can give a victim a case before anything is registered
// in it; a withdrawn case cannot take a PIN (store.ErrInvalid).
func (ix *Index) IssuePIN(ctx context.Context, centre, caseID string, ttl time.Duration, by store.Actor) (pin string, expires time.Time, err error) {
	if err := ctx.Err(); err != nil {
		return "", time.Time{}, err
	}
	if ttl == 0 {
		ttl = DefaultPINTTL
	}
	if err := validCaseID(caseID); err != nil {
		return "", time.Time{}, err
	}
	if ttl < time.Minute || ttl > MaxPINTTL {
		return "", time.Time{}, fmt.Errorf("PIN validity %s: want a minute to %s: %w", ttl, MaxPINTTL, store.ErrInvalid)
	}
	raw := make([]byte, pinLen)
	for i := range raw {
		raw[i] = pinAlphabet[randIntn(len(pinAlphabet))]
	}
	hash, err := bcrypt.GenerateFromPassword(raw, pinCost)
	if err != nil {
		return "", time.Time{}, err
	}
	now := ix.st.Now().UTC()
	expires = now.Add(ttl)
	err = ix.st.Update(func(tx *bolt.Tx) error {
		if err := selfSubmitOn(tx, centre); err != nil {
			return err
		}
		detail := "valid until " + expires.Format(time.RFC3339)
		c, err := caseIn(tx, centre, caseID)
		if errors.Is(err, store.ErrNotFound) {
			c, err = Case{Centre: centre, ID: caseID, CreatedAt: now}, nil
			detail = "new empty case; " + detail
		}
		if err != nil {
			return err
		}
		if c.Withdrawn() {
			return fmt.Errorf("case %q was withdrawn; issue the PIN under a new case ID: %w", caseID, store.ErrInvalid)
		}
		c.pin = &pinRecord{Hash: hash, IssuedAt: now, Expires: expires}
		if err := putCase(tx, c); err != nil {
			return err
		}
		return store.AppendAudit(tx, by.EntryFor(centre, now, "case.pin_issue", caseID, detail))
	}, nil)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("issue a PIN for case %s: %w", caseKey(centre, caseID), err)
	}
	return string(raw[:4]) + "-" + string(raw[4:]), expires, nil
}

// RevokePIN ends centre's case caseID's PIN, audited as "case.pin_revoke".
func (ix *Index) RevokePIN(ctx context.Context, centre, caseID string, by store.Actor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := ix.st.Update(func(tx *bolt.Tx) error {
		c, err := caseIn(tx, centre, caseID)
		if err != nil {
			return err
		}
		had := c.pin != nil
		c.pin = nil
		if err := putCase(tx, c); err != nil {
			return err
		}
		detail := "no PIN was issued"
		if had {
			detail = "PIN revoked"
		}
		return store.AppendAudit(tx, by.EntryFor(centre, ix.st.Now().UTC(), "case.pin_revoke", caseID, detail))
	}, nil)
	if err != nil {
		return fmt.Errorf("revoke the PIN of case %s: %w", caseKey(centre, caseID), err)
	}
	return nil
}

// CheckPIN checks pin against centre's case caseID's PIN: nil when it is
// right and still valid; otherwise ErrSelfSubmitOff, ErrPINWrong,
// ErrPINExpired or ErrPINLocked. A wrong PIN is counted against the case's
// PIN in the database and audited as "case.pin_failed" naming by; the
// MaxPINFailures-th locks it. The bcrypt comparison runs outside any
// transaction, so guesses do not hold up writers.
func (ix *Index) CheckPIN(ctx context.Context, centre, caseID, pin string, by store.Actor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var rec *pinRecord
	err := ix.st.View(func(tx *bolt.Tx) error {
		if err := selfSubmitOn(tx, centre); err != nil {
			return err
		}
		c, err := caseIn(tx, centre, caseID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !c.Withdrawn() {
			rec = c.pin
		}
		return nil
	})
	if err != nil {
		return err
	}
	if rec == nil {
		_ = bcrypt.CompareHashAndPassword(dummyPINHash, []byte(NormalPIN(pin)))
		return ErrPINWrong
	}
	if rec.Failures >= MaxPINFailures {
		return ErrPINLocked
	}
	if bcrypt.CompareHashAndPassword(rec.Hash, []byte(NormalPIN(pin))) == nil {
		if !ix.st.Now().Before(rec.Expires) {
			return ErrPINExpired
		}
		return nil
	}
	locked := false
	err = ix.st.Update(func(tx *bolt.Tx) error {
		c, err := caseIn(tx, centre, caseID)
		if err != nil {
			return err
		}
		if c.pin == nil || string(c.pin.Hash) != string(rec.Hash) {
			return nil // revoked or replaced meanwhile: nothing to count against
		}
		c.pin.Failures++
		locked = c.pin.Failures >= MaxPINFailures
		if err := putCase(tx, c); err != nil {
			return err
		}
		detail := fmt.Sprintf("wrong PIN (%d of %d)", c.pin.Failures, MaxPINFailures)
		if locked {
			detail += ": PIN locked"
		}
		return store.AppendAudit(tx, by.EntryFor(centre, ix.st.Now().UTC(), "case.pin_failed", caseID, detail))
	}, nil)
	if err != nil {
		return fmt.Errorf("count a wrong PIN for case %s: %w", caseKey(centre, caseID), err)
	}
	if locked {
		return ErrPINLocked
	}
	return ErrPINWrong
}

// selfSubmitOn checks inside tx that centre exists and has
// self-submission on.
func selfSubmitOn(tx *bolt.Tx, centre string) error {
	c, ok, err := centres.In(tx, centre)
	if err != nil {
		return err
	}
	if !ok || !c.SelfSubmit {
		return ErrSelfSubmitOff
	}
	return nil
}

// caseIn reads centre's case id inside tx, or store.ErrNotFound.
func caseIn(tx *bolt.Tx, centre, id string) (Case, error) {
	v := tx.Bucket(bucketCases).Get([]byte(caseKey(centre, id)))
	if v == nil {
		return Case{}, fmt.Errorf("case %q: %w", caseKey(centre, id), store.ErrNotFound)
	}
	return decodeCase(v)
}

// putCase stores c inside tx.
func putCase(tx *bolt.Tx, c Case) error {
	v, err := encodeCase(c)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketCases).Put([]byte(caseKey(c.Centre, c.ID)), v)
}

// randIntn is a uniform random number in [0, n) from crypto/rand.
func randIntn(n int) int {
	var b [1]byte
	for {
		_, _ = rand.Read(b[:]) // never fails on supported platforms
		if int(b[0]) < 256-256%n {
			return int(b[0]) % n
		}
	}
}
