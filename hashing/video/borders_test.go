package video

import (
	"image"
	"math/rand/v2"
	"testing"
	"time"
)

// frames makes n 128×128 grey frames: content drawn by fill, sensor-like
// noise of ±amp grey levels on top, bars of barV rows above and below and
// barH columns left and right (black, noisy too).
func frames(n, barV, barH, amp int, fill func(x, y, i int) int) []rawFrame {
	rng := rand.New(rand.NewPCG(1, 2))
	var out []rawFrame
	for i := range n {
		g := image.NewGray(image.Rect(0, 0, frameSize, frameSize))
		for y := range frameSize {
			for x := range frameSize {
				v := 0
				if y >= barV && y < frameSize-barV && x >= barH && x < frameSize-barH {
					v = fill(x, y, i)
				}
				v += rng.IntN(2*amp+1) - amp
				g.Pix[y*frameSize+x] = uint8(min(max(v, 0), 255))
			}
		}
		out = append(out, rawFrame{At: time.Duration(i) * time.Second, Pix: g})
	}
	return out
}

func TestVideoBorders(t *testing.T) {
	textured := func(x, y, i int) int { return 60 + (x*7+y*13+i*5)%150 }
	// A bright flat sky over the top third, textured below.
	sky := func(x, y, i int) int {
		if y < frameSize/3 {
			return 235
		}
		return textured(x, y, i)
	}
	full := image.Rect(0, 0, frameSize, frameSize)
	tests := []struct {
		name   string
		raw    []rawFrame
		inside image.Rectangle // the result must lie inside this...
		covers image.Rectangle // ...and cover this
	}{
		{"a letterbox with noisy bars is trimmed", frames(6, 16, 0, 12, textured),
			image.Rect(0, 16, frameSize, frameSize-16), image.Rect(0, 20, frameSize, frameSize-20)},
		{"a pillarbox is trimmed", frames(6, 0, 20, 3, textured),
			image.Rect(20, 0, frameSize-20, frameSize), image.Rect(24, 0, frameSize-24, frameSize)},
		{"a flat sky along one edge is content, not a bar", frames(6, 0, 0, 3, sky), full, full},
		{"a video without bars keeps its frame", frames(3, 0, 0, 3, textured), full, full},
		// Frames of different pictures average to a flat grey at the
		// edges; changing content is not a bar.
		{"changing content that averages flat is no bar", frames(8, 0, 0, 3, func(x, y, i int) int { return 40 + 160*((x/16+y/16+i)%2) }), full, full},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := videoBorders(tt.raw)
			if !got.In(tt.inside) || !tt.covers.In(got) {
				t.Errorf("content %v, want inside %v and covering %v", got, tt.inside, tt.covers)
			}
		})
	}
}

// TestSegments checks the stretches decoded after sparse keyframes: at
// most SegmentSpan, at most segmentShare of the group of pictures, and the
// keyframe alone when the next lies KeyframeGap away or nearer (groups of
// 4.5 s included).
func TestSegments(t *testing.T) {
	sec := time.Second
	half := 500 * time.Millisecond
	keys := []time.Duration{0, 8 * sec, 9 * sec, 13*sec + half, 18*sec + half, 25*sec + half}
	got := segments(keys, 27*sec, half)
	if SegmentSpan <= 1500*time.Millisecond || SegmentSpan >= 3200*time.Millisecond {
		t.Fatalf("the test wants SegmentSpan between 1.5 and 3.2 s, not %v", SegmentSpan)
	}
	if KeyframeGap < 4500*time.Millisecond || KeyframeGap >= 5*sec {
		t.Fatalf("the test wants KeyframeGap between 4.5 and 5 s, not %v", KeyframeGap)
	}
	share := func(d time.Duration) time.Duration { return time.Duration(float64(d) * segmentShare) }
	want := []segment{
		{In: half, Out: half + SegmentSpan},                        // up to SegmentSpan of a group of 8 s...
		{In: 8*sec + half, Out: 8*sec + half + interFrame},         // ...the keyframe alone when the next is 1 s after...
		{In: 9*sec + half, Out: 9*sec + half + interFrame},         // ...or 4.5 s after...
		{In: 13*sec + 2*half, Out: 13*sec + 2*half + share(5*sec)}, // ...a share of a group of 5 s...
		{In: 18*sec + 2*half, Out: 18*sec + 2*half + share(7*sec)}, // ...or of 7 s
		{In: 25*sec + 2*half, Out: 25*sec + 2*half + interFrame},   // the last keyframe, 1.5 s before the end
	}
	if len(got) != len(want) {
		t.Fatalf("segments %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("segment %d: %v, want %v", i, got[i], want[i])
		}
	}
	if got := segments([]time.Duration{0}, 0, 0); len(got) != 1 || got[0].Out != SegmentSpan {
		t.Errorf("a video of unknown length: segments %v, want SegmentSpan after its keyframe", got)
	}
}

// TestSegmentClock maps frame times of a concatenation back to the
// source: a segment's keyframe comes a hair before its start and its
// last frame may run past its end.
func TestSegmentClock(t *testing.T) {
	ms := time.Millisecond
	_, c := concatScript("file:/proc/self/fd/3", []segment{{In: 0, Out: 2000 * ms}, {In: 8000 * ms, Out: 10000 * ms}})
	for _, tc := range []struct {
		at   time.Duration
		key  bool
		want time.Duration
	}{
		{0, true, inpointSlack},
		{1000 * ms, false, 1000*ms + inpointSlack},
		{2066 * ms, false, 2066*ms + inpointSlack}, // past the end, still the first segment
		{1998*ms - inpointSlack, true, 8000 * ms},  // the second keyframe
		{2998*ms - inpointSlack, false, 9000 * ms},
	} {
		if got := c.source(tc.at, tc.key); got != tc.want {
			t.Errorf("source(%v, key %v) = %v, want %v", tc.at, tc.key, got, tc.want)
		}
	}
}
