package index

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// Case is a victim's case: the unit under which fingerprints are registered
// and withdrawn. It belongs to one centre, under an ID unique within that
// centre, and holds a label chosen by the centre's staff, never content.
type Case struct {
	Centre      string    `json:"centre"`
	ID          string    `json:"id"`
	Label       string    `json:"label,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	WithdrawnAt time.Time `json:"withdrawn_at,omitzero"`
	// Fingerprints counts the case's registered fingerprints (filled by Cases).
	Fingerprints int `json:"fingerprints"`
	// pin is the case's self-submission PIN (pins.go), carried through a
	// decode and re-encode of the case so that a registration keeps it;
	// never shown.
	pin *pinRecord
}

// caseRecord is a Case as stored (encoding version 2 of caseCodec; version
// 1, before centres, had no centre and was keyed by the bare ID).
type caseRecord struct {
	Centre      string    `json:"centre"`
	ID          string    `json:"id"`
	Label       string    `json:"label,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	WithdrawnAt time.Time `json:"withdrawn_at,omitzero"`
	// PIN was added within version 2: absent means the case has none.
	PIN *pinRecord `json:"pin,omitempty"`
}

func caseRecordOf(c Case) caseRecord {
	return caseRecord{Centre: c.Centre, ID: c.ID, Label: c.Label, CreatedAt: c.CreatedAt, WithdrawnAt: c.WithdrawnAt, PIN: c.pin}
}

func (r caseRecord) kase() Case {
	return Case{Centre: r.Centre, ID: r.ID, Label: r.Label, CreatedAt: r.CreatedAt, WithdrawnAt: r.WithdrawnAt, pin: r.PIN}
}

func decodeCase(v []byte) (Case, error) {
	var r caseRecord
	err := caseCodec.Decode(v, &r)
	return r.kase(), err
}

func encodeCase(c Case) ([]byte, error) { return caseCodec.Encode(caseRecordOf(c)) }

// Withdrawn reports whether the case was withdrawn.
func (c Case) Withdrawn() bool { return !c.WithdrawnAt.IsZero() }

// HasPIN reports whether the case holds a self-submission PIN (issued and
// not revoked; it may have expired or locked), so staff are offered to
// revoke it only where there is one to revoke.
func (c Case) HasPIN() bool { return c.pin != nil }

// Registration is one piece of media to register under a case.
type Registration struct {
	Label  string
	Source string
	Print  hashing.Fingerprint
	// OnDevice says the fingerprint was computed on the device that holds
	// the media (the browser registration) and only the fingerprint was
	// sent: the audit entry records that the media never reached the
	// server.
	OnDevice bool
}

// Register is RegisterIn for a case of the national centre: the one
// centre of a database that has no regional ones.
func (ix *Index) Register(ctx context.Context, caseID, caseLabel string, regs []Registration, by store.Actor) ([]*Fingerprint, error) {
	return ix.RegisterIn(ctx, centres.National, caseID, caseLabel, regs, by)
}

