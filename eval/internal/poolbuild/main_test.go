package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestTilesOfOnePhotoShareASplit(t *testing.T) {
	held := 0
	for i := range 200 {
		stem := fmt.Sprintf("dev-%03d-photo", i)
		first := splitOf("dev-tiles", groupOf("dev-tiles", stem+"-tile00.jpg"))
		for _, tile := range []string{"-tile01.jpg", "-tile10.jpg", "-tile11.jpg"} {
			if s := splitOf("dev-tiles", groupOf("dev-tiles", stem+tile)); s != first {
				t.Fatalf("%s%s is in %s, its first tile in %s", stem, tile, s, first)
			}
		}
		if first == "holdout" {
			held++
		}
	}
	// dev-tiles is not a held-out family, so about a fifth of its photos
	// are held out.
	if held < 20 || held > 60 {
		t.Errorf("%d of 200 photos held out, want about 40", held)
	}
}

func TestCapFamiliesKeepsAtMostNPerFamily(t *testing.T) {
	var pool []*kept
	for i := range 10 {
		pool = append(pool, &kept{candidate: candidate{family: "big", name: fmt.Sprint(i)}, sum: sha256.Sum256([]byte{byte(i)})})
	}
	pool = append(pool, &kept{candidate: candidate{family: "small", name: "x"}, sum: sha256.Sum256([]byte("x"))})
	out, dropped := capFamilies(pool, 3)
	n := map[string]int{}
	for _, k := range out {
		n[k.family]++
	}
	if n["big"] != 3 || n["small"] != 1 || dropped != 7 {
		t.Errorf("kept %v, dropped %d; want big 3, small 1, dropped 7", n, dropped)
	}
}

