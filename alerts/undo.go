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

// A decision made by mistake — the wrong key in review mode, the wrong
// rows ticked — can be undone for a short while, by the person who made
// it (or an admin), as long as nothing that cannot be taken back followed
// it: a takedown notice sent for the alert, the content found removed, the
// case withdrawn. Each decision (decideIn) keeps, beside the alert, what
// the alert was before it; an undo puts that back and is audited as
// "alert.undo" with the decision it undid, in one transaction. Undoing
// several alerts is all or nothing, like deciding them.
//
// A dismissal that also put the picture in the negative bank (AddNegative)
// keeps no undo record: the bank entry is removed on its own page.

var bucketUndo = []byte("alertundo")

var undoCodec = &store.Codec{Kind: "alert undo record", Version: 1}

// DefaultUndoWindow is how long a decision can be undone.
const DefaultUndoWindow = 10 * time.Minute

// undoRecord is the last decision on an alert and what it changed.
type undoRecord struct {
	Action string    `json:"action"` // "alert.confirm", "alert.dismiss"
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	To     Status    `json:"to"`
	Reason string    `json:"reason,omitempty"`
	// The alert before the decision: what an undo restores.
	From            Status    `json:"from"`
	FromReason      string    `json:"from_reason,omitempty"`
	FromConfirmedAt time.Time `json:"from_confirmed_at,omitzero"`
	FromNextCheckAt time.Time `json:"from_next_check_at,omitzero"`
}

// keepUndo records, inside a decision's transaction, what the decision
// changes on a (a as it was before it).
func keepUndo(tx *bolt.Tx, a *Alert, action string, to Status, reason string, by store.Actor, now time.Time) error {
	v, err := undoCodec.Encode(&undoRecord{Action: action, By: by.User, At: now, To: to, Reason: reason,
		From: a.Status, FromReason: a.Reason, FromConfirmedAt: a.ConfirmedAt, FromNextCheckAt: a.NextCheckAt})
	if err != nil {
		return err
	}
	return tx.Bucket(bucketUndo).Put(store.IDKey(a.ID), v)
}

// Why an undo is refused (UndoError.Why).
const (
	UndoNothing   = "nothing"    // no decision of this kind to undo (never decided, or undone already)
	UndoExpired   = "expired"    // the window has passed
	UndoFollowed  = "followed"   // something irreversible followed: a notice sent, removal found, case withdrawn
	UndoOtherUser = "other_user" // someone else decided, and the undoer is no admin
)

// UndoError is an undo refused for one alert.
type UndoError struct {
	ID  uint64
	Why string // UndoNothing, UndoExpired, UndoFollowed or UndoOtherUser
	// By and At are the decision's, when there is one; Status the
	// alert's now.
	By     string
	At     time.Time
	Status Status
}

func (e *UndoError) Error() string {
	switch e.Why {
	case UndoExpired:
		return fmt.Sprintf("alert %d: the decision of %s can no longer be undone", e.ID, e.At.UTC().Format(time.RFC3339))
	case UndoFollowed:
		return fmt.Sprintf("alert %d is %s now; its decision can no longer be undone", e.ID, e.Status)
	case UndoOtherUser:
		return fmt.Sprintf("alert %d was decided by %s; only they or an admin can undo it", e.ID, e.By)
	}
	return fmt.Sprintf("alert %d has no decision to undo", e.ID)
}

// Unwrap makes a refused undo a store.ErrConflict.
func (e *UndoError) Unwrap() error { return store.ErrConflict }

// Undo says who may undo and for how long.
type Undo struct {
	// Window is how long after a decision it can be undone; zero means
	// DefaultUndoWindow.
	Window time.Duration
	// Admin lets the undoer undo others' decisions.
	Admin bool
}

