package hashing

import (
	"bytes"
	"context"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/corona10/goimagehash"
)

// benchJPEG is a 1024×768 JPEG, the size of a typical crawled photo.
func benchJPEG(b *testing.B) []byte {
	b.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(1024, 768), &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkFingerprintForQuery is the crawl-time cost of one image: decode,
// border trim and every view's hashes.
func BenchmarkFingerprintForQuery(b *testing.B) {
	data := benchJPEG(b)
	h := NewHasher(Limits{})
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := h.Image(ctx, data, ForQuery); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFingerprintForRegistration adds the mirror views.
func BenchmarkFingerprintForRegistration(b *testing.B) {
	data := benchJPEG(b)
	h := NewHasher(Limits{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Image(ctx, data, ForRegistration); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineDecodePHash is image/jpeg decode plus goimagehash's pHash
// alone: the yardstick crawl-time hashing is compared with.
func BenchmarkBaselineDecodePHash(b *testing.B) {
	data := benchJPEG(b)
	b.ReportAllocs()
	for b.Loop() {
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := goimagehash.PerceptionHash(img); err != nil {
			b.Fatal(err)
		}
	}
}

// devSet reads the development photo set when it is beside the checkout.
func devSet(b *testing.B) [][]byte {
	b.Helper()
	paths, _ := filepath.Glob("../../shared/datasets/dev/*.jpg")
	if len(paths) == 0 {
		b.Skip("no ../shared/datasets/dev beside the checkout")
	}
	var out [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// BenchmarkFingerprintDevSet is crawl-time fingerprinting over the dev set,
// one image per iteration.
func BenchmarkFingerprintDevSet(b *testing.B) {
	files := devSet(b)
	h := NewHasher(Limits{})
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := h.Image(ctx, files[i%len(files)], ForQuery); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
