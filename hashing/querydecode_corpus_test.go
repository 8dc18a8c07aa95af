package hashing_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hashwatch/hashwatch/eval"
	"github.com/hashwatch/hashwatch/hashing"
)

// TestQueryDecodeOnACorpus is TestAQueryDecodesLumaAndColourApartWithTheSameHashes
// on real pictures, run by hand: every JPEG under the folders in
// HASHWATCH_QUERY_CORPUS (comma-separated) and, for the folders also in
// HASHWATCH_QUERY_CORPUS_EDITS, every edit of the evaluation's suite of each
// (the copies a crawler would meet). Every view's every hash must equal the
// colour decode's; the colour summaries' distances are reported (-v), with
// how many pictures cross the colour test's grey threshold.
//
//	HASHWATCH_QUERY_CORPUS=../../shared/datasets/dev,/work/pool \
//	HASHWATCH_QUERY_CORPUS_EDITS=../../shared/datasets/dev \
//	go test -run TestQueryDecodeOnACorpus -v -timeout 2h ./hashing/
func TestQueryDecodeOnACorpus(t *testing.T) {
	dirs := os.Getenv("HASHWATCH_QUERY_CORPUS")
	if dirs == "" {
		t.Skip("HASHWATCH_QUERY_CORPUS names no folders")
	}
	withEdits := map[string]bool{}
	for _, d := range strings.Split(os.Getenv("HASHWATCH_QUERY_CORPUS_EDITS"), ",") {
		withEdits[filepath.Clean(d)] = d != ""
	}
	h := hashing.NewHasher(hashing.Limits{})
	ctx := context.Background()
	minChroma := 8
	if c := hashing.DefaultRule().Colour; c != nil {
		minChroma = c.MinChroma
	}
	for _, dir := range strings.Split(dirs, ",") {
		var paths []string
		filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				if ext := strings.ToLower(filepath.Ext(p)); ext == ".jpg" || ext == ".jpeg" {
					paths = append(paths, p)
				}
			}
			return nil
		})
		var mu sync.Mutex
		var files, identical, failed, apart, greyFlips int
		var dists []float64
		check := func(name string, data []byte) {
			want, werr := hashing.QueryByColourDecode(ctx, h, data)
			got, gerr := h.Image(ctx, data, hashing.ForQuery)
			split, _ := hashing.QueryDecodesApart(h, data)
			mu.Lock()
			defer mu.Unlock()
			files++
			if (werr != nil) != (gerr != nil) {
				t.Errorf("%s: errors %v and %v", name, werr, gerr)
				return
			}
			if werr != nil {
				failed++
				return
			}
			if !reflect.DeepEqual(got.Views, want.Views) || got.Width != want.Width || got.Height != want.Height {
				t.Errorf("%s: the fingerprint differs from the colour decode's", name)
				return
			}
			identical++
			if !split {
				if got.Colour != want.Colour {
					t.Errorf("%s: decoded once, yet colour %v differs from %v", name, got.Colour, want.Colour)
				}
				return
			}
			apart++
			if (int(got.Colour.Chroma) < minChroma) != (int(want.Colour.Chroma) < minChroma) {
				greyFlips++
			}
			if !got.Colour.IsZero() && !want.Colour.IsZero() {
				dists = append(dists, hashing.ColourDistance(got.Colour, want.Colour))
			}
		}
		jobs := make(chan string)
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := range jobs {
					data, err := os.ReadFile(p)
					if err != nil {
						t.Error(err)
						continue
					}
					check(p, data)
					if !withEdits[filepath.Clean(dir)] {
						continue
					}
					img, _, err := hashing.DecodeImage(data, hashing.Limits{})
					if err != nil {
						continue
					}
					for _, g := range eval.DefaultSuite() {
						for _, e := range g.Edits {
							if f, _ := e.Encoding(); f != "jpeg" {
								continue // other formats never take the luma path
							}
							if edited, err := e.Render(img); err == nil {
								check(p+" "+e.Name, edited)
							}
						}
					}
				}
			}()
		}
		for _, p := range paths {
			jobs <- p
		}
		close(jobs)
		wg.Wait()
		sort.Float64s(dists)
		q := func(f float64) float64 {
			if len(dists) == 0 {
				return 0
			}
			return dists[min(len(dists)-1, int(f*float64(len(dists))))]
		}
		over := func(x float64) int { return len(dists) - sort.SearchFloat64s(dists, x+1e-12) }
		t.Logf("%s: %d JPEGs (%d with edits), %d fingerprinted, all %d identical in every hash (%d failed to decode in both ways)",
			dir, len(paths), files-len(paths), files-failed, identical, failed)
		t.Logf("%s: colour summary from a smaller copy for %d; distance to the colour decode's: median %.3f, p90 %.3f, p99 %.3f, max %.3f; above 0.05: %d, 0.1: %d, 0.2: %d; %d crossed the grey threshold (mean chroma %d)",
			dir, apart, q(0.5), q(0.9), q(0.99), q(1), over(0.05), over(0.1), over(0.2), greyFlips, minChroma)
	}
}

