package hashing

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
)

// TestCornerCropCurve measures what cornerCuts was chosen by, on a folder
// of photos: how far a corner crop of 8–28% (1-point steps, every corner)
// lies from registered corner views cut every half point, and, for the
// registered grid (cornerCuts, or HASHWATCH_CORNER_CUTS="10,15,20" or
// "10,12.5,15" to try another, in half points), the recall per amount and which part of the default rule
// rejects the misses (the hash thresholds, the ratio test, Rule.Strict,
// the colour and grey tests, the verifier). It registers every other
// photo as hashwatch eval does (HASHWATCH_CORNER_SWAP=1 for the other
// half) and runs only with HASHWATCH_CORNER_DATASET=DIR; on the 140
// photos of a development half it takes some minutes of CPU.
func TestCornerCropCurve(t *testing.T) {
	dir := os.Getenv("HASHWATCH_CORNER_DATASET")
	if dir == "" {
		t.Skip("set HASHWATCH_CORNER_DATASET=DIR to measure corner crops on a photo folder")
	}
	var grid []int // in tenths of a point
	for _, n := range cornerCuts {
		grid = append(grid, 10*n)
	}
	if s := os.Getenv("HASHWATCH_CORNER_CUTS"); s != "" {
		grid = nil
		for _, f := range strings.Split(s, ",") {
			x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || x < 8 || x > 28 || math.Mod(x*2, 1) != 0 {
				t.Fatalf("HASHWATCH_CORNER_CUTS: %q is not a cut from 8 to 28%% in half points", f)
			}
			grid = append(grid, int(x*10))
		}
	}
	swap := os.Getenv("HASHWATCH_CORNER_SWAP") == "1"
	// Registered corner views every half point from 8 to 28%, besides
	// the registered views; the grid under test is picked from them.
	corners := []string{"tl", "tr", "bl", "br"}
	dense := func(c string, permille int) string { return fmt.Sprintf("dense-%s-%03d", c, permille) }
	saved := registrationViews
	t.Cleanup(func() { registrationViews = saved })
	registrationViews = slices.Clone(saved)
	for a := 80; a <= 280; a += 5 {
		f := float64(a) / 1000
		registrationViews = append(registrationViews,
			viewSpec{dense("tl", a), crop(f, f, 0, 0)}, viewSpec{dense("tr", a), crop(0, f, f, 0)},
			viewSpec{dense("bl", a), crop(f, 0, 0, f)}, viewSpec{dense("br", a), crop(0, 0, f, f)})
	}
	edit := func(c string, f float64) fixtures.Edit {
		l, tp, r, b := 0.0, 0.0, 0.0, 0.0
		if c[0] == 't' {
			tp = f
		} else {
			b = f
		}
		if c[1] == 'l' {
			l = f
		} else {
			r = f
		}
		return fixtures.Crop(l, tp, r, b)
	}
	// onGrid keeps a registered fingerprint's views but its corner crops,
	// and adds the dense views at the grid's cuts.
	onGrid := func(fp Fingerprint) Fingerprint {
		byName := map[string]View{}
		var vs []View
		for _, v := range fp.Views {
			byName[v.Name] = v
			if !strings.HasPrefix(v.Name, "dense-") && !slices.ContainsFunc(corners, func(c string) bool { return strings.HasPrefix(v.Name, "crop-"+c) }) {
				vs = append(vs, v)
			}
		}
		for _, n := range grid {
			for _, c := range corners {
				vs = append(vs, byName[dense(c, n)])
			}
		}
		fp.Views = vs
		return fp
	}
	def := DefaultRule()
	stages := []string{"hash thresholds", "ratio test", "strict ratio", "colour/grey", "verifier"}
	rules := make([]Rule, 5)
	rules[0] = Rule{Clauses: def.Clauses, MinQuality: def.MinQuality}
	rules[1] = rules[0]
	rules[1].Background, rules[1].Ratio = def.Background, def.Ratio
	rules[2] = rules[1]
	rules[2].Strict = def.Strict
	rules[3] = rules[2]
	rules[3].Colour, rules[3].Grey = def.Colour, def.Grey
	rules[4] = def

	photos := curvePhotos(t, dir)
	h := NewHasher(Limits{})
	type triple [3]int
	curve := map[int][]triple{} // by registered cut minus crop, in tenths of a point
	type perAmount struct {
		n, found int
		byCorner map[string]int // found, by corner
		rejected [5]int
		nearest  []int
	}
	amounts := map[int]*perAmount{}
	for i, name := range photos {
		if (i%2 == 0) == swap {
			continue
		}
		reg, img := curveRegistered(t, h, name)
		regGrid := onGrid(reg)
		for _, c := range corners {
			for f := 8; f <= 28; f++ {
				q := editedQuery(t, h, def, img, edit(c, float64(f)/100))
				near := func(v View, a Algorithm) int {
					best := 1 << 10
					g, _ := v.Hash(a)
					for _, qv := range q.Views {
						x, _ := qv.Hash(a)
						best = min(best, x.Code.Distance(g.Code))
					}
					return best
				}
				for _, v := range reg.Views {
					if !strings.HasPrefix(v.Name, "dense-"+c+"-") {
						continue
					}
					g, _ := strconv.Atoi(strings.TrimPrefix(v.Name, "dense-"+c+"-"))
					if off := g - 10*f; off >= -40 && off <= 40 {
						curve[off] = append(curve[off], triple{near(v, PDQ), near(v, PHash), near(v, DHash)})
					}
				}
				pa := amounts[f]
				if pa == nil {
					pa = &perAmount{}
					amounts[f] = pa
				}
				pa.n++
				best := 1 << 10
				for _, v := range regGrid.Views {
					best = min(best, near(v, PDQ))
				}
				pa.nearest = append(pa.nearest, best)
				st := 0
				for ; st < len(rules); st++ {
					if _, ok := rules[st].Best(q, regGrid); !ok {
						break
					}
				}
				if st == len(rules) {
					pa.found++
					if pa.byCorner == nil {
						pa.byCorner = map[string]int{}
					}
					pa.byCorner[c]++
				} else {
					pa.rejected[st]++
				}
			}
		}
	}
	if len(amounts) == 0 {
		t.Fatalf("no photos in %s", dir)
	}
	quantile := func(xs []int, p float64) int {
		if len(xs) == 0 {
			return -1
		}
		s := slices.Clone(xs)
		slices.Sort(s)
		return s[int(p*float64(len(s)-1)+0.5)]
	}
	t.Log("registered cut minus crop (points): PDQ median/p90, pHash median/p90, dHash median/p90; share PDQ ≤ 31; share within the weak clause's thresholds")
	for off := -40; off <= 40; off += 5 {
		xs := curve[off]
		var p, ph, dh []int
		weak, strong := 0, 0
		for _, x := range xs {
			p, ph, dh = append(p, x[0]), append(ph, x[1]), append(dh, x[2])
			if x[0] <= 31 {
				strong++
			}
			if x[1] <= 8 && x[2] <= 10 && x[0] <= 60 {
				weak++
			}
		}
		t.Logf("%+5.1f  n %5d  PDQ %3d/%3d  pHash %2d/%2d  dHash %2d/%2d  %.3f  %.3f", float64(off)/10, len(xs),
			quantile(p, .5), quantile(p, .9), quantile(ph, .5), quantile(ph, .9), quantile(dh, .5), quantile(dh, .9),
			float64(strong)/float64(len(xs)), float64(weak)/float64(len(xs)))
	}
	t.Logf("corner cuts %v (tenths of a point): amount, crops, nearest view PDQ median/p90, recall, misses rejected by %v, found from each corner %v", grid, stages, corners)
	for f := 8; f <= 28; f++ {
		pa := amounts[f]
		var each []int
		for _, c := range corners {
			each = append(each, pa.byCorner[c])
		}
		t.Logf("%2d%%  %4d  %3d/%3d  %.3f  %v  %v", f, pa.n, quantile(pa.nearest, .5), quantile(pa.nearest, .9), float64(pa.found)/float64(pa.n), pa.rejected, each)
	}
}