// RegisterIn stores fingerprints under centre's case caseID in one
// transaction, creating the case if needed, and makes them visible to the
// next Match. The centre must exist (store.ErrNotFound); case IDs are unique
// per centre, so two centres may each have a case "2026-001". A withdrawn
// case cannot take new fingerprints: a new case ID must be used. The
// registration and its audit record ("case.register" on the case ID, of
// the centre, naming by) commit in the same transaction. Who may register into
// which centre is the caller's to check.
func (ix *Index) RegisterIn(ctx context.Context, centre, caseID, caseLabel string, regs []Registration, by store.Actor) ([]*Fingerprint, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := centres.Valid(centre); err != nil {
		return nil, err
	}
	if err := validCaseID(caseID); err != nil {
		return nil, err
	}
	key := caseKey(centre, caseID)
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
		// The national centre always exists (centres.Open); a regional
		// one must have been added.
		if centre != centres.National && !centres.Exists(tx, centre) {
			return fmt.Errorf("centre %q: %w", centre, store.ErrNotFound)
		}
		cases := tx.Bucket(bucketCases)
		var c Case
		if v := cases.Get([]byte(key)); v != nil {
			var err error
			if c, err = decodeCase(v); err != nil {
				return err
			}
			if c.Withdrawn() {
				return fmt.Errorf("case %q was withdrawn on %s; register under a new case ID: %w", caseID, c.WithdrawnAt.Format(time.RFC3339), store.ErrInvalid)
			}
		} else {
			c = Case{Centre: centre, ID: caseID, CreatedAt: now}
		}
		if caseLabel != "" {
			c.Label = caseLabel
		}
		cv, err := encodeCase(c)
		if err != nil {
			return err
		}
		if err := cases.Put([]byte(key), cv); err != nil {
			return err
		}
		fps := tx.Bucket(bucketFingerprints)
		for _, r := range regs {
			id, err := fps.NextSequence()
			if err != nil {
				return err
			}
			f := &Fingerprint{ID: id, Centre: centre, Case: caseID, Label: r.Label, Source: r.Source, Print: r.Print, CreatedAt: now}
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
			if err := putFeatures(tx, id, f.Print); err != nil {
				return err
			}
			added = append(added, f)
		}
		ids := make([]uint64, len(added))
		for i, f := range added {
			ids[i] = f.ID
		}
		if err := appendChange(tx, ChangeAdd, centre, ids, now); err != nil {
			return err
		}
		return store.AppendAudit(tx, by.EntryFor(centre, now, "case.register", caseID, registerDetail(regs)))
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
		return nil, fmt.Errorf("register case %s: %w", key, err)
	}
	return added, nil
}

// registerDetail is the audit detail of a registration: how many
// fingerprints, and how many of them were hashed on the sender's device.
func registerDetail(regs []Registration) string {
	onDevice := 0
	for _, r := range regs {
		if r.OnDevice {
			onDevice++
		}
	}
	switch onDevice {
	case 0:
		return fmt.Sprintf("%d fingerprint(s)", len(regs))
	case len(regs):
		return fmt.Sprintf("%d fingerprint(s), hashed on the sender's device: the media never reached the server", len(regs))
	}
	return fmt.Sprintf("%d fingerprint(s), %d of them hashed on the sender's device (their media never reached the server)", len(regs), onDevice)
}

func validCaseID(id string) error {
	if id == "" || len(id) > 128 || strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Errorf("case ID %q: want 1–128 printable characters: %w", id, store.ErrInvalid)
	}
	return nil
}

// Cases lists every case of every centre with its fingerprint count,
// sorted by centre and ID (CasesOf lists one centre's).
func (ix *Index) Cases() ([]Case, error) { return ix.CasesOf("") }

