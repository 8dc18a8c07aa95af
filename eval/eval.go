package eval

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// ErrNoDataset reports a dataset folder that is missing or holds no photos.
var ErrNoDataset = errors.New("no dataset")

// auditUser names the evaluation in the audit log of the throw-away
// database it registers its originals in.
const auditUser = "eval"

// Config says what to evaluate.
type Config struct {
	// Dataset is a folder of photos (JPEG or PNG).
	Dataset string
	// Swap registers the odd-numbered photos instead of the even-numbered
	// ones, to check on held-out photos what was tuned on the others.
	Swap bool
	// Limit uses only the first Limit photos (0: all), for quick runs.
	Limit int
	// Rule is the match rule; zero means hashing.DefaultRule().
	Rule hashing.Rule
	// Suite is the edit suite; nil means DefaultSuite().
	Suite []Group
	// Workers hash in parallel; zero means one per CPU.
	Workers int
	// Local, when above 0, adds the local feature matcher (package
	// hashing/features/lfindex) at this many inliers beside the rule: a
	// query is found when either matches its photo, and the matcher's
	// other matches are false alerts too.
	Local int
	// Progress, if set, is called after each photo with (done, total).
	Progress func(done, total int)
	// Dump, if set, receives CSV rows of candidate view pairs (the nearest
	// few by each algorithm, for every query and registered photo) with all
	// their distances, for designing match rules offline.
	Dump io.Writer
}

// EditResult is recall on one edit of the registered half.
type EditResult struct {
	Group  string  `json:"group"`
	Edit   string  `json:"edit"`
	Target float64 `json:"target"`
	Found  int     `json:"found"`
	Total  int     `json:"total"`
	Recall float64 `json:"recall"`
	// Errors counts edited files that failed to decode or hash.
	Errors int `json:"errors,omitempty"`
	// LocalFound counts the copies only the local feature matcher found
	// (Config.Local), included in Found; LocalInliers lists, for each
	// copy the rule missed, the inliers the matcher gave its photo (0:
	// not returned), so recall at any threshold above Config.Local can
	// be read off one run.
	LocalFound   int   `json:"local_found,omitempty"`
	LocalInliers []int `json:"local_inliers,omitempty"`
	// Refused lists the copies the rule's hashes matched to their photo
	// but its geometric verifier (hashing.Rule.Verify) turned down: the
	// verifier's cost in recall, copy by copy, so a stricter verifier
	// can be judged by where it loses and not only by how much.
	Refused []Refusal `json:"verifier_refused,omitempty"`
}

// Refusal is a copy the verifier turned down: its photo, the best view
// pair by which the hashes matched it, and the corner matches one
// transform explained.
type Refusal struct {
	Photo          string `json:"photo"`
	QueryView      string `json:"query_view"`
	RegisteredView string `json:"registered_view"`
	PDQ            int    `json:"pdq"`
	Inliers        int    `json:"inliers"`
	// QueryPoints and RegisteredPoints count the two pictures' corners
	// (their own-aspect copies), and QueryDistinct and RegisteredDistinct
	// their distinct ones (features.Set.Distinct): a refusal of a picture
	// without corners is a different fault from one with many.
	QueryPoints        int `json:"query_points"`
	QueryDistinct      int `json:"query_distinct"`
	RegisteredPoints   int `json:"registered_points"`
	RegisteredDistinct int `json:"registered_distinct"`
}

// FalseAlert is a query that matched a photo it is not a copy of.
type FalseAlert struct {
	Query    string `json:"query"`
	Edit     string `json:"edit"`
	Matched  string `json:"matched"`
	Distance int    `json:"distance"`
	// Inliers is set for a match of the local feature matcher alone
	// (Config.Local); Distance is then -1.
	Inliers int `json:"inliers,omitempty"`
}

