package hashing

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"

	"github.com/disintegration/imaging"
)

// Operators judge a match in steps, each one audited by the console:
// first the stored blurred preview (PreviewImage), then — fetched live from
// the source, rendered in memory and never stored — a clearer picture,
// then the picture itself. ViewStep names the live steps.
type ViewStep int

const (
	// ViewClearer is a picture ClearerSize pixels across made from a copy
	// clearerDetail pixels across: shapes, scenes and framings are clear,
	// faces and text are not.
	ViewClearer ViewStep = 1
	// ViewFull is the picture at up to FullSize pixels on its long side,
	// re-encoded: nothing of the source's file (metadata, scripts,
	// animation) reaches the browser.
	ViewFull ViewStep = 2
)

// Sizes of the live viewing steps, long side in pixels.
const (
	ClearerSize   = 320
	clearerDetail = 48
	FullSize      = 1280
)

// Render decodes media under the hasher's limits and renders it for
// viewing step (a JPEG), in grey unless colour is set: the console's
// greyscale default spares an operator the full impact of abusive
// material until they choose otherwise.
func (h *Hasher) Render(ctx context.Context, data []byte, step ViewStep, colour bool) ([]byte, error) {
	var long int
	switch step {
	case ViewClearer:
		long = ClearerSize
	case ViewFull:
		long = FullSize
	default:
		return nil, fmt.Errorf("render: unknown viewing step %d: %w", step, ErrUnsupported)
	}
	img, _, _, err := decodeImage(ctx, data, h.limits, long)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, fmt.Errorf("render a %dx%d picture: %w", b.Dx(), b.Dy(), ErrCorrupt)
	}
	w, hgt := b.Dx(), b.Dy()
	if max(w, hgt) > long {
		w, hgt = scaledSize(w, hgt, long)
	}
	var out *image.NRGBA
	if step == ViewClearer {
		dw, dh := scaledSize(b.Dx(), b.Dy(), clearerDetail)
		out = imaging.Resize(imaging.Resize(img, dw, dh, imaging.Box), w, hgt, imaging.Linear)
		out = imaging.Blur(out, float64(max(w, hgt))/float64(clearerDetail)/3)
	} else {
		out = imaging.Resize(img, w, hgt, imaging.Lanczos)
	}
	if !colour {
		out = imaging.Grayscale(out)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 85}); err != nil {
		return nil, fmt.Errorf("render: encode: %w", err)
	}
	return buf.Bytes(), nil
}
