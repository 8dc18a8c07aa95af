// Command verifydump writes, for designing a second-stage verifier
// (hashing.Verifier), every view pair that a candidate rule (-rule, with
// the default background) accepts between two pictures, with the pair's
// distances, which rules accept it (the candidate rule, the default rule,
// and both again with the -background file's background) and both views'
// Grid codes (hashing.Grid), as CSV:
//
//   - -pool DIR -alerts FILE: the false alerts a pool evaluation found
//     (the JSON of `hashwatch eval --pool … --json`), each pair hashed again
//     as the evaluation did (registration views against crawl-time views);
//   - -dataset DIR [-swap] [-limit N]: the registered half of a photo
//     folder against every edit of the evaluation suite (eval.DefaultSuite)
//     of itself, as `hashwatch eval` does, with one row of clause -1 for an
//     edited copy that no view pair matches, so recall can be recomputed.
//
// It keeps no pictures; rows hold names, distances and hashes.
package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/hashwatch/hashwatch/eval"
	"github.com/hashwatch/hashwatch/hashing"
)

// rule is the candidate rule (-rule), defaultRule hashing.DefaultRule().
var (
	rule        hashing.Rule
	defaultRule = hashing.DefaultRule()
	// altRule and altDefault are rule and defaultRule with the -background
	// file's background, when one is given.
	altRule, altDefault *hashing.Rule
)

var header = []string{"kind", "group", "edit", "query", "registered", "query_view", "registered_view", "clause", "pdq", "phash", "dhash", "ratio", "loose_ok", "default_ok", "alt_ok", "alt_default_ok", "query_grid", "registered_grid"}

func main() {
	pool := flag.String("pool", "", "pool folder (with -alerts)")
	alerts := flag.String("alerts", "", "JSON result of hashwatch eval --pool --json")
	dataset := flag.String("dataset", "", "photo folder")
	swap := flag.Bool("swap", false, "with -dataset: register the odd-numbered photos")
	limit := flag.Int("limit", 0, "with -dataset: only the first N photos")
	out := flag.String("o", "-", "CSV output")
	workers := flag.Int("workers", runtime.NumCPU(), "parallel workers")
	loose := flag.String("rule", "(phash<=10 & dhash<=14 & pdq<=76) | (pdq<=31 & phash?<=12 & dhash?<=16)",
		"the candidate rule (with the default background): pairs it accepts are written")
	bg := flag.String("background", "", "another background file: rows also say what the rules accept with it")
	flag.Parse()
	r, err := hashing.ParseRule(*loose, defaultRule.MinQuality)
	if err != nil {
		fail(err)
	}
	r.Background, r.Ratio = defaultRule.Background, defaultRule.Ratio
	rule = r
	if *bg != "" {
		data, err := os.ReadFile(*bg)
		if err != nil {
			fail(err)
		}
		b, err := hashing.ReadBackground(data)
		if err != nil {
			fail(err)
		}
		ar, ad := rule, defaultRule
		ar.Background, ad.Background = b, b
		altRule, altDefault = &ar, &ad
	}
	w := os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fail(err)
		}
		defer f.Close()
		w = f
	}
	cw := csv.NewWriter(w)
	cw.Write(header)
	var mu sync.Mutex
	emit := func(rows [][]string) {
		mu.Lock()
		defer mu.Unlock()
		cw.WriteAll(rows)
	}
	ctx := context.Background()
	switch {
	case *pool != "" && *alerts != "":
		err = runPool(ctx, *pool, *alerts, *workers, emit)
	case *dataset != "":
		err = runDev(ctx, *dataset, *swap, *limit, *workers, emit)
	default:
		err = fmt.Errorf("want -pool DIR -alerts FILE, or -dataset DIR")
	}
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "verifydump:", err)
	os.Exit(1)
}

