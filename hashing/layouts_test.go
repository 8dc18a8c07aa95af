package hashing

import (
	"context"
	"image"
	"testing"
)

// frame draws a w×h picture: a flat ground, and inset from its sides a
// rectangle whose outer thick pixels are edge and whose inside is inside.
func frame(w, h, inset, thick int, ground, edge, inside uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := ground
			if x >= inset && y >= inset && x < w-inset && y < h-inset {
				v = inside
				if x < inset+thick || y < inset+thick || x >= w-inset-thick || y >= h-inset-thick {
					v = edge
				}
			}
			g.Pix[y*g.Stride+x] = v
		}
	}
	return g
}

// TestLayoutsRefuseOneFrameForAnother checks the synthetic layouts in the
// default background (layoutBackground): two different frames, which the
// pool-built background alone lets match (the test fails without the
// layouts), are refused, while a frame still matches its own copy.
func TestLayoutsRefuseOneFrameForAnother(t *testing.T) {
	if layoutBackground().Len() == 0 {
		t.Fatal("the default background holds no synthetic layouts")
	}
	if got, want := DefaultBackground().Len(), poolBackground().Len()+layoutBackground().Len(); got != want {
		t.Fatalf("default background has %d views, want pool %d + layouts %d", got, poolBackground().Len(), layoutBackground().Len())
	}
	lightOnBlack := frame(200, 200, 0, 6, 0, 200, 0)
	onGrey := frame(200, 200, 8, 6, 128, 220, 20)
	greyPanel := frame(200, 200, 0, 2, 255, 90, 200)
	portraitPanel := frame(160, 240, 8, 6, 255, 90, 200)
	whiteFrame := frame(200, 200, 0, 6, 255, 40, 255)
	cases := []struct {
		name                  string
		query, registered     *image.Gray
		poolAlone, withLayout bool
	}{
		{"a light frame on black and one around a dark panel on grey", lightOnBlack, onGrey, true, false},
		{"a square grey panel and a portrait one with a thicker border", greyPanel, portraitPanel, true, false},
		{"a dark frame on white and a grey panel", whiteFrame, portraitPanel, true, false},
		{"a frame and its own copy", onGrey, onGrey, true, true},
		{"a panel and its own copy", portraitPanel, portraitPanel, true, true},
	}
	h := NewHasher(Limits{})
	ctx := context.Background()
	poolOnly := DefaultRule()
	poolOnly.Background = poolBackground()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := h.Pixels(ctx, c.query, ForQuery)
			if err != nil {
				t.Fatal(err)
			}
			r, err := h.Pixels(ctx, c.registered, ForRegistration)
			if err != nil {
				t.Fatal(err)
			}
			if ev, ok := poolOnly.Best(q, r); ok != c.poolAlone {
				t.Errorf("with the pool-built background alone: match %v (%v), want %v", ok, ev.Distances, c.poolAlone)
			}
			if ev, ok := DefaultRule().Best(q, r); ok != c.withLayout {
				t.Errorf("default rule: match %v (%v), want %v", ok, ev.Distances, c.withLayout)
			}
		})
	}
}