// Result is the outcome of an evaluation.
type Result struct {
	Dataset      string       `json:"dataset"`
	Rule         string       `json:"rule"`
	Registered   int          `json:"registered"`
	Unregistered int          `json:"unregistered"`
	Queries      int          `json:"queries"`
	Edits        []EditResult `json:"edits"`
	FalseAlerts  []FalseAlert `json:"false_alerts"`
	// TrueDistances[d] counts registered-half queries whose nearest view
	// pair to their own original has PDQ distance d; FalseDistances[d]
	// counts queries whose nearest view pair to any other photo has
	// distance d. Their overlap is what no threshold can separate.
	TrueDistances  []int `json:"true_distances"`
	FalseDistances []int `json:"false_distances"`
	// NearestFalse holds, per algorithm, the smallest distance between a
	// view of any query and a view of a registered photo it is not a copy
	// of, over hashes the rule lets take part (quality at least its
	// MinQuality): how close unrelated pictures come, algorithm by
	// algorithm.
	NearestFalse map[hashing.Algorithm]int `json:"nearest_false"`
	// FalseMargin is how far the nearest unrelated view pair stays from
	// matching: for one pair and one clause, the largest excess of a
	// distance over its threshold; minimised over clauses and over every
	// unrelated pair. A margin of m means every threshold could grow by
	// m-1 bits without a false alert; 0 or less means false alerts.
	// MarginPair names that pair.
	FalseMargin int    `json:"false_margin"`
	MarginPair  string `json:"margin_pair"`
}

// photo is one dataset file.
type photo struct {
	name string
	data []byte
	img  image.Image
}

