package hashing

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
)

// TestUnequalCornerCurve measures copies cut from a corner by different
// amounts on its two sides — x% off the left or right and y% off the top
// or bottom, each 0–24% in steps of 4 — the crop a person makes by hand,
// where the registered corner crops (cornerCuts) cut both sides alike. It
// registers every other photo of a folder as hashwatch eval does
// (HASHWATCH_UNEQUAL_SWAP=1 for the other half), cuts each copy from one
// corner (the four taken in turn), re-encodes it as JPEG 70 and reports
// the default rule's recall for each pair of amounts, with every query
// view and without those named in HASHWATCH_UNEQUAL_DROP
// ("label=prefix,prefix;label=…": each label drops the query views whose
// names start with one of its prefixes), and with registered corner
// crops at more amounts (HASHWATCH_UNEQUAL_CORNERS="4,7": percent, off
// cornerCuts) to try a grid. It runs only with
// HASHWATCH_UNEQUAL_DATASET=DIR; a development half takes some minutes.
func TestUnequalCornerCurve(t *testing.T) {
	dir := os.Getenv("HASHWATCH_UNEQUAL_DATASET")
	if dir == "" {
		t.Skip("set HASHWATCH_UNEQUAL_DATASET=DIR to measure unequal corner crops on a photo folder")
	}
	swap := os.Getenv("HASHWATCH_UNEQUAL_SWAP") == "1"
	type config struct {
		label    string
		prefixes []string
	}
	configs := []config{{label: "every view"}}
	if s := os.Getenv("HASHWATCH_UNEQUAL_DROP"); s != "" {
		for _, c := range strings.Split(s, ";") {
			label, list, ok := strings.Cut(c, "=")
			if !ok {
				t.Fatalf("HASHWATCH_UNEQUAL_DROP: %q is not label=prefix,…", c)
			}
			configs = append(configs, config{label, strings.Split(list, ",")})
		}
	}
	if extra := percentsFromEnv(t, "HASHWATCH_UNEQUAL_CORNERS", fmt.Sprintf("a cut of 1–40%% off cornerCuts %v", cornerCuts), func(n int) bool {
		return n >= 1 && n <= 40 && !slices.Contains(cornerCuts, n)
	}); extra != nil {
		saved := registrationViews
		t.Cleanup(func() { registrationViews = saved })
		registrationViews = slices.Concat(saved, cornerViews(extra))
	}
	const step, most = 4, 24
	n := most/step + 1
	corner := func(k int, x, y float64) fixtures.Edit {
		switch k % 4 {
		case 0:
			return fixtures.Crop(x, y, 0, 0)
		case 1:
			return fixtures.Crop(0, y, x, 0)
		case 2:
			return fixtures.Crop(x, 0, 0, y)
		}
		return fixtures.Crop(0, 0, x, y)
	}
	photos := curvePhotos(t, dir)
	h := NewHasher(Limits{})
	rule := DefaultRule()
	found := make([][]int, len(configs)) // per config, per cell
	for i := range found {
		found[i] = make([]int, n*n)
	}
	copies := make([]int, n*n)
	for i, name := range photos {
		if (i%2 == 0) == swap {
			continue
		}
		reg, img := curveRegistered(t, h, name)
		for cell := range n * n {
			xi, yi := cell%n, cell/n
			if xi == 0 && yi == 0 {
				continue
			}
			e := corner(i+cell, float64(xi*step)/100, float64(yi*step)/100)
			q := editedQuery(t, h, rule, img, q70(e))
			copies[cell]++
			for c, cf := range configs {
				qc := withoutViews(q, func(name string) bool {
					for _, p := range cf.prefixes {
						if strings.HasPrefix(name, p) {
							return true
						}
					}
					return false
				})
				if _, ok := rule.Best(qc, reg); ok {
					found[c][cell]++
				}
			}
		}
	}
	var out strings.Builder
	for c, cf := range configs {
		fmt.Fprintf(&out, "\n%s: recall, rows y%% off the top or bottom, columns x%% off a side\n     ", cf.label)
		for xi := range n {
			fmt.Fprintf(&out, "  x%-4d", xi*step)
		}
		total, hit := 0, 0
		for yi := range n {
			fmt.Fprintf(&out, "\ny%-3d", yi*step)
			for xi := range n {
				cell := yi*n + xi
				if copies[cell] == 0 {
					out.WriteString("    -  ")
					continue
				}
				fmt.Fprintf(&out, "  %.3f", float64(found[c][cell])/float64(copies[cell]))
				if xi != yi {
					total += copies[cell]
					hit += found[c][cell]
				}
			}
		}
		fmt.Fprintf(&out, "\nunequal cells together: %.3f of %d copies\n", float64(hit)/float64(max(total, 1)), total)
	}
	t.Log("unequal corner crops:" + out.String())
}
