//go:build !js

package video

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"time"

	"github.com/gen2brain/webp"
	"github.com/hashwatch/hashwatch/hashing"
)

// webpFrames decodes an animated WebP with libwebp's animation decoder
// (compiled to WebAssembly, github.com/gen2brain/webp: no ffmpeg, and the
// decoder cannot touch memory outside its sandbox) and passes one
// composited frame per interval of display time to fn, as grey
// frameSize×frameSize pictures, and returns the display time and canvas
// size. The canvas and frame count are checked against the limits from the
// chunk structure first.
func webpFrames(ctx context.Context, data []byte, l Limits, interval time.Duration, fn func(rawFrame) error) (dur time.Duration, size image.Point, err error) {
	w, h, n, err := webpScan(data)
	if err != nil {
		return 0, size, fmt.Errorf("webp: %v: %w", err, hashing.ErrCorrupt)
	}
	size = image.Pt(w, h)
	if int64(w)*int64(h) > l.MaxPixels {
		return 0, size, fmt.Errorf("webp: %dx%d pixels, limit %d: %w", w, h, l.MaxPixels, hashing.ErrTooLarge)
	}
	if px := int64(w) * int64(h) * int64(n); px > l.MaxWebPPixels {
		return 0, size, fmt.Errorf("webp: %d frames of %dx%d, %d pixels in all, limit %d: %w", n, w, h, px, l.MaxWebPPixels, hashing.ErrTooLarge)
	}
	if err := ctx.Err(); err != nil {
		return 0, size, err
	}
	anim, err := webp.DecodeAll(bytes.NewReader(data))
	if err != nil {
		return 0, size, fmt.Errorf("webp: %v: %w", err, hashing.ErrCorrupt)
	}
	var at, last time.Duration
	sampled := 0
	for i, img := range anim.Image {
		if err := ctx.Err(); err != nil {
			return 0, size, err
		}
		if at > l.MaxDuration {
			return 0, size, fmt.Errorf("webp: frame %d shown at %v, limit %v: %w", i, at, l.MaxDuration, ErrTooLong)
		}
		if sampled == 0 || at-last >= interval {
			if sampled++; sampled > l.MaxFrames {
				return 0, size, fmt.Errorf("webp: more than %d sampled frames: %w", l.MaxFrames, ErrTooManyFrames)
			}
			last = at
			if err := fn(rawFrame{At: at, Pix: greyFrame(img)}); err != nil {
				return 0, size, err
			}
		}
		d := gifDefaultDelay
		if i < len(anim.Delay) && anim.Delay[i] > 0 {
			d = time.Duration(anim.Delay[i]) * time.Millisecond
		}
		at += d
	}
	return at, size, nil
}
