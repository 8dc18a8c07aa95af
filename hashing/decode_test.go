package hashing

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// testImage is a deterministic picture of soft overlapping blobs: structure
// at the low frequencies perceptual hashes look at, like a photo has, so its
// hashes are stable under resizing and re-compression.
func testImage(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	type blob struct{ x, y, r, c0, c1, c2 float64 }
	var blobs []blob
	seed := uint32(12345)
	next := func() float64 { seed = seed*1664525 + 1013904223; return float64(seed>>8) / (1 << 24) }
	for range 9 {
		blobs = append(blobs, blob{next(), next(), 0.08 + 0.25*next(), next(), next(), next()})
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x)/float64(max(w, 1)), float64(y)/float64(max(h, 1))
			var c [3]float64
			for _, b := range blobs {
				dx, dy := fx-b.x, fy-b.y
				k := math.Exp(-(dx*dx + dy*dy) / (b.r * b.r))
				c[0] += k * b.c0 * 255
				c[1] += k * b.c1 * 255
				c[2] += k * b.c2 * 255
			}
			img.Set(x, y, color.NRGBA{clamp8(c[0]), clamp8(c[1]), clamp8(c[2]), 255})
		}
	}
	return img
}

func clamp8(v float64) uint8 { return uint8(min(max(v, 0), 255)) }

func encodeWith(t testing.TB, f func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := f(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pngHeaderOnly returns a PNG signature and a valid IHDR chunk declaring
// w×h pixels, and nothing else: a decompression bomb's header.
func pngHeaderOnly(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// withEXIFOrientation inserts an APP1 EXIF segment with the given
// orientation tag right after a JPEG's SOI marker.
func withEXIFOrientation(jpg []byte, orientation uint16) []byte {
	var tiffHdr bytes.Buffer
	tiffHdr.WriteString("MM\x00\x2a")
	binary.Write(&tiffHdr, binary.BigEndian, uint32(8)) // IFD offset
	binary.Write(&tiffHdr, binary.BigEndian, uint16(1)) // one entry
	binary.Write(&tiffHdr, binary.BigEndian, uint16(0x0112))
	binary.Write(&tiffHdr, binary.BigEndian, uint16(3)) // SHORT
	binary.Write(&tiffHdr, binary.BigEndian, uint32(1))
	binary.Write(&tiffHdr, binary.BigEndian, orientation)
	binary.Write(&tiffHdr, binary.BigEndian, uint16(0))
	binary.Write(&tiffHdr, binary.BigEndian, uint32(0)) // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiffHdr.Bytes()...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

func TestDecodeImage(t *testing.T) {
	src := testImage(96, 64)
	jpg := encodeWith(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, src, &jpeg.Options{Quality: 90}) })
	webp, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		data         []byte
		limits       Limits
		wantFormat   Format
		wantW, wantH int
		wantErr      error
	}{
		{"a JPEG decodes", jpg, Limits{}, FormatJPEG, 96, 64, nil},
		{"a PNG decodes", encodeWith(t, func(b *bytes.Buffer) error { return png.Encode(b, src) }), Limits{}, FormatPNG, 96, 64, nil},
		{"a GIF decodes to its first frame", encodeWith(t, func(b *bytes.Buffer) error { return gif.Encode(b, src, nil) }), Limits{}, FormatGIF, 96, 64, nil},
		{"a BMP decodes", encodeWith(t, func(b *bytes.Buffer) error { return bmp.Encode(b, src) }), Limits{}, FormatBMP, 96, 64, nil},
		{"a TIFF decodes", encodeWith(t, func(b *bytes.Buffer) error { return tiff.Encode(b, src, nil) }), Limits{}, FormatTIFF, 96, 64, nil},
		{"a WebP decodes", webp, Limits{}, FormatWebP, 0, 0, nil},
		{"EXIF orientation 6 turns a landscape JPEG upright", withEXIFOrientation(jpg, 6), Limits{}, FormatJPEG, 64, 96, nil},
		{"EXIF orientation 3 keeps the size", withEXIFOrientation(jpg, 3), Limits{}, FormatJPEG, 96, 64, nil},
		{"a header declaring 60000x60000 pixels is refused before decoding", pngHeaderOnly(60000, 60000), Limits{}, FormatPNG, 0, 0, ErrTooLarge},
		{"an image over a custom pixel limit is refused", jpg, Limits{MaxPixels: 96*64 - 1}, FormatJPEG, 0, 0, ErrTooLarge},
		{"an image over the byte limit is refused", jpg, Limits{MaxBytes: int64(len(jpg) - 1)}, "", 0, 0, ErrTooLarge},
		{"a truncated JPEG is corrupt", jpg[:len(jpg)/2], Limits{}, FormatJPEG, 0, 0, ErrCorrupt},
		{"a PNG header with zero width is corrupt", pngHeaderOnly(0, 10), Limits{}, FormatPNG, 0, 0, ErrCorrupt},
		{"HTML is unsupported", []byte("<!doctype html><html><body>not an image</body></html>"), Limits{}, "", 0, 0, ErrUnsupported},
		{"empty input is unsupported", nil, Limits{}, "", 0, 0, ErrUnsupported},
		{"the JPEG magic alone is corrupt", []byte{0xFF, 0xD8, 0xFF}, Limits{}, FormatJPEG, 0, 0, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, format, err := DecodeImage(tt.data, tt.limits)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if format != tt.wantFormat {
				t.Errorf("format = %q, want %q", format, tt.wantFormat)
			}
			if tt.wantW > 0 {
				if b := img.Bounds(); b.Dx() != tt.wantW || b.Dy() != tt.wantH {
					t.Errorf("size = %dx%d, want %dx%d", b.Dx(), b.Dy(), tt.wantW, tt.wantH)
				}
			}
		})
	}
}

