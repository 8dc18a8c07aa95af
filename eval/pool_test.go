package eval

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"image"
	"image/draw"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// TestPoissonUpper95 checks the bound against the published one-sided 95%
// upper limits of a Poisson mean (Garwood 1936; e.g. the tables of Gehrels
// 1986, ApJ 303:336, for CL 0.95).
func TestPoissonUpper95(t *testing.T) {
	for _, tt := range []struct {
		k    int
		want float64
	}{{0, 2.996}, {1, 4.744}, {2, 6.296}, {3, 7.754}, {4, 9.154}, {5, 10.513}, {10, 16.962}, {20, 29.062}, {50, 63.287}} {
		if got := PoissonUpper95(tt.k); math.Abs(got-tt.want) > 0.002 {
			t.Errorf("PoissonUpper95(%d) = %.4f, want %.3f", tt.k, got, tt.want)
		}
	}
	if got := PoissonUpper95(1000); got < 1000 || got > 1060 {
		t.Errorf("PoissonUpper95(1000) = %.1f, want about 1000+1.645·√1000 ≈ 1052", got)
	}
}

// poolFile is one image of a generated pool; order sets its manifest
// checksum, so that the registered part is known in advance.
type poolFile struct {
	family, name string
	data         []byte
}

// writePool lays files out as build-pool.sh does, all in the tune split,
// in the given order.
func writePool(t *testing.T, files []poolFile) string {
	t.Helper()
	dir := t.TempDir()
	var m strings.Builder
	m.WriteString("family\tpath\tsha256\twidth\theight\tsplit\n")
	for i, f := range files {
		if err := os.MkdirAll(filepath.Join(dir, f.family), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.family, f.name), f.data, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&m, "%s\t%s/%s\t%064x\t0\t0\ttune\n", f.family, f.family, f.name, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "MANIFEST.tsv"), []byte(m.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func decodePhoto(t *testing.T, p fixtures.Photo) image.Image {
	t.Helper()
	img, err := p.Decode()
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func encodeJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	data, err := fixtures.Encode(img, "jpeg", 90)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// framedPair returns a 400×400 picture of one fixture photo with another
// in its middle 60%, and that middle photo alone (240×240): two pictures
// as wholes different, one the other's middle.
func framedPair(t *testing.T) (framed, inner image.Image) {
	t.Helper()
	in := imaging.Resize(decodePhoto(t, fixtures.Others()[0]), 240, 240, imaging.Lanczos)
	f := image.NewRGBA(image.Rect(0, 0, 400, 400))
	draw.Draw(f, f.Bounds(), imaging.Resize(decodePhoto(t, fixtures.Others()[9]), 400, 400, imaging.Lanczos), image.Point{}, draw.Src)
	draw.Draw(f, image.Rect(80, 80, 320, 320), in, image.Point{}, draw.Src)
	return f, in
}

func TestRunPoolSeparatesDuplicatesFromFalseAlerts(t *testing.T) {
	known, others := fixtures.Known(), fixtures.Others()
	// A framed picture: one photo in the middle 60% of another. Its
	// registered crop-c20 view is the middle photo alone, so a query of
	// that photo matches it although the two pictures as wholes differ: a
	// false alert by the pool's definition.
	framed, inner := framedPair(t)
	// A near-duplicate: the same photo a little brighter and re-encoded.
	dupSrc := decodePhoto(t, known[4])
	brighter, err := fixtures.Brightness(8).Render(dupSrc)
	if err != nil {
		t.Fatal(err)
	}

	files := []poolFile{
		{"known", known[0].Name, known[0].Data},
		{"known", known[1].Name, known[1].Data},
		{"known", known[2].Name, known[2].Data},
		{"known", known[3].Name, known[3].Data},
		{"made", "framed.jpg", encodeJPEG(t, framed)},
		{"known", known[4].Name, known[4].Data},
		// queried:
		{"other", others[1].Name, others[1].Data},
		{"other", others[2].Name, others[2].Data},
		{"other", others[3].Name, others[3].Data},
		{"made", "inner.jpg", encodeJPEG(t, inner)},
		{"copies", "brighter.jpg", brighter},
	}
	pool := writePool(t, files)
	var dump bytes.Buffer
	cfg := PoolConfig{Pool: pool, Register: 6, Workers: 2, Cache: t.TempDir(), Dump: &dump}
	res, err := RunPool(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Registered != 6 || res.Queried != 5 || res.Comparisons != 30 || res.Errors != 0 {
		t.Fatalf("registered %d, queried %d, comparisons %d, errors %d; want 6, 5, 30, 0", res.Registered, res.Queried, res.Comparisons, res.Errors)
	}
	if res.Disagreements != 0 {
		t.Errorf("index and exhaustive scan disagree on %d pairs", res.Disagreements)
	}
	t.Run("the brightened copy is a duplicate, not a false alert", func(t *testing.T) {
		if res.Duplicates != 1 || len(res.DuplicateList) != 1 || res.DuplicateList[0].Query != "copies/brighter.jpg" ||
			res.DuplicateList[0].Registered != "known/"+known[4].Name {
			t.Fatalf("duplicates = %d %+v, want copies/brighter.jpg ~ known/%s", res.Duplicates, res.DuplicateList, known[4].Name)
		}
	})
	t.Run("the framed picture's middle is a false alert", func(t *testing.T) {
		if res.FalseAlerts != 1 || len(res.Alerts) != 1 || res.Alerts[0].Query != "made/inner.jpg" || res.Alerts[0].Registered != "made/framed.jpg" {
			t.Fatalf("false alerts = %d %+v, want made/inner.jpg ~ made/framed.jpg", res.FalseAlerts, res.Alerts)
		}
		a := res.Alerts[0]
		if a.Correlation >= DuplicateCorrelation {
			t.Errorf("correlation %.2f, want below %.1f", a.Correlation, DuplicateCorrelation)
		}
		// The middle is the same pixels: the geometric verifier agrees,
		// and reports by how much although the rule does not ask it.
		if a.Inliers < 5 || res.VerifierRejected != 0 || res.VerifierRejectedDuplicates != 0 || len(res.RejectedList) != 0 {
			t.Errorf("inliers %d, verifier rejected %d %+v; want at least 5 and none", a.Inliers, res.VerifierRejected, res.RejectedList)
		}
		if res.SameFamily != 1 || res.CrossComparisons != 30-1*1 {
			t.Errorf("same family %d, cross comparisons %d; want 1 and 29", res.SameFamily, res.CrossComparisons)
		}
		if len(res.FamilyPairs) != 1 || res.FamilyPairs[0].Query != "made" || res.FamilyPairs[0].Comparisons != 1 {
			t.Errorf("family pairs = %+v, want one made→made pair over 1 comparison", res.FamilyPairs)
		}
		if len(res.BusiestRegistered) != 1 || res.BusiestRegistered[0].Path != "made/framed.jpg" || res.BusiestRegistered[0].Count != 1 {
			t.Errorf("busiest registered = %+v", res.BusiestRegistered)
		}
		if c := res.Clauses[a.Clause]; c.FalseAlerts != 1 {
			t.Errorf("clause %d counts %d false alerts, want 1", a.Clause, c.FalseAlerts)
		}
		wantRate, wantUpper := 1.0/30, 4.744/30
		if math.Abs(res.Rate-wantRate) > 1e-9 || math.Abs(res.Upper-wantUpper) > 1e-3 {
			t.Errorf("rate %.4f upper %.4f, want %.4f and %.4f", res.Rate, res.Upper, wantRate, wantUpper)
		}
	})
	t.Run("every clause reports how near the closest unrelated pair comes", func(t *testing.T) {
		for _, c := range res.Clauses {
			if c.NearestExcess <= 0 || c.NearestPair == "" {
				t.Errorf("clause %s: nearest excess %d (%q), want a positive excess and a pair", c.Clause, c.NearestExcess, c.NearestPair)
			}
		}
	})
	t.Run("the dump lists the matching view pairs with both families", func(t *testing.T) {
		lines := strings.Split(strings.TrimSpace(dump.String()), "\n")
		if lines[0] != PoolDumpHeader {
			t.Fatalf("dump header %q", lines[0])
		}
		var alertRows, dupRows int
		for _, l := range lines[1:] {
			f := strings.Split(l, ",")
			if len(f) != strings.Count(PoolDumpHeader, ",")+1 {
				t.Fatalf("dump row %q has %d fields", l, len(f))
			}
			if f[12] == "true" && f[1] == "made/inner.jpg" && f[0] == "made" && f[2] == "made" {
				alertRows++
			}
			if f[12] == "true" && f[13] == "true" && f[1] == "copies/brighter.jpg" {
				dupRows++
			}
		}
		if alertRows == 0 || dupRows == 0 {
			t.Errorf("dump has %d alerting rows of the false alert and %d of the duplicate, want some of each", alertRows, dupRows)
		}
	})
	t.Run("a second run reads every fingerprint from the cache", func(t *testing.T) {
		cfg2 := cfg
		cfg2.Dump = nil
		if res.Hashed != 11 {
			t.Errorf("first run hashed %d images, want 11", res.Hashed)
		}
		cache, err := openFPCache(context.Background(), cfg.Cache, hashing.NewHasher(hashing.Limits{}))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(cache.m); n != 11 {
			t.Errorf("cache holds %d fingerprints, want 11", n)
		}
		cache.close()
		res2, err := RunPool(context.Background(), cfg2)
		if err != nil {
			t.Fatal(err)
		}
		if res2.Hashed != 0 {
			t.Errorf("second run hashed %d images, want 0", res2.Hashed)
		}
		if res2.FalseAlerts != res.FalseAlerts || res2.Duplicates != res.Duplicates {
			t.Errorf("cached run: %d false alerts, %d duplicates; want %d and %d", res2.FalseAlerts, res2.Duplicates, res.FalseAlerts, res.Duplicates)
		}
	})
	t.Run("a run without the scan counts the same alerts and claims no disagreement", func(t *testing.T) {
		if !res.Scanned {
			t.Error("the scanned run says it was not scanned")
		}
		cfg3 := cfg
		cfg3.Dump, cfg3.NoScan = nil, true
		res3, err := RunPool(context.Background(), cfg3)
		if err != nil {
			t.Fatal(err)
		}
		if res3.Scanned || res3.Disagreements != 0 {
			t.Errorf("no-scan run: scanned %v, %d disagreements; want false and 0 (nothing was compared)", res3.Scanned, res3.Disagreements)
		}
		if res3.FalseAlerts != res.FalseAlerts || res3.Duplicates != res.Duplicates || res3.Upper != res.Upper {
			t.Errorf("no-scan run: %d false alerts, %d duplicates, upper %g; want %d, %d, %g", res3.FalseAlerts, res3.Duplicates, res3.Upper, res.FalseAlerts, res.Duplicates, res.Upper)
		}
		for _, c := range res3.Clauses {
			if c.Passing != 0 || c.Upper != 0 || c.NearestExcess != -1 {
				t.Errorf("no-scan clause %s: passing %d, upper %g, nearest %d; want nothing measured (0, 0, -1)", c.Clause, c.Passing, c.Upper, c.NearestExcess)
			}
		}
	})
	t.Run("the local matcher finds the framed middle and the copy as the rule does, and adds nothing between unrelated photos", func(t *testing.T) {
		cfg4 := cfg
		cfg4.Dump, cfg4.NoScan, cfg4.Local = nil, true, 10
		res4, err := RunPool(context.Background(), cfg4)
		if err != nil {
			t.Fatal(err)
		}
		if res4.FalseAlerts != res.FalseAlerts || res4.Duplicates != res.Duplicates {
			t.Errorf("with --local: the rule's %d false alerts, %d duplicates; want %d and %d (the matcher is reported apart)", res4.FalseAlerts, res4.Duplicates, res.FalseAlerts, res.Duplicates)
		}
		l := res4.Local
		if l == nil || l.Points == 0 {
			t.Fatalf("local part %+v, want the registered pictures' corners filed", l)
		}
		pairs := map[string]PoolLocalPair{}
		for _, p := range l.Pairs {
			pairs[p.Query+" ~ "+p.Registered] = p
			t.Logf("%s ~ %s: %d inliers, hash matched %v, duplicate %v", p.Query, p.Registered, p.Inliers, p.HashMatched, p.Duplicate)
		}
		if p, ok := pairs["made/inner.jpg ~ made/framed.jpg"]; !ok || !p.HashMatched {
			t.Errorf("framed middle: %+v (found %v), want found and matched by the rule too", p, ok)
		}
		if p, ok := pairs["copies/brighter.jpg ~ known/"+known[4].Name]; !ok || !p.HashMatched || !p.Duplicate {
			t.Errorf("brightened copy: %+v (found %v), want found, matched by the rule too, a duplicate", p, ok)
		}
		if len(l.ByThreshold) == 0 || l.ByThreshold[0].FalseAlerts != 0 {
			t.Errorf("by threshold %+v, want no false alert added", l.ByThreshold)
		}
	})
}

// A look-alike (a photo's layout drawn with another's detail) passes the
// rule's weak clause and is turned down by its geometric verifier: the
// pool run lists it with the inliers it got, so the verifier's margin
// shows, and counts it apart from the false alerts — as a duplicate, for
// its coarse tones, which the thumbnails compare, are the photo's.
func TestRunPoolListsWhatTheVerifierTurnsDown(t *testing.T) {
	known, others := fixtures.Known(), fixtures.Others()
	var detail fixtures.Photo
	for _, p := range others {
		if p.Name == "dev-012-pontduGard.jpg" {
			detail = p
		}
	}
	look, err := fixtures.Encode(fixtures.LookAlike(decodePhoto(t, known[1]), decodePhoto(t, detail), 8), fixtures.FormatJPEG, 90)
	if err != nil {
		t.Fatal(err)
	}
	pool := writePool(t, []poolFile{
		{"known", known[0].Name, known[0].Data},
		{"known", known[1].Name, known[1].Data},
		// queried:
		{"other", others[1].Name, others[1].Data},
		{"made", "lookalike.jpg", look},
	})
	res, err := RunPool(context.Background(), PoolConfig{Pool: pool, Register: 2, Workers: 2, NoScan: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.FalseAlerts != 0 || res.Duplicates != 0 || res.VerifierRejected != 0 || res.VerifierRejectedDuplicates != 1 || len(res.RejectedList) != 1 {
		t.Fatalf("false alerts %d, duplicates %d, verifier rejected %d and %d duplicates %+v; want only the look-alike turned down",
			res.FalseAlerts, res.Duplicates, res.VerifierRejected, res.VerifierRejectedDuplicates, res.RejectedList)
	}
	r := res.RejectedList[0]
	if r.Query != "made/lookalike.jpg" || r.Registered != "known/"+known[1].Name || r.PDQ <= 31 || r.Inliers < 0 || r.Inliers >= 5 || r.Correlation < DuplicateCorrelation {
		t.Errorf("rejected %s ~ %s at PDQ %d with %d inliers, correlation %.2f; want the look-alike beyond PDQ 31 with 0–4, a duplicate by its thumbnail",
			r.Query, r.Registered, r.PDQ, r.Inliers, r.Correlation)
	}
}

func TestFingerprintCacheRoundTrip(t *testing.T) {
	h := hashing.NewHasher(hashing.Limits{})
	fp, err := h.Image(context.Background(), fixtures.Known()[0].Data, hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeFP(encodeFP(fp))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Views) != len(fp.Views) || got.Width != fp.Width || got.Views[3].Name != fp.Views[3].Name ||
		got.Views[3].Hashes[0] != fp.Views[3].Hashes[0] {
		t.Errorf("round trip lost data")
	}
	for _, cut := range []int{0, 1, 7, len(encodeFP(fp)) - 1} {
		if _, err := decodeFP(encodeFP(fp)[:cut]); err == nil {
			t.Errorf("a record cut to %d bytes decoded", cut)
		}
	}
}

// TestFingerprintCacheKeepsColoursBeside checks the colour sidecar: a
// fingerprint's colour summary comes back after reopening, a torn last
// colour record is cut off (that fingerprint then reports its colour
// missing, so the pool run decodes it again), and losing the file loses
// only the colours.
func TestFingerprintCacheKeepsColoursBeside(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	h := hashing.NewHasher(hashing.Limits{})
	photos := fixtures.Known()[:2]
	var sums [2][32]byte
	var fps [2]hashing.Fingerprint
	cache, err := openFPCache(ctx, dir, h)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range photos {
		if fps[i], err = h.Image(ctx, p.Data, hashing.ForQuery); err != nil {
			t.Fatal(err)
		}
		if fps[i].Colour.IsZero() {
			t.Fatalf("%s: no colour summary", p.Name)
		}
		sums[i] = sha256.Sum256(p.Data)
		cache.put(hashing.ForQuery, sums[i], fps[i])
	}
	if err := cache.close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "colours-*.bin"))
	if len(files) != 1 {
		t.Fatalf("colour files %v, want one", files)
	}
	st, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(files[0], st.Size()-3); err != nil { // a torn last record
		t.Fatal(err)
	}
	cache, err = openFPCache(ctx, dir, h)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.close()
	got, ok, colourOK := cache.get(hashing.ForQuery, sums[0])
	if !ok || !colourOK || got.Colour != fps[0].Colour || len(got.Views) != len(fps[0].Views) {
		t.Errorf("first fingerprint: found %v, colour %v (%v, want %v)", ok, colourOK, got.Colour, fps[0].Colour)
	}
	got, ok, colourOK = cache.get(hashing.ForQuery, sums[1])
	if !ok || colourOK {
		t.Errorf("torn colour record: fingerprint found %v, colour found %v; want the views without the colour", ok, colourOK)
	}
	col, err := h.Colour(ctx, photos[1].Data, hashing.ForQuery)
	if err != nil || col != fps[1].Colour {
		t.Errorf("Hasher.Colour = %v, %v; want %v, the summary Image computes", col, err, fps[1].Colour)
	}
}
