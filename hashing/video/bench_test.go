//go:build unix

package video

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
)

// bench720GOP is the keyframe interval of the benchmark video, in frames:
// 60 (2 s) as streaming encodes use; 250 is x264's default.
var bench720GOP = flag.String("bench720gop", "60", "keyframe interval of BenchmarkFingerprint720p's video, in frames")

var (
	bench720Once sync.Once
	bench720     []byte
	bench720Err  error
)

// video720 is a 60-s 1280×720 H.264 video with x264's default keyframe
// interval and B-frames, made once per benchmark run (it takes some
// seconds of CPU to encode).
func video720(b *testing.B) []byte {
	b.Helper()
	bench720Once.Do(func() {
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			bench720Err = err
			return
		}
		dir, err := os.MkdirTemp("", "hashwatch-bench-")
		if err != nil {
			bench720Err = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "720p.mp4")
		cmd := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi",
			"-i", "testsrc2=s=1280x720:r=30:d=60", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-g", *bench720GOP,
			"-pix_fmt", "yuv420p", "-movflags", "+faststart", out)
		if msg, err := cmd.CombinedOutput(); err != nil {
			bench720Err = err
			b.Log(string(msg))
			return
		}
		bench720, bench720Err = os.ReadFile(out)
	})
	if bench720Err != nil {
		b.Skip(bench720Err)
	}
	return bench720
}

func cpuSelf() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFingerprint720p measures fingerprinting a 60-s 720p H.264
// video (the target: at most 1 s of CPU, ffmpeg included). It
// reports ffmpeg's CPU (user+sys of the child), this process's and their
// sum per video.
func BenchmarkFingerprint720p(b *testing.B) {
	data := video720(b)
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"auto", Config{}},
		{"fast", Config{Decode: DecodeFast}},
		{"full", Config{Decode: DecodeFull}},
		{"keyframes", Config{Decode: DecodeKeyframes}},
		{"fast-2threads", Config{Decode: DecodeFast, Threads: 2}},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := New(c.cfg)
			b.ReportAllocs()
			var child time.Duration
			frames := 0
			self := cpuSelf()
			for b.Loop() {
				fp, u, err := h.FingerprintUsage(context.Background(), data, hashing.ForQuery)
				if err != nil {
					b.Fatal(err)
				}
				child += u.FFmpegUser + u.FFmpegSys
				frames = len(fp.Frames)
			}
			self = cpuSelf() - self
			n := float64(b.N)
			b.ReportMetric(float64(child.Milliseconds())/n, "ffmpeg-cpu-ms/op")
			b.ReportMetric(float64(self.Milliseconds())/n, "go-cpu-ms/op")
			b.ReportMetric(float64((child+self).Milliseconds())/n, "cpu-ms/op")
			b.ReportMetric(float64(frames), "frames")
		})
	}
}
