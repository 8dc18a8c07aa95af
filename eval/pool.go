package eval

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// PoolConfig says what a pool evaluation measures: false alerts between
// unrelated images, per comparison, at a scale where rare errors show.
type PoolConfig struct {
	// Pool is a folder laid out by scripts/build-pool.sh, with MANIFEST.tsv.
	Pool string
	// Split is "tune" (the default), "holdout" or "all".
	Split string
	// Register is how many images of the split are registered; zero means
	// half of the split, at most DefaultPoolRegister.
	Register int
	// Query is how many of the others are queried; zero means all of them.
	Query int
	// Rule is the match rule; zero means hashing.DefaultRule().
	Rule hashing.Rule
	// NoScan skips the exhaustive comparison of every view pair (the
	// check of the index, the per-clause passing counts and nearest
	// misses, and the dump), which costs minutes per 10^7 image pairs,
	// for quick runs while designing a rule.
	NoScan bool
	// Workers hash and compare in parallel; zero means one per CPU.
	Workers int
	// Local, when above 0, also runs the local feature matcher (package
	// hashing/features/lfindex) at this many inliers and reports its
	// pairs in PoolResult.Local, apart from the hash rule's figures.
	Local int
	// Judgements are pairs a person has looked at (DefaultJudgements):
	// false alerts between families judged one design drawn twice are
	// counted apart (PoolResult.JudgedSameDesign). None when nil.
	Judgements []Judgement
	// Cache, if set, is a folder keeping fingerprints by file SHA-256 and
	// hasher version, so a second run hashes nothing again.
	Cache string
	// Progress, if set, is called as work advances, with the stage's name.
	Progress func(stage string, done, total int)
	// Dump, if set, receives a CSV of every view pair between a queried and
	// a registered image within DumpMaxPDQ or DumpMaxPHash (see PoolDumpHeader).
	Dump io.Writer
}

// DefaultPoolRegister is the most images a pool run registers by default.
const DefaultPoolRegister = 10_000

// Bounds of the view pairs --dump writes: generous, so rules can be
// designed offline well beyond today's thresholds.
const (
	DumpMaxPDQ   = 90
	DumpMaxPHash = 14
)

// DuplicateCorrelation is the correlation of 32×32 grey thumbnails, under
// one of the eight dihedral transforms, at or above which two pool images
// count as the same picture (a duplicate the pool's de-duplication
// missed) rather than a false alert.
const DuplicateCorrelation = 0.9

// PoolDumpHeader is the first line of a pool dump.
const PoolDumpHeader = "query_family,query,registered_family,registered,query_view,registered_view,pdq,phash,dhash,query_pdq_quality,registered_pdq_quality,clause,alert,duplicate,correlation"

// PoolResult is the outcome of a pool evaluation.
type PoolResult struct {
	Pool       string `json:"pool"`
	Split      string `json:"split"`
	Rule       string `json:"rule"`
	Registered int    `json:"registered"`
	Queried    int    `json:"queried"`
	// Errors counts pool files that failed to read or hash (left out).
	Errors int `json:"errors"`
	// Hashed counts fingerprints computed by this run (the others came
	// from the cache).
	Hashed int `json:"hashed"`
	// Comparisons is Registered × Queried: every query is compared with
	// every registered image.
	Comparisons int64 `json:"comparisons"`
	// Matches counts (query, registered image) pairs the index returned;
	// each is either a duplicate or a false alert.
	Matches int `json:"matches"`
	// Duplicates are matches whose thumbnails correlate at least
	// DuplicateCorrelation: the same picture slipped into the pool twice.
	Duplicates int `json:"duplicates"`
	// FalseAlerts are the other matches; SameFamily of them are between
	// images of one family (one package's sprites, one photo's tiles).
	FalseAlerts int `json:"false_alerts"`
	SameFamily  int `json:"same_family"`
	// Rate is FalseAlerts per comparison and Upper its one-sided 95%
	// upper bound (exact Poisson); the Cross fields count only pairs of
	// different families, over the comparisons between different families.
	Rate             float64 `json:"rate"`
	Upper            float64 `json:"upper_95"`
	CrossComparisons int64   `json:"cross_family_comparisons"`
	CrossRate        float64 `json:"cross_family_rate"`
	CrossUpper       float64 `json:"cross_family_upper_95"`
	// JudgedSameDesign counts the false alerts between families that a
	// person judged one design drawn twice (PoolConfig.Judgements),
	// JudgedDifferent those judged two different pictures, and Unjudged
	// those nobody has looked at yet. DifferentRate and DifferentUpper
	// are the cross-family rate and bound without the same-design pairs:
	// the unjudged count as different pictures.
	JudgedSameDesign int          `json:"judged_same_design"`
	JudgedDifferent  int          `json:"judged_different"`
	Unjudged         int          `json:"unjudged"`
	DifferentRate    float64      `json:"different_pictures_rate"`
	DifferentUpper   float64      `json:"different_pictures_upper_95"`
	Clauses          []PoolClause `json:"clauses"`
	FamilyPairs      []FamilyPair `json:"family_pairs"`
	// BusiestRegistered are the registered images that raised false
	// alerts for the most distinct queries; BusiestQueries the queries
	// that matched the most registered images.
	BusiestRegistered []Busy      `json:"busiest_registered"`
	BusiestQueries    []Busy      `json:"busiest_queries"`
	Alerts            []PoolAlert `json:"false_alert_list"`
	DuplicateList     []PoolAlert `json:"duplicate_list"`
	// VerifierRejected counts the matches of the rule's hashes that its
	// geometric verifier turned down and that are no duplicates (false
	// alerts it saved), VerifierRejectedCross those between different
	// families, and VerifierRejectedDuplicates those the thumbnails call
	// the same picture (a hybrid look-alike's coarse tones are its
	// layout's, so they count as duplicates; a real duplicate turned down
	// would be a copy lost). RejectedList lists them all (by PDQ
	// distance, at most maxRejectedList), with their inliers: how near
	// each came.
	VerifierRejected           int         `json:"verifier_rejected"`
	VerifierRejectedCross      int         `json:"verifier_rejected_cross_family"`
	VerifierRejectedDuplicates int         `json:"verifier_rejected_duplicates"`
	RejectedList               []PoolAlert `json:"verifier_rejected_list"`
	// Disagreements counts image pairs on which the index's matches and
	// an exhaustive comparison of every view pair disagree; it must be 0.
	Disagreements int `json:"index_scan_disagreements"`
	// Local is the local feature matcher's part (PoolConfig.Local; nil
	// when not run).
	Local *PoolLocal `json:"local,omitempty"`
	// Scanned is false for a run without the exhaustive comparison
	// (PoolConfig.NoScan): Disagreements, and each clause's Passing, Rate,
	// Upper and NearestExcess, were then not measured (0, or -1 for the
	// nearest miss).
	Scanned bool `json:"scanned"`
}

