package synthetic

import (
	"bytes"
	"testing"
)

// TestPictureIsFixedByItsSeedAndIndex checks that the layouts are the same
// on every rebuild (the background file is reproducible) and that they
// vary: other seeds or indices draw other pictures, each 64–128 px on a
// side, with some structure on a mostly flat field.
func TestPictureIsFixedByItsSeedAndIndex(t *testing.T) {
	cases := []struct {
		seed uint64
		i    int
	}{{1, 0}, {1, 1}, {1, 5299}, {2, 0}}
	seen := map[string]bool{}
	for _, c := range cases {
		a, b := Picture(c.seed, c.i), Picture(c.seed, c.i)
		if !bytes.Equal(a.Pix, b.Pix) || a.Rect != b.Rect {
			t.Errorf("seed %d, picture %d: two draws differ", c.seed, c.i)
		}
		if w, h := a.Rect.Dx(), a.Rect.Dy(); w < 64 || h < 64 || w > 128 || h > 128 {
			t.Errorf("seed %d, picture %d: %d×%d px, want 64–128 on each side", c.seed, c.i, w, h)
		}
		if seen[string(a.Pix)] {
			t.Errorf("seed %d, picture %d: same pixels as an earlier case", c.seed, c.i)
		}
		seen[string(a.Pix)] = true
	}
}

// TestLayoutsAreMostlyFlat checks what the layouts stand for: pictures
// whose structure is a few edges, most of their area flat. Over the first
// 200, the median share of pixels differing from their right neighbour by
// more than 4 grey levels stays small, and no picture is all one level.
func TestLayoutsAreMostlyFlat(t *testing.T) {
	var shares []float64
	for i := range 200 {
		p := Picture(1, i)
		w, h := p.Rect.Dx(), p.Rect.Dy()
		edges, levels := 0, map[uint8]bool{}
		for y := range h {
			for x := range w {
				v := p.Pix[y*p.Stride+x]
				levels[v] = true
				if x+1 < w {
					d := int(v) - int(p.Pix[y*p.Stride+x+1])
					if d > 4 || d < -4 {
						edges++
					}
				}
			}
		}
		if len(levels) < 2 {
			t.Errorf("picture %d is one flat level", i)
		}
		shares = append(shares, float64(edges)/float64(w*h))
	}
	below := 0
	for _, s := range shares {
		if s < 0.1 {
			below++
		}
	}
	if below < len(shares)/2 {
		t.Errorf("only %d of %d layouts have under 10%% edge pixels", below, len(shares))
	}
}
