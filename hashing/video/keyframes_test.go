package video

import (
	"context"
	"errors"
	"image"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
)

func TestKeyframesAreTheSampledFramesNearestEachTime(t *testing.T) {
	data := animatedGIF(t, 6, 50) // a frame every 0.5 s, each unlike the others
	h := New(Config{})
	ctx := context.Background()
	frames, err := h.Keyframes(ctx, data, []time.Duration{0, 2 * time.Second, 2100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 3 {
		t.Fatalf("%d frames for 3 times", len(frames))
	}
	differ := func(a, b image.Image) bool {
		ga, gb := a.(*image.Gray), b.(*image.Gray)
		if ga.Bounds() != gb.Bounds() {
			return true
		}
		for i := range ga.Pix {
			if ga.Pix[i] != gb.Pix[i] {
				return true
			}
		}
		return false
	}
	if !differ(frames[0], frames[1]) {
		t.Error("the frames at 0 s and 2 s are the same picture")
	}
	if differ(frames[1], frames[2]) {
		t.Error("2 s and 2.1 s did not give the same nearest sampled frame")
	}
	for _, tt := range []struct {
		name string
		data []byte
		at   []time.Duration
		want error
	}{
		{"no times", data, nil, hashing.ErrTooLarge},
		{"more times than a strip holds", data, make([]time.Duration, MaxKeyframes+1), hashing.ErrTooLarge},
		{"bytes that are no video", []byte("hello"), []time.Duration{0}, hashing.ErrUnsupported},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := h.Keyframes(ctx, tt.data, tt.at); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
