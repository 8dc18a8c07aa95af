package jpegscale

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"testing"
)

// benchPhoto is a 1024×768 quality-92 photo from the shared development set;
// when it is missing, benchJPEG makes a stand-in of the same size from a
// fixture photo.
const benchPhoto = "/work/shared/datasets/dev/dev-006-chateaudeChambord.jpg"

// benchJPEG returns a ~1 MP baseline 4:2:0 JPEG and says where it came from.
func benchJPEG(b *testing.B) []byte {
	b.Helper()
	if data, err := os.ReadFile(benchPhoto); err == nil {
		b.Logf("photo: %s (%d bytes)", benchPhoto, len(data))
		return data
	}
	src, err := os.ReadFile("../../../fixtures/photos/known/dev-064-scarlet_macaw.jpg")
	if err != nil {
		b.Skipf("neither %s nor the fixture photos are present", benchPhoto)
	}
	img, err := jpeg.Decode(bytes.NewReader(src))
	if err != nil {
		b.Fatal(err)
	}
	// Nearest-neighbour upscale to 1024×768, then re-encode: more blocks
	// than the 512-px fixture, but smoother than a real 1 MP photo, so the
	// entropy decoding share is lower than in the real thing.
	sb := img.Bounds()
	up := image.NewRGBA(image.Rect(0, 0, 1024, 768))
	for y := 0; y < 768; y++ {
		for x := 0; x < 1024; x++ {
			up.Set(x, y, img.At(sb.Min.X+x*sb.Dx()/1024, sb.Min.Y+y*sb.Dy()/768))
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, up, &jpeg.Options{Quality: 92}); err != nil {
		b.Fatal(err)
	}
	b.Logf("photo: %s upscaled to 1024x768 (%d bytes)", benchPhoto, buf.Len())
	return buf.Bytes()
}

// BenchmarkDecode compares image/jpeg's full decode with this package at
// every scale on a ~1 MP photo. "scaled-256" is what the hashing pipeline
// would call: DecodeScaled(r, 256, 256), which picks 1/4 for 1024×768.
func BenchmarkDecode(b *testing.B) {
	benchDecoders(b, benchJPEG(b))
}

// BenchmarkDecodeProgressive is BenchmarkDecode on a 512×396 progressive
// photo, where every coefficient must be kept until the last scan.
func BenchmarkDecodeProgressive(b *testing.B) {
	data, err := os.ReadFile("testdata/macaw.progressive.jpg")
	if err != nil {
		b.Fatal(err)
	}
	benchDecoders(b, data)
}

func benchDecoders(b *testing.B, data []byte) {
	run := func(name string, decode func(r *bytes.Reader) (image.Image, error)) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			r := bytes.NewReader(data)
			cpu0 := processCPU()
			for b.Loop() {
				r.Reset(data)
				if _, err := decode(r); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time of the whole process (GC included) per decode: less
			// noisy than ns/op when other jobs share the cores.
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
	run("stdlib", func(r *bytes.Reader) (image.Image, error) { return jpeg.Decode(r) })
	for _, c := range []struct {
		name  string
		denom int
	}{{"1-1", 1}, {"1-2", 2}, {"1-4", 4}, {"1-8", 8}} {
		run(c.name, func(r *bytes.Reader) (image.Image, error) { return DecodeReduced(r, c.denom) })
	}
	run("scaled-256", func(r *bytes.Reader) (image.Image, error) { return DecodeScaled(r, 256, 256) })
}
