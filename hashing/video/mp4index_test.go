package video

import (
	"context"
	"testing"
	"time"
)

// TestMP4Keyframes checks the keyframe times read from an MP4's index
// against the times ffmpeg gives the keyframes it decodes, for files with
// B-frames (composition offsets and an edit list), with the index at the
// end and at the front.
func TestMP4Keyframes(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"B-frames, index at the end", []string{"-bf", "3", "-g", "100"}},
		{"B-frames, fast start", []string{"-bf", "2", "-g", "45", "-movflags", "+faststart"}},
		{"no B-frames", []string{"-bf", "0", "-g", "70"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := testPattern(t, "96x64", 25, 10, tc.args...)
			k, err := mp4Keyframes(data)
			if err != nil {
				t.Fatal(err)
			}
			h := New(Config{})
			src, err := h.openSource(data, FormatMP4)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var want []time.Duration
			if _, _, err := h.ffmpegFrames(context.Background(), src, FormatMP4, time.Millisecond, DecodeKeyframes, nil, func(f rawFrame) error {
				want = append(want, f.At)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(k.Keys) != len(want) {
				t.Fatalf("index gives keyframes at %v, ffmpeg decodes them at %v", k.Keys, want)
			}
			for i := range want {
				if d := k.Keys[i] - want[i]; d < -time.Millisecond || d > time.Millisecond {
					t.Errorf("keyframe %d at %v, ffmpeg says %v", i, k.Keys[i], want[i])
				}
			}
			if d := k.Duration - 10*time.Second; d < -50*time.Millisecond || d > 50*time.Millisecond {
				t.Errorf("duration %v, want 10s", k.Duration)
			}
		})
	}
}

// FuzzMP4Keyframes feeds damaged indexes to the MP4 index reader: it
// must fail or give sorted-enough times, never panic or run away.
func FuzzMP4Keyframes(f *testing.F) {
	f.Add([]byte{0, 0, 0, 8, 'm', 'o', 'o', 'v'})
	// A moov with one video trak whose tables claim more than they hold.
	f.Add([]byte("\x00\x00\x00\x50moov\x00\x00\x00\x48trak\x00\x00\x00\x40mdia" +
		"\x00\x00\x00\x14hdlr\x00\x00\x00\x00\x00\x00\x00\x00vide" +
		"\x00\x00\x00\x14mdhd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
		"\x00\x00\x00\x18minf\x00\x00\x00\x10stbl\x00\x00\x00\x08stss"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := mp4Keyframes(data)
		if err == nil && len(k.Keys) == 0 {
			t.Error("no error and no keyframes")
		}
	})
}
