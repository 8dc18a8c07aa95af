package pdq

import (
	"encoding/csv"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// vector is one row of testdata/expected.csv, produced by the reference.
type vector struct {
	file    string
	quality int
	hashes  [8]Hash // Original … FlipMinus1
}

var dihedralNames = [8]string{"pdq", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus1", "flipminus1"}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "expected.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string{"file", "quality"}, dihedralNames[:]...)
	if len(recs) < 2 || len(recs[0]) != len(want) {
		t.Fatalf("expected.csv: bad header %q", recs[0])
	}
	for i, name := range want {
		if recs[0][i] != name {
			t.Fatalf("expected.csv: column %d is %q, want %q", i, recs[0][i], name)
		}
	}
	var vs []vector
	for _, rec := range recs[1:] {
		v := vector{file: rec[0]}
		if v.quality, err = strconv.Atoi(rec[1]); err != nil {
			t.Fatalf("%s: quality: %v", rec[0], err)
		}
		for i := range 8 {
			if v.hashes[i], err = ParseHash(rec[2+i]); err != nil {
				t.Fatalf("%s: %s: %v", rec[0], dihedralNames[i], err)
			}
		}
		vs = append(vs, v)
	}
	return vs
}

func decodePNG(t testing.TB, name string) image.Image {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return img
}

// checkDihedral reports every mismatch with its Hamming distance.
func checkDihedral(t *testing.T, how string, got [8]Hash, gotQ int, want vector) {
	t.Helper()
	if gotQ != want.quality {
		t.Errorf("%s: quality = %d, want %d", how, gotQ, want.quality)
	}
	for i := range 8 {
		if got[i] != want.hashes[i] {
			t.Errorf("%s: %s = %v, want %v (distance %d)", how, dihedralNames[i], got[i], want.hashes[i], Distance(got[i], want.hashes[i]))
		}
	}
}

func TestReferenceVectors(t *testing.T) {
	vs := loadVectors(t)
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	h := NewHasher() // shared across rows on purpose: buffer reuse must not leak state
	for _, v := range vs {
		t.Run(v.file, func(t *testing.T) {
			img := decodePNG(t, v.file)

			hash, q := h.HashImage(img)
			if hash != v.hashes[Original] || q != v.quality {
				t.Errorf("HashImage = %v, %d; want %v, %d (distance %d)", hash, q, v.hashes[Original], v.quality, Distance(hash, v.hashes[Original]))
			}
			all, q := h.DihedralImage(img)
			checkDihedral(t, "DihedralImage", all, q, v)

			b := img.Bounds()
			luma := Luma(img, nil)
			all, q = h.DihedralLuma(luma, b.Dx(), b.Dy())
			checkDihedral(t, "DihedralLuma", all, q, v)
			hash, q = h.HashLuma(luma, b.Dx(), b.Dy())
			if hash != v.hashes[Original] || q != v.quality {
				t.Errorf("HashLuma = %v, %d; want %v, %d", hash, q, v.hashes[Original], v.quality)
			}
		})
	}
}

// TestFragileCrops checks testdata/crops.csv (see testdata/crops.md): crops
// whose hashes depend on every float32 rounding, including whether the DCT's
// multiply-adds are fused.
func TestFragileCrops(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "crops.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	imgs := map[string]image.Image{}
	h := NewHasher()
	for _, rec := range recs[1:] {
		var n [4]int
		for i := range n {
			if n[i], err = strconv.Atoi(rec[1+i]); err != nil {
				t.Fatal(err)
			}
		}
		v := vector{file: rec[0]}
		if v.quality, err = strconv.Atoi(rec[6]); err != nil {
			t.Fatal(err)
		}
		for i := range 8 {
			if v.hashes[i], err = ParseHash(rec[7+i]); err != nil {
				t.Fatal(err)
			}
		}
		img, ok := imgs[v.file]
		if !ok {
			img = decodePNG(t, v.file)
			imgs[v.file] = img
		}
		r := image.Rect(n[0], n[1], n[0]+n[2], n[1]+n[3])
		sub := img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(r)
		name := rec[5] + "/" + v.file + "/" + r.String()
		t.Run(name, func(t *testing.T) {
			all, q := h.DihedralImage(sub)
			checkDihedral(t, "DihedralImage", all, q, v)
			all, q = h.DihedralLuma(Luma(sub, nil), n[2], n[3])
			checkDihedral(t, "DihedralLuma", all, q, v)
		})
	}
}
