package eval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
	"github.com/hashwatch/hashwatch/hashing/features/lfindex"
)

// The local feature matcher (package hashing/features/lfindex) is an
// opt-in second way to find a copy, beside the hash rule (Config.Local,
// PoolConfig.Local): a query matches a registered picture when either the
// rule matches them or the picture's corners agree with the query's by at
// least Local inliers. It is measured here before anything in the product
// uses it.

// localMatcher is a local feature index over registered pictures, named
// by their eval names.
type localMatcher struct {
	idx   *lfindex.Index
	names []string
	cfg   lfindex.Config
}

// localConfig is the index's configuration for a threshold of minInliers.
func localConfig(minInliers int) lfindex.Config {
	cfg := lfindex.DefaultConfig()
	cfg.MinInliers = minInliers
	return cfg
}

// newLocalMatcher files the sets of the named pictures (nil: none, filed
// empty) in a new index.
func newLocalMatcher(minInliers int, names []string, sets []*features.Set) (*localMatcher, error) {
	cfg := localConfig(minInliers)
	idx, err := lfindex.New(cfg)
	if err != nil {
		return nil, err
	}
	for i, s := range sets {
		var set features.Set
		if s != nil {
			set = *s
		}
		if err := idx.Add(uint64(i), set); err != nil {
			return nil, fmt.Errorf("local features of %s: %w", names[i], err)
		}
	}
	return &localMatcher{idx: idx, names: names, cfg: cfg}, nil
}

// localHit is one registered picture the local matcher found.
type localHit struct {
	name     string
	inliers  int
	votes    int
	mirrored bool
}

// match returns the registered pictures whose corners agree with q's (nil:
// none found).
func (l *localMatcher) match(ctx context.Context, q *features.Set) ([]localHit, error) {
	if q == nil {
		return nil, nil
	}
	hits, err := l.idx.Match(ctx, *q)
	if err != nil {
		return nil, err
	}
	out := make([]localHit, len(hits))
	for i, h := range hits {
		out[i] = localHit{name: l.names[h.ID], inliers: h.Inliers, votes: h.Votes, mirrored: h.Mirrored}
	}
	return out, nil
}

// PoolLocal is what the local feature matcher adds to a pool run: every
// pair of different images it matched, and the false alerts it would add
// at each threshold from MinInliers up.
type PoolLocal struct {
	MinInliers int `json:"min_inliers"`
	// Pairs are the matched pairs of different images, most inliers
	// first; HashMatched says the hash rule matched the pair as well.
	Pairs []PoolLocalPair `json:"pairs"`
	// ByThreshold counts, for thresholds T from MinInliers up to the
	// largest inliers seen, the pairs with at least T inliers that the
	// hash rule did not match, as duplicates and false alerts.
	ByThreshold []PoolLocalCount `json:"by_threshold"`
	// Costs of this run: extracting every picture's set (decode
	// included), filing the registered ones, and querying the others
	// (CPU-seconds over all workers are wall time × workers at most).
	ExtractSeconds float64 `json:"extract_seconds"`
	BuildSeconds   float64 `json:"build_seconds"`
	QuerySeconds   float64 `json:"query_seconds"`
	// IndexBytes is the heap the filled index took (runtime.MemStats,
	// after garbage collection), and Points the registered points in it.
	IndexBytes int64 `json:"index_bytes"`
	Points     int   `json:"points"`
}

// PoolLocalPair is one pair of different images the local matcher matched.
type PoolLocalPair struct {
	Query            string  `json:"query"`
	QueryFamily      string  `json:"query_family"`
	Registered       string  `json:"registered"`
	RegisteredFamily string  `json:"registered_family"`
	Inliers          int     `json:"inliers"`
	Votes            int     `json:"votes"`
	Mirrored         bool    `json:"mirrored"`
	HashMatched      bool    `json:"hash_matched"`
	Correlation      float64 `json:"correlation"`
	Duplicate        bool    `json:"duplicate"`
}

// PoolLocalCount is the local matcher's pairs at one threshold.
type PoolLocalCount struct {
	MinInliers  int `json:"min_inliers"`
	FalseAlerts int `json:"false_alerts"`
	Duplicates  int `json:"duplicates"`
}