// curvePhotos lists the JPEG and PNG files of dir in name order, for the
// crop curves (TestCornerCropCurve, TestSideCropCurve), which register
// every other one as hashwatch eval does.
// curveRegistered reads the photo at name and returns its registration
// fingerprint and its decoded picture, for a curve test to edit.
func curveRegistered(t *testing.T, h *Hasher, name string) (Fingerprint, image.Image) {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := h.Image(t.Context(), data, ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := DecodeImage(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return reg, img
}

// editedQuery renders e of img and returns the copy's query fingerprint
// with its corner set under rule's verifier, as a crawl would match it.
func editedQuery(t *testing.T, h *Hasher, rule Rule, img image.Image, e fixtures.Edit) Fingerprint {
	t.Helper()
	b, err := e.Render(img)
	if err != nil {
		t.Fatal(err)
	}
	q, err := h.Image(t.Context(), b, ForQuery)
	if err != nil {
		t.Fatal(err)
	}
	if rule.Verify != nil {
		if set, err := h.Features(t.Context(), b, rule.Verify.Config); err == nil {
			q.Features = &set
		}
	}
	return q
}

func curvePhotos(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var photos []string
	for _, n := range names {
		if x := strings.ToLower(filepath.Ext(n)); x == ".jpg" || x == ".jpeg" || x == ".png" {
			photos = append(photos, n)
		}
	}
	slices.Sort(photos)
	return photos
}
