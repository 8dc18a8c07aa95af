package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
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