// UndoDecisions undoes the last decision on each alert of ids, all or
// nothing: in one transaction each alert goes back to its status and
// reason before the decision, with an "alert.undo" audit record naming
// the decision undone, or — when any cannot be undone — nothing changes
// and the answer is a *BulkRefusedError whose refusals are *UndoError,
// store.ErrNotFound (no such alert, or another centre's) or *ClaimedError
// (someone else holds the alert now). Repeated IDs count once. The
// restored alerts are returned in the order asked.
func (al *Store) UndoDecisions(ctx context.Context, ids []uint64, by store.Actor, u Undo) ([]Alert, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 || len(ids) > MaxBulk {
		return nil, fmt.Errorf("an undo names 1 to %d alerts, not %d: %w", MaxBulk, len(ids), store.ErrInvalid)
	}
	if u.Window <= 0 {
		u.Window = DefaultUndoWindow
	}
	seen := make(map[uint64]bool, len(ids))
	var out []Alert
	err := al.st.Update(func(tx *bolt.Tx) error {
		out = out[:0]
		b, undo := tx.Bucket(bucketAlerts), tx.Bucket(bucketUndo)
		now := al.st.Now().UTC()
		refused := &BulkRefusedError{}
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			refused.Of++
			a, err := undoIn(tx, id, by, u, now)
			if err != nil {
				var ue *UndoError
				var ce *ClaimedError
				if errors.As(err, &ue) || errors.As(err, &ce) || errors.Is(err, store.ErrNotFound) {
					refused.Refusals = append(refused.Refusals, Refusal{id, err})
					continue
				}
				return err
			}
			if err := putAlert(b, &a); err != nil {
				return err
			}
			if err := undo.Delete(store.IDKey(id)); err != nil {
				return err
			}
			out = append(out, a)
		}
		if len(refused.Refusals) > 0 {
			return refused // rolls back every undo above
		}
		return nil
	}, nil)
	if err != nil {
		var re *BulkRefusedError
		if errors.As(err, &re) {
			return nil, re
		}
		return nil, fmt.Errorf("undo: %w", err)
	}
	return out, nil
}

// UndoDecision undoes the last decision on one alert (UndoDecisions);
// a refusal is the *UndoError, *ClaimedError or store.ErrNotFound itself.
func (al *Store) UndoDecision(ctx context.Context, id uint64, by store.Actor, u Undo) (Alert, error) {
	out, err := al.UndoDecisions(ctx, []uint64{id}, by, u)
	var re *BulkRefusedError
	if errors.As(err, &re) && len(re.Refusals) == 1 {
		return Alert{}, re.Refusals[0].Err
	}
	if err != nil {
		return Alert{}, err
	}
	return out[0], nil
}

// undoIn checks one undo and returns the alert as it was before its
// decision, with the audit record appended; the caller stores it.
func undoIn(tx *bolt.Tx, id uint64, by store.Actor, u Undo, now time.Time) (Alert, error) {
	a, found, err := AlertIn(tx, id)
	if err != nil {
		return Alert{}, err
	}
	if !found || !centres.Sees(by.Centre, a.Centre) {
		return Alert{}, fmt.Errorf("alert %d: %w", id, store.ErrNotFound)
	}
	v := tx.Bucket(bucketUndo).Get(store.IDKey(id))
	if v == nil {
		return Alert{}, &UndoError{ID: id, Why: UndoNothing, Status: a.Status}
	}
	var r undoRecord
	if err := undoCodec.Decode(v, &r); err != nil {
		return Alert{}, fmt.Errorf("alert %d: %w", id, err)
	}
	refuse := func(why string) error { return &UndoError{ID: id, Why: why, By: r.By, At: r.At, Status: a.Status} }
	switch {
	case a.Status != r.To || a.NoticeSentAt.After(r.At) || a.RemovedAt.After(r.At):
		// The alert moved on: a notice sent, removal found, the case
		// withdrawn (or another decision, which keeps its own record).
		return Alert{}, refuse(UndoFollowed)
	case now.Sub(r.At) > u.Window:
		return Alert{}, refuse(UndoExpired)
	case r.By != by.User && !u.Admin:
		return Alert{}, refuse(UndoOtherUser)
	}
	if err := checkClaim(tx, id, by.User, now); err != nil {
		return Alert{}, err
	}
	a.Status, a.Reason, a.UpdatedAt = r.From, r.FromReason, now
	a.ConfirmedAt, a.NextCheckAt = r.FromConfirmedAt, r.FromNextCheckAt
	detail := r.Action + " by " + r.By + " at " + r.At.Format(time.RFC3339)
	if r.Reason != "" {
		detail += ": " + r.Reason
	}
	if err := store.AppendAudit(tx, by.EntryFor(a.Centre, now, "alert.undo", strconv.FormatUint(id, 10), detail)); err != nil {
		return Alert{}, err
	}
	return a, nil
}
