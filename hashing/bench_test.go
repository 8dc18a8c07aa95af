package hashing

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/corona10/goimagehash"
	"github.com/hashwatch/hashwatch/hashing/features"
	"github.com/hashwatch/hashwatch/hashing/pdq"
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
	defer cpuPerOp(b)()
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

// BenchmarkFeatures is a query's corner set for the geometric verifier
// (Hasher.Features: the JPEG decoded again at the corner finder's scale,
// then the corners), made only for a query some candidate matched; the
// registration benchmark above includes it.
func BenchmarkFeatures(b *testing.B) {
	data := benchJPEG(b)
	h := NewHasher(Limits{})
	ctx := context.Background()
	cfg := features.DefaultConfig()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Features(ctx, data, cfg); err != nil {
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

// BenchmarkStages splits crawl-time fingerprinting of the dev set (or of
// the synthetic 1024×768 JPEG without it) into its stages, one image per
// iteration, for the profile issue 18 asks for: a query's decode (luma at
// reduced scale and a small colour copy), the colour summary, the one
// colour decode registration makes (decode), the grey working copy, border
// trim with the views cut from it, and the three hashes of every view. Lookup is measured by index's
// BenchmarkMatchImage and, with everything, by `hashwatch bench hash`.
func BenchmarkStages(b *testing.B) {
	var files [][]byte
	if paths, _ := filepath.Glob("../../shared/datasets/dev/*.jpg"); len(paths) > 0 {
		files = devSet(b)
	} else {
		files = [][]byte{benchJPEG(b)}
	}
	h := NewHasher(Limits{})
	ctx := context.Background()
	type prepared struct {
		img    image.Image
		colour image.Image
		work   *image.Gray
	}
	var pre []prepared
	s := h.scratch.Get().(*scratch)
	for _, f := range files {
		p, err := decodePicture(ctx, f, h.limits, workingSize, colourSize(ForQuery))
		if err != nil {
			b.Fatal(err)
		}
		pre = append(pre, prepared{p.img, p.colour, s.workingCopy(p.img, workingSize)})
	}
	b.Run("decode-query", func(b *testing.B) {
		i := 0
		defer cpuPerOp(b)()
		for b.Loop() {
			if _, err := decodePicture(ctx, files[i%len(files)], h.limits, workingSize, colourSize(ForQuery)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("colour", func(b *testing.B) {
		i := 0
		defer cpuPerOp(b)()
		for b.Loop() {
			colourOf(&s.gray, pre[i%len(pre)].colour)
			i++
		}
	})
	b.Run("decode", func(b *testing.B) {
		i := 0
		defer cpuPerOp(b)()
		for b.Loop() {
			if _, _, _, err := decodeImage(ctx, files[i%len(files)], h.limits, workingSize); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("working-copy", func(b *testing.B) {
		i := 0
		defer cpuPerOp(b)()
		for b.Loop() {
			s.workingCopy(pre[i%len(pre)].img, workingSize)
			i++
		}
	})
	b.Run("views+hashes", func(b *testing.B) {
		i := 0
		defer cpuPerOp(b)()
		for b.Loop() {
			if _, err := h.views(pre[i%len(pre)].img, ForQuery); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	var out [3]Hash
	b.Run("hashes-of-original", func(b *testing.B) {
		i := 0
		defer cpuPerOp(b)()
		for b.Loop() {
			s.hashImage(pre[i%len(pre)].work, out[:])
			i++
		}
	})
	for _, alg := range []string{"pdq", "phash", "dhash"} {
		b.Run("hash-"+alg, func(b *testing.B) {
			i := 0
			defer cpuPerOp(b)()
			for b.Loop() {
				w := pre[i%len(pre)].work
				switch alg {
				case "pdq":
					small := s.gray.Box(w, 64, 64)
					for y := 0; y < 64; y++ {
						for x, v := range small.Pix[y*64 : y*64+64] {
							s.luma[y*64+x] = pdq.RGBLuma(v, v, v)
						}
					}
					s.pdq.HashLuma(s.luma[:], 64, 64)
				case "phash":
					s.gray.PHash(w)
				case "dhash":
					s.gray.DHash(w)
				}
				i++
			}
		})
	}
}

// cpuPerOp reports the process's CPU time per iteration as cpu-ns/op when
// the returned function runs (deferred before the loop): on a shared
// machine wall time includes waiting for a core.
func cpuPerOp(b *testing.B) func() {
	start := processCPU()
	return func() {
		if b.N > 0 && start > 0 {
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// BenchmarkQueryDecodes compares, on the dev set, a query's fingerprint
// taken as it is (luma at the views' scale, colour from a small copy) with
// the one colour decode every query made before (QueryByColourDecode).
func BenchmarkQueryDecodes(b *testing.B) {
	files := devSet(b)
	h := NewHasher(Limits{})
	ctx := context.Background()
	for _, path := range []struct {
		name string
		fp   func([]byte) (Fingerprint, error)
	}{
		{"colour-decode", func(data []byte) (Fingerprint, error) { return QueryByColourDecode(ctx, h, data) }},
		{"luma-and-colour-copy", func(data []byte) (Fingerprint, error) { return h.Image(ctx, data, ForQuery) }},
	} {
		b.Run(path.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			defer cpuPerOp(b)()
			for b.Loop() {
				if _, err := path.fp(files[i%len(files)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
