package video

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"time"

	"github.com/gen2brain/webp"
	"github.com/hashwatch/hashwatch/hashing"
)

// DefaultMaxWebPPixels bounds an animated WebP's canvas area times its
// frame count. libwebp's animation decoder composites every frame into a
// full RGBA canvas before it returns (4 bytes a pixel, inside its
// WebAssembly sandbox), so this is about 256 MiB at the default.
const DefaultMaxWebPPixels = 64_000_000

var errWebPChunks = errors.New("malformed WebP chunk structure")

// webpScan walks an animated WebP's RIFF chunks without decoding pixels and
// returns its canvas size and frame (ANMF chunk) count, so the limits can
// be checked before the decoder allocates.
func webpScan(data []byte) (w, h, frames int, err error) {
	if len(data) < 30 || !bytes.Equal(data[:4], []byte("RIFF")) || !bytes.Equal(data[8:12], []byte("WEBP")) {
		return 0, 0, 0, errWebPChunks
	}
	end := min(len(data), int(binary.LittleEndian.Uint32(data[4:8]))+8)
	for p := 12; p+8 <= end; {
		id := string(data[p : p+4])
		n := int(binary.LittleEndian.Uint32(data[p+4 : p+8]))
		body := p + 8
		if n < 0 || body+n > end {
			return w, h, frames, errWebPChunks
		}
		switch id {
		case "VP8X":
			if n < 10 {
				return 0, 0, 0, errWebPChunks
			}
			w = 1 + int(data[body+4]) | int(data[body+5])<<8 | int(data[body+6])<<16
			h = 1 + int(data[body+7]) | int(data[body+8])<<8 | int(data[body+9])<<16
		case "ANMF":
			frames++
		}
		p = body + n + n&1 // chunks are padded to an even size
	}
	if w == 0 || frames == 0 {
		return w, h, frames, errWebPChunks
	}
	return w, h, frames, nil
}

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
