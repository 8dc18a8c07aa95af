package lfindex

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sync"

	"github.com/hashwatch/hashwatch/hashing/features"
)

// Substrings is the number of 16-bit substrings a 256-bit descriptor is
// cut into, one table each.
const Substrings = 16

// ErrFull reports an Add beyond Config.MaxPictures.
var ErrFull = errors.New("local feature index full")

// ErrDuplicate reports an Add of an ID the index already holds.
var ErrDuplicate = errors.New("picture already in the local feature index")

// Config bounds and tunes an Index. DefaultConfig is the documented
// default; the zero value is not usable (New validates).
type Config struct {
	// Features is the verifier's configuration (features.Agreement).
	Features features.Config
	// MaxPoints caps the points kept of a registered set and read of a
	// query set.
	MaxPoints int
	// MaxHamming is the largest full descriptor distance (of 256 bits)
	// at which a registered point votes for its picture.
	MaxHamming int
	// MaxBucket is the largest bucket a query reads; larger ones are
	// passed over (see doc.go).
	MaxBucket int
	// MinVotes is the fewest votes a picture needs to be verified.
	MinVotes int
	// Candidates is how many of the pictures with the most votes are
	// verified, per orientation of the query.
	Candidates int
	// MinInliers is the fewest RANSAC inliers a returned match has.
	MinInliers int
	// MaxPictures caps the pictures the index holds.
	MaxPictures int
}

// DefaultConfig returns the index's default settings. MinInliers is the
// lowest threshold at which the pool's tune split (3,000 × 3,000 images)
// had no false alert between packages (README, "Local features as a
// candidate generator"); within packages no threshold that still finds a
// 25% corner crop keeps sprite siblings out.
func DefaultConfig() Config {
	fc := features.DefaultConfig()
	// The index keeps and searches the picture's own copy's corners; a
	// square copy would only cost a second extraction.
	fc.Square = false
	return Config{
		Features:    fc,
		MaxPoints:   fc.MaxPoints,
		MaxHamming:  fc.MaxHamming,
		MaxBucket:   512,
		MinVotes:    4,
		Candidates:  4,
		MinInliers:  10,
		MaxPictures: 1 << 22,
	}
}

// validate reports a configuration New cannot work with.
func (c Config) validate() error {
	switch {
	case c.MaxPoints < 1:
		return fmt.Errorf("lfindex: MaxPoints %d: want at least 1", c.MaxPoints)
	case c.MaxHamming < 0 || c.MaxHamming > 256:
		return fmt.Errorf("lfindex: MaxHamming %d: want 0–256", c.MaxHamming)
	case c.MaxBucket < 1:
		return fmt.Errorf("lfindex: MaxBucket %d: want at least 1", c.MaxBucket)
	case c.MinVotes < 1:
		return fmt.Errorf("lfindex: MinVotes %d: want at least 1", c.MinVotes)
	case c.Candidates < 1:
		return fmt.Errorf("lfindex: Candidates %d: want at least 1", c.Candidates)
	case c.MinInliers < 3:
		return fmt.Errorf("lfindex: MinInliers %d: want at least 3 (an affine transform needs 3 points)", c.MinInliers)
	case c.MaxPictures < 1 || c.MaxPictures > 1<<26:
		return fmt.Errorf("lfindex: MaxPictures %d: want 1–%d", c.MaxPictures, 1<<26)
	case c.Features.MaxHamming < 1 || c.Features.Trials < 1:
		return fmt.Errorf("lfindex: Features: want a verifier configuration (features.DefaultConfig)")
	}
	return nil
}

// Hit is one registered picture the index found.
type Hit struct {
	ID uint64
	// Votes is the number of query points with a near descriptor in the
	// picture, for the orientation that verified best.
	Votes int
	// Inliers is the verifier's score (features.Result.Inliers).
	Inliers int
	// Mirrored says the query's mirror image agreed best.
	Mirrored bool
}

// picture is one registered picture.
type picture struct {
	id      uint64
	set     features.Set
	removed bool
}

// Index is the in-memory local feature index. Create it with New.
type Index struct {
	cfg Config

	mu       sync.RWMutex
	pictures []picture
	byID     map[uint64]int32
	live     int
	// owner[p] is the picture of point p; desc[p] its descriptor.
	owner []int32
	desc  [][4]uint64
	// tables[s][v] lists the points whose substring s has value v.
	tables [][][]int32
	// scratch holds per-query vote counters, one slot per picture.
	scratch sync.Pool
}

// scratch is one query's vote counters, zero between queries.
type scratch struct {
	votes, last []int32
	touched     []int32
}

// New returns an empty index.
func New(cfg Config) (*Index, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	x := &Index{cfg: cfg, byID: map[uint64]int32{}}
	x.scratch.New = func() any { return new(scratch) }
	return x, nil
}

// substring returns the s-th 16-bit substring of d.
func substring(d *[4]uint64, s int) uint16 {
	return uint16(d[s/4] >> (16 * (s % 4)))
}

