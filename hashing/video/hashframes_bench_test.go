//go:build unix

package video

import (
	"testing"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing/pdq"
)

// BenchmarkHashFrames measures hashing a query video's sampled frames
// (60 grid frames of panning 16:9 footage, as ffmpeg delivers them):
// trimming, the soft-bar and inset searches and every view's PDQ, without
// ffmpeg. cpu-µs/frame is the process's CPU time per frame (the machine
// may be busy: wall time says less).
func BenchmarkHashFrames(b *testing.B) {
	for _, tt := range []struct {
		name  string
		query bool
	}{{"query", true}, {"registered", false}} {
		b.Run(tt.name, func(b *testing.B) {
			img, err := fixtures.Known()[1].Decode()
			if err != nil {
				b.Fatal(err)
			}
			raw, _ := insetClip(b, imaging.Grayscale(img), nil, 60, 0, 0, 0)
			h := &Hasher{}
			h.pdq.New = func() any { return pdq.NewHasher() }
			b.ReportAllocs()
			cpu := cpuSelf()
			for b.Loop() {
				h.hashFrames(raw, tt.query, 16.0/9)
			}
			b.ReportMetric(float64((cpuSelf()-cpu).Microseconds())/float64(b.N)/float64(len(raw)), "cpu-µs/frame")
		})
	}
}
