package video

import (
	"errors"
	"image"
	"reflect"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
)

// samples makes n FrameSize² grey frames, RegistrationInterval apart, each
// a different pattern so none is dropped as a repeat.
func samples(n int) []Sample {
	out := make([]Sample, n)
	for i := range out {
		g := image.NewGray(image.Rect(0, 0, FrameSize, FrameSize))
		for y := range FrameSize {
			for x := range FrameSize {
				g.Pix[y*FrameSize+x] = uint8((x*(i+1) ^ y*(3*i+2)) + 17*i)
			}
		}
		out[i] = Sample{At: time.Duration(i) * RegistrationInterval, Pix: g}
	}
	return out
}

func TestASentVideoIsCheckedBeforeItIsTaken(t *testing.T) {
	fp := Registered(samples(6), 640, 360, 3*time.Second)
	if len(fp.Frames) != 6 || fp.Duration != 3*time.Second || fp.Kind != hashing.KindVideo {
		t.Fatalf("Registered: %d frames over %v, kind %s", len(fp.Frames), fp.Duration, fp.Kind)
	}
	fp.SHA256 = hashing.SumSHA256([]byte("the video"))
	good := hashing.Send(fp)
	back, err := Limits{}.Received(good)
	if err != nil {
		t.Fatalf("a fingerprint as sent is refused: %v", err)
	}
	if !reflect.DeepEqual(back, fp) {
		t.Fatalf("round trip changed the fingerprint:\n got %+v\nwant %+v", back, fp)
	}
	edit := func(f func(*hashing.Sent)) hashing.Sent {
		s := good
		s.Frames = append([]hashing.SentFrame(nil), good.Frames...)
		f(&s)
		return s
	}
	tests := []struct {
		name   string
		limits Limits
		sent   hashing.Sent
		want   error
	}{
		{"frames out of order are refused", Limits{}, edit(func(s *hashing.Sent) { s.Frames[1], s.Frames[2] = s.Frames[2], s.Frames[1] }), hashing.ErrCorrupt},
		{"a frame after the end is refused", Limits{}, edit(func(s *hashing.Sent) { s.Frames[5].AtMS = 4000 }), hashing.ErrCorrupt},
		{"a frame without its crops is refused", Limits{}, edit(func(s *hashing.Sent) { s.Frames[0].Cropped = s.Frames[0].Cropped[:1] }), hashing.ErrCorrupt},
		{"a frame with a pHash is refused", Limits{}, edit(func(s *hashing.Sent) {
			s.Frames[0].Hashes = []hashing.SentHash{{Algorithm: hashing.PHash, Hex: "0123456789abcdef", Quality: 100}}
		}), hashing.ErrCorrupt},
		{"picture views on a video are refused", Limits{}, edit(func(s *hashing.Sent) { s.Views = []hashing.SentView{{Name: "original"}} }), hashing.ErrCorrupt},
		{"more frames than the limit are refused", Limits{MaxFrames: 5}, good, hashing.ErrTooLarge},
		{"a video over the duration limit is refused", Limits{MaxDuration: time.Second}, good, hashing.ErrTooLarge},
		{"a video over the pixel limit is refused", Limits{MaxPixels: 640 * 359}, good, hashing.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.limits.Received(tt.sent); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}
