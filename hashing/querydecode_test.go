package hashing

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestAQueryDecodesLumaAndColourApartWithTheSameHashes checks the crawl's
// decode (decodePicture with a colour size) against the one colour decode
// every query made before: on JPEGs of every subsampling, sequential and
// progressive, grey, RGB and CMYK (the jpegscale test files),
// with and without EXIF rotation, small and large, every view's every
// hash must be the same, and the colour summary must be the same wherever
// no smaller colour copy was taken, and close to it where one was.
func TestAQueryDecodesLumaAndColourApartWithTheSameHashes(t *testing.T) {
	photo := func(w, h int) []byte {
		return encodeWith(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, testImage(w, h), &jpeg.Options{Quality: 90}) })
	}
	vga := photo(640, 480)
	type tc struct {
		name  string
		data  []byte
		apart bool // the colour summary comes from a smaller copy
	}
	tests := []tc{
		{"a 1024-px photo decodes once in colour at 1/8", photo(1024, 768), false},
		{"a 640-px photo decodes its luma at 1/4 and colour at 1/8", vga, true},
		{"a 320-px photo decodes its luma at 1/2 and colour at 1/8", photo(320, 240), true},
		{"a 300×200 photo decodes its luma at 1/2 and colour at 1/8", photo(300, 200), true},
		{"a 200×150 photo decodes its luma in full and colour at 1/4", photo(200, 150), true},
		{"a 100×80 photo decodes its luma in full and colour at 1/2", photo(100, 80), true},
		{"a 20×12 photo decodes once in colour, in full", photo(20, 12), false},
		{"EXIF orientation 1 changes nothing", withEXIFOrientation(vga, 1), true},
		{"a flipped photo (EXIF 2) decodes once in colour", withEXIFOrientation(vga, 2), false},
		{"a turned photo (EXIF 3) decodes once in colour", withEXIFOrientation(vga, 3), false},
		{"a turned photo (EXIF 6) decodes once in colour", withEXIFOrientation(vga, 6), false},
		{"a turned photo (EXIF 8) decodes once in colour", withEXIFOrientation(vga, 8), false},
	}
	for _, f := range []struct {
		file  string
		apart bool
	}{
		{"macaw.422.jpg", true},
		{"macaw.progressive.jpg", true},
		{"macaw.444.progressive.jpg", true},
		{"macaw.411.progressive.jpg", true},
		{"macaw.restart.jpg", true},
		{"macaw.gray.progressive.jpg", false},
		{"video-001.jpeg", true},
		{"video-001.221212.jpeg", true},
		{"video-001.q50.420.jpeg", true},
		{"video-001.q50.420.progressive.jpeg", true},
		{"video-001.q50.422.jpeg", true},
		{"video-001.q50.422.progressive.jpeg", true},
		{"video-001.q50.444.jpeg", true},
		{"video-001.q50.444.progressive.jpeg", true},
		{"video-001.q50.440.jpeg", true},
		{"video-001.q50.411.progressive.jpeg", true},
		{"video-001.q50.410.jpeg", true},
		{"video-001.separate.dc.progression.progressive.jpeg", true},
		{"video-001.rgb.jpeg", false},
		{"video-001.cmyk.jpeg", false},
		{"video-005.gray.q50.jpeg", false},
		{"video-005.gray.q50.2x2.progressive.jpeg", false},
	} {
		data, err := os.ReadFile(filepath.Join("internal/jpegscale/testdata", f.file))
		if err != nil {
			t.Fatal(err)
		}
		tests = append(tests, tc{f.file, data, f.apart})
	}
	ctx := context.Background()
	h := NewHasher(Limits{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := QueryByColourDecode(ctx, h, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := h.Image(ctx, tt.data, ForQuery)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Views, want.Views) || got.Width != want.Width || got.Height != want.Height || got.Format != want.Format {
				t.Fatalf("the fingerprint differs from the colour decode's:\n got %+v\nwant %+v", got, want)
			}
			apart, err := QueryDecodesApart(h, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if apart != tt.apart {
				t.Errorf("colour from a smaller copy: %v, want %v", apart, tt.apart)
			}
			if !apart && got.Colour != want.Colour {
				t.Errorf("colour %v, want the colour decode's %v", got.Colour, want.Colour)
			}
			if d := ColourDistance(got.Colour, want.Colour); d > 0.15 || absDiff(got.Colour.Chroma, want.Colour.Chroma) > 3 {
				t.Errorf("colour %v is %.3f from the colour decode's %v", got.Colour, d, want.Colour)
			}
			c, err := h.Colour(ctx, tt.data, ForQuery)
			if err != nil || c != got.Colour {
				t.Errorf("Hasher.Colour = %v, %v; want Image's %v", c, err, got.Colour)
			}
		})
	}
}

func absDiff(a, b uint8) int { return max(int(a)-int(b), int(b)-int(a)) }

// TestAQueryDecodeStopsAtItsBudget checks that the luma-and-colour decode
// of a query stays under the decode budgets: a large colour JPEG over a
// small CPU budget or time limit stops with the errors the colour decode
// stops with.
func TestAQueryDecodeStopsAtItsBudget(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewNRGBA(image.Rect(0, 0, 1000, 750))
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	data := encodeWith(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, img, &jpeg.Options{Quality: 98}) })
	if apart, err := QueryDecodesApart(NewHasher(Limits{}), data); err != nil || !apart {
		t.Fatalf("the test picture does not take the luma-and-colour path: %v, %v", apart, err)
	}
	t.Run("over the CPU budget it is too large, and says which limit", func(t *testing.T) {
		h := NewHasher(Limits{MaxDecodeCPU: time.Millisecond, MaxDecodeTime: time.Hour})
		_, err := h.Image(context.Background(), data, ForQuery)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "max_decode_cpu") {
			t.Errorf("err = %v, want ErrTooLarge naming max_decode_cpu", err)
		}
	})
	t.Run("over the time limit it is too large, and says which limit", func(t *testing.T) {
		h := NewHasher(Limits{MaxDecodeTime: time.Microsecond})
		_, err := h.Image(context.Background(), data, ForQuery)
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "max_decode_time") {
			t.Errorf("err = %v, want ErrTooLarge naming max_decode_time", err)
		}
	})
	t.Run("within the default budgets it is fingerprinted", func(t *testing.T) {
		if _, err := NewHasher(Limits{}).Image(context.Background(), data, ForQuery); err != nil {
			t.Errorf("err = %v", err)
		}
	})
}
