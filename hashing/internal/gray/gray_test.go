package gray

import (
	"bytes"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"github.com/corona10/goimagehash"
	"github.com/disintegration/imaging"
	"github.com/nfnt/resize"
)

// randomGray is a w×h grey picture of smooth gradients plus noise, so the
// resizes see both edges and flat areas; sub cuts a sub-image from a larger
// one when set, to exercise strides and offsets.
func randomGray(rng *rand.Rand, w, h int, sub bool) *image.Gray {
	pad := 0
	if sub {
		pad = 3
	}
	g := image.NewGray(image.Rect(0, 0, w+2*pad, h+2*pad))
	fx, fy := rng.Float64()*0.3, rng.Float64()*0.3
	for y := 0; y < h+2*pad; y++ {
		for x := 0; x < w+2*pad; x++ {
			v := 128 + 60*float64((x*7+y*3)%50)/50*fx*10 - 40*fy*float64(y%17)/17 + float64(rng.IntN(60)) - 30
			g.Pix[y*g.Stride+x] = uint8(max(0, min(255, v)))
		}
	}
	if !sub {
		return g
	}
	return g.SubImage(image.Rect(pad, pad+1, pad+w, pad+1+h)).(*image.Gray)
}

// greyOf reads an NRGBA result of imaging as grey, checking R=G=B and
// opaque.
func greyOf(t *testing.T, img *image.NRGBA) *image.Gray {
	t.Helper()
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			c := img.NRGBAAt(b.Min.X+x, b.Min.Y+y)
			if c.R != c.G || c.G != c.B || c.A != 255 {
				t.Fatalf("imaging gave %v at %d,%d for a grey picture", c, x, y)
			}
			g.Pix[y*g.Stride+x] = c.R
		}
	}
	return g
}

func sameGray(a, b *image.Gray) bool {
	if a.Rect.Dx() != b.Rect.Dx() || a.Rect.Dy() != b.Rect.Dy() {
		return false
	}
	for y := 0; y < a.Rect.Dy(); y++ {
		ra := a.Pix[y*a.Stride : y*a.Stride+a.Rect.Dx()]
		rb := b.Pix[y*b.Stride : y*b.Stride+b.Rect.Dx()]
		if !bytes.Equal(ra, rb) {
			return false
		}
	}
	return true
}

// sizes are source sizes around the ones views have: up to 128 on the long
// side, cut by crops and bands, and a few larger (decoded pictures) and
// smaller (upscaling) ones.
var sizes = [][2]int{
	{128, 96}, {96, 128}, {128, 85}, {128, 128}, {117, 72}, {128, 109}, {101, 101},
	{64, 64}, {64, 48}, {9, 8}, {8, 8}, {12, 40}, {63, 65}, {300, 200}, {1000, 7}, {7, 1000},
	{200, 150}, {256, 171}, {160, 120}, {128, 1}, {2, 128},
}

func TestBoxMatchesImaging(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var s Scratch
	for _, sz := range sizes {
		for _, sub := range []bool{false, true} {
			src := randomGray(rng, sz[0], sz[1], sub)
			for _, out := range [][2]int{{64, 64}, {128, 96}, {sz[0], 64}, {64, sz[1]}, {sz[0], sz[1]}, {9, 8}} {
				want := greyOf(t, imaging.Resize(src, out[0], out[1], imaging.Box))
				if got := s.Box(src, out[0], out[1]); !sameGray(got, want) {
					t.Errorf("Box %v (sub %v) to %v differs from imaging", sz, sub, out)
				}
			}
			want := greyOf(t, imaging.Fit(src, 128, 128, imaging.Box))
			if got := s.FitBox(src, 128); !sameGray(got, want) {
				t.Errorf("FitBox %v (sub %v) differs from imaging: %v vs %v", sz, sub, got.Rect, want.Rect)
			}
		}
	}
}

func TestBilinearMatchesNfnt(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var s Scratch
	for _, sz := range sizes {
		for _, sub := range []bool{false, true} {
			src := randomGray(rng, sz[0], sz[1], sub)
			for _, out := range [][2]int{{64, 64}, {9, 8}, {128, 96}} {
				want, ok := resize.Resize(uint(out[0]), uint(out[1]), src, resize.Bilinear).(*image.Gray)
				if !ok {
					t.Fatalf("nfnt returned no Gray")
				}
				if got := s.Bilinear(src, out[0], out[1]); !sameGray(got, want) {
					t.Errorf("Bilinear %v (sub %v) to %v differs from nfnt/resize", sz, sub, out)
				}
			}
		}
	}
}