// PoolClause is what one clause of the rule lets through.
type PoolClause struct {
	Index  int    `json:"index"`
	Clause string `json:"clause"`
	// FalseAlerts and Duplicates count matches whose reported evidence
	// came through this clause (the smallest distance's clause).
	FalseAlerts int `json:"false_alerts"`
	Duplicates  int `json:"duplicates"`
	// Passing counts non-duplicate image pairs with some view pair that
	// passes this clause, whatever the others do; Rate and Upper are per
	// comparison.
	Passing int     `json:"passing"`
	Rate    float64 `json:"rate"`
	Upper   float64 `json:"upper_95"`
	// NearestExcess is how far the closest non-passing, non-duplicate
	// image pair stays from passing the clause: the largest excess of one
	// of its distances over that threshold, minimised over view pairs
	// (1 means one threshold one bit higher would let it through); -1
	// when no pair was comparable. NearestPair names it.
	NearestExcess int    `json:"nearest_excess"`
	NearestPair   string `json:"nearest_pair"`
}

// FamilyPair counts false alerts between a query family and a registered one.
type FamilyPair struct {
	Query       string  `json:"query_family"`
	Registered  string  `json:"registered_family"`
	Comparisons int64   `json:"comparisons"`
	FalseAlerts int     `json:"false_alerts"`
	Rate        float64 `json:"rate"`
}

// Busy is a pool image and how many distinct others it falsely matched.
type Busy struct {
	Path   string `json:"path"`
	Family string `json:"family"`
	Count  int    `json:"count"`
}

// PoolAlert is one match between two different pool images.
type PoolAlert struct {
	Query            string `json:"query"`
	QueryFamily      string `json:"query_family"`
	Registered       string `json:"registered"`
	RegisteredFamily string `json:"registered_family"`
	Clause           int    `json:"clause"`
	QueryView        string `json:"query_view"`
	RegisteredView   string `json:"registered_view"`
	PDQ              int    `json:"pdq"`
	PHash            int    `json:"phash"`
	DHash            int    `json:"dhash"`
	// Correlation is the best dihedral correlation of the two thumbnails.
	Correlation float64 `json:"correlation"`
	// QueryChroma and RegisteredChroma are the pictures' mean chroma
	// (hashing.Colour), and ColourDistance their colour summaries'
	// distance (hashing.ColourDistance), -1 when either has none: what
	// the rule's colour test saw.
	QueryChroma      int     `json:"query_chroma"`
	RegisteredChroma int     `json:"registered_chroma"`
	ColourDistance   float64 `json:"colour_distance"`
	// Ratio is the background ratio test's value for the reported view
	// pair (hashing.Evidence.Ratio): what the rule's tests on grey
	// pictures (Rule.Grey) weigh.
	Ratio float64 `json:"ratio"`
	// Inliers is what the rule's geometric verifier found between the two
	// pictures (features.Verify), whether the rule checks this match or
	// not: the verifier's margin. -1 when the rule has none, or a side
	// has no corner set (an imported hash, a picture that will not
	// decode).
	Inliers int `json:"inliers"`
	// Judged is a person's verdict on the pair (Judgement), "" when
	// nobody has judged it: "same design: …" or "different: …".
	Judged string `json:"judged,omitempty"`
}

