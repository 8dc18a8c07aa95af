package hashing

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	"github.com/disintegration/imaging"
)

// block returns a Code with the 16-bit block n set to v.
func block(c Code, n int, v uint16) Code {
	c[n/4] |= uint64(v) << (48 - 16*(n%4))
	return c
}

func TestGridBlocksCountsAgreementOverInformativeBlocks(t *testing.T) {
	var empty Code
	a := block(block(block(empty, 0, 0xff00), 5, 0x0f0f), 15, 0x8001)
	for _, tc := range []struct {
		name               string
		x, y               Code
		maxDist            int
		agree, informative int
	}{
		{"two flat grids carry no evidence", empty, empty, 3, 0, 0},
		{"a grid agrees with itself on its informative blocks", a, a, 0, 3, 3},
		{"a block flat on one side only disagrees", a, block(block(empty, 0, 0xff00), 5, 0x0f0f), 3, 2, 3},
		{"a block within the distance agrees", a, block(block(block(empty, 0, 0xff01), 5, 0x0f0f), 15, 0x8001), 1, 3, 3},
		{"a block beyond the distance disagrees", a, block(block(block(empty, 0, 0x00ff), 5, 0x0f0f), 15, 0x8001), 3, 2, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			agree, inf := GridBlocks(tc.x, tc.y, tc.maxDist)
			if agree != tc.agree || inf != tc.informative {
				t.Errorf("GridBlocks = %d of %d, want %d of %d", agree, inf, tc.agree, tc.informative)
			}
		})
	}
}

func TestGridHash(t *testing.T) {
	small := func(img image.Image) image.Image { return imaging.Resize(img, 64, 64, imaging.Box) }
	t.Run("a flat picture has a flat grid", func(t *testing.T) {
		img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
		for i := range img.Pix {
			img.Pix[i] = 200
		}
		if c := gridHash(img); c != (Code{}) {
			t.Errorf("grid of a flat picture = %x, want 0", c)
		}
	})
	t.Run("a block is its cells above the block's median", func(t *testing.T) {
		// Block 0 (top left 16×16): its left half dark, right half light.
		img := image.NewGray(image.Rect(0, 0, 64, 64))
		for y := range 16 {
			for x := range 16 {
				if x >= 8 {
					img.SetGray(x, y, color.Gray{Y: 200})
				} else {
					img.SetGray(x, y, color.Gray{Y: 20})
				}
			}
		}
		c := gridHash(img)
		if got := uint16(c[0] >> 48); got != 0x3333 {
			t.Errorf("block 0 = %016b, want 0011001100110011", got)
		}
		if c[0]&0xffffffffffff != 0 || c[1] != 0 || c[2] != 0 || c[3] != 0 {
			t.Errorf("flat blocks are not 0: %x", c)
		}
	})
	t.Run("a re-encoded copy agrees block by block, another picture does not", func(t *testing.T) {
		src := testImage(320, 240)
		var b bytes.Buffer
		if err := jpeg.Encode(&b, src, &jpeg.Options{Quality: 40}); err != nil {
			t.Fatal(err)
		}
		re, err := jpeg.Decode(&b)
		if err != nil {
			t.Fatal(err)
		}
		orig := gridHash(small(src))
		if agree, inf := GridBlocks(orig, gridHash(small(re)), 3); inf == 0 || agree < inf*3/4 {
			t.Errorf("re-encoded copy: %d of %d blocks agree", agree, inf)
		}
		other := gridHash(small(imaging.FlipV(src)))
		if agree, inf := GridBlocks(orig, other, 3); agree > inf/2 {
			t.Errorf("upside-down copy: %d of %d blocks agree", agree, inf)
		}
	})
}

func TestVerifierChecksBorderlinePairsOnly(t *testing.T) {
	var empty Code
	var grid Code
	for n := range 16 {
		grid = block(grid, n, uint16(0x0ff0+n))
	}
	var half Code // agrees on blocks 0–7, flips blocks 8–15
	for n := range 16 {
		v := uint16(0x0ff0 + n)
		if n >= 8 {
			v = ^v
		}
		half = block(half, n, v)
	}
	sparse := block(block(empty, 0, 0x00ff), 1, 0x00ff)  // two informative blocks
	sparse2 := block(block(empty, 0, 0xff00), 1, 0xff00) // disagreeing on both
	view := func(pdq Code, g *Code) View {
		v := View{Name: "v", Hashes: []Hash{{PDQ, pdq, 100}}}
		if g != nil {
			v.Hashes = append(v.Hashes, Hash{Grid, *g, 100})
		}
		return v
	}
	far := Code{0xffffffffff} // 40 bits from empty
	near := Code{0xfffff}     // 20 bits
	rule := Rule{Clauses: []Clause{{{Algorithm: PDQ, MaxDistance: 60}}}, MinQuality: 50,
		Verify: &Verifier{StrictPDQ: 31, BlockDistance: 2, MinShare: 0.75, MinInformative: 4}}
	for _, tc := range []struct {
		name string
		q, r View
		want bool
	}{
		{"a borderline pair whose regions agree matches", view(far, &grid), view(empty, &grid), true},
		{"a borderline pair agreeing on half its regions does not", view(far, &half), view(empty, &grid), false},
		{"a pair within the strict bound is not checked", view(near, &half), view(empty, &grid), true},
		{"a pair with too few informative blocks is left to the clauses", view(far, &sparse), view(empty, &sparse2), true},
		{"a side without a grid code (an imported PDQ) is not checked", view(far, nil), view(empty, &grid), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, ok := rule.Compare(tc.q, tc.r)
			if ok != tc.want {
				t.Fatalf("Compare = %v (%+v), want %v", ok, ev, tc.want)
			}
		})
	}
	narrow := rule
	v := *rule.Verify
	v.Unverifiable = []Clause{{{Algorithm: PDQ, MaxDistance: 45}}}
	narrow.Verify = &v
	for _, tc := range []struct {
		name string
		q, r View
		want bool
	}{
		{"an unverifiable pair within the narrower clauses matches", view(far, nil), view(empty, &grid), true},
		{"an unverifiable pair beyond them does not", view(Code{0xffffffffffff}, nil), view(empty, &grid), false},
		{"a verifiable pair beyond them still matches when its regions agree", view(Code{0xffffffffffff}, &grid), view(empty, &grid), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := narrow.Compare(tc.q, tc.r); ok != tc.want {
				t.Fatalf("Compare = %v, want %v", ok, tc.want)
			}
		})
	}
}
