package features_test

import (
	"errors"
	"image"
	"math/rand/v2"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing/features"
)

func TestExtractOnHostileSizesFindsNothingAndDoesNotPanic(t *testing.T) {
	cfg := features.DefaultConfig()
	flat := func(w, h int, v uint8) *image.Gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = v
		}
		return g
	}
	cases := []struct {
		name string
		img  *image.Gray
	}{
		{"a nil picture", nil},
		{"an empty picture", image.NewGray(image.Rect(0, 0, 0, 0))},
		{"one pixel", flat(1, 1, 200)},
		{"one row of 5000 pixels", flat(5000, 1, 10)},
		{"one column of 5000 pixels", flat(1, 5000, 10)},
		{"a 3×4000 strip", flat(3, 4000, 90)},
		{"a tiny 8×8 picture", flat(8, 8, 0)},
		{"a flat white 600×400 picture", flat(600, 400, 255)},
		{"a flat black 400×600 picture", flat(400, 600, 0)},
		{"a sub-image at an offset", flat(300, 300, 128).SubImage(image.Rect(100, 100, 200, 180)).(*image.Gray)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := features.Extract(c.img, cfg)
			if len(s.Points) != 0 {
				t.Errorf("%d points, want none", len(s.Points))
			}
			if r := features.Verify(s, s, cfg); r.Inliers != 0 {
				t.Errorf("an empty set agrees with itself by %d inliers, want 0", r.Inliers)
			}
		})
	}
}

func TestEncodedSetRoundTripsWithinBounds(t *testing.T) {
	cfg := features.DefaultConfig()
	_, g := photoGrey(t, fixtures.Known()[0])
	s := features.Extract(g, cfg)
	if s.Square == nil || len(s.Square.Points) == 0 {
		t.Fatalf("a %d×%d photo's set has no square copy's corners", s.W, s.H)
	}
	data, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if max := 1 + 2*(6+cfg.MaxPoints*38); len(data) > max {
		t.Errorf("encoded set is %d bytes, want at most %d", len(data), max)
	}
	// A set without its square copy encodes as sets did before square
	// copies (version 1), which readers of then still read.
	own := features.Set{W: s.W, H: s.H, Points: s.Points}
	v1, err := own.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if v1[0] != 1 || len(v1) != 7+len(s.Points)*38 {
		t.Errorf("a set without a square copy encodes as version %d in %d bytes, want version 1 in %d", v1[0], len(v1), 7+len(s.Points)*38)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want features.Set
	}{{"both copies", data, s}, {"own copy only", v1, own}} {
		var back features.Set
		if err := back.UnmarshalBinary(tc.data); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(back.Points) != len(tc.want.Points) || back.W != tc.want.W || back.H != tc.want.H || (back.Square == nil) != (tc.want.Square == nil) {
			t.Fatalf("%s: decoded %d points on %d×%d (square copy %v), want %d on %d×%d (%v)", tc.name,
				len(back.Points), back.W, back.H, back.Square != nil, len(tc.want.Points), tc.want.W, tc.want.H, tc.want.Square != nil)
		}
		if back.Square != nil && len(back.Square.Points) != len(s.Square.Points) {
			t.Errorf("%s: decoded square copy has %d points, want %d", tc.name, len(back.Square.Points), len(s.Square.Points))
		}
		if r := features.Verify(tc.want, back, cfg); r.Inliers < len(tc.want.Points) {
			t.Errorf("%s: a set agrees with its decoded copy by %d inliers, want all %d", tc.name, r.Inliers, len(tc.want.Points))
		}
	}
	for _, bad := range [][]byte{nil, {1}, {2}, data[:len(data)-1], append([]byte{3}, data[1:]...),
		append([]byte{2}, v1[1:]...), append([]byte{1}, data[1:]...), append(data, 0)} {
		if err := new(features.Set).UnmarshalBinary(bad); !errors.Is(err, features.ErrCorrupt) {
			t.Errorf("%d bytes: err %v, want ErrCorrupt", len(bad), err)
		}
	}
}

func FuzzExtract(f *testing.F) {
	f.Add(uint16(1), uint16(1), uint64(0))
	f.Add(uint16(40), uint16(40), uint64(7))
	f.Add(uint16(1), uint16(900), uint64(3))
	f.Add(uint16(64), uint16(48), uint64(99))
	cfg := features.DefaultConfig()
	f.Fuzz(func(t *testing.T, w, h uint16, seed uint64) {
		w, h = w%700, h%700
		g := image.NewGray(image.Rect(0, 0, int(w), int(h)))
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		// Blocks of random grey give corners at every size.
		for i := range g.Pix {
			x, y := i%max(int(w), 1), i/max(int(w), 1)
			if (x/5+y/5)%3 == int(seed%3) {
				g.Pix[i] = uint8(r.IntN(256))
			}
		}
		s := features.Extract(g, cfg)
		if len(s.Points) > cfg.MaxPoints {
			t.Fatalf("%d points, more than %d", len(s.Points), cfg.MaxPoints)
		}
		data, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var back features.Set
		if err := back.UnmarshalBinary(data); err != nil {
			t.Fatal(err)
		}
		features.Verify(s, back, cfg)
	})
}

func FuzzUnmarshalSet(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 0, 1, 0, 1, 0, 0})
	f.Add([]byte{1, 0, 1, 0, 1, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var s features.Set
		if err := s.UnmarshalBinary(data); err != nil {
			return
		}
		features.Verify(s, s, features.DefaultConfig())
	})
}
