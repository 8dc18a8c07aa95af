// Command mkbackground builds the background file hashing.DefaultBackground
// embeds: the crawl-time views (hashing.ForQuery) of unrelated pictures,
// hashes only. It reads a pool built by scripts/build-pool.sh (its
// MANIFEST.tsv names each picture's family and split) and takes only
// pictures of the tune split, so that evaluations on the held-out split
// measure pictures the background has never seen.
//
//	go run ./hashing/internal/mkbackground -pool ~/.cache/hashwatch-pool -o hashing/background/default.bin
//
// With -layouts N it builds the other embedded file instead, from no pool:
// the crawl-time views of the first N synthetic layouts (package
// hashing/internal/synthetic: frames, panels, discs, lines and gradients
// on flat grounds), keeping only views whose PDQ quality reaches the
// default rule's MinQuality (weaker ones never take part in a ratio
// test).
//
//	go run ./hashing/internal/mkbackground -layouts 5300 -o hashing/background/layouts.bin
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/internal/synthetic"
)

func main() {
	pool := flag.String("pool", "", "pool folder with MANIFEST.tsv (scripts/build-pool.sh)")
	out := flag.String("o", "hashing/background/default.bin", "output file")
	split := flag.String("split", "tune", "manifest split to take pictures from")
	max := flag.Int("max", 12000, "at most this many pictures, spread over families")
	exclude := flag.String("exclude", "dev-tiles,python3-skimage", "comma-separated families to leave out: the development photos' own tiles, and python3-skimage, whose sample pictures (astronaut, chelsea, coins, motorcycle) are development photos too; a background that holds a registered picture lets only near-identical copies of it match")
	layouts := flag.Int("layouts", 0, "build the synthetic layouts' file from this many drawings instead of reading a pool")
	flag.Parse()
	if *layouts > 0 {
		if err := runLayouts(*layouts, *out); err != nil {
			fmt.Fprintln(os.Stderr, "mkbackground:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*pool, *out, *split, *max, strings.Split(*exclude, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "mkbackground:", err)
		os.Exit(1)
	}
}

type item struct{ family, path string }

func run(pool, out, split string, max int, exclude []string) error {
	items, err := readManifest(pool, split, exclude)
	if err != nil {
		return err
	}
	items = spread(items, max)
	slog.Info("hashing background pictures", "pictures", len(items))
	h := hashing.NewHasher(hashing.Limits{})
	views := make([][]hashing.View, len(items))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				data, err := os.ReadFile(filepath.Join(pool, items[i].path))
				if err != nil {
					continue
				}
				fp, err := h.Image(context.Background(), data, hashing.ForQuery)
				if err != nil {
					continue
				}
				views[i] = fp.Views
			}
		}()
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	var all []hashing.View
	for _, vs := range views {
		all = append(all, vs...)
	}
	return write(all, out)
}

// layoutSeed seeds the synthetic layouts: a fixed seed makes the file
// the same on every rebuild.
const layoutSeed = 1

// runLayouts writes the crawl-time views of the first n synthetic layouts
// whose PDQ quality reaches the default rule's MinQuality to out.
func runLayouts(n int, out string) error {
	h := hashing.NewHasher(hashing.Limits{})
	minQuality := hashing.DefaultRule().MinQuality
	views := make([][]hashing.View, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fp, err := h.Pixels(context.Background(), synthetic.Picture(layoutSeed, i), hashing.ForQuery)
				if err != nil {
					errs[i] = fmt.Errorf("layout %d: %w", i, err)
					continue
				}
				for _, v := range fp.Views {
					if q, ok := v.Hash(hashing.PDQ); ok && q.Quality >= minQuality {
						views[i] = append(views[i], v)
					}
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	var all []hashing.View
	for i, vs := range views {
		if errs[i] != nil {
			return errs[i]
		}
		all = append(all, vs...)
	}
	return write(all, out)
}

// write writes the views as a background file.
func write(all []hashing.View, out string) error {
	b, err := hashing.NewBackground(all)
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := b.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	slog.Info("wrote background", "file", out, "views", b.Len())
	return f.Close()
}

// readManifest reads MANIFEST.tsv: family, path (relative to the pool),
// sha256, width, height, split — with a header line.
func readManifest(pool, split string, exclude []string) ([]item, error) {
	f, err := os.Open(filepath.Join(pool, "MANIFEST.tsv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var header []string
	var items []item
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if header == nil {
			header = cols
			continue
		}
		row := map[string]string{}
		for i, c := range cols {
			if i < len(header) {
				row[header[i]] = c
			}
		}
		if row["split"] != split || slices.Contains(exclude, row["family"]) {
			continue
		}
		items = append(items, item{row["family"], row["path"]})
	}
	return items, sc.Err()
}

// spread takes at most max items, as evenly over families as their sizes
// allow, in an order fixed by the paths' hashes (so a rebuild picks the
// same pictures).
func spread(items []item, max int) []item {
	key := func(it item) uint64 {
		s := sha256.Sum256([]byte(it.path))
		return binary.BigEndian.Uint64(s[:])
	}
	slices.SortFunc(items, func(a, b item) int {
		ka, kb := key(a), key(b)
		if ka < kb {
			return -1
		} else if ka > kb {
			return 1
		}
		return 0
	})
	if len(items) <= max {
		return items
	}
	byFamily := map[string][]item{}
	var families []string
	for _, it := range items {
		if byFamily[it.family] == nil {
			families = append(families, it.family)
		}
		byFamily[it.family] = append(byFamily[it.family], it)
	}
	slices.Sort(families)
	var out []item
	for round := 0; len(out) < max; round++ {
		added := false
		for _, f := range families {
			if round < len(byFamily[f]) && len(out) < max {
				out = append(out, byFamily[f][round])
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out
}