func TestHashesMatchGoimagehash(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var s Scratch
	n := 0
	for _, sz := range sizes {
		for _, sub := range []bool{false, true} {
			for range 4 {
				src := randomGray(rng, sz[0], sz[1], sub)
				p, err := goimagehash.PerceptionHash(src)
				if err != nil {
					t.Fatal(err)
				}
				d, err := goimagehash.DifferenceHash(src)
				if err != nil {
					t.Fatal(err)
				}
				if got := s.PHash(src); got != p.GetHash() {
					t.Errorf("PHash %v (sub %v) = %016x, goimagehash %016x", sz, sub, got, p.GetHash())
				}
				if got := s.DHash(src); got != d.GetHash() {
					t.Errorf("DHash %v (sub %v) = %016x, goimagehash %016x", sz, sub, got, d.GetHash())
				}
				n++
			}
		}
	}
	// Flat and two-level pictures put many DCT coefficients on the median.
	for _, v := range []uint8{0, 1, 128, 255} {
		flat := image.NewGray(image.Rect(0, 0, 100, 70))
		for i := range flat.Pix {
			flat.Pix[i] = v
		}
		flat.SetGray(50, 30, color.Gray{Y: 255 - v})
		p, _ := goimagehash.PerceptionHash(flat)
		d, _ := goimagehash.DifferenceHash(flat)
		if s.PHash(flat) != p.GetHash() || s.DHash(flat) != d.GetHash() {
			t.Errorf("flat %d: hashes differ from goimagehash", v)
		}
	}
	if n == 0 {
		t.Fatal("no pictures compared")
	}
}

// TestReciprocalDividesExactly checks the bilinear pass's division by
// multiplication against the division, for every divisor it is used for
// and every sum it can meet (0 to 255 times the divisor).
func TestReciprocalDividesExactly(t *testing.T) {
	used := 0
	for d := int32(1); d <= 1<<16; d++ {
		m := reciprocal(d)
		if m == 0 {
			continue
		}
		used++
		// A sweep, each point's largest residue (where the error is
		// largest), and the top of the range, where it is largest of all.
		step := max(1, d/8)
		if d > 4096 {
			step = 17 * d // beyond the sums bilinear passes meet: a few points
		}
		for g := int32(0); g <= 255*d+step; g += step {
			for _, x := range []int32{g, g + d - 1 - g%d, 255*d - 1, 255 * d} {
				if x > 255*d || x < 0 {
					continue
				}
				if got := int32(uint64(x) * m >> recShift); got != x/d {
					t.Fatalf("%d/%d: %d by multiplication, want %d", x, d, got, x/d)
				}
			}
		}
	}
	if used < 32*256 {
		t.Errorf("a reciprocal for only %d divisors: bilinear sums up to 32·256 must have one", used)
	}
}

// TestBoxRGBIsBoxOnEachChannel checks the three-channel resize against
// Box on each channel alone, on random pictures of every shape of pass.
func TestBoxRGBIsBoxOnEachChannel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var s Scratch
	for _, sz := range sizes {
		var ch [3]*image.Gray
		pix := make([]uint8, 3*sz[0]*sz[1])
		for i := range ch {
			ch[i] = randomGray(rng, sz[0], sz[1], false)
			for p := range sz[0] * sz[1] {
				pix[3*p+i] = ch[i].Pix[(p/sz[0])*ch[i].Stride+p%sz[0]]
			}
		}
		for _, out := range [][2]int{{32, 32}, {sz[0], 32}, {32, sz[1]}, {sz[0], sz[1]}, {9, 8}} {
			got := s.BoxRGB(pix, sz[0], sz[1], out[0], out[1])
			for i := range ch {
				want := s.Box(ch[i], out[0], out[1])
				for p := range out[0] * out[1] {
					if got[3*p+i] != want.Pix[(p/out[0])*want.Stride+p%out[0]] {
						t.Fatalf("%v → %v, channel %d, pixel %d: %d, Box gives %d", sz, out, i, p, got[3*p+i], want.Pix[(p/out[0])*want.Stride+p%out[0]])
					}
				}
			}
		}
	}
}
