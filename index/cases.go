package index

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// Case is a victim's case: the unit under which fingerprints are registered
// and withdrawn. It holds an ID and a label chosen by staff, never content.
type Case struct {
	ID          string    `json:"id"`
	Label       string    `json:"label,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	WithdrawnAt time.Time `json:"withdrawn_at,omitzero"`
	// Fingerprints counts the case's registered fingerprints (filled by Cases).
	Fingerprints int `json:"fingerprints"`
}

// Withdrawn reports whether the case was withdrawn.
func (c Case) Withdrawn() bool { return !c.WithdrawnAt.IsZero() }

// Registration is one piece of media to register under a case.
type Registration struct {
	Label  string
	Source string
	Print  hashing.Fingerprint
}

// Register stores fingerprints under caseID in one transaction, creating the
// case if needed, and makes them visible to the next Match. A withdrawn case
// cannot take new fingerprints: a new case ID must be used. The
// registration and its audit record ("case.register", naming by) commit in
// the same transaction.
func (ix *Index) Register(ctx context.Context, caseID, caseLabel string, regs []Registration, by store.Actor) ([]*Fingerprint, error) {
	return ix.register(ctx, caseID, caseLabel, regs, by)
}

func (ix *Index) register(ctx context.Context, caseID, caseLabel string, regs []Registration, by store.Actor) ([]*Fingerprint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validCaseID(caseID); err != nil {
		return nil, err
	}
	for _, r := range regs {
		if len(r.Print.Views) == 0 && len(r.Print.Frames) == 0 {
			return nil, fmt.Errorf("register %s: fingerprint without hashes: %w", r.Source, store.ErrInvalid)
		}
		if err := validVideo(r.Print); err != nil {
			return nil, fmt.Errorf("register %s: %w", r.Source, err)
		}
		if len(r.Print.Views) > 1<<viewBits {
			return nil, fmt.Errorf("register %s: %d views, at most %d: %w", r.Source, len(r.Print.Views), 1<<viewBits, store.ErrInvalid)
		}
	}
	now := ix.st.Now().UTC()
	var added []*Fingerprint
	var addErr error // cannot happen for validated registrations
	err := ix.st.Update(func(tx *bolt.Tx) error {
		cases := tx.Bucket(bucketCases)
		var c Case
		if v := cases.Get([]byte(caseID)); v != nil {
			if err := caseCodec.Decode(v, &c); err != nil {
				return err
			}
			if c.Withdrawn() {
				return fmt.Errorf("case %q was withdrawn on %s; register under a new case ID: %w", caseID, c.WithdrawnAt.Format(time.RFC3339), store.ErrInvalid)
			}
		} else {
			c = Case{ID: caseID, CreatedAt: now}
		}
		if caseLabel != "" {
			c.Label = caseLabel
		}
		c.Fingerprints = 0 // derived, not stored
		cv, err := caseCodec.Encode(c)
		if err != nil {
			return err
		}
		if err := cases.Put([]byte(caseID), cv); err != nil {
			return err
		}
		fps := tx.Bucket(bucketFingerprints)
		for _, r := range regs {
			id, err := fps.NextSequence()
			if err != nil {
				return err
			}
			f := &Fingerprint{ID: id, Case: caseID, Label: r.Label, Source: r.Source, Print: r.Print, CreatedAt: now}
			rec, err := toRecord(f)
			if err != nil {
				return err
			}
			v, err := fingerprintCodec.Encode(rec)
			if err != nil {
				return err
			}
			if err := fps.Put(store.IDKey(id), v); err != nil {
				return err
			}
			added = append(added, f)
		}
		return store.AppendAudit(tx, by.Entry(now, "case.register", caseID, fmt.Sprintf("%d fingerprint(s)", len(added))))
	}, func() {
		ix.mu.Lock()
		for _, f := range added {
			if err := ix.active.add(f); err != nil {
				addErr = err
			}
		}
		ix.mu.Unlock()
		if len(added) > 0 {
			ix.raiseWatermark(added[len(added)-1].ID)
		}
	})
	if err == nil {
		err = addErr
	}
	if err != nil {
		return nil, fmt.Errorf("register case %s: %w", caseID, err)
	}
	return added, nil
}

func validCaseID(id string) error {
	if id == "" || len(id) > 128 || strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("case ID %q: want 1–128 printable characters: %w", id, store.ErrInvalid)
	}
	return nil
}

// Cases lists every case with its fingerprint count, sorted by ID.
func (ix *Index) Cases() ([]Case, error) {
	var out []Case
	err := ix.st.View(func(tx *bolt.Tx) error {
		counts := map[string]int{}
		if err := tx.Bucket(bucketFingerprints).ForEach(func(k, v []byte) error {
			var r fingerprintRecord
			if err := fingerprintCodec.Decode(v, &r); err != nil {
				return fmt.Errorf("fingerprint %x: %w", k, err)
			}
			counts[r.Case]++
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketCases).ForEach(func(k, v []byte) error {
			var c Case
			if err := caseCodec.Decode(v, &c); err != nil {
				return fmt.Errorf("case %q: %w", k, err)
			}
			c.Fingerprints = counts[c.ID]
			out = append(out, c)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// Withdraw honours a victim's withdrawal: in one transaction with its
// audit record ("case.withdraw", naming by) it marks the case withdrawn,
// deletes its fingerprints (the hashes are not kept once the victim asks)
// and closes its open alerts with status withdrawn. The fingerprints stop
// matching before Withdraw returns. It returns the number of fingerprints
// deleted and alerts closed.
func (ix *Index) Withdraw(ctx context.Context, caseID string, by store.Actor) (fingerprints, alerts int, err error) {
	return ix.withdraw(ctx, caseID, by)
}

func (ix *Index) withdraw(ctx context.Context, caseID string, by store.Actor) (fingerprints, alerts int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	now := ix.st.Now().UTC()
	var deleted []uint64
	err = ix.st.Update(func(tx *bolt.Tx) error {
		cases := tx.Bucket(bucketCases)
		v := cases.Get([]byte(caseID))
		if v == nil {
			return fmt.Errorf("case %q: %w", caseID, store.ErrNotFound)
		}
		var c Case
		if err := caseCodec.Decode(v, &c); err != nil {
			return err
		}
		if !c.Withdrawn() {
			c.WithdrawnAt = now
		}
		cv, err := caseCodec.Encode(c)
		if err != nil {
			return err
		}
		if err := cases.Put([]byte(caseID), cv); err != nil {
			return err
		}
		fps := tx.Bucket(bucketFingerprints)
		cur := fps.Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			var r fingerprintRecord
			if err := fingerprintCodec.Decode(v, &r); err != nil {
				return fmt.Errorf("fingerprint %x: %w", k, err)
			}
			if r.Case == caseID {
				deleted = append(deleted, r.ID)
			}
		}
		// Deleting behind a moving cursor can skip keys, so delete afterwards.
		for _, id := range deleted {
			if err := fps.Delete(store.IDKey(id)); err != nil {
				return err
			}
		}
		if ix.onWithdraw != nil {
			if alerts, err = ix.onWithdraw(tx, caseID, deleted, now); err != nil {
				return err
			}
		}
		return store.AppendAudit(tx, by.Entry(now, "case.withdraw", caseID,
			fmt.Sprintf("%d fingerprint(s) deleted, %d alert(s) closed", len(deleted), alerts)))
	}, func() {
		ix.mu.Lock()
		for _, id := range deleted {
			ix.active.remove(id)
		}
		ix.mu.Unlock()
	})
	if err != nil {
		return 0, 0, fmt.Errorf("withdraw case %s: %w", caseID, err)
	}
	return len(deleted), alerts, nil
}

// Case returns one case without counting its fingerprints (Fingerprints is
// left zero): the cheap lookup for showing a case's label beside an alert.
func (ix *Index) Case(id string) (Case, error) {
	var c Case
	err := ix.st.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCases).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("case %q: %w", id, store.ErrNotFound)
		}
		return caseCodec.Decode(v, &c)
	})
	return c, err
}