// passing lists the rows of every view pair the candidate rule accepts
// (with either background), saying which rules accept it: loose_ok the
// candidate rule, default_ok the default rule, alt_ok and alt_default_ok
// the same with the -background file's background.
func passing(kind, group, edit, qname, rname string, q, r hashing.Fingerprint) [][]string {
	var rows [][]string
	for _, qv := range q.Views {
		for _, rv := range r.Views {
			ev, lok := rule.Compare(qv, rv)
			_, dok := defaultRule.Compare(qv, rv)
			var aok, adok bool
			if altRule != nil {
				var aev hashing.Evidence
				aev, aok = altRule.Compare(qv, rv)
				_, adok = altDefault.Compare(qv, rv)
				if !lok && aok {
					ev = aev
				}
			}
			if !lok && !aok {
				continue
			}
			qg, _ := qv.Hash(hashing.Grid)
			rg, _ := rv.Hash(hashing.Grid)
			rows = append(rows, []string{kind, group, edit, qname, rname, qv.Name, rv.Name,
				strconv.Itoa(ev.Clause), strconv.Itoa(ev.Distances[hashing.PDQ]), strconv.Itoa(ev.Distances[hashing.PHash]),
				strconv.Itoa(ev.Distances[hashing.DHash]), strconv.FormatFloat(ev.Ratio, 'f', 3, 64),
				strconv.FormatBool(lok), strconv.FormatBool(dok), strconv.FormatBool(aok), strconv.FormatBool(adok), qg.Hex(), rg.Hex()})
		}
	}
	if len(rows) == 0 {
		rows = append(rows, []string{kind, group, edit, qname, rname, "", "", "-1", "", "", "", "", "", "", "", "", "", ""})
	}
	return rows
}

func runPool(ctx context.Context, pool, alertsFile string, workers int, emit func([][]string)) error {
	data, err := os.ReadFile(alertsFile)
	if err != nil {
		return err
	}
	var res eval.PoolResult
	if err := json.Unmarshal(data, &res); err != nil {
		return fmt.Errorf("%s: %w", alertsFile, err)
	}
	h := hashing.NewHasher(hashing.Limits{})
	var cmu sync.Mutex
	cache := map[string]hashing.Fingerprint{}
	fp := func(path string, p hashing.Purpose) (hashing.Fingerprint, error) {
		key := strconv.Itoa(int(p)) + path
		cmu.Lock()
		f, ok := cache[key]
		cmu.Unlock()
		if ok {
			return f, nil
		}
		b, err := os.ReadFile(filepath.Join(pool, filepath.FromSlash(path)))
		if err != nil {
			return f, err
		}
		if f, err = h.Image(ctx, b, p); err != nil {
			return f, err
		}
		cmu.Lock()
		cache[key] = f
		cmu.Unlock()
		return f, nil
	}
	alerts := res.Alerts
	parallelDo(workers, len(alerts), func(i int) {
		a := alerts[i]
		q, err1 := fp(a.Query, hashing.ForQuery)
		r, err2 := fp(a.Registered, hashing.ForRegistration)
		if err1 != nil || err2 != nil {
			fmt.Fprintln(os.Stderr, "verifydump:", a.Query, a.Registered, err1, err2)
			return
		}
		emit(passing("pool", a.QueryFamily, a.RegisteredFamily, a.Query, a.Registered, q, r))
	})
	return nil
}

func runDev(ctx context.Context, dir string, swap bool, limit, workers int, emit func([][]string)) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if limit > 0 && len(names) > limit {
		names = names[:limit]
	}
	var regs []string
	for i, n := range names {
		if (i%2 == 0) != swap { // as eval.Run registers them
			regs = append(regs, n)
		}
	}
	h := hashing.NewHasher(hashing.Limits{})
	suite := eval.DefaultSuite()
	var done int
	var dmu sync.Mutex
	parallelDo(workers, len(regs), func(i int) {
		name := regs[i]
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			fmt.Fprintln(os.Stderr, "verifydump:", err)
			return
		}
		img, _, err := hashing.DecodeImage(data, hashing.Limits{})
		if err != nil {
			fmt.Fprintln(os.Stderr, "verifydump:", name, err)
			return
		}
		reg, err := h.Image(ctx, data, hashing.ForRegistration)
		if err != nil {
			fmt.Fprintln(os.Stderr, "verifydump:", name, err)
			return
		}
		var rows [][]string
		for _, g := range suite {
			for _, e := range g.Edits {
				q, err := query(ctx, h, img, e.Render)
				if err != nil {
					fmt.Fprintln(os.Stderr, "verifydump:", name, e.Name, err)
					continue
				}
				rows = append(rows, passing("dev", g.Name, e.Name, name, name, q, reg)...)
			}
		}
		emit(rows)
		dmu.Lock()
		done++
		fmt.Fprintf(os.Stderr, "\r%d/%d photos", done, len(regs))
		dmu.Unlock()
	})
	fmt.Fprintln(os.Stderr)
	return nil
}

func query(ctx context.Context, h *hashing.Hasher, img image.Image, render func(image.Image) ([]byte, error)) (hashing.Fingerprint, error) {
	b, err := render(img)
	if err != nil {
		return hashing.Fingerprint{}, err
	}
	return h.Image(ctx, b, hashing.ForQuery)
}

func parallelDo(workers, n int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