func TestResplitRewritesOnlyTheSplitColumn(t *testing.T) {
	dir := t.TempDir()
	in := "family\tpath\tsha256\twidth\theight\tsplit\n" +
		"naev-data\tnaev-data/a.png\t00\t64\t64\ttune\n" +
		"dev-tiles\tdev-tiles/dev-001-x-tile00.jpg\t01\t64\t64\twrong\n"
	if err := os.WriteFile(filepath.Join(dir, "MANIFEST.tsv"), []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := resplitManifest(dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 3 || lines[0] != "family\tpath\tsha256\twidth\theight\tsplit" {
		t.Fatalf("manifest = %q", data)
	}
	// naev-data is one of the families held out whole.
	if !strings.HasSuffix(lines[1], "\tholdout") {
		t.Errorf("naev-data row = %q, want holdout", lines[1])
	}
	want := splitOf("dev-tiles", "dev-tiles/dev-001-x")
	if f := strings.Split(lines[2], "\t"); f[5] != want || f[1] != "dev-tiles/dev-001-x-tile00.jpg" {
		t.Errorf("dev tile row = %q, want split %s and the other fields unchanged", lines[2], want)
	}
}

// writePNG writes a 96×96 noise picture of seed to path, at PNG
// compression level (two levels: the same pixels in other bytes).
func writePNG(t *testing.T, path string, seed int, level png.CompressionLevel) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 96, 96))
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	for y := 0; y < 96; y += 8 {
		for x := 0; x < 96; x += 8 {
			c := color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
			draw.Draw(img, image.Rect(x, y, x+8, y+8), image.NewUniform(c), image.Point{}, draw.Src)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: level}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFamiliesAddedLaterAreHeldOutWhole(t *testing.T) {
	for fam := range laterFamilies {
		for i := range 100 {
			if s := splitOf(fam, groupOf(fam, fmt.Sprintf("f%d.png", i))); s != "holdout" {
				t.Fatalf("%s/f%d.png is in %s, want every file of a family added later held out", fam, i, s)
			}
		}
	}
}

func TestAddKeepsEveryExistingFileAndItsSplit(t *testing.T) {
	// Two original families (one held out whole by the hash rule, one
	// split by file) and one family added later.
	const orig1, orig2, later = "naev-data", "wesnoth-1.16-data", "endless-sky-data"
	if laterFamilies[orig1] || laterFamilies[orig2] || !laterFamilies[later] {
		t.Fatal("test families no longer fit the rule")
	}
	f := filters{minSide: 64, maxPixels: 1 << 24}
	dir := t.TempDir()
	stage1, pool := filepath.Join(dir, "stage1"), filepath.Join(dir, "pool")
	for i := range 3 {
		writePNG(t, filepath.Join(stage1, orig1, fmt.Sprintf("a%d.png", i)), i, png.DefaultCompression)
	}
	for i := range 40 {
		writePNG(t, filepath.Join(stage1, orig2, fmt.Sprintf("b%d.png", i)), 100+i, png.DefaultCompression)
	}
	if err := run(t.Context(), stage1, "", pool, f); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(pool, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	b0, err := os.ReadFile(filepath.Join(pool, orig2, "b0.png"))
	if err != nil {
		t.Fatal(err)
	}

	stage2 := filepath.Join(dir, "stage2")
	for i := range 5 {
		writePNG(t, filepath.Join(stage2, later, fmt.Sprintf("new%d.png", i)), 1000+i, png.DefaultCompression)
	}
	// A byte-identical copy and a re-encoded copy (same pHash) of
	// original files: both left out, the originals kept.
	writePNG(t, filepath.Join(stage2, later, "copy.png"), 100, png.DefaultCompression)
	writePNG(t, filepath.Join(stage2, later, "reencoded.png"), 101, png.BestCompression)
	// A file named like an original one, in its own family folder.
	writePNG(t, filepath.Join(stage2, later, "b0.png"), 2000, png.DefaultCompression)
	if err := addFamilies(t.Context(), stage2, pool, f); err != nil {
		t.Fatal(err)
	}

	after, err := os.ReadFile(filepath.Join(pool, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(after, before) {
		t.Fatalf("manifest after -add does not start with the manifest before:\nbefore %q\nafter %q", before, after)
	}
	var added []string
	for _, l := range strings.Split(strings.TrimSpace(string(after[len(before):])), "\n") {
		fl := strings.Split(l, "\t")
		if fl[0] != later || fl[5] != "holdout" {
			t.Errorf("added row %q, want family %s, held out", l, later)
		}
		added = append(added, fl[1])
	}
	want := []string{later + "/b0.png", later + "/new0.png", later + "/new1.png", later + "/new2.png", later + "/new3.png", later + "/new4.png"}
	if strings.Join(added, " ") != strings.Join(want, " ") {
		t.Errorf("added %v, want %v (the copies of original files left out)", added, want)
	}
	if got, err := os.ReadFile(filepath.Join(pool, orig2, "b0.png")); err != nil || !bytes.Equal(got, b0) {
		t.Errorf("original file changed by -add (err %v)", err)
	}
	// What -add left is what a rebuild from scratch of all three
	// families gives: the original files keep their split there too.
	stage3 := filepath.Join(dir, "stage3")
	for _, fam := range []string{orig1, orig2} {
		if err := os.CopyFS(filepath.Join(stage3, fam), os.DirFS(filepath.Join(stage1, fam))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.CopyFS(filepath.Join(stage3, later), os.DirFS(filepath.Join(stage2, later))); err != nil {
		t.Fatal(err)
	}
	scratch := filepath.Join(dir, "scratch")
	if err := run(t.Context(), stage3, "", scratch, f); err != nil {
		t.Fatal(err)
	}
	fromScratch, err := os.ReadFile(filepath.Join(scratch, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sortedLines(fromScratch), sortedLines(after)) {
		t.Errorf("rebuild from scratch:\n%s\nwant the pool extended with -add:\n%s", fromScratch, after)
	}
}

func TestAddRefusesAFamilyNotAddedLater(t *testing.T) {
	dir := t.TempDir()
	pool := filepath.Join(dir, "pool")
	if err := os.MkdirAll(pool, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pool, "MANIFEST.tsv"), []byte(manifestHeader+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writePNG(t, filepath.Join(dir, "stage", "wesnoth-1.16-data", "x.png"), 1, png.DefaultCompression)
	err := addFamilies(t.Context(), filepath.Join(dir, "stage"), pool, filters{minSide: 64, maxPixels: 1 << 24})
	if err == nil || !strings.Contains(err.Error(), "tune split") {
		t.Errorf("err = %v, want a refusal: the family would change the tune split", err)
	}
}

// sortedLines returns data's lines sorted, the header first.
func sortedLines(data []byte) []byte {
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	sort.Strings(lines[1:])
	return []byte(strings.Join(lines, "\n"))
}
