package video

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"time"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/hashing"
)

var errGIFBlocks = errors.New("malformed GIF block structure")

// gifFrameInfo is what a GIF's Graphic Control Extension says of one
// frame: how long it is shown and what happens to the canvas after it.
type gifFrameInfo struct {
	delay    time.Duration // as declared; 0 is shown as gifDefaultDelay
	disposal byte
}

// gifScan walks a GIF's block structure without decoding pixels and
// returns its frames' timing and disposal and the sum of their declared
// areas, so the limits can be checked before image/gif allocates every
// frame.
func gifScan(data []byte) (frames []gifFrameInfo, pixels int64, err error) {
	if len(data) < 13 {
		return nil, 0, errGIFBlocks
	}
	p := 13
	if flags := data[10]; flags&0x80 != 0 {
		p += 3 << ((flags & 7) + 1)
	}
	skipSubBlocks := func() bool {
		for p < len(data) {
			n := int(data[p])
			p++
			if n == 0 {
				return true
			}
			p += n
		}
		return false
	}
	var next gifFrameInfo // from the last Graphic Control Extension
	for p < len(data) {
		switch data[p] {
		case 0x21: // extension: label, then sub-blocks
			if p+7 < len(data) && data[p+1] == 0xF9 && data[p+2] == 4 {
				next.disposal = (data[p+3] >> 2) & 7
				next.delay = time.Duration(binary.LittleEndian.Uint16(data[p+4:])) * 10 * time.Millisecond
			}
			p += 2
			if !skipSubBlocks() {
				return frames, pixels, errGIFBlocks
			}
		case 0x2C: // image descriptor
			if p+10 > len(data) {
				return frames, pixels, errGIFBlocks
			}
			w := binary.LittleEndian.Uint16(data[p+5:])
			h := binary.LittleEndian.Uint16(data[p+7:])
			flags := data[p+9]
			p += 10
			if flags&0x80 != 0 {
				p += 3 << ((flags & 7) + 1)
			}
			p++ // LZW minimum code size
			if !skipSubBlocks() {
				return frames, pixels, errGIFBlocks
			}
			frames = append(frames, next)
			next = gifFrameInfo{}
			pixels += int64(w) * int64(h)
		case 0x3B: // trailer
			return frames, pixels, nil
		default:
			return frames, pixels, errGIFBlocks
		}
	}
	return frames, pixels, nil
}

// gifCanvasWork is how many canvas pixels gifFrames will touch beyond
// drawing the frames themselves: the whole canvas is scaled down for every
// sampled frame, and saved and restored for every frame disposed of to the
// previous canvas. It follows gifFrames' sampling rule, so it is exact.
func gifCanvasWork(frames []gifFrameInfo, canvas int64, interval time.Duration) int64 {
	var at, last time.Duration
	visits := int64(0)
	sampled := 0
	for _, f := range frames {
		if sampled == 0 || at-last >= interval {
			sampled++
			visits++
			last = at
		}
		if f.disposal == gif.DisposalPrevious {
			visits++
		}
		d := f.delay
		if d <= 0 {
			d = gifDefaultDelay
		}
		at += d
	}
	return visits * canvas
}

// gifDefaultDelay is shown for frames that declare a delay of zero, as
// browsers do.
const gifDefaultDelay = 100 * time.Millisecond

// gifFrames decodes an animated GIF natively (no ffmpeg), composites its
// frames as a browser would and passes one frame per interval of
// display time to fn, as grey frameSize×frameSize pictures.
func gifFrames(ctx context.Context, data []byte, l Limits, interval time.Duration, fn func(rawFrame) error) (time.Duration, error) {
	frames, px, err := gifScan(data)
	if err != nil {
		return 0, fmt.Errorf("gif: %v: %w", err, hashing.ErrCorrupt)
	}
	if px > l.MaxGIFPixels {
		return 0, fmt.Errorf("gif: %d frames of %d pixels in all, limit %d: %w", len(frames), px, l.MaxGIFPixels, hashing.ErrTooLarge)
	}
	cfg, err := gif.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, fmt.Errorf("gif header: %v: %w", err, hashing.ErrCorrupt)
	}
	area := int64(cfg.Width) * int64(cfg.Height)
	if area > l.MaxPixels {
		return 0, fmt.Errorf("gif: %dx%d pixels, limit %d: %w", cfg.Width, cfg.Height, l.MaxPixels, hashing.ErrTooLarge)
	}
	if work := gifCanvasWork(frames, area, interval); work > l.MaxGIFWork {
		return 0, fmt.Errorf("gif: %d frames on a %dx%d canvas would take %d canvas pixels to sample, limit %d: %w",
			len(frames), cfg.Width, cfg.Height, work, l.MaxGIFWork, hashing.ErrTooLarge)
	}
	g, err := gif.DecodeAll(bytes.NewReader(data))
	if err != nil {
		return 0, fmt.Errorf("gif: %v: %w", err, hashing.ErrCorrupt)
	}
	canvas := image.NewRGBA(image.Rect(0, 0, g.Config.Width, g.Config.Height))
	var saved *image.RGBA
	var at, last time.Duration
	sampled := 0
	for i, fr := range g.Image {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if i > 0 {
			switch g.Disposal[i-1] {
			case gif.DisposalBackground:
				draw.Draw(canvas, g.Image[i-1].Bounds(), image.Transparent, image.Point{}, draw.Src)
			case gif.DisposalPrevious:
				if saved != nil {
					copy(canvas.Pix, saved.Pix)
				}
			}
		}
		if i < len(g.Disposal) && g.Disposal[i] == gif.DisposalPrevious {
			if saved == nil {
				saved = image.NewRGBA(canvas.Rect)
			}
			copy(saved.Pix, canvas.Pix)
		}
		draw.Draw(canvas, fr.Bounds(), fr, fr.Bounds().Min, draw.Over)
		if at > l.MaxDuration {
			return 0, fmt.Errorf("gif: frame %d shown at %v, limit %v: %w", i, at, l.MaxDuration, ErrTooLong)
		}
		if sampled == 0 || at-last >= interval {
			if sampled++; sampled > l.MaxFrames {
				return 0, fmt.Errorf("gif: more than %d sampled frames: %w", l.MaxFrames, ErrTooManyFrames)
			}
			last = at
			if err := fn(rawFrame{At: at, Pix: greyFrame(canvas)}); err != nil {
				return 0, err
			}
		}
		d := time.Duration(g.Delay[i]) * 10 * time.Millisecond
		if d <= 0 {
			d = gifDefaultDelay
		}
		at += d
	}
	return at, nil
}

// greyFrame scales img to frameSize×frameSize (ignoring its aspect, as
// ffmpeg's scale filter does on the video path) and converts it to luma
// with the weights the hashes use.
func greyFrame(img image.Image) *image.Gray {
	small := imaging.Resize(img, frameSize, frameSize, imaging.Box)
	g := image.NewGray(small.Rect)
	for i := range g.Pix {
		p := small.Pix[4*i : 4*i+3 : 4*i+3]
		g.Pix[i] = uint8((299*uint32(p[0]) + 587*uint32(p[1]) + 114*uint32(p[2]) + 500) / 1000)
	}
	return g
}

// imageSize returns an animated GIF's logical screen size.
func imageSize(data []byte) (image.Point, error) {
	cfg, err := gif.DecodeConfig(bytes.NewReader(data))
	return image.Pt(cfg.Width, cfg.Height), err
}
