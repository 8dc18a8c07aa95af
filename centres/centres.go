package centres

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// National is the ID of the national (central) centre. Its users have
// national scope, and everything a database held before centres existed
// belongs to it.
const National = "national"

// NationalName is the national centre's display name in a new database.
const NationalName = "National centre"

// bucketCentres is the bucket this room keeps (see store's layout).
var bucketCentres = []byte("centres")

// Centre is one support centre.
type Centre struct {
	ID        string
	Name      string
	CreatedAt time.Time
	// SelfSubmit says the centre lets victims add fingerprints to their
	// own case from the public /submit page with a one-time PIN issued
	// by its staff (issue 16). Off unless an admin turns it on.
	SelfSubmit bool
}

// National reports whether c is the national centre.
func (c Centre) National() bool { return c.ID == National }

// centreRecord is a Centre as stored (encoding version 1 of centreCodec).
type centreRecord struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// SelfSubmit was added within version 1: absent means off, which is
	// what every earlier centre was.
	SelfSubmit bool `json:"self_submit,omitempty"`
}

var centreCodec = &store.Codec{Kind: "centre", Version: 1}

func (r centreRecord) centre() Centre { return Centre(r) }

// Valid says why id cannot be a centre ID, or nil: 1–32 bytes of
// lower-case ASCII letters, digits and '-', so that it can prefix another
// key with '/' (Key) and appear in URLs and flags unquoted.
func Valid(id string) error {
	ok := id != "" && len(id) <= 32 && !strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-')
	})
	if !ok {
		return fmt.Errorf("centre ID %q: want 1–32 lower-case letters, digits or '-': %w", id, store.ErrInvalid)
	}
	return nil
}

// Key is the key of something a centre owns under an ID that is unique only
// within the centre (a case): "centre/id". Centre IDs hold no '/', so the
// first '/' always ends the centre.
func Key(centre, id string) string { return centre + "/" + id }

// SplitKey undoes Key; ok is false for a key without a centre.
func SplitKey(key string) (centre, id string, ok bool) {
	return strings.Cut(key, "/")
}

// Sees reports whether a viewer of centre viewer may see and act on what
// belongs to centre owner: national users (and the command line and the
// system, whose centre is empty) see every centre, everyone else only
// their own. Rooms check it against store.Actor.Centre inside their
// transactions, so a regional user cannot act on another centre's alert,
// case or notice even by naming its ID; to them it does not exist.
func Sees(viewer, owner string) bool {
	return viewer == "" || viewer == National || viewer == owner
}

// Store is the centres room over one store. It is safe for concurrent use.
type Store struct {
	st *store.DB
}

// Open returns the centres room of st, adding the national centre to a
// database that has none (a new file; a migrated one already has it).
func Open(st *store.DB) (*Store, error) {
	cs := &Store{st: st}
	if st.ReadOnly() {
		return cs, nil
	}
	missing := false
	err := st.View(func(tx *bolt.Tx) error {
		missing = !Exists(tx, National)
		return nil
	})
	if err != nil || !missing {
		return cs, err
	}
	err = st.Update(func(tx *bolt.Tx) error { return putNational(tx, st.Now().UTC()) }, nil)
	if err != nil {
		return nil, fmt.Errorf("add the national centre: %w", err)
	}
	return cs, nil
}

// putNational stores the national centre unless it is there.
func putNational(tx *bolt.Tx, now time.Time) error {
	b, err := tx.CreateBucketIfNotExists(bucketCentres)
	if err != nil {
		return err
	}
	if b.Get([]byte(National)) != nil {
		return nil
	}
	v, err := centreCodec.Encode(centreRecord{ID: National, Name: NationalName, CreatedAt: now})
	if err != nil {
		return err
	}
	return b.Put([]byte(National), v)
}

// Migrate is this room's part of the schema migration that introduced
// centres (schema 2 → 3): it creates the bucket with the national centre,
// to which the other rooms' migrations hand everything the file holds.
func Migrate(tx *bolt.Tx) error {
	return putNational(tx, time.Now().UTC())
}