func TestReadLimitedRefusesWithoutTruncating(t *testing.T) {
	data, err := ReadLimited(bytes.NewReader(make([]byte, 10)), 10)
	if err != nil || len(data) != 10 {
		t.Fatalf("exactly at the limit: %d bytes, %v", len(data), err)
	}
	if _, err := ReadLimited(bytes.NewReader(make([]byte, 11)), 10); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("one byte over: err = %v, want ErrTooLarge", err)
	}
}

// FuzzDecodeImage feeds arbitrary bytes to the decode-and-hash path: it must
// return a fingerprint or an error wrapping a sentinel, never panic, and
// never allocate past the pixel limit.
func FuzzDecodeImage(f *testing.F) {
	src := testImage(40, 30)
	jpg := encodeWith(f, func(b *bytes.Buffer) error { return jpeg.Encode(b, src, nil) })
	f.Add(jpg)
	f.Add(jpg[:len(jpg)/3])
	f.Add(encodeWith(f, func(b *bytes.Buffer) error { return png.Encode(b, src) }))
	f.Add(encodeWith(f, func(b *bytes.Buffer) error { return gif.Encode(b, src, nil) }))
	f.Add(encodeWith(f, func(b *bytes.Buffer) error { return bmp.Encode(b, src) }))
	f.Add(encodeWith(f, func(b *bytes.Buffer) error { return tiff.Encode(b, src, nil) }))
	f.Add(pngHeaderOnly(60000, 60000))
	f.Add(withEXIFOrientation(jpg, 8))
	if webp, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp"); err == nil {
		f.Add(webp)
	}
	f.Add([]byte("GIF89a"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	h := NewHasher(Limits{MaxPixels: 4_000_000, MaxBytes: 1 << 20})
	f.Fuzz(func(t *testing.T, data []byte) {
		fp, err := h.Image(t.Context(), data, ForRegistration)
		if err != nil {
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			return
		}
		if len(fp.Views) == 0 || fp.Width <= 0 || fp.Height <= 0 {
			t.Fatalf("fingerprint without views or size: %+v", fp)
		}
	})
}

func TestDecodeImageSmallKeepsTheLongSideItAsksFor(t *testing.T) {
	var jpg, pngData bytes.Buffer
	src := testImage(1600, 1200)
	if err := jpeg.Encode(&jpg, src, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(&pngData, src); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		minLong int
		want    int
	}{
		{"a JPEG is decoded at 1/8 scale when 200 px are enough", jpg.Bytes(), 200, 200},
		{"a JPEG asked for 300 px is decoded at 1/4 scale", jpg.Bytes(), 300, 400},
		{"a PNG is decoded whole", pngData.Bytes(), 64, 1600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, _, err := DecodeImageSmall(tt.data, Limits{}, tt.minLong)
			if err != nil {
				t.Fatal(err)
			}
			if long := max(img.Bounds().Dx(), img.Bounds().Dy()); long != tt.want {
				t.Errorf("long side %d, want %d", long, tt.want)
			}
		})
	}
	if _, _, err := DecodeImageSmall(jpg.Bytes(), Limits{MaxPixels: 1000}, 64); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the pixel limit: err = %v, want ErrTooLarge", err)
	}
}
