package pdq

import (
	"image"
	"image/color"
	"image/color/palette"
	"image/draw"
	"math"
	"math/rand/v2"
	"testing"
)

func TestTinyImagesHashToZero(t *testing.T) {
	h := NewHasher()
	for _, d := range [][2]int{ // width, height
		{0, 0}, {0, 10}, {10, 0}, {1, 1}, {4, 4}, {4, 100}, {100, 4},
		{1, 100000}, {100000, 1}, {4, 5}, {5, 4}, {-1, 10}, {10, -1}, {-5, -5},
	} {
		w, ht := d[0], d[1]
		luma := make([]float32, max(w, 0)*max(ht, 0))
		for i := range luma {
			luma[i] = float32(i % 251)
		}
		hash, q := h.HashLuma(luma, w, ht)
		if hash != (Hash{}) || q != 0 {
			t.Errorf("HashLuma %dx%d = %v, %d; want zero, 0", w, ht, hash, q)
		}
		all, q := h.DihedralLuma(luma, w, ht)
		if all != [8]Hash{} || q != 0 {
			t.Errorf("DihedralLuma %dx%d not zero", w, ht)
		}
		if w >= 0 && ht >= 0 {
			img := image.NewGray(image.Rect(0, 0, w, ht))
			if hash, q := h.HashImage(img); hash != (Hash{}) || q != 0 {
				t.Errorf("HashImage %dx%d = %v, %d; want zero, 0", w, ht, hash, q)
			}
			if all, q := h.DihedralImage(img); all != [8]Hash{} || q != 0 {
				t.Errorf("DihedralImage %dx%d not zero", w, ht)
			}
		}
	}
	// nil luma with zero size is fine.
	if hash, q := h.HashLuma(nil, 0, 0); hash != (Hash{}) || q != 0 {
		t.Errorf("HashLuma(nil, 0, 0) = %v, %d", hash, q)
	}
}

// TestExtremeAspect hashes 5×N and N×5 images (the smallest hashable side
// against a long one) and checks them against the literal port.
func TestExtremeAspect(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var h Hasher // the zero Hasher is usable
	for _, d := range [][2]int{{5, 100000}, {100000, 5}, {5, 5}, {6, 129}, {129, 6}, {7, 12345}} {
		w, ht := d[0], d[1]
		luma := randomLuma(rng, w*ht)
		want := refDownsample(luma, ht, w, true)
		wantHash := bitsFromDCT(refDCT(want))
		wantQ := quality(want)
		hash, q := h.HashLuma(luma, w, ht)
		if hash != wantHash || q != wantQ {
			t.Errorf("%dx%d: got %v, %d; want %v, %d", w, ht, hash, q, wantHash, wantQ)
		}
	}
}

func TestShortLumaPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("HashLuma with short luma did not panic")
		}
	}()
	NewHasher().HashLuma(make([]float32, 99), 10, 10)
}

// TestSixtyFourSkipsFilter pins the size rule: a 64×64 input is used as the
// downsample directly, with no box filtering (even a 1-wide box filter would
// perturb the float32 values through its running sum).
func TestSixtyFourSkipsFilter(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	luma := randomLuma(rng, 64*64)
	h := NewHasher()
	h.HashLuma(luma, 64, 64)
	for i := range 64 {
		for j := range 64 {
			if h.a64[i][j] != luma[i*64+j] {
				t.Fatalf("a64[%d][%d] = %v, want input %v", i, j, h.a64[i][j], luma[i*64+j])
			}
		}
	}
}

// TestHasherReuse checks that buffers left over from a larger or smaller
// image do not leak into the next hash.
func TestHasherReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	sizes := [][2]int{{300, 200}, {64, 64}, {7, 900}, {1000, 9}, {65, 66}, {300, 200}}
	lumas := make([][]float32, len(sizes))
	want := make([][8]Hash, len(sizes))
	for i, s := range sizes {
		lumas[i] = randomLuma(rng, s[0]*s[1])
		want[i], _ = NewHasher().DihedralLuma(lumas[i], s[0], s[1])
	}
	h := NewHasher()
	for round := range 2 {
		for i, s := range sizes {
			if got, _ := h.DihedralLuma(lumas[i], s[0], s[1]); got != want[i] {
				t.Errorf("round %d, %dx%d: reused Hasher differs from a fresh one", round, s[0], s[1])
			}
		}
	}
}

func TestQualityFlatImage(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 200, 100))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	if _, q := NewHasher().HashImage(img); q != 0 {
		t.Errorf("flat image quality = %d, want 0", q)
	}
	// A checkerboard of 8-pixel squares has plenty of gradient.
	for y := range 100 {
		for x := range 200 {
			if (x/8+y/8)%2 == 0 {
				img.SetGray(x, y, color.Gray{Y: 255})
			} else {
				img.SetGray(x, y, color.Gray{Y: 0})
			}
		}
	}
	if _, q := NewHasher().HashImage(img); q != 100 {
		t.Errorf("checkerboard quality = %d, want 100", q)
	}
}

func TestAllocations(t *testing.T) {
	img := decodePNG(t, "photo-1.png")
	h := NewHasher()
	h.DihedralImage(img)
	if n := testing.AllocsPerRun(10, func() { h.HashImage(img) }); n != 0 {
		t.Errorf("HashImage allocates %v times per call with a warm Hasher", n)
	}
	if n := testing.AllocsPerRun(10, func() { h.DihedralImage(img) }); n != 0 {
		t.Errorf("DihedralImage allocates %v times per call with a warm Hasher", n)
	}
	pal := image.NewPaletted(img.Bounds(), palette.Plan9)
	draw.Draw(pal, pal.Rect, img, img.Bounds().Min, draw.Src)
	h.HashImage(pal)
	if n := testing.AllocsPerRun(10, func() { h.HashImage(pal) }); n != 0 {
		t.Errorf("HashImage(*image.Paletted) allocates %v times per call with a warm Hasher", n)
	}
	luma := Luma(img, nil)
	b := img.Bounds()
	if n := testing.AllocsPerRun(10, func() { h.HashLuma(luma, b.Dx(), b.Dy()) }); n != 0 {
		t.Errorf("HashLuma allocates %v times per call with a warm Hasher", n)
	}
}

// TestNonFiniteLuma checks that garbage input neither panics nor hangs.
func TestNonFiniteLuma(t *testing.T) {
	h := NewHasher()
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, 1e-45} {
		for _, every := range []int{1, 7, 1000} {
			luma := make([]float32, 100*80)
			for i := range luma {
				luma[i] = float32(i % 256)
				if i%every == 0 {
					luma[i] = bad
				}
			}
			h.DihedralLuma(luma, 100, 80)
			h.HashLuma(luma[:64*64], 64, 64)
		}
	}
}
