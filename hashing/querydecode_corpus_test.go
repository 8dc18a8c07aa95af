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