// Run evaluates cfg. It uses a temporary database that it removes.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if len(cfg.Rule.Clauses) == 0 {
		cfg.Rule = hashing.DefaultRule()
	}
	if cfg.Suite == nil {
		cfg.Suite = DefaultSuite()
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	photos, err := loadPhotos(cfg.Dataset, cfg.Limit)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "hashwatch-eval")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	db, err := database.Open(filepath.Join(tmp, "eval.db"), store.Options{})
	if err != nil {
		return nil, err
	}
	defer db.Close()

	hasher := hashing.NewHasher(hashing.Limits{})
	registered := map[string]bool{}
	var regs []index.Registration
	for i, p := range photos {
		if (i%2 == 0) == cfg.Swap {
			continue
		}
		fp, err := hasher.Image(ctx, p.data, hashing.ForRegistration)
		if err != nil {
			return nil, fmt.Errorf("register %s: %w", p.name, err)
		}
		regs = append(regs, index.Registration{Source: p.name, Print: fp})
		registered[p.name] = true
	}
	if _, err := db.Index.Register(ctx, "eval", "", regs, store.Actor{User: auditUser}); err != nil {
		return nil, err
	}
	all, err := db.Index.Fingerprints("eval")
	if err != nil {
		return nil, err
	}
	res := &Result{Dataset: cfg.Dataset, Rule: cfg.Rule.String(), Registered: len(regs), Unregistered: len(photos) - len(regs),
		TrueDistances: make([]int, 257), FalseDistances: make([]int, 257),
		NearestFalse: map[hashing.Algorithm]int{}, FalseMargin: -1}
	var local *localMatcher
	var localCfg features.Config
	if cfg.Local > 0 {
		res.Rule += fmt.Sprintf(" | local features >= %d inliers", cfg.Local)
		localCfg = localConfig(cfg.Local).Features
		// The local matcher's sets, under its own configuration (the
		// registrations carry the verifier's).
		var names []string
		var sets []*features.Set
		for _, p := range photos {
			if !registered[p.name] {
				continue
			}
			var s *features.Set
			if set, err := hasher.Features(ctx, p.data, localCfg); err == nil {
				s = &set
			}
			names, sets = append(names, p.name), append(sets, s)
		}
		if local, err = newLocalMatcher(cfg.Local, names, sets); err != nil {
			return nil, err
		}
	}

	type key struct{ group, edit string }
	edits := map[key]*EditResult{}
	var order []key
	for _, g := range cfg.Suite {
		for _, e := range g.Edits {
			k := key{g.Name, e.Name}
			edits[k] = &EditResult{Group: g.Name, Edit: e.Name, Target: g.Target}
			order = append(order, k)
		}
	}

	var mu sync.Mutex
	jobs := make(chan photo)
	var wg sync.WaitGroup
	done := 0
	var firstErr error
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				isReg := registered[p.name]
				queries := []struct {
					group string
					edit  fixtures.Edit
				}{{"", fixtures.Edit{Name: "original"}}}
				for _, g := range cfg.Suite {
					for _, e := range g.Edits {
						queries = append(queries, struct {
							group string
							edit  fixtures.Edit
						}{g.Name, e})
					}
				}
				for _, q := range queries {
					if ctx.Err() != nil {
						return
					}
					data, err := p.data, error(nil)
					if q.group != "" {
						data, err = q.edit.Render(p.img)
					}
					var matches []index.Match
					var fp hashing.Fingerprint
					if err == nil {
						fp, err = hasher.Image(ctx, data, hashing.ForQuery)
					}
					if err == nil {
						// The product's path: registration stored each
						// photo's corner set, and the query's is made
						// only when a match needs it.
						matches, err = db.Index.MatchVerified(ctx, fp, cfg.Rule, hasher.LazyFeatures(data))
					}
					var hits []localHit
					if err == nil && local != nil {
						var qs *features.Set
						if set, ferr := hasher.Features(ctx, data, localCfg); ferr == nil {
							qs = &set
						}
						hits, err = local.match(ctx, qs)
					}
					trueD, falseD := nearest(fp, all, p.name)
					near := nearestFalse(fp, all, p.name, cfg.Rule)
					var rows []string
					if cfg.Dump != nil && err == nil {
						rows = candidateRows(fp, all, p.name, q.edit.Name, isReg)
					}
					mu.Lock()
					for _, r := range rows {
						io.WriteString(cfg.Dump, r)
					}
					res.Queries++
					if err != nil && q.group != "" {
						edits[key{q.group, q.edit.Name}].Errors++
					} else if err != nil && firstErr == nil {
						firstErr = fmt.Errorf("%s: %w", p.name, err)
					}
					found := false
					hashMatched := map[string]bool{}
					for _, m := range matches {
						hashMatched[m.Source] = true
						if m.Source == p.name {
							found = true
							continue
						}
						res.FalseAlerts = append(res.FalseAlerts, FalseAlert{Query: p.name, Edit: q.edit.Name, Matched: m.Source, Distance: m.Evidence.Distance})
					}
					ownInliers := 0
					for _, h := range hits {
						if h.name == p.name {
							ownInliers = h.inliers
						} else if !hashMatched[h.name] {
							res.FalseAlerts = append(res.FalseAlerts, FalseAlert{Query: p.name, Edit: q.edit.Name, Matched: h.name, Distance: -1, Inliers: h.inliers})
						}
					}
					var refused *Refusal
					if isReg && q.group != "" && !found && err == nil {
						refused = refusal(ctx, db.Index, hasher, fp, data, p.name, cfg.Rule)
					}
					if isReg {
						if q.group != "" {
							er := edits[key{q.group, q.edit.Name}]
							er.Total++
							if refused != nil {
								er.Refused = append(er.Refused, *refused)
							}
							if found || ownInliers > 0 {
								er.Found++
							}
							if !found && local != nil {
								er.LocalInliers = append(er.LocalInliers, ownInliers)
								if ownInliers > 0 {
									er.LocalFound++
								}
							}
						}
						if trueD >= 0 {
							res.TrueDistances[trueD]++
						}
					}
					if falseD >= 0 {
						res.FalseDistances[falseD]++
					}
					for a, d := range near.dist {
						if old, ok := res.NearestFalse[a]; !ok || d < old {
							res.NearestFalse[a] = d
						}
					}
					if near.margin >= 0 && (res.FalseMargin < 0 || near.margin < res.FalseMargin) {
						res.FalseMargin = near.margin
						res.MarginPair = fmt.Sprintf("%s (%s) %s vs %s", p.name, q.edit.Name, near.pair, near.source)
					}
					mu.Unlock()
				}
				mu.Lock()
				done++
				if cfg.Progress != nil {
					cfg.Progress(done, len(photos))
				}
				mu.Unlock()
			}
		}()
	}
	for _, p := range photos {
		select {
		case jobs <- p:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	for _, k := range order {
		er := edits[k]
		slices.Sort(er.LocalInliers)
		if er.Total > 0 {
			er.Recall = float64(er.Found) / float64(er.Total)
		}
		res.Edits = append(res.Edits, *er)
	}
	sort.Slice(res.FalseAlerts, func(i, j int) bool {
		a, b := res.FalseAlerts[i], res.FalseAlerts[j]
		return a.Query+a.Edit < b.Query+b.Edit
	})
	res.TrueDistances = trim(res.TrueDistances)
	res.FalseDistances = trim(res.FalseDistances)
	return res, nil
}

// refusal says why a copy of the registered photo name was not found
// when the rule's hashes did match it: the verifier turned it down. It
// returns nil when the hashes missed the copy too, or the rule has no
// verifier.
func refusal(ctx context.Context, ix *index.Index, hasher *hashing.Hasher, fp hashing.Fingerprint, data []byte, name string, rule hashing.Rule) *Refusal {
	if rule.Verify == nil {
		return nil
	}
	ms, err := ix.Match(ctx, fp, rule)
	if err != nil {
		return nil
	}
	for _, m := range ms {
		if m.Source != name {
			continue
		}
		reg, err := ix.Features(m.Fingerprint)
		if err != nil || reg == nil {
			return nil
		}
		q, err := hasher.Features(ctx, data, rule.Verify.Config)
		if err != nil {
			return nil
		}
		ok, _, inliers := rule.Verify.Agrees(&q, reg, m.Evidence)
		if ok {
			return nil
		}
		return &Refusal{Photo: name, QueryView: m.Evidence.QueryView, RegisteredView: m.Evidence.RegisteredView,
			PDQ: m.Evidence.Distances[hashing.PDQ], Inliers: inliers, QueryPoints: len(q.Points), QueryDistinct: q.Distinct(rule.Verify.Config),
			RegisteredPoints: len(reg.Points), RegisteredDistinct: reg.Distinct(rule.Verify.Config)}
	}
	return nil
}

// nearest returns the smallest PDQ distance over all view pairs between
// fp and the registered fingerprint of the same photo (-1 if that photo is
// not registered), and between fp and any other registered fingerprint.
func nearest(fp hashing.Fingerprint, all []*index.Fingerprint, name string) (trueD, falseD int) {
	alg := hashing.PDQ
	trueD, falseD = -1, -1
	for _, f := range all {
		d := minDistance(fp, f.Print, alg)
		if d < 0 {
			continue
		}
		if f.Source == name {
			trueD = d
		} else if falseD < 0 || d < falseD {
			falseD = d
		}
	}
	return trueD, falseD
}

// falseNear is what nearestFalse finds.
type falseNear struct {
	dist   map[hashing.Algorithm]int
	margin int // -1 when no pair was comparable
	pair   string
	source string
}

// nearestFalse measures how close fp comes to the registered fingerprints
// of other photos than name: the smallest distance per algorithm, and the
// smallest rule margin (see Result.FalseMargin).
func nearestFalse(fp hashing.Fingerprint, all []*index.Fingerprint, name string, rule hashing.Rule) falseNear {
	out := falseNear{dist: map[hashing.Algorithm]int{}, margin: -1}
	const absent = 1 << 20
	for _, f := range all {
		if f.Source == name {
			continue
		}
		for _, qv := range fp.Views {
			for _, rv := range f.Print.Views {
				if !hashing.Compared(qv.Name, rv.Name) {
					continue
				}
				var d [3]int // by dumpAlgorithms; -1 when a hash takes no part
				for i, a := range dumpAlgorithms {
					d[i] = -1
					x, ok1 := qv.Hash(a)
					y, ok2 := rv.Hash(a)
					if !ok1 || !ok2 || x.Quality < rule.MinQuality || y.Quality < rule.MinQuality {
						continue
					}
					d[i] = x.Code.Distance(y.Code)
					if old, ok := out.dist[a]; !ok || d[i] < old {
						out.dist[a] = d[i]
					}
				}
				for _, c := range rule.Clauses {
					excess := -absent
					for _, t := range c {
						i := slices.Index(dumpAlgorithms, t.Algorithm)
						if i < 0 || d[i] < 0 {
							excess = absent
							break
						}
						excess = max(excess, d[i]-t.MaxDistance)
					}
					if excess < absent && (out.margin < 0 || max(excess, 0) < out.margin) {
						out.margin = max(excess, 0)
						out.pair = qv.Name + "/" + rv.Name
						out.source = f.Source
					}
				}
			}
		}
	}
	return out
}

// minDistance is the smallest alg distance between a view of the query
// fingerprint a and one of the registered b that a rule compares
// (hashing.Compared), or -1 when no such pair has the hash.
func minDistance(a, b hashing.Fingerprint, alg hashing.Algorithm) int {
	best := -1
	for _, va := range a.Views {
		ha, ok := va.Hash(alg)
		if !ok {
			continue
		}
		for _, vb := range b.Views {
			if !hashing.Compared(va.Name, vb.Name) {
				continue
			}
			hb, ok := vb.Hash(alg)
			if !ok {
				continue
			}
			if d := ha.Code.Distance(hb.Code); best < 0 || d < best {
				best = d
			}
		}
	}
	return best
}

// dumpAlgorithms are the algorithms candidateRows reports, in column order.
var dumpAlgorithms = []hashing.Algorithm{hashing.PDQ, hashing.PHash, hashing.DHash}

// candidateRows lists, for each registered photo, the view pairs nearest to
// fp by each algorithm, as CSV rows:
// query,edit,registered,same,query_view,registered_view,pdq,phash,dhash,pdq_quality.
func candidateRows(fp hashing.Fingerprint, all []*index.Fingerprint, name, edit string, isReg bool) []string {
	var rows []string
	for _, f := range all {
		type pair struct {
			qv, rv string
			d      [3]int
			q      int
		}
		var best [3]*pair
		for _, qv := range fp.Views {
			for _, rv := range f.Print.Views {
				if !hashing.Compared(qv.Name, rv.Name) {
					continue
				}
				var pr pair
				pr.qv, pr.rv = qv.Name, rv.Name
				ok := true
				for i, alg := range dumpAlgorithms {
					a, ok1 := qv.Hash(alg)
					b, ok2 := rv.Hash(alg)
					if !ok1 || !ok2 {
						ok = false
						break
					}
					pr.d[i] = a.Code.Distance(b.Code)
					if alg == hashing.PDQ {
						pr.q = min(a.Quality, b.Quality)
					}
				}
				if !ok {
					continue
				}
				for i := range best {
					if best[i] == nil || pr.d[i] < best[i].d[i] {
						c := pr
						best[i] = &c
					}
				}
			}
		}
		seen := map[[2]string]bool{}
		for _, b := range best {
			if b == nil || seen[[2]string{b.qv, b.rv}] {
				continue
			}
			seen[[2]string{b.qv, b.rv}] = true
			if b.d[0] > 100 && b.d[1] > 20 && b.d[2] > 22 {
				continue
			}
			rows = append(rows, fmt.Sprintf("%s,%s,%s,%t,%s,%s,%d,%d,%d,%d\n", name, edit, f.Source, f.Source == name && isReg, b.qv, b.rv, b.d[0], b.d[1], b.d[2], b.q))
		}
	}
	return rows
}

func trim(h []int) []int {
	n := len(h)
	for n > 0 && h[n-1] == 0 {
		n--
	}
	return h[:n]
}

// photoNames lists the dataset's JPEG and PNG files in name order: the one
// listing the photo and video evals share.
func photoNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w (%v)", dir, ErrNoDataset, err)
	}
	var names []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// loadPhotos decodes the dataset's JPEG and PNG files in name order.
func loadPhotos(dir string, limit int) ([]photo, error) {
	names, err := photoNames(dir)
	if err != nil {
		return nil, err
	}
	var out []photo
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		img, _, err := hashing.DecodeImage(data, hashing.Limits{})
		if err != nil {
			return nil, fmt.Errorf("dataset %s: %w", n, err)
		}
		out = append(out, photo{name: n, data: data, img: img})
		if limit > 0 && len(out) == limit {
			break
		}
	}
	if len(out) < 2 {
		return nil, fmt.Errorf("dataset %s holds %d photos, need at least 2: %w", dir, len(out), ErrNoDataset)
	}
	return out, nil
}