// poolImage is one manifest line.
type poolImage struct {
	family, path string
	sum          string // hex SHA-256 from the manifest
}

// maxManifestLine bounds one line of MANIFEST.tsv.
const maxManifestLine = 64 << 10

// readManifest reads dir/MANIFEST.tsv and keeps the images of split.
func readManifest(dir, split string) ([]poolImage, error) {
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		return nil, fmt.Errorf("pool %s: %w (%v); build one with scripts/build-pool.sh", dir, ErrNoDataset, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), maxManifestLine)
	var out []poolImage
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue // header
		}
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 6 {
			return nil, fmt.Errorf("pool %s: MANIFEST.tsv:%d: want 6 tab-separated fields, got %d", dir, line, len(fields))
		}
		if split == "all" || fields[5] == split {
			out = append(out, poolImage{family: fields[0], path: fields[1], sum: fields[2]})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pool %s: MANIFEST.tsv: %w", dir, err)
	}
	// A fixed order that mixes families: by content checksum.
	sort.Slice(out, func(i, j int) bool { return out[i].sum < out[j].sum })
	return out, nil
}

// hashedImage is a pool image with its fingerprint.
type hashedImage struct {
	poolImage
	fp hashing.Fingerprint
	ok bool
}

// RunPool evaluates cfg: it registers cfg.Register images of the pool's
// split in a temporary index, queries others through the production path
// (hashing.ForQuery, index.Index.Match) and counts every match between
// different images.
func RunPool(ctx context.Context, cfg PoolConfig) (*PoolResult, error) {
	if len(cfg.Rule.Clauses) == 0 {
		cfg.Rule = hashing.DefaultRule()
	}
	if err := cfg.Rule.Validate(); err != nil {
		return nil, err
	}
	if cfg.Split == "" {
		cfg.Split = "tune"
	}
	if cfg.Split != "tune" && cfg.Split != "holdout" && cfg.Split != "all" {
		return nil, fmt.Errorf("pool split %q: want tune, holdout or all", cfg.Split)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	images, err := readManifest(cfg.Pool, cfg.Split)
	if err != nil {
		return nil, err
	}
	nreg := cfg.Register
	if nreg <= 0 {
		nreg = min(len(images)/2, DefaultPoolRegister)
	}
	if nreg >= len(images) {
		return nil, fmt.Errorf("pool %s split %s holds %d images, cannot register %d and query others: %w", cfg.Pool, cfg.Split, len(images), nreg, ErrNoDataset)
	}
	nq := len(images) - nreg
	if cfg.Query > 0 && cfg.Query < nq {
		nq = cfg.Query
	}
	hasher := hashing.NewHasher(hashing.Limits{})
	cache, err := openFPCache(ctx, cfg.Cache, hasher)
	if err != nil {
		return nil, err
	}
	defer cache.close()

	res := &PoolResult{Pool: cfg.Pool, Split: cfg.Split, Rule: cfg.Rule.String()}
	regs, err := hashPool(ctx, cfg, hasher, cache, "registering", images[:nreg], hashing.ForRegistration, &res.Hashed)
	if err != nil {
		return nil, err
	}
	queries, err := hashPool(ctx, cfg, hasher, cache, "querying", images[nreg:nreg+nq], hashing.ForQuery, &res.Hashed)
	if err != nil {
		return nil, err
	}
	if err := cache.flush(); err != nil {
		return nil, err
	}
	regs = keepHashed(regs, &res.Errors)
	queries = keepHashed(queries, &res.Errors)
	res.Registered, res.Queried = len(regs), len(queries)
	res.Comparisons = int64(len(regs)) * int64(len(queries))

	matches, err := indexMatches(ctx, cfg, regs, queries)
	if err != nil {
		return nil, err
	}
	matches, rejected := verifyPoolMatches(ctx, cfg, hasher, matches)
	if cfg.Local > 0 {
		if res.Local, err = poolLocal(ctx, cfg, hasher, regs, queries, matches); err != nil {
			return nil, err
		}
	}
	sc := &scan{passing: make([][]uint64, len(cfg.Rule.Clauses)), nearest: make([][]nearPair, len(cfg.Rule.Clauses))}
	if !cfg.NoScan {
		sc = scanPairs(ctx, cfg, regs, queries)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Thumbnails of every image some match or dump row involves.
	need := map[string]bool{}
	for _, m := range slices.Concat(matches, rejected) {
		need[m.Query], need[m.Registered] = true, true
	}
	for _, p := range sc.pairs {
		need[queries[p.q].path], need[regs[p.r].path] = true, true
	}
	for _, n := range sc.nearest {
		for _, p := range n {
			need[queries[p.q].path], need[regs[p.r].path] = true, true
		}
	}
	if res.Local != nil {
		for _, p := range res.Local.Pairs {
			need[p.Query], need[p.Registered] = true, true
		}
	}
	thumbs, err := poolThumbs(ctx, cfg, need)
	if err != nil {
		return nil, err
	}
	corr := func(a, b string) float64 {
		ta, tb := thumbs[a], thumbs[b]
		if ta == nil || tb == nil {
			return 0
		}
		return ta.correlation(tb)
	}
	summarise(res, cfg.Rule, regs, queries, matches, sc, corr, newJudged(cfg.Judgements))
	summariseRejected(res, regs, queries, rejected, corr)
	if res.Local != nil {
		res.Local.countLocal(corr)
	}
	if cfg.Dump != nil {
		if err := writePoolDump(cfg.Dump, regs, queries, sc, corr); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// keepHashed drops images that failed to hash, counting them in errs.
func keepHashed(in []hashedImage, errs *int) []hashedImage {
	out := in[:0]
	for _, h := range in {
		if h.ok {
			out = append(out, h)
		} else {
			*errs++
		}
	}
	return out
}

// hashPool fingerprints images for purpose, from the cache when it can.
func hashPool(ctx context.Context, cfg PoolConfig, hasher *hashing.Hasher, cache *fpCache, stage string, images []poolImage, purpose hashing.Purpose, hashed *int) ([]hashedImage, error) {
	out := make([]hashedImage, len(images))
	var mu sync.Mutex
	done := 0
	parallel(ctx, cfg.Workers, len(images), func(i int) {
		im := images[i]
		out[i].poolImage = im
		data, err := readPoolFile(cfg.Pool, im.path)
		fresh := false
		if err == nil {
			sum := sha256.Sum256(data)
			fp, hit, colourHit := cache.get(purpose, sum)
			switch {
			case !hit:
				fp, err = hasher.Image(ctx, data, purpose)
				fresh = true
				if err == nil {
					cache.put(purpose, sum, fp)
				}
			case !colourHit:
				fp.Colour, err = hasher.Colour(ctx, data, purpose)
				if err == nil {
					cache.putColour(purpose, sum, fp.Colour)
				}
			}
			out[i].fp, out[i].ok = fp, err == nil
		}
		mu.Lock()
		done++
		if fresh {
			*hashed++
		}
		if cfg.Progress != nil && (done%200 == 0 || done == len(images)) {
			cfg.Progress(stage, done, len(images))
		}
		mu.Unlock()
	})
	return out, ctx.Err()
}

// readPoolFile reads one pool file under the hashing byte limit.
func readPoolFile(pool, rel string) ([]byte, error) {
	f, err := os.Open(filepath.Join(pool, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return hashing.ReadLimited(f, hashing.DefaultMaxImageBytes)
}

// parallel calls fn(i) for i in [0,n) on workers goroutines and waits.
func parallel(ctx context.Context, workers, n int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
}

// poolMatch is one match the index returned.
type poolMatch struct {
	Query, Registered string
	q, r              int
	ev                hashing.Evidence
	// inliers is what the geometric verifier found (verifyPoolMatches),
	// -1 when it was not run or a side has no corner set.
	inliers int
}

// verifyPoolMatches applies the rule's geometric verifier (Rule.Verify)
// to the matches, reading the corner sets of the pictures involved from
// the pool: the cached fingerprints carry none, and only matched pairs
// need them. It returns the matches that stand and those it rejected.
// Every match between native fingerprints gets its inliers (the corner
// matches one transform explains, features.Verify), checked by the rule
// or not, so the report shows the verifier's margin on each pair and a
// stricter verifier can be weighed from one run.
func verifyPoolMatches(ctx context.Context, cfg PoolConfig, hasher *hashing.Hasher, matches []poolMatch) (kept, rejected []poolMatch) {
	for i := range matches {
		matches[i].inliers = -1
	}
	if cfg.Rule.Verify == nil {
		return matches, nil
	}
	test := *cfg.Rule.Verify
	sets := newFeatureSets(hasher, cfg.Rule, func(name string) ([]byte, error) { return readPoolFile(cfg.Pool, name) })
	keep := make([]bool, len(matches))
	done := 0
	var mu sync.Mutex
	parallel(ctx, cfg.Workers, len(matches), func(i int) {
		m := &matches[i]
		keep[i] = true
		if _, native := m.ev.Distances[hashing.PHash]; native {
			// The product's test (as index.Index.MatchVerified applies
			// it); its inliers when it checked the match, else the
			// corners' agreement measured all the same.
			q, r := sets.get(ctx, m.Query), sets.get(ctx, m.Registered)
			ok, verdict, inliers := test.Agrees(q, r, m.ev)
			keep[i] = ok
			switch {
			case verdict == hashing.VerifyChecked:
				m.inliers = inliers
			case q != nil && r != nil:
				m.inliers = features.Verify(*q, *r, test.Config).Inliers
			}
		}
		mu.Lock()
		done++
		if cfg.Progress != nil && (done%500 == 0 || done == len(matches)) {
			cfg.Progress("verifying", done, len(matches))
		}
		mu.Unlock()
	})
	for i, m := range matches {
		if keep[i] {
			kept = append(kept, m)
		} else {
			rejected = append(rejected, m)
		}
	}
	return kept, rejected
}

// indexMatches registers regs in a temporary index, exactly as eval.Run
// and `hashwatch register` do, and matches every query against it.
func indexMatches(ctx context.Context, cfg PoolConfig, regs, queries []hashedImage) ([]poolMatch, error) {
	tmp, err := os.MkdirTemp("", "hashwatch-eval-pool")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	db, err := database.Open(filepath.Join(tmp, "eval.db"), store.Options{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	regIndex := map[string]int{}
	var batch []index.Registration
	for i, r := range regs {
		regIndex[r.path] = i
		batch = append(batch, index.Registration{Source: r.path, Print: r.fp})
		if len(batch) == 1000 || i == len(regs)-1 {
			if _, err := db.Index.Register(ctx, "pool", "", batch, store.Actor{User: auditUser}); err != nil {
				return nil, err
			}
			batch = batch[:0]
		}
	}
	var mu sync.Mutex
	var out []poolMatch
	var firstErr error
	done := 0
	parallel(ctx, cfg.Workers, len(queries), func(i int) {
		ms, err := db.Index.Match(ctx, queries[i].fp, cfg.Rule)
		mu.Lock()
		defer mu.Unlock()
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("match %s: %w", queries[i].path, err)
		}
		for _, m := range ms {
			r, ok := regIndex[m.Source]
			if !ok {
				continue
			}
			out = append(out, poolMatch{Query: queries[i].path, Registered: m.Source, q: i, r: r, ev: m.Evidence})
		}
		done++
		if cfg.Progress != nil && (done%500 == 0 || done == len(queries)) {
			cfg.Progress("matching", done, len(queries))
		}
	})
	if firstErr != nil {
		return nil, firstErr
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].q != out[j].q {
			return out[i].q < out[j].q
		}
		return out[i].r < out[j].r
	})
	return out, ctx.Err()
}

// flatView is one view's hashes packed for the exhaustive scan.
type flatView struct {
	pdq          [4]uint64
	phash, dhash uint64
	quality      int     // PDQ's
	ok           [3]bool // by dumpAlgorithms: present and at the rule's quality floor
	// class is a query view's kind as hashing.Compared tells them apart
	// (scanClass); meets has bit c set when a registered view is compared
	// with query views of class c, so the scan asks Compared once per
	// view rather than once per pair.
	class int
	meets uint8
}

// scanClasses stand for the kinds of query view hashing.Compared tells
// apart: the picture's own views, its mirror image, its cuts at each side
// (Compared decides a cut by its side alone) and its halves and quarters
// (all alike to Compared).
var scanClasses = []string{hashing.ViewOriginal, hashing.ViewMirrored, "cut-top-0", "cut-bottom-0", "cut-left-0", "cut-right-0",
	hashing.ViewPart + "left"}

// scanClass is the index in scanClasses of the query view named name.
func scanClass(name string) int {
	if name == hashing.ViewMirrored {
		return 1
	}
	if side, ok := hashing.CutSide(name); ok {
		if i := slices.Index(scanClasses, "cut-"+side+"-0"); i >= 0 {
			return i
		}
	}
	if hashing.IsPart(name) {
		return len(scanClasses) - 1
	}
	return 0
}

func flatten(fp hashing.Fingerprint, minQuality int) []flatView {
	out := make([]flatView, len(fp.Views))
	for i, v := range fp.Views {
		out[i].class = scanClass(v.Name)
		for c, q := range scanClasses {
			if hashing.Compared(q, v.Name) {
				out[i].meets |= 1 << c
			}
		}
		for a, alg := range dumpAlgorithms {
			h, ok := v.Hash(alg)
			if !ok {
				continue
			}
			out[i].ok[a] = h.Quality >= minQuality
			switch alg {
			case hashing.PDQ:
				out[i].pdq, out[i].quality = h.Code, h.Quality
			case hashing.PHash:
				out[i].phash = h.Code[0]
			case hashing.DHash:
				out[i].dhash = h.Code[0]
			}
		}
	}
	return out
}

// viewPair is one compared view pair, kept for the dump.
type viewPair struct {
	q, r         int32
	qv, rv       uint8
	pdq          uint16
	phash, dhash uint8
	clause       int8 // first clause passing, -1 none
}

// nearPair is a candidate for a clause's nearest non-passing pair.
type nearPair struct {
	q, r   int
	qv, rv int
	excess int
}

// scan is what the exhaustive comparison found.
type scan struct {
	pairs []viewPair
	// passing[c] lists image pairs (q<<32|r) with a view pair passing c.
	passing [][]uint64
	// nearest[c] holds the closest non-passing image pairs for clause c
	// (a few, since some may turn out to be duplicates).
	nearest [][]nearPair
	// ran is false when no scan was made (PoolConfig.NoScan): then
	// nothing is known of passing pairs or of the index's exactness.
	ran bool
}

// keepNearest is how many nearest non-passing pairs are kept per clause.
const keepNearest = 12

// scanPairs compares every view of every query with every view of every
// registered image, as the index would if it had no search structure: the
// reference that the index's answer is checked against, and the source of
// the dump and of the nearest non-passing distances.
func scanPairs(ctx context.Context, cfg PoolConfig, regs, queries []hashedImage) *scan {
	rule := cfg.Rule
	rflat := make([][]flatView, len(regs))
	for i, r := range regs {
		rflat[i] = flatten(r.fp, rule.MinQuality)
	}
	// A distance of absent stands for a hash that takes no part (missing,
	// or below the quality floor, as in Rule.Compare), a threshold of
	// unused for an algorithm a clause does not use: then the excess
	// d - t is hugely positive for a used threshold the pair cannot meet
	// and hugely negative for an unused one.
	const absent, unused = 1 << 20, 1 << 22
	clauses := make([][3]int, len(rule.Clauses))
	for c, clause := range rule.Clauses {
		clauses[c] = [3]int{unused, unused, unused}
		for _, t := range clause {
			clauses[c][slices.Index(dumpAlgorithms, t.Algorithm)] = t.MaxDistance
		}
	}
	out := &scan{passing: make([][]uint64, len(rule.Clauses)), nearest: make([][]nearPair, len(rule.Clauses))}
	var mu sync.Mutex
	done := 0
	parallel(ctx, cfg.Workers, len(queries), func(qi int) {
		qflat := flatten(queries[qi].fp, rule.MinQuality)
		var pairs []viewPair
		passing := make([][]uint64, len(clauses))
		nearest := make([][]nearPair, len(clauses))
		passed := make([]bool, len(clauses))
		best := make([]nearPair, len(clauses))
		for ri, rv := range rflat {
			for c := range clauses {
				passed[c] = false
				best[c].excess = absent
			}
			for qvi := range qflat {
				a := &qflat[qvi]
				for rvi := range rv {
					b := &rv[rvi]
					if b.meets&(1<<a.class) == 0 {
						continue // a pair no rule compares (hashing.Compared)
					}
					p := bits.OnesCount64(a.pdq[0]^b.pdq[0]) + bits.OnesCount64(a.pdq[1]^b.pdq[1]) +
						bits.OnesCount64(a.pdq[2]^b.pdq[2]) + bits.OnesCount64(a.pdq[3]^b.pdq[3])
					ph := bits.OnesCount64(a.phash ^ b.phash)
					dh := bits.OnesCount64(a.dhash ^ b.dhash)
					d0, d1, d2 := p, ph, dh
					if !a.ok[0] || !b.ok[0] {
						d0 = absent
					}
					if !a.ok[1] || !b.ok[1] {
						d1 = absent
					}
					if !a.ok[2] || !b.ok[2] {
						d2 = absent
					}
					first := int8(-1)
					for c, t := range clauses {
						excess := max(d0-t[0], d1-t[1], d2-t[2])
						if excess <= 0 {
							if first < 0 {
								first = int8(c)
							}
							passed[c] = true
						} else if excess < best[c].excess {
							best[c] = nearPair{q: qi, r: ri, qv: qvi, rv: rvi, excess: excess}
						}
					}
					if cfg.Dump != nil && (p <= DumpMaxPDQ || ph <= DumpMaxPHash) {
						pairs = append(pairs, viewPair{q: int32(qi), r: int32(ri), qv: uint8(qvi), rv: uint8(rvi),
							pdq: uint16(p), phash: uint8(ph), dhash: uint8(dh), clause: first})
					}
				}
			}
			for c := range clauses {
				if passed[c] {
					passing[c] = append(passing[c], uint64(qi)<<32|uint64(ri))
				} else if best[c].excess < absent/2 {
					nearest[c] = insertNearest(nearest[c], best[c])
				}
			}
		}
		mu.Lock()
		out.pairs = append(out.pairs, pairs...)
		for c := range clauses {
			out.passing[c] = append(out.passing[c], passing[c]...)
			for _, n := range nearest[c] {
				out.nearest[c] = insertNearest(out.nearest[c], n)
			}
		}
		done++
		if cfg.Progress != nil && (done%200 == 0 || done == len(queries)) {
			cfg.Progress("comparing all view pairs", done, len(queries))
		}
		mu.Unlock()
	})
	sort.Slice(out.pairs, func(i, j int) bool {
		a, b := out.pairs[i], out.pairs[j]
		if a.q != b.q {
			return a.q < b.q
		}
		if a.r != b.r {
			return a.r < b.r
		}
		if a.qv != b.qv {
			return a.qv < b.qv
		}
		return a.rv < b.rv
	})
	for c := range out.passing {
		slices.Sort(out.passing[c])
	}
	out.ran = true
	return out
}

// insertNearest keeps the keepNearest smallest excesses, in order.
func insertNearest(list []nearPair, p nearPair) []nearPair {
	i := sort.Search(len(list), func(i int) bool {
		a := list[i]
		if a.excess != p.excess {
			return a.excess > p.excess
		}
		return a.q > p.q || (a.q == p.q && a.r > p.r)
	})
	if i >= keepNearest {
		return list
	}
	list = slices.Insert(list, i, p)
	if len(list) > keepNearest {
		list = list[:keepNearest]
	}
	return list
}

// summarise fills res from the index's matches and the scan.
func summarise(res *PoolResult, rule hashing.Rule, regs, queries []hashedImage, matches []poolMatch, sc *scan, corr func(a, b string) float64, jm judged) {
	famQ, famR := map[string]int64{}, map[string]int64{}
	for _, q := range queries {
		famQ[q.family]++
	}
	for _, r := range regs {
		famR[r.family]++
	}
	var same int64
	for f, n := range famQ {
		same += n * famR[f]
	}
	res.CrossComparisons = res.Comparisons - same

	// Lists are empty, never null, in JSON.
	res.FamilyPairs, res.BusiestRegistered, res.BusiestQueries = []FamilyPair{}, []Busy{}, []Busy{}
	res.Alerts, res.DuplicateList = []PoolAlert{}, []PoolAlert{}
	res.Clauses = make([]PoolClause, len(rule.Clauses))
	for c := range rule.Clauses {
		res.Clauses[c] = PoolClause{Index: c, Clause: hashing.Rule{Clauses: []hashing.Clause{rule.Clauses[c]}}.String(), NearestExcess: -1}
	}
	type fpair struct{ q, r string }
	byFamily := map[fpair]int{}
	busyR, busyQ := map[int]int{}, map[int]int{}
	dup := map[uint64]bool{}
	indexed := map[uint64]bool{}
	for _, m := range matches {
		key := uint64(m.q)<<32 | uint64(m.r)
		indexed[key] = true
		q, r := queries[m.q], regs[m.r]
		a := poolAlert(m, q, r, corr)
		res.Matches++
		ci := min(max(m.ev.Clause, 0), len(res.Clauses)-1)
		if a.Correlation >= DuplicateCorrelation {
			dup[key] = true
			res.Duplicates++
			res.Clauses[ci].Duplicates++
			res.DuplicateList = append(res.DuplicateList, a)
			continue
		}
		res.FalseAlerts++
		res.Clauses[ci].FalseAlerts++
		if q.family == r.family {
			res.SameFamily++
		} else if j, ok := jm.of(q.path, r.path); !ok {
			res.Unjudged++
		} else if j.SameDesign {
			res.JudgedSameDesign++
			a.Judged = "same design: " + j.Note
		} else {
			res.JudgedDifferent++
			a.Judged = "different: " + j.Note
		}
		byFamily[fpair{q.family, r.family}]++
		busyR[m.r]++
		busyQ[m.q]++
		res.Alerts = append(res.Alerts, a)
	}
	res.Rate, res.Upper = rate(res.FalseAlerts, res.Comparisons)
	res.CrossRate, res.CrossUpper = rate(res.FalseAlerts-res.SameFamily, res.CrossComparisons)
	res.DifferentRate, res.DifferentUpper = rate(res.FalseAlerts-res.SameFamily-res.JudgedSameDesign, res.CrossComparisons)

	// The index must return exactly the image pairs some clause passes.
	scanned := map[uint64]bool{}
	for c := range sc.passing {
		for _, key := range sc.passing[c] {
			scanned[key] = true
			q, r := queries[key>>32], regs[key&(1<<32-1)]
			if !dup[key] && (indexed[key] || corr(q.path, r.path) < DuplicateCorrelation) {
				res.Clauses[c].Passing++
			}
		}
	}
	for key := range scanned {
		// The scan applies the clauses' thresholds only; a rule's ratio
		// test (hashing.Rule.Background, stricter beyond PDQ 31 with
		// Rule.Strict) and colour test (Rule.Colour) may reject what
		// they pass.
		if !indexed[key] && rule.Background == nil && rule.Colour == nil {
			res.Disagreements++
		}
	}
	for key := range indexed {
		if !scanned[key] && sc.ran {
			res.Disagreements++
		}
	}
	res.Scanned = sc.ran
	for c := range res.Clauses {
		pc := &res.Clauses[c]
		if sc.ran {
			pc.Rate, pc.Upper = rate(pc.Passing, res.Comparisons)
		}
		for _, n := range sc.nearest[c] {
			q, r := queries[n.q], regs[n.r]
			if corr(q.path, r.path) >= DuplicateCorrelation {
				continue
			}
			pc.NearestExcess = n.excess
			pc.NearestPair = fmt.Sprintf("%s (%s) vs %s (%s)", q.path, q.fp.Views[n.qv].Name, r.path, r.fp.Views[n.rv].Name)
			break
		}
	}
	for k, n := range byFamily {
		fp := FamilyPair{Query: k.q, Registered: k.r, Comparisons: famQ[k.q] * famR[k.r], FalseAlerts: n}
		fp.Rate = float64(n) / float64(fp.Comparisons)
		res.FamilyPairs = append(res.FamilyPairs, fp)
	}
	sort.Slice(res.FamilyPairs, func(i, j int) bool {
		a, b := res.FamilyPairs[i], res.FamilyPairs[j]
		if a.FalseAlerts != b.FalseAlerts {
			return a.FalseAlerts > b.FalseAlerts
		}
		return a.Query+"\x00"+a.Registered < b.Query+"\x00"+b.Registered
	})
	res.BusiestRegistered = busiest(busyR, regs)
	res.BusiestQueries = busiest(busyQ, queries)
	sort.SliceStable(res.Alerts, func(i, j int) bool { return res.Alerts[i].PDQ < res.Alerts[j].PDQ })
	if len(res.DuplicateList) > 50 {
		res.DuplicateList = res.DuplicateList[:50]
	}
}

// poolAlert describes match m between query q and registered image r.
func poolAlert(m poolMatch, q, r hashedImage, corr func(a, b string) float64) PoolAlert {
	a := PoolAlert{Query: q.path, QueryFamily: q.family, Registered: r.path, RegisteredFamily: r.family,
		Clause: m.ev.Clause, QueryView: m.ev.QueryView, RegisteredView: m.ev.RegisteredView,
		PDQ: distOr(m.ev, hashing.PDQ), PHash: distOr(m.ev, hashing.PHash), DHash: distOr(m.ev, hashing.DHash),
		Correlation: corr(q.path, r.path),
		QueryChroma: int(q.fp.Colour.Chroma), RegisteredChroma: int(r.fp.Colour.Chroma), ColourDistance: -1,
		Ratio: m.ev.Ratio, Inliers: m.inliers}
	if !q.fp.Colour.IsZero() && !r.fp.Colour.IsZero() {
		a.ColourDistance = hashing.ColourDistance(q.fp.Colour, r.fp.Colour)
	}
	return a
}

// maxRejectedList bounds PoolResult.RejectedList.
const maxRejectedList = 500

// summariseRejected counts and lists the matches the geometric verifier
// rejected.
func summariseRejected(res *PoolResult, regs, queries []hashedImage, rejected []poolMatch, corr func(a, b string) float64) {
	res.RejectedList = []PoolAlert{}
	for _, m := range rejected {
		a := poolAlert(m, queries[m.q], regs[m.r], corr)
		res.RejectedList = append(res.RejectedList, a)
		switch {
		case a.Correlation >= DuplicateCorrelation:
			res.VerifierRejectedDuplicates++
		case a.QueryFamily != a.RegisteredFamily:
			res.VerifierRejectedCross++
			fallthrough
		default:
			res.VerifierRejected++
		}
	}
	sort.SliceStable(res.RejectedList, func(i, j int) bool { return res.RejectedList[i].PDQ < res.RejectedList[j].PDQ })
	if len(res.RejectedList) > maxRejectedList {
		res.RejectedList = res.RejectedList[:maxRejectedList]
	}
}

func distOr(ev hashing.Evidence, a hashing.Algorithm) int {
	if d, ok := ev.Distances[a]; ok {
		return d
	}
	return -1
}

// busiest lists the ten images with the highest counts.
func busiest(counts map[int]int, images []hashedImage) []Busy {
	out := []Busy{}
	for i, n := range counts {
		out = append(out, Busy{Path: images[i].path, Family: images[i].family, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Path < out[j].Path
	})
	if len(out) > 10 {
		out = out[:10]
	}
	return out
}

// rate returns k/n and the one-sided 95% upper bound of the rate.
func rate(k int, n int64) (float64, float64) {
	if n <= 0 {
		return 0, 0
	}
	return float64(k) / float64(n), PoissonUpper95(k) / float64(n)
}

// writePoolDump writes the scan's view pairs as CSV (PoolDumpHeader).
func writePoolDump(w io.Writer, regs, queries []hashedImage, sc *scan, corr func(a, b string) float64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintln(bw, PoolDumpHeader)
	lastKey, lastCorr := uint64(1<<63), 0.0
	var buf []byte
	for _, p := range sc.pairs {
		q, r := queries[p.q], regs[p.r]
		key := uint64(p.q)<<32 | uint64(p.r)
		if key != lastKey {
			lastKey, lastCorr = key, corr(q.path, r.path)
		}
		qv, rv := q.fp.Views[p.qv], r.fp.Views[p.rv]
		qh, _ := qv.Hash(hashing.PDQ)
		rh, _ := rv.Hash(hashing.PDQ)
		alert := p.clause >= 0
		buf = buf[:0]
		for _, s := range []string{q.family, q.path, r.family, r.path, qv.Name, rv.Name} {
			buf = append(buf, csvField(s)...)
			buf = append(buf, ',')
		}
		buf = strconv.AppendInt(buf, int64(p.pdq), 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(p.phash), 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(p.dhash), 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(qh.Quality), 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(rh.Quality), 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(p.clause), 10)
		buf = append(buf, ',')
		buf = strconv.AppendBool(buf, alert)
		buf = append(buf, ',')
		buf = strconv.AppendBool(buf, lastCorr >= DuplicateCorrelation)
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, lastCorr, 'f', 3, 64)
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// csvField quotes s when CSV needs it.
func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}