// poolLocal runs the local matcher over a pool run's registered and
// queried images, reading their sets from the pool, and returns its
// pairs (correlation not yet filled) with the costs measured.
func poolLocal(ctx context.Context, cfg PoolConfig, hasher *hashing.Hasher, regs, queries []hashedImage, matches []poolMatch) (*PoolLocal, error) {
	out := &PoolLocal{MinInliers: cfg.Local}
	fcfg := localConfig(cfg.Local).Features
	cache, err := openSetCache(ctx, cfg.Cache, hasher, fcfg)
	if err != nil {
		return nil, err
	}
	extract := func(stage string, images []hashedImage) []*features.Set {
		sets := make([]*features.Set, len(images))
		var mu sync.Mutex
		done := 0
		parallel(ctx, cfg.Workers, len(images), func(i int) {
			if data, err := readPoolFile(cfg.Pool, images[i].path); err == nil {
				sets[i] = cache.get(data, func() (features.Set, error) { return hasher.Features(ctx, data, fcfg) })
			}
			mu.Lock()
			done++
			if cfg.Progress != nil && (done%200 == 0 || done == len(images)) {
				cfg.Progress(stage, done, len(images))
			}
			mu.Unlock()
		})
		return sets
	}
	start := time.Now()
	regSets := extract("local features (registered)", regs)
	qSets := extract("local features (queried)", queries)
	out.ExtractSeconds = time.Since(start).Seconds()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	names := make([]string, len(regs))
	for i, r := range regs {
		names[i] = r.path
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start = time.Now()
	// The matcher holds its own copy of each set: drop ours before
	// measuring.
	lm, err := newLocalMatcher(cfg.Local, names, regSets)
	if err != nil {
		return nil, err
	}
	out.BuildSeconds = time.Since(start).Seconds()
	regSets = nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	out.IndexBytes = int64(after.HeapAlloc) - int64(before.HeapAlloc)
	out.Points = lm.idx.Points()

	hashed := map[[2]int]bool{}
	for _, m := range matches {
		hashed[[2]int{m.q, m.r}] = true
	}
	regIndex := make(map[string]int, len(regs))
	for i, r := range regs {
		regIndex[r.path] = i
	}
	start = time.Now()
	var mu sync.Mutex
	var firstErr error
	done := 0
	parallel(ctx, cfg.Workers, len(queries), func(i int) {
		hits, err := lm.match(ctx, qSets[i])
		mu.Lock()
		defer mu.Unlock()
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("local features of %s: %w", queries[i].path, err)
		}
		for _, h := range hits {
			r := regIndex[h.name]
			out.Pairs = append(out.Pairs, PoolLocalPair{
				Query: queries[i].path, QueryFamily: queries[i].family,
				Registered: h.name, RegisteredFamily: regs[r].family,
				Inliers: h.inliers, Votes: h.votes, Mirrored: h.mirrored,
				HashMatched: hashed[[2]int{i, r}],
			})
		}
		done++
		if cfg.Progress != nil && (done%500 == 0 || done == len(queries)) {
			cfg.Progress("local matching", done, len(queries))
		}
	})
	out.QuerySeconds = time.Since(start).Seconds()
	if firstErr != nil {
		return nil, firstErr
	}
	slices.SortFunc(out.Pairs, func(a, b PoolLocalPair) int {
		if a.Inliers != b.Inliers {
			return b.Inliers - a.Inliers
		}
		if a.Query != b.Query {
			return strings.Compare(a.Query, b.Query)
		}
		return strings.Compare(a.Registered, b.Registered)
	})
	return out, ctx.Err()
}

// countLocal fills the pairs' duplicate flags from corr and the counts per
// threshold.
func (l *PoolLocal) countLocal(corr func(a, b string) float64) {
	top := l.MinInliers
	for i := range l.Pairs {
		p := &l.Pairs[i]
		p.Correlation = corr(p.Query, p.Registered)
		p.Duplicate = p.Correlation >= DuplicateCorrelation
		top = max(top, p.Inliers)
	}
	for t := l.MinInliers; t <= top; t++ {
		c := PoolLocalCount{MinInliers: t}
		for _, p := range l.Pairs {
			if p.Inliers < t || p.HashMatched {
				continue
			}
			if p.Duplicate {
				c.Duplicates++
			} else {
				c.FalseAlerts++
			}
		}
		l.ByThreshold = append(l.ByThreshold, c)
	}
}

// setCache keeps pool pictures' corner sets between runs, one file per
// picture named by its SHA-256 under a folder named by the hasher's
// version and the features configuration (a change to the corner code
// itself that keeps both needs the folder removed by hand). Without a
// folder it caches nothing.
type setCache struct{ dir string }

func openSetCache(ctx context.Context, dir string, h *hashing.Hasher, cfg features.Config) (*setCache, error) {
	if dir == "" {
		return &setCache{}, nil
	}
	version, _, err := hasherVersion(ctx, h)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s %+v", version, cfg))
	sub := filepath.Join(dir, "local-sets-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return nil, err
	}
	return &setCache{dir: sub}, nil
}

// get returns data's set from the cache, or from extract (stored for next
// time); nil when extract fails.
func (c *setCache) get(data []byte, extract func() (features.Set, error)) *features.Set {
	var path string
	if c.dir != "" {
		sum := sha256.Sum256(data)
		path = filepath.Join(c.dir, hex.EncodeToString(sum[:]))
		if b, err := os.ReadFile(path); err == nil {
			var s features.Set
			if s.UnmarshalBinary(b) == nil {
				return &s
			}
		}
	}
	s, err := extract()
	if err != nil {
		return nil
	}
	if path != "" {
		if b, err := s.MarshalBinary(); err == nil {
			// A torn write fails to unmarshal and is extracted again.
			os.WriteFile(path, b, 0o644)
		}
	}
	return &s
}
