package video

import (
	"context"
	"fmt"
	"image"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
)

// MaxKeyframes bounds the frames one keyframe strip asks for.
const MaxKeyframes = 8

// Keyframes returns, for each time in at, the frame of data sampled for
// matching nearest to it — grey, at the size they are hashed at — under
// the hasher's limits: the pictures a blurred keyframe strip of a video
// alert is made from (hashing.PreviewStrip), so an operator sees the
// moments the match was found on. Nothing is kept.
func (h *Hasher) Keyframes(ctx context.Context, data []byte, at []time.Duration) ([]image.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(at) == 0 || len(at) > MaxKeyframes {
		return nil, fmt.Errorf("keyframes: %d times asked, want 1 to %d: %w", len(at), MaxKeyframes, hashing.ErrTooLarge)
	}
	if int64(len(data)) > h.limits.MaxBytes {
		return nil, fmt.Errorf("keyframes: %d bytes, limit %d: %w", len(data), h.limits.MaxBytes, hashing.ErrTooLarge)
	}
	format := Sniff(data)
	if format == "" {
		return nil, fmt.Errorf("keyframes: not a video or animation: %w", hashing.ErrUnsupported)
	}
	var fp hashing.Fingerprint
	raw, _, err := h.sample(ctx, data, format, hashing.ForQuery, QueryInterval, &fp)
	if err != nil {
		return nil, fmt.Errorf("keyframes: %w", err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("keyframes: %s: no frames: %w", format, hashing.ErrCorrupt)
	}
	out := make([]image.Image, len(at))
	for i, t := range at {
		best := 0
		for j := range raw {
			if absDur(raw[j].At-t) < absDur(raw[best].At-t) {
				best = j
			}
		}
		out[i] = raw[best].Pix
	}
	return out, nil
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