// CasesOf lists centre's cases with their fingerprint counts, sorted by
// ID; every centre's, sorted by centre and ID, when centre is empty.
func (ix *Index) CasesOf(centre string) ([]Case, error) {
	var out []Case
	err := ix.st.View(func(tx *bolt.Tx) error {
		counts := map[string]int{}
		if err := tx.Bucket(bucketFingerprints).ForEach(func(k, v []byte) error {
			var r fingerprintRecord
			if err := fingerprintCodec.Decode(v, &r); err != nil {
				return fmt.Errorf("fingerprint %x: %w", k, err)
			}
			if centre == "" || r.Centre == centre {
				counts[caseKey(r.Centre, r.Case)]++
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketCases).ForEach(func(k, v []byte) error {
			c, err := decodeCase(v)
			if err != nil {
				return fmt.Errorf("case %q: %w", k, err)
			}
			if centre != "" && c.Centre != centre {
				return nil
			}
			c.Fingerprints = counts[caseKey(c.Centre, c.ID)]
			out = append(out, c)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool {
		if out[i].Centre != out[j].Centre {
			return out[i].Centre < out[j].Centre
		}
		return out[i].ID < out[j].ID
	})
	return out, err
}

// Withdraw is WithdrawIn for a case of the national centre.
func (ix *Index) Withdraw(ctx context.Context, caseID string, by store.Actor) (fingerprints, alerts int, err error) {
	return ix.WithdrawIn(ctx, centres.National, caseID, by)
}

// WithdrawIn honours a victim's withdrawal of centre's case caseID: in one
// transaction with its audit record ("case.withdraw" on the case ID, of
// the centre, naming by) it marks the case withdrawn,
// deletes its fingerprints (the hashes are not kept once the victim asks)
// and closes its open alerts with status withdrawn. The fingerprints stop
// matching before WithdrawIn returns. It returns the number of
// fingerprints deleted and alerts closed. Who may withdraw which centre's
// cases is the caller's to check.
func (ix *Index) WithdrawIn(ctx context.Context, centre, caseID string, by store.Actor) (fingerprints, alerts int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	key := caseKey(centre, caseID)
	now := ix.st.Now().UTC()
	var deleted []uint64
	err = ix.st.Update(func(tx *bolt.Tx) error {
		cases := tx.Bucket(bucketCases)
		v := cases.Get([]byte(key))
		if v == nil {
			return fmt.Errorf("case %q: %w", key, store.ErrNotFound)
		}
		c, err := decodeCase(v)
		if err != nil {
			return err
		}
		if !c.Withdrawn() {
			c.WithdrawnAt = now
		}
		cv, err := encodeCase(c)
		if err != nil {
			return err
		}
		if err := cases.Put([]byte(key), cv); err != nil {
			return err
		}
		fps := tx.Bucket(bucketFingerprints)
		cur := fps.Cursor()
		for k, v := cur.First(); k != nil; k, v = cur.Next() {
			var r fingerprintRecord
			if err := fingerprintCodec.Decode(v, &r); err != nil {
				return fmt.Errorf("fingerprint %x: %w", k, err)
			}
			if r.Centre == centre && r.Case == caseID {
				deleted = append(deleted, r.ID)
			}
		}
		// Deleting behind a moving cursor can skip keys, so delete afterwards.
		for _, id := range deleted {
			if err := fps.Delete(store.IDKey(id)); err != nil {
				return err
			}
			if err := deleteFeatures(tx, id); err != nil {
				return err
			}
		}
		if err := appendChange(tx, ChangeRemove, centre, deleted, now); err != nil {
			return err
		}
		if ix.onWithdraw != nil {
			if alerts, err = ix.onWithdraw(tx, centre, caseID, deleted, now); err != nil {
				return err
			}
		}
		return store.AppendAudit(tx, by.EntryFor(centre, now, "case.withdraw", caseID,
			fmt.Sprintf("%d fingerprint(s) deleted, %d alert(s) closed", len(deleted), alerts)))
	}, func() {
		ix.mu.Lock()
		for _, id := range deleted {
			ix.active.remove(id)
		}
		ix.mu.Unlock()
	})
	if err != nil {
		return 0, 0, fmt.Errorf("withdraw case %s: %w", key, err)
	}
	return len(deleted), alerts, nil
}

// Case is CaseOf for a case of the national centre.
func (ix *Index) Case(id string) (Case, error) { return ix.CaseOf(centres.National, id) }

// CaseOf returns centre's case id without counting its fingerprints
// (Fingerprints is left zero): the cheap lookup for showing a case's label
// beside an alert.
func (ix *Index) CaseOf(centre, id string) (Case, error) {
	var c Case
	err := ix.st.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCases).Get([]byte(caseKey(centre, id)))
		if v == nil {
			return fmt.Errorf("case %q: %w", caseKey(centre, id), store.ErrNotFound)
		}
		var err error
		c, err = decodeCase(v)
		return err
	})
	return c, err
}

// MoveHook runs inside a case move's transaction, after the case and its
// fingerprints moved, so that what hangs off the case elsewhere (its
// alerts, their queue indexes, its fingerprints' quarantine records)
// moves in the same commit. It returns how many alerts it moved.
type MoveHook func(tx *bolt.Tx, from, to, caseID string, now time.Time) (moved int, err error)

// MoveCase moves centre from's case caseID, with its fingerprints and
// (through Options.OnMove) its alerts, to centre to, in one transaction
// with its audit record ("case.move" on the case ID, of the new centre,
// naming by; the detail names both centres). Alerts the case raises from
// then on go to the new centre. The new centre must exist and have no case
// of that ID (store.ErrInvalid). Moving is an administrator's decision;
// who may is the caller's to check.
func (ix *Index) MoveCase(ctx context.Context, from, caseID, to string, by store.Actor) (fingerprints, alerts int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	if err := centres.Valid(to); err != nil {
		return 0, 0, err
	}
	if from == to {
		return 0, 0, fmt.Errorf("move case %s: it is already centre %s's: %w", caseID, to, store.ErrInvalid)
	}
	now := ix.st.Now().UTC()
	var moved []uint64
	err = ix.st.Update(func(tx *bolt.Tx) error {
		if to != centres.National && !centres.Exists(tx, to) {
			return fmt.Errorf("centre %q: %w", to, store.ErrNotFound)
		}
		cases := tx.Bucket(bucketCases)
		v := cases.Get([]byte(caseKey(from, caseID)))
		if v == nil {
			return fmt.Errorf("case %q of centre %q: %w", caseID, from, store.ErrNotFound)
		}
		if cases.Get([]byte(caseKey(to, caseID))) != nil {
			return fmt.Errorf("centre %q has a case %q already: %w", to, caseID, store.ErrInvalid)
		}
		c, err := decodeCase(v)
		if err != nil {
			return err
		}
		c.Centre = to
		cv, err := encodeCase(c)
		if err != nil {
			return err
		}
		if err := cases.Delete([]byte(caseKey(from, caseID))); err != nil {
			return err
		}
		if err := cases.Put([]byte(caseKey(to, caseID)), cv); err != nil {
			return err
		}
		fps := tx.Bucket(bucketFingerprints)
		type kv struct{ k, v []byte }
		var rewrites []kv
		if err := fps.ForEach(func(k, v []byte) error {
			var r fingerprintRecord
			if err := fingerprintCodec.Decode(v, &r); err != nil {
				return fmt.Errorf("fingerprint %x: %w", k, err)
			}
			if r.Centre != from || r.Case != caseID {
				return nil
			}
			r.Centre = to
			nv, err := fingerprintCodec.Encode(r)
			if err != nil {
				return err
			}
			rewrites = append(rewrites, kv{store.Clone(k), nv})
			moved = append(moved, r.ID)
			return nil
		}); err != nil {
			return err
		}
		for _, r := range rewrites {
			if err := fps.Put(r.k, r.v); err != nil {
				return err
			}
		}
		// To the feed a move is a removal from one centre's list and an
		// addition to the other's.
		if err := appendChange(tx, ChangeRemove, from, moved, now); err != nil {
			return err
		}
		if err := appendChange(tx, ChangeAdd, to, moved, now); err != nil {
			return err
		}
		if ix.onMove != nil {
			if alerts, err = ix.onMove(tx, from, to, caseID, now); err != nil {
				return err
			}
		}
		return store.AppendAudit(tx, by.EntryFor(to, now, "case.move", caseID,
			fmt.Sprintf("from centre %s to centre %s: %d fingerprint(s), %d alert(s)", from, to, len(moved), alerts)))
	}, func() {
		// The matcher's fingerprints name their centre in matches.
		ix.mu.Lock()
		for _, id := range moved {
			if f := ix.active.fps[id]; f != nil {
				f.Centre = to
			}
		}
		ix.mu.Unlock()
	})
	if err != nil {
		return 0, 0, fmt.Errorf("move case %s: %w", caseKey(from, caseID), err)
	}
	return len(moved), alerts, nil
}