// Add files a registered picture's set under id. Points beyond MaxPoints
// are dropped (the set's first ones are kept: Extract ranks them).
func (x *Index) Add(id uint64, set features.Set) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.byID[id]; ok {
		return fmt.Errorf("add %d: %w", id, ErrDuplicate)
	}
	if len(x.pictures) >= x.cfg.MaxPictures {
		return fmt.Errorf("add %d: %w (%d pictures)", id, ErrFull, x.cfg.MaxPictures)
	}
	if len(set.Points) > x.cfg.MaxPoints {
		set.Points = set.Points[:x.cfg.MaxPoints]
	}
	set.Points = slices.Clip(slices.Clone(set.Points))
	if x.tables == nil && len(set.Points) > 0 {
		x.tables = make([][][]int32, Substrings)
		for s := range x.tables {
			x.tables[s] = make([][]int32, 1<<16)
		}
	}
	pic := int32(len(x.pictures))
	for _, p := range set.Points {
		pt := int32(len(x.owner))
		x.owner = append(x.owner, pic)
		x.desc = append(x.desc, p.Desc)
		for s := range Substrings {
			v := substring(&p.Desc, s)
			x.tables[s][v] = append(x.tables[s][v], pt)
		}
	}
	x.pictures = append(x.pictures, picture{id: id, set: set})
	x.byID[id] = pic
	x.live++
	return nil
}

// Remove withdraws id: no later query returns it. It reports whether id
// was held.
func (x *Index) Remove(id uint64) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	i, ok := x.byID[id]
	if !ok {
		return false
	}
	x.pictures[i].removed = true
	x.pictures[i].set = features.Set{}
	delete(x.byID, id)
	x.live--
	return true
}

// Len is the number of live (added and not removed) pictures.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.live
}

// Points is the number of registered points in the tables, removed
// pictures' included.
func (x *Index) Points() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.owner)
}

// Match returns the registered pictures whose sets agree with query (or
// its mirror image) by at least MinInliers inliers, most inliers first
// (ties by registration order). It stops early, returning ctx's error,
// when ctx is done.
func (x *Index) Match(ctx context.Context, query features.Set) ([]Hit, error) {
	if len(query.Points) > x.cfg.MaxPoints {
		query.Points = query.Points[:x.cfg.MaxPoints]
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if len(query.Points) == 0 || len(x.owner) == 0 {
		return []Hit{}, nil
	}
	best := map[int32]Hit{}
	for _, mirrored := range []bool{false, true} {
		q := query
		if mirrored {
			q = query.Mirror()
		}
		for _, c := range x.candidates(q) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			r := features.Agreement(q, x.pictures[c.pic].set, x.cfg.Features)
			if old, ok := best[c.pic]; r.Inliers >= x.cfg.MinInliers && (!ok || r.Inliers > old.Inliers) {
				best[c.pic] = Hit{ID: x.pictures[c.pic].id, Votes: c.votes, Inliers: r.Inliers, Mirrored: mirrored}
			}
		}
	}
	out := make([]Hit, 0, len(best))
	pics := make([]int32, 0, len(best))
	for p := range best {
		pics = append(pics, p)
	}
	slices.Sort(pics)
	for _, p := range pics {
		out = append(out, best[p])
	}
	slices.SortStableFunc(out, func(a, b Hit) int { return b.Inliers - a.Inliers })
	return out, nil
}

// candidate is a picture and its votes.
type candidate struct {
	pic   int32
	votes int
}

// candidates returns the Candidates live pictures with the most votes
// from q's points (at least MinVotes), most first, ties by registration
// order. The caller holds the read lock.
func (x *Index) candidates(q features.Set) []candidate {
	// votes[pic] counts pic's votes, last[pic] is 1 + the query point
	// that last voted for it; touched lists the pictures with votes.
	sc := x.scratch.Get().(*scratch)
	defer x.scratch.Put(sc)
	if len(sc.votes) < len(x.pictures) {
		sc.votes = make([]int32, len(x.pictures))
		sc.last = make([]int32, len(x.pictures))
	}
	votes, last, touched := sc.votes, sc.last, sc.touched[:0]
	defer func() {
		for _, p := range touched {
			votes[p], last[p] = 0, 0
		}
		sc.touched = touched[:0]
	}()
	for qi := range q.Points {
		d := &q.Points[qi].Desc
		for s := range Substrings {
			bucket := x.tables[s][substring(d, s)]
			if len(bucket) > x.cfg.MaxBucket {
				continue
			}
			for _, pt := range bucket {
				e := &x.desc[pt]
				h := bits.OnesCount64(d[0]^e[0]) + bits.OnesCount64(d[1]^e[1]) +
					bits.OnesCount64(d[2]^e[2]) + bits.OnesCount64(d[3]^e[3])
				if h > x.cfg.MaxHamming {
					continue
				}
				pic := x.owner[pt]
				if last[pic] == int32(qi+1) || x.pictures[pic].removed {
					continue
				}
				if votes[pic] == 0 {
					touched = append(touched, pic)
				}
				last[pic] = int32(qi + 1)
				votes[pic]++
			}
		}
	}
	var out []candidate
	for _, p := range touched {
		if v := int(votes[p]); v >= x.cfg.MinVotes {
			out = append(out, candidate{p, v})
		}
	}
	slices.SortFunc(out, func(a, b candidate) int {
		if a.votes != b.votes {
			return b.votes - a.votes
		}
		return int(a.pic - b.pic)
	})
	if len(out) > x.cfg.Candidates {
		out = out[:x.cfg.Candidates]
	}
	return out
}
