package index

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// A registered picture's corner set (hashing.Fingerprint.Features), for
// the rule's geometric verifier (hashing.VerifyTest), is kept in a bucket
// of its own, keyed by the fingerprint's ID, written in the registration's
// transaction and deleted with the fingerprint. It is not part of the
// fingerprint record and the matcher never loads it: at up to 7.3 KB a
// picture, a million registered pictures would hold 7.3 GB of memory for
// a test only the matcher's candidates (its hits, rare among the
// registered) need. MatchVerified reads the sets of those candidates
// alone.

// bucketFeatures holds the corner sets (see store's layout).
var bucketFeatures = []byte("fingerprintfeatures")

// featuresRecordV1 leads a stored corner set: the record's encoding
// version, as store.Codec's byte leads the JSON records. The rest is the
// set's own binary form (features.Set.MarshalBinary, itself versioned):
// base64 inside JSON would add a third to the largest record of a
// registration.
const featuresRecordV1 byte = 1

// encodeFeatures is a corner set's stored form.
func encodeFeatures(s *features.Set) ([]byte, error) {
	b, err := s.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return append([]byte{featuresRecordV1}, b...), nil
}

// decodeFeatures reads encodeFeatures' form.
func decodeFeatures(v []byte) (*features.Set, error) {
	if len(v) == 0 {
		return nil, fmt.Errorf("decode corner set: empty value: %w", store.ErrCorrupt)
	}
	if v[0] != featuresRecordV1 {
		return nil, fmt.Errorf("decode corner set: encoding version %d, want %d: %w", v[0], featuresRecordV1, store.ErrCorrupt)
	}
	var s features.Set
	if err := s.UnmarshalBinary(v[1:]); err != nil {
		return nil, fmt.Errorf("decode corner set: %v: %w", err, store.ErrCorrupt)
	}
	return &s, nil
}

// putFeatures stores picture fingerprint id's corner set, if it has one,
// inside tx.
func putFeatures(tx *bolt.Tx, id uint64, p hashing.Fingerprint) error {
	if p.Features == nil || p.Kind != hashing.KindImage {
		return nil
	}
	v, err := encodeFeatures(p.Features)
	if err != nil {
		return fmt.Errorf("fingerprint %d: %w", id, err)
	}
	return tx.Bucket(bucketFeatures).Put(store.IDKey(id), v)
}

// deleteFeatures deletes fingerprint id's corner set, if any, inside tx.
func deleteFeatures(tx *bolt.Tx, id uint64) error {
	return tx.Bucket(bucketFeatures).Delete(store.IDKey(id))
}

// Features returns the stored corner set of fingerprint id, or nil when
// it has none (a video, an imported hash, a picture registered before the
// verifier existed, a withdrawn case's).
func (ix *Index) Features(id uint64) (*features.Set, error) {
	sets, err := ix.featuresOf([]uint64{id})
	return sets[id], err
}

// featuresOf reads the stored corner sets of ids in one transaction; an ID
// without one is absent from the map.
func (ix *Index) featuresOf(ids []uint64) (map[uint64]*features.Set, error) {
	out := map[uint64]*features.Set{}
	err := ix.st.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFeatures)
		if b == nil {
			return nil // a read-only file from before the bucket existed
		}
		for _, id := range ids {
			v := b.Get(store.IDKey(id))
			if v == nil {
				continue
			}
			s, err := decodeFeatures(v)
			if err != nil {
				return fmt.Errorf("fingerprint %d: %w", id, err)
			}
			out[id] = s
		}
		return nil
	})
	return out, err
}

// QueryFeatures returns a query's corner set under cfg (the rule's
// verifier configuration), for MatchVerified, which calls it at most once
// and only when a candidate needs it: computing it decodes the query's
// bytes again at a larger scale than its hashes need.
type QueryFeatures func(ctx context.Context, cfg features.Config) (*features.Set, error)

// ErrNeedFeatures is what a QueryFeatures returns when it cannot compute
// the set where it runs — a coordinator matching a remote worker's
// fingerprint, whose bytes are on the worker — and MatchVerified returns
// it wrapped, so the caller can ask for the set and match again with it
// in the query (Fingerprint.Features).
var ErrNeedFeatures = errors.New("the query's corner set is needed")

// MatchVerified is Match that also applies the rule's geometric verifier
// (hashing.Rule.Verify) to the matches it checks (hashing.VerifyTest.Applies:
// those beyond its PDQ distance, every native match when it sets
// NearMinInliers, those through a registered crop view when it sets
// CropMinDistinct) whose registered picture has a stored corner set. The query's
// set is query.Features when present, else what qf returns, asked once,
// only when such a match turns up. A match whose registered side has no
// set, or whose query set qf could not make (nil qf, or an error: bytes a
// decoder refuses, a limit crossed), is left to the rest of the rule, as
// hashing.VerifyTest documents: a fault costs no alert. The errors
// MatchVerified does return are the index's, ctx's, and ErrNeedFeatures
// from qf.
func (ix *Index) MatchVerified(ctx context.Context, query hashing.Fingerprint, rule hashing.Rule, qf QueryFeatures) ([]Match, error) {
	ms, err := ix.Match(ctx, query, rule)
	if err != nil || rule.Verify == nil || query.Kind == hashing.KindVideo {
		return ms, err
	}
	test := *rule.Verify
	var ids []uint64
	for _, m := range ms {
		if test.Applies(m.Evidence) {
			ids = append(ids, m.Fingerprint)
		}
	}
	if len(ids) == 0 {
		return ms, nil
	}
	sets, err := ix.featuresOf(ids)
	if err != nil {
		return nil, err
	}
	q, asked := query.Features, false
	out := ms[:0]
	for _, m := range ms {
		reg := sets[m.Fingerprint]
		if reg != nil && q == nil && !asked && qf != nil && test.Applies(m.Evidence) {
			asked = true
			s, err := qf(ctx, test.Config)
			switch {
			case errors.Is(err, ErrNeedFeatures):
				return nil, fmt.Errorf("verify match with fingerprint %d: %w", m.Fingerprint, err)
			case ctx.Err() != nil:
				return nil, ctx.Err()
			case err == nil:
				q = s
			}
		}
		if ok, _, _ := test.Agrees(q, reg, m.Evidence); ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// verifyFeatures is Verify's check of the corner sets: each decodes and
// belongs to a registered picture.
func verifyFeatures(ctx context.Context, tx *bolt.Tx, r *store.Report) error {
	b := tx.Bucket(bucketFeatures)
	if b == nil {
		return nil
	}
	tick := store.Ticker(ctx)
	fps := tx.Bucket(bucketFingerprints)
	seq := uint64(0)
	if fps != nil {
		seq = fps.Sequence()
	}
	return b.ForEach(func(k, v []byte) error {
		where, id, ok := store.IDWhere(string(bucketFeatures), k, seq, r)
		if _, err := decodeFeatures(v); err != nil {
			r.Add(where, "%v", err)
		}
		if ok && (fps == nil || fps.Get(store.IDKey(id)) == nil) {
			r.Add(where, "its fingerprint %d is not registered, which should have deleted it", id)
		}
		return tick()
	})
}
