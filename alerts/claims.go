package alerts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// Two operators on one queue must not judge the same alert twice, or one
// would confirm what the other is still looking at. An operator who opens
// an alert to work it claims it for a few minutes; others see the claim,
// their review mode skips the alert, and their decisions on it (one by one
// or in bulk) are refused with who holds it and until when. A claim ends
// with its holder's decision or by itself when it expires, so a closed tab
// never locks an alert away.
//
// Claims live in the file, not in the console's memory, so that a decision
// checks them in its own transaction (a bulk action refuses a claimed
// alert in the same commit that would change it) and a restart forgets
// nobody's work.
var bucketClaims = []byte("alertclaims")

var claimCodec = &store.Codec{Kind: "alert claim", Version: 1}

// DefaultClaimFor is how long opening an alert keeps it claimed: long
// enough to judge it, short enough that an abandoned claim frees the alert
// soon.
const DefaultClaimFor = 5 * time.Minute

// MaxClaimFor bounds a claim's length, so no claim locks an alert for long.
const MaxClaimFor = time.Hour

// Claim is an operator's hold on an alert.
type Claim struct {
	User  string    `json:"user"`
	At    time.Time `json:"at"`    // when this holder first claimed it
	Until time.Time `json:"until"` // when the claim lapses unless renewed
}

// heldAt reports whether the claim is in force at now.
func (c Claim) heldAt(now time.Time) bool { return c.User != "" && now.Before(c.Until) }

// ClaimedError is a refusal because another person holds the alert.
type ClaimedError struct {
	ID    uint64
	Claim Claim
}

func (e *ClaimedError) Error() string {
	return fmt.Sprintf("alert %d is claimed by %s until %s", e.ID, e.Claim.User, e.Claim.Until.UTC().Format("15:04:05 MST"))
}

// Unwrap makes a claim refusal a store.ErrConflict.
func (e *ClaimedError) Unwrap() error { return store.ErrConflict }

// claimIn reads alert id's claim inside tx; the zero Claim when none.
func claimIn(tx *bolt.Tx, id uint64) (Claim, error) {
	var c Claim
	v := tx.Bucket(bucketClaims).Get(store.IDKey(id))
	if v == nil {
		return c, nil
	}
	if err := claimCodec.Decode(v, &c); err != nil {
		return Claim{}, fmt.Errorf("claim of alert %d: %w", id, err)
	}
	return c, nil
}

// checkClaim refuses user's change to alert id while someone else's claim
// on it is in force.
func checkClaim(tx *bolt.Tx, id uint64, user string, now time.Time) error {
	c, err := claimIn(tx, id)
	if err != nil {
		return err
	}
	if c.heldAt(now) && c.User != user {
		return &ClaimedError{ID: id, Claim: c}
	}
	return nil
}

// ClaimAlert claims alert id for by.User for d (DefaultClaimFor when zero,
// at most MaxClaimFor), or renews by.User's claim. A new claim — none
// before, or only an expired one — is recorded in the audit log in the
// same transaction; a renewal is not, so an operator re-reading an alert
// does not flood the log. Another person's claim in force is a
// *ClaimedError. Only open work is claimed: an alert that is not new or
// confirmed is left alone (ok false). A user of a centre that does not see
// the alert gets store.ErrNotFound.
func (al *Store) ClaimAlert(ctx context.Context, id uint64, d time.Duration, by store.Actor) (c Claim, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return Claim{}, false, err
	}
	if by.User == "" {
		return Claim{}, false, fmt.Errorf("claim alert %d: a claim needs a person: %w", id, store.ErrInvalid)
	}
	if d <= 0 {
		d = DefaultClaimFor
	}
	d = min(d, MaxClaimFor)
	err = al.st.Update(func(tx *bolt.Tx) error {
		a, found, err := AlertIn(tx, id)
		if err != nil {
			return err
		}
		if !found || !centres.Sees(by.Centre, a.Centre) {
			return fmt.Errorf("alert %d: %w", id, store.ErrNotFound)
		}
		if a.Status != StatusNew && a.Status != StatusConfirmed {
			return nil
		}
		now := al.st.Now().UTC()
		old, err := claimIn(tx, id)
		if err != nil {
			return err
		}
		if old.heldAt(now) && old.User != by.User {
			c = old
			return &ClaimedError{ID: id, Claim: old}
		}
		c = Claim{User: by.User, At: now, Until: now.Add(d)}
		renewal := old.heldAt(now) && old.User == by.User
		if renewal {
			c.At = old.At
		}
		v, err := claimCodec.Encode(c)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketClaims).Put(store.IDKey(id), v); err != nil {
			return err
		}
		ok = true
		if renewal {
			return nil
		}
		return store.AppendAudit(tx, by.EntryFor(a.Centre, now, "alert.claim", strconv.FormatUint(id, 10), "until "+c.Until.Format(time.RFC3339)))
	}, nil)
	var ce *ClaimedError
	if errors.As(err, &ce) {
		return c, false, err
	}
	if err != nil {
		return Claim{}, false, fmt.Errorf("claim alert %d: %w", id, err)
	}
	return c, ok, nil
}

// ReleaseAlert gives up by.User's claim on alert id, audited; releasing a
// claim one does not hold (none, expired, or another's) changes nothing
// and records nothing.
func (al *Store) ReleaseAlert(ctx context.Context, id uint64, by store.Actor) (released bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	err = al.st.Update(func(tx *bolt.Tx) error {
		a, found, err := AlertIn(tx, id)
		if err != nil {
			return err
		}
		if !found || !centres.Sees(by.Centre, a.Centre) {
			return fmt.Errorf("alert %d: %w", id, store.ErrNotFound)
		}
		now := al.st.Now().UTC()
		c, err := claimIn(tx, id)
		if err != nil {
			return err
		}
		if !c.heldAt(now) || c.User != by.User {
			return nil
		}
		if err := tx.Bucket(bucketClaims).Delete(store.IDKey(id)); err != nil {
			return err
		}
		released = true
		return store.AppendAudit(tx, by.EntryFor(a.Centre, now, "alert.release", strconv.FormatUint(id, 10), ""))
	}, nil)
	if err != nil {
		return false, fmt.Errorf("release alert %d: %w", id, err)
	}
	return released, nil
}

// Claims returns the claims in force on the given alerts, by alert ID.
func (al *Store) Claims(ids []uint64) (map[uint64]Claim, error) {
	out := map[uint64]Claim{}
	err := al.st.View(func(tx *bolt.Tx) error {
		now := al.st.Now().UTC()
		for _, id := range ids {
			c, err := claimIn(tx, id)
			if err != nil {
				return err
			}
			if c.heldAt(now) {
				out[id] = c
			}
		}
		return nil
	})
	return out, err
}

// endClaim drops alert id's claim inside the transaction that decides it:
// a decided alert is nobody's work any more. Expired claims of other
// alerts are left for the next claim to overwrite; they are never in force.
func endClaim(tx *bolt.Tx, id uint64) error {
	return tx.Bucket(bucketClaims).Delete(store.IDKey(id))
}
