package hashing

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestPixelsFingerprintsAsImageDoes checks that a picture decoded
// elsewhere (a browser) fingerprints as Image fingerprints the file, when
// both see the same pixels: a PNG, which every decoder decodes alike, and
// its grey twin, which arrives as RGBA from a browser.
func TestPixelsFingerprintsAsImageDoes(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(Limits{})
	for _, name := range []string{"photo-3.png", "gray-700x500.png", "edge-5x5.png"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("pdq", "testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			want, err := h.Image(ctx, data, ForRegistration)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			// As a canvas hands it over: straight RGBA, whatever the file.
			b := img.Bounds()
			rgba := image.NewNRGBA(b)
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					rgba.Set(x, y, img.At(x, y))
				}
			}
			got, err := h.Pixels(ctx, rgba, ForRegistration)
			if err != nil {
				t.Fatal(err)
			}
			got.Format, got.SHA256 = want.Format, want.SHA256
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Pixels differs from Image on the same pixels:\n got %+v\nwant %+v", Send(got), Send(want))
			}
		})
	}
}

func TestASentPictureIsCheckedBeforeItIsTaken(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(Limits{})
	data, err := os.ReadFile(filepath.Join("pdq", "testdata", "photo-1.png"))
	if err != nil {
		t.Fatal(err)
	}
	fp, err := h.Image(ctx, data, ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	fp.Format = ""
	if fp.Features == nil {
		t.Fatal("registration made no corner set to send")
	}
	good := Send(fp)
	back, err := good.Picture(Limits{})
	if err != nil {
		t.Fatalf("a fingerprint as sent is refused: %v", err)
	}
	if !reflect.DeepEqual(back, fp) {
		t.Fatalf("round trip changed the fingerprint:\n got %+v\nwant %+v", back, fp)
	}
	// edit returns a deep copy of good changed by f.
	edit := func(f func(*Sent)) Sent {
		s := good
		s.Views = make([]SentView, len(good.Views))
		for i, v := range good.Views {
			s.Views[i] = SentView{Name: v.Name, Hashes: append([]SentHash(nil), v.Hashes...)}
		}
		s.Reference = append([]SentHash(nil), good.Reference...)
		f(&s)
		return s
	}
	tests := []struct {
		name string
		sent Sent
		want error
	}{
		{"a video kind is refused", edit(func(s *Sent) { s.Kind = KindVideo }), ErrCorrupt},
		{"a view left out is refused", edit(func(s *Sent) { s.Views = s.Views[:len(s.Views)-1] }), ErrCorrupt},
		{"a view renamed is refused", edit(func(s *Sent) { s.Views[3].Name = "rot45" }), ErrCorrupt},
		{"a view without its dHash is refused", edit(func(s *Sent) { s.Views[2].Hashes = s.Views[2].Hashes[:2] }), ErrCorrupt},
		{"hashes out of order are refused", edit(func(s *Sent) { s.Views[0].Hashes[0], s.Views[0].Hashes[1] = s.Views[0].Hashes[1], s.Views[0].Hashes[0] }), ErrCorrupt},
		{"a PDQ quality over 100 is refused", edit(func(s *Sent) { s.Views[0].Hashes[0].Quality = 101 }), ErrCorrupt},
		{"a negative PDQ quality is refused", edit(func(s *Sent) { s.Views[0].Hashes[0].Quality = -1 }), ErrCorrupt},
		{"a pHash with a quality is refused", edit(func(s *Sent) { s.Views[0].Hashes[1].Quality = 50 }), ErrCorrupt},
		{"a short PDQ is refused", edit(func(s *Sent) { s.Views[0].Hashes[0].Hex = s.Views[0].Hashes[0].Hex[:16] }), ErrCorrupt},
		{"seven reference variants are refused", edit(func(s *Sent) { s.Reference = s.Reference[:7] }), ErrCorrupt},
		{"reference variants of two qualities are refused", edit(func(s *Sent) { s.Reference[5].Quality = (s.Reference[0].Quality + 1) % 100 }), ErrCorrupt},
		{"a colour summary of the wrong length is refused", edit(func(s *Sent) { s.Colour = s.Colour[:10] }), ErrCorrupt},
		{"a colour summary not in hex is refused", edit(func(s *Sent) { s.Colour = "zz" + s.Colour[2:] }), ErrCorrupt},
		{"a corner set cut short is refused", edit(func(s *Sent) { s.Features = s.Features[:len(s.Features)-8] }), ErrCorrupt},
		{"a corner set not in base64 is refused", edit(func(s *Sent) { s.Features = "*" + s.Features[1:] }), ErrCorrupt},
		{"a corner set over the size bound is refused", edit(func(s *Sent) { s.Features = strings.Repeat("A", 20000) }), ErrCorrupt},
		{"a missing SHA-256 is refused", edit(func(s *Sent) { s.SHA256 = "" }), ErrCorrupt},
		{"a picture of no pixels is refused", edit(func(s *Sent) { s.Width = 0 }), ErrCorrupt},
		{"a picture over the pixel limit is refused", edit(func(s *Sent) { s.Width, s.Height = 10000, 10000 }), ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.sent.Picture(Limits{}); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}