// TestQueryColourKeepsDecisions checks, run by hand on a folder of photos
// (HASHWATCH_QUERY_DECISIONS=DIR), that taking a query's colour summary
// from a small colour copy changes no decision of the default rule: every
// photo is registered, and every photo and each of its JPEG-encoded edits
// from the evaluation's suite is compared with every registered photo —
// its own (the true pair) and all the others — once with the colour
// decode's summary and once with the query's own. The hashes are the same
// (TestQueryDecodeOnACorpus), so only the colour test can decide
// differently.
func TestQueryColourKeepsDecisions(t *testing.T) {
	dir := os.Getenv("HASHWATCH_QUERY_DECISIONS")
	if dir == "" {
		t.Skip("HASHWATCH_QUERY_DECISIONS names no folder")
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	h := hashing.NewHasher(hashing.Limits{})
	ctx := context.Background()
	rule := hashing.DefaultRule()
	hashesOnly := rule
	hashesOnly.Colour = nil
	type photo struct {
		data []byte
		reg  hashing.Fingerprint
	}
	photos := make([]photo, len(paths))
	parallelDo(len(paths), func(i int) {
		data, err := os.ReadFile(paths[i])
		if err != nil {
			t.Error(err)
			return
		}
		reg, err := h.Image(ctx, data, hashing.ForRegistration)
		if err != nil {
			t.Error(err)
			return
		}
		photos[i] = photo{data, reg}
	})
	var mu sync.Mutex
	var queries, trueMatches, falseMatches, trueChanged, falseChanged, colourTested int
	parallelDo(len(paths), func(i int) {
		img, _, err := hashing.DecodeImage(photos[i].data, hashing.Limits{})
		if err != nil {
			t.Error(err)
			return
		}
		datas := [][]byte{photos[i].data}
		for _, g := range eval.DefaultSuite() {
			for _, e := range g.Edits {
				if f, _ := e.Encoding(); f != "jpeg" {
					continue // other formats never take the luma path
				}
				if edited, err := e.Render(img); err == nil {
					datas = append(datas, edited)
				}
			}
		}
		for _, data := range datas {
			old, err := hashing.QueryByColourDecode(ctx, h, data)
			if err != nil {
				continue
			}
			colour, err := h.Colour(ctx, data, hashing.ForQuery)
			if err != nil {
				t.Error(err)
				continue
			}
			now := old
			now.Colour = colour
			for j, p := range photos {
				ev, ok := hashesOnly.Best(old, p.reg)
				if !ok {
					continue
				}
				before, after := rule.Confirm(old, p.reg, ev), rule.Confirm(now, p.reg, ev)
				_, d := rule.Colour.Agrees(old.Colour, p.reg.Colour, ev.Distances[hashing.PDQ])
				mu.Lock()
				if d >= 0 {
					colourTested++
				}
				if j == i {
					trueMatches++
					if before != after {
						trueChanged++
						t.Errorf("%s, a copy: the colour test said %v, now %v", paths[i], before, after)
					}
				} else {
					falseMatches++
					if before != after {
						falseChanged++
						t.Logf("%s against %s: the colour test said %v, now %v", paths[i], paths[j], before, after)
					}
				}
				mu.Unlock()
			}
		}
		mu.Lock()
		queries += len(datas)
		t.Logf("%s: %d queries so far: %d true and %d other pairs meet the hashes; changed %d true, %d other",
			filepath.Base(paths[i]), queries, trueMatches, falseMatches, trueChanged, falseChanged)
		mu.Unlock()
	})
	t.Logf("%d photos registered, %d queries (photos and their JPEG edits): %d true pairs and %d other pairs meet the rule's hashes, %d of them reach the colour test; decisions changed: %d true, %d other",
		len(paths), queries, trueMatches, falseMatches, colourTested, trueChanged, falseChanged)
}

// parallelDo calls fn(i) for i in [0, n) on four goroutines and waits.
func parallelDo(n int, fn func(i int)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				fn(i)
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}
