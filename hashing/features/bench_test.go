package features_test

import (
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing/features"
)

// BenchmarkExtract is the verifier's cost per picture from a grey copy of
// the size the hasher decodes to (a JPEG decoded at reduced scale, long
// side 512 or so); bytes/set is the encoded size.
func BenchmarkExtract(b *testing.B) {
	cfg := features.DefaultConfig()
	_, g := photoGrey(b, fixtures.Known()[0])
	b.ReportAllocs()
	var s features.Set
	for b.Loop() {
		s = features.Extract(g, cfg)
	}
	data, _ := s.MarshalBinary()
	b.ReportMetric(float64(len(data)), "bytes/set")
	b.ReportMetric(float64(len(s.Points)), "points")
}

// BenchmarkVerify is one query set checked against one registered set,
// mirror included.
func BenchmarkVerify(b *testing.B) {
	cfg := features.DefaultConfig()
	img, g := photoGrey(b, fixtures.Known()[1])
	reg := features.Extract(g, cfg)
	data, err := fixtures.Crop(0.1, 0.1, 0.1, 0.1).Render(img)
	if err != nil {
		b.Fatal(err)
	}
	q := features.Extract(decodeGrey(b, data), cfg)
	b.ReportAllocs()
	for b.Loop() {
		features.Verify(q, reg, cfg)
	}
}
