package alerts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// MaxBulk bounds one bulk decision: it is one transaction.
const MaxBulk = 500

// Refusal is why one alert of a bulk decision could not be decided: Err is
// store.ErrNotFound (no such alert, or another centre's), a *StateError or a
// *ClaimedError.
type Refusal struct {
	ID  uint64
	Err error
}

// BulkRefusedError is a bulk decision refused as a whole because some of
// its alerts could not be decided; nothing was changed and nothing
// recorded. Refusals lists every refused alert, in the order asked.
type BulkRefusedError struct {
	Refusals []Refusal
	Of       int // how many alerts the decision named
}

func (e *BulkRefusedError) Error() string {
	msgs := make([]string, len(e.Refusals))
	for i, r := range e.Refusals {
		msgs[i] = r.Err.Error()
	}
	return fmt.Sprintf("%d of %d alerts cannot be decided, so none was changed: %s", len(e.Refusals), e.Of, strings.Join(msgs, "; "))
}

// Unwrap makes a refused bulk decision a store.ErrConflict.
func (e *BulkRefusedError) Unwrap() error { return store.ErrConflict }

// DecideAlerts makes one decision on several alerts, all or nothing: in
// one transaction every alert is checked as DecideAlert checks one, and
// either every alert moves, each with its own audit record, or — when any
// is refused — nothing changes and the answer is a *BulkRefusedError
// naming each refused alert and why. Repeated IDs count once. The decided
// alerts are returned in the order asked.
func (al *Store) DecideAlerts(ctx context.Context, ids []uint64, to Status, reason string, by store.Actor) ([]Alert, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 || len(ids) > MaxBulk {
		return nil, fmt.Errorf("a bulk decision names 1 to %d alerts, not %d: %w", MaxBulk, len(ids), store.ErrInvalid)
	}
	action, err := decision(ids[0], to, reason)
	if err != nil {
		return nil, err
	}
	seen := make(map[uint64]bool, len(ids))
	uniq := make([]uint64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	var out []Alert
	err = al.st.Update(func(tx *bolt.Tx) error {
		out = out[:0]
		b := tx.Bucket(bucketAlerts)
		now := al.st.Now().UTC()
		refused := &BulkRefusedError{Of: len(uniq)}
		for _, id := range uniq {
			a, found, err := AlertIn(tx, id)
			if err != nil {
				return err
			}
			if !found {
				refused.Refusals = append(refused.Refusals, Refusal{id, fmt.Errorf("alert %d: %w", id, store.ErrNotFound)})
				continue
			}
			if err := decideIn(tx, &a, to, action, reason, by, now); err != nil {
				var se *StateError
				var ce *ClaimedError
				if errors.As(err, &se) || errors.As(err, &ce) || errors.Is(err, store.ErrNotFound) {
					refused.Refusals = append(refused.Refusals, Refusal{id, err})
					continue
				}
				return err
			}
			a.transition(to, now)
			a.Reason = reason
			if err := putAlert(b, &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		if len(refused.Refusals) > 0 {
			// Returning an error rolls back every move and record made
			// above: all or nothing.
			return refused
		}
		return nil
	}, nil)
	if err != nil {
		var re *BulkRefusedError
		if errors.As(err, &re) {
			return nil, re
		}
		return nil, fmt.Errorf("bulk %s: %w", action, err)
	}
	return out, nil
}