// Add creates a centre, audited as "centre.add" in the same transaction.
// A taken ID fails with store.ErrInvalid.
func (cs *Store) Add(ctx context.Context, id, name string, by store.Actor) (Centre, error) {
	if err := ctx.Err(); err != nil {
		return Centre{}, err
	}
	if err := Valid(id); err != nil {
		return Centre{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return Centre{}, fmt.Errorf("centre name %q: want 1–200 printable bytes: %w", name, store.ErrInvalid)
	}
	r := centreRecord{ID: id, Name: name, CreatedAt: cs.st.Now().UTC()}
	err := cs.st.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCentres)
		if b.Get([]byte(id)) != nil {
			return fmt.Errorf("centre %q exists already: %w", id, store.ErrInvalid)
		}
		v, err := centreCodec.Encode(r)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(id), v); err != nil {
			return err
		}
		return store.AppendAudit(tx, by.Entry(r.CreatedAt, "centre.add", id, name))
	}, nil)
	if err != nil {
		return Centre{}, fmt.Errorf("add centre %s: %w", id, err)
	}
	return r.centre(), nil
}

// SetSelfSubmit turns centre id's self-submission by victims on or off,
// audited as "centre.self_submit" in the same transaction. Turning it off
// refuses every later submission and withdrawal by PIN at once; the PINs
// already issued are kept and work again if it is turned back on.
func (cs *Store) SetSelfSubmit(ctx context.Context, id string, on bool, by store.Actor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := cs.st.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCentres)
		v := b.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("centre %q: %w", id, store.ErrNotFound)
		}
		var r centreRecord
		if err := centreCodec.Decode(v, &r); err != nil {
			return err
		}
		r.SelfSubmit = on
		nv, err := centreCodec.Encode(r)
		if err != nil {
			return err
		}
		if err := b.Put([]byte(id), nv); err != nil {
			return err
		}
		state := "off"
		if on {
			state = "on"
		}
		return store.AppendAudit(tx, by.EntryFor(id, cs.st.Now().UTC(), "centre.self_submit", id, state))
	}, nil)
	if err != nil {
		return fmt.Errorf("set self-submission of centre %s: %w", id, err)
	}
	return nil
}

// List returns every centre, the national one first, then by ID.
func (cs *Store) List() ([]Centre, error) {
	var out []Centre
	err := cs.st.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCentres)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var r centreRecord
			if err := centreCodec.Decode(v, &r); err != nil {
				return fmt.Errorf("centre %q: %w", k, err)
			}
			out = append(out, r.centre())
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].National() != out[j].National() {
			return out[i].National()
		}
		return out[i].ID < out[j].ID
	})
	return out, err
}

// Centre returns one centre, or store.ErrNotFound.
func (cs *Store) Centre(id string) (Centre, error) {
	var c Centre
	err := cs.st.View(func(tx *bolt.Tx) error {
		var ok bool
		var err error
		c, ok, err = In(tx, id)
		if err == nil && !ok {
			err = fmt.Errorf("centre %q: %w", id, store.ErrNotFound)
		}
		return err
	})
	return c, err
}

// In reads centre id inside tx; ok is false when there is none.
func In(tx *bolt.Tx, id string) (c Centre, ok bool, err error) {
	b := tx.Bucket(bucketCentres)
	if b == nil {
		return c, false, nil
	}
	v := b.Get([]byte(id))
	if v == nil {
		return c, false, nil
	}
	var r centreRecord
	if err := centreCodec.Decode(v, &r); err != nil {
		return c, false, err
	}
	return r.centre(), true, nil
}

// Exists reports, inside tx, whether centre id exists: the check every room
// makes before giving something to a centre.
func Exists(tx *bolt.Tx, id string) bool {
	b := tx.Bucket(bucketCentres)
	return b != nil && b.Get([]byte(id)) != nil
}

// Count is the number of centres, inside tx: the CLI asks for a centre
// explicitly once there is more than one.
func Count(tx *bolt.Tx) int {
	b := tx.Bucket(bucketCentres)
	if b == nil {
		return 0
	}
	return b.Stats().KeyN
}

// Verify is this room's part of store.DB.Verify: the national centre
// exists, and every centre decodes at its current version under its own,
// valid ID.
func Verify(ctx context.Context, tx *bolt.Tx, r *store.Report) error {
	tick := store.Ticker(ctx)
	b := tx.Bucket(bucketCentres)
	if b == nil {
		return nil // the store reports the missing bucket
	}
	if b.Get([]byte(National)) == nil {
		r.Add("centres/"+National, "the national centre is missing")
	}
	return b.ForEach(func(k, v []byte) error {
		where := "centres/" + string(k)
		var c centreRecord
		switch err := centreCodec.DecodeCurrent(v, &c); {
		case err != nil:
			r.Add(where, "%v", err)
		case c.ID != string(k):
			r.Add(where, "holds centre %q", c.ID)
		default:
			if err := Valid(c.ID); err != nil {
				r.Add(where, "%v", err)
			}
		}
		return tick()
	})
}
