package pdq

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
)

// benchImage returns a 1024×1024 (1 MP) photo: a crop of the reference's
// bridge image, as *image.RGBA (PNG decoding) or *image.YCbCr (4:2:0 JPEG
// round trip, the common crawl case).
func benchImage(b testing.TB, ycbcr bool) image.Image {
	b.Helper()
	src := decodePNG(b, "bridge-1-original.png").(*image.RGBA)
	img := src.SubImage(image.Rect(200, 0, 1224, 1004)).(*image.RGBA)
	// Pad to 1024 rows by repeating the top rows, keeping a natural image.
	full := image.NewRGBA(image.Rect(0, 0, 1024, 1024))
	for y := range 1024 {
		copy(full.Pix[y*full.Stride:(y+1)*full.Stride], img.Pix[(y%1004)*img.Stride:])
	}
	if !ycbcr {
		return full
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, full, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	dec, err := jpeg.Decode(&buf)
	if err != nil {
		b.Fatal(err)
	}
	return dec
}

func BenchmarkHashImage(b *testing.B) {
	img := benchImage(b, false)
	h := NewHasher()
	b.ReportAllocs()
	for b.Loop() {
		h.HashImage(img)
	}
}

func BenchmarkHashImageYCbCr(b *testing.B) {
	img := benchImage(b, true)
	if _, ok := img.(*image.YCbCr); !ok {
		b.Fatalf("decoded %T, want *image.YCbCr", img)
	}
	h := NewHasher()
	b.ReportAllocs()
	for b.Loop() {
		h.HashImage(img)
	}
}

func BenchmarkDihedralImage(b *testing.B) {
	img := benchImage(b, false)
	h := NewHasher()
	b.ReportAllocs()
	for b.Loop() {
		h.DihedralImage(img)
	}
}

func BenchmarkHashLuma(b *testing.B) {
	img := benchImage(b, false)
	luma := Luma(img, nil)
	h := NewHasher()
	b.ReportAllocs()
	for b.Loop() {
		h.HashLuma(luma, 1024, 1024)
	}
}

func BenchmarkLuma(b *testing.B) {
	img := benchImage(b, false)
	dst := Luma(img, nil)
	b.ReportAllocs()
	for b.Loop() {
		dst = Luma(img, dst)
	}
}

func BenchmarkLumaYCbCr(b *testing.B) {
	img := benchImage(b, true)
	dst := Luma(img, nil)
	b.ReportAllocs()
	for b.Loop() {
		dst = Luma(img, dst)
	}
}

// BenchmarkHashLumaOddWindows hashes 1200×880 (1.06 MP) of luma, whose box
// windows (10 and 7) are not powers of two, so every box output divides.
func BenchmarkHashLumaOddWindows(b *testing.B) {
	src := decodePNG(b, "bridge-1-original.png").(*image.RGBA)
	img := src.SubImage(image.Rect(100, 50, 1300, 930))
	luma := Luma(img, nil)
	h := NewHasher()
	b.ReportAllocs()
	for b.Loop() {
		h.HashLuma(luma, 1200, 880)
	}
}
