// This file is new in hashwatch (not part of Go's image/jpeg).

package jpegscale

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"io"
)

// errBadDenom is returned by DecodeReduced for a denominator it cannot do.
var errBadDenom = errors.New("jpegscale: scale denominator must be 1, 2, 4 or 8")

// Info is what DecodeScaledInfo learns besides the pixels: the caller needs
// the declared size to report the original dimensions (the returned image is
// smaller) and the orientation to turn the picture upright, as
// imaging.AutoOrientation would.
type Info struct {
	// Width and Height are the dimensions declared in the SOF marker, before
	// reduction.
	Width, Height int
	// Denom is the reduction applied: the image is Width/Denom × Height/Denom
	// pixels, each rounded up.
	Denom int
	// Orientation is the EXIF orientation (1–8) from the first APP1 segment,
	// or 0 when there is none (read the same way as imaging does).
	Orientation int
}

// ScaleDenom returns the denominator DecodeScaled uses for a width×height
// JPEG: the largest of 8, 4 and 2 for which the reduced image, ⌈width/d⌉ ×
// ⌈height/d⌉, still has ⌈width/d⌉ ≥ minWidth or ⌈height/d⌉ ≥ minHeight, and
// 1 when none does. So fitting the reduced image into a minWidth×minHeight
// box (keeping the aspect ratio, as imaging.Fit does) never has to enlarge
// it: for a square box, the long side stays at least the box's side. A
// minWidth or minHeight ≤ 0 puts no bound on that side; with neither bounded
// the answer is 8. It is exported so a caller can predict the output size,
// e.g. to budget memory, before decoding.
func ScaleDenom(width, height, minWidth, minHeight int) int {
	if minWidth <= 0 && minHeight <= 0 {
		return 8
	}
	for d := 8; d > 1; d /= 2 {
		w, h := (width+d-1)/d, (height+d-1)/d
		if (minWidth > 0 && w >= minWidth) || (minHeight > 0 && h >= minHeight) {
			return d
		}
	}
	return 1
}

// DecodeScaled decodes a JPEG at the smallest size that is still large
// enough (see ScaleDenom for the exact rule), which costs much less than a
// full decode followed by a downscale: a 1/8 decode skips the inverse DCT
// entirely and every reduction writes 4–64× fewer pixels. Each output pixel
// approximates the box-filtered mean of the full decode's pixels it stands
// for (see doc.go for the accuracy). The result has the same type as
// image/jpeg.Decode's — *image.YCbCr, *image.Gray, *image.CMYK or (for
// Adobe RGB JPEGs) *image.RGBA — and the same errors: FormatError,
// UnsupportedError or an I/O error such as io.ErrUnexpectedEOF.
//
// EXIF orientation is not applied; DecodeScaledInfo reports it.
func DecodeScaled(r io.Reader, minWidth, minHeight int) (image.Image, error) {
	img, _, err := DecodeScaledInfo(r, minWidth, minHeight)
	return img, err
}

// DecodeScaledInfo is DecodeScaled that also returns the declared size, the
// reduction and the EXIF orientation, which a caller would otherwise need a
// second pass over the header for. Info is valid only when err is nil.
func DecodeScaledInfo(r io.Reader, minWidth, minHeight int) (image.Image, Info, error) {
	d := decoder{pickShift: func(w, h int) uint {
		return denomShift(ScaleDenom(w, h, minWidth, minHeight))
	}}
	img, err := d.decode(r, false)
	if err != nil {
		return nil, Info{}, err
	}
	return img, Info{Width: d.width, Height: d.height, Denom: 1 << d.shift, Orientation: d.orientation}, nil
}

// DecodeScaledContext is DecodeScaledInfo that stops with ctx's error soon
// after ctx is done (it looks before every scan and every row of blocks).
// minWidth and minHeight both larger than the image ask for a full decode.
func DecodeScaledContext(ctx context.Context, r io.Reader, minWidth, minHeight int) (image.Image, Info, error) {
	return DecodeScaledBudget(ctx, r, minWidth, minHeight, nil)
}

// DecodeScaledBudget is DecodeScaledContext that also asks over, at the
// same points, whether the decode has spent its budget, and stops with
// over's error when it has. over is called from the decoding goroutine
// only; nil means no budget.
func DecodeScaledBudget(ctx context.Context, r io.Reader, minWidth, minHeight int, over func() error) (image.Image, Info, error) {
	d := decoder{ctx: ctx, over: over, pickShift: func(w, h int) uint {
		return denomShift(ScaleDenom(w, h, minWidth, minHeight))
	}}
	img, err := d.decode(r, false)
	if err != nil {
		return nil, Info{}, err
	}
	return img, Info{Width: d.width, Height: d.height, Denom: 1 << d.shift, Orientation: d.orientation}, nil
}

// errChromaSkipped is DecodeLumaContext's signal to decode again in full:
// a marker after the first scan made the skipped chroma needed.
var errChromaSkipped = errors.New("jpegscale: chroma skipped but needed")

// DecodeLumaContext is DecodeScaledContext for a caller that reads only the
// luma of a colour JPEG (hashing's views, which are grey): a three-component
// YCbCr JPEG with no EXIF rotation or flip comes back as *image.Gray, the Y
// plane DecodeScaledContext would return, pixel for pixel, without the
// chroma blocks being dequantized or transformed (their bits are still
// walked). Every other JPEG comes back as DecodeScaledContext returns it.
func DecodeLumaContext(ctx context.Context, data []byte, minWidth, minHeight int) (image.Image, Info, error) {
	d := decoder{ctx: ctx, lumaOnly: true, pickShift: func(w, h int) uint {
		return denomShift(ScaleDenom(w, h, minWidth, minHeight))
	}}
	img, err := d.decode(bytes.NewReader(data), false)
	if errors.Is(err, errChromaSkipped) {
		return DecodeScaledContext(ctx, bytes.NewReader(data), minWidth, minHeight)
	}
	if err != nil {
		return nil, Info{}, err
	}
	return img, Info{Width: d.width, Height: d.height, Denom: 1 << d.shift, Orientation: d.orientation}, nil
}

// DecodeLumaThumb is DecodeScaledBudget for a caller that reads the luma
// of the picture at the scale minWidth×minHeight asks for and its colours
// only from a small copy (hashing: grey views, and a 32×32 hue histogram).
// For a three-component YCbCr JPEG with no EXIF rotation or flip it returns
// the luma as *image.Gray, the Y plane DecodeScaledBudget would return,
// pixel for pixel, and thumb, the picture in colour as DecodeScaled with
// thumbMin×thumbMin would return it (never finer than the luma), pixel for
// pixel. The chroma blocks are then reconstructed at the thumb's scale
// only: at 1/8 from their DC terms alone, with no inverse transform. When
// the thumb's scale is the luma's, img is that *image.YCbCr and thumb is
// img. Every other JPEG (grey, RGB, CMYK or YCCK, rotated or flipped)
// comes back as DecodeScaledBudget returns it, with a nil thumb. over is
// asked as in DecodeScaledBudget; nil means no budget.
func DecodeLumaThumb(ctx context.Context, data []byte, minWidth, minHeight, thumbMin int, over func() error) (img image.Image, thumb *image.YCbCr, info Info, err error) {
	d := decoder{ctx: ctx, over: over, lumaOnly: true,
		pickShift: func(w, h int) uint { return denomShift(ScaleDenom(w, h, minWidth, minHeight)) },
		pickThumb: func(w, h int) uint { return denomShift(ScaleDenom(w, h, thumbMin, thumbMin)) },
	}
	img, err = d.decode(bytes.NewReader(data), false)
	if errors.Is(err, errChromaSkipped) {
		img, info, err = DecodeScaledBudget(ctx, bytes.NewReader(data), minWidth, minHeight, over)
		return img, nil, info, err
	}
	if err != nil {
		return nil, nil, Info{}, err
	}
	info = Info{Width: d.width, Height: d.height, Denom: 1 << d.shift, Orientation: d.orientation}
	if d.skipChroma {
		return img, d.thumb, info, nil
	}
	if y, ok := img.(*image.YCbCr); ok && d.orientation <= 1 {
		return img, y, info, nil
	}
	return img, nil, info, nil
}

// DecodeReduced decodes a JPEG at a fixed reduction 1/denom, denom being 1,
// 2, 4 or 8, for callers (and tests) that want a predictable scale rather
// than DecodeScaled's choice. With denom 1 the result is identical, pixel
// for pixel, to image/jpeg.Decode's.
func DecodeReduced(r io.Reader, denom int) (image.Image, error) {
	switch denom {
	case 1, 2, 4, 8:
	default:
		return nil, errBadDenom
	}
	d := decoder{shift: denomShift(denom)}
	return d.decode(r, false)
}

// denomShift is log2 of a valid denominator.
func denomShift(denom int) uint {
	switch denom {
	case 2:
		return 1
	case 4:
		return 2
	case 8:
		return 3
	}
	return 0
}

// DecodeConfig returns the color model and the declared (full-size)
// dimensions of a JPEG image without decoding it, exactly as
// image/jpeg.DecodeConfig does; it is here so a caller that imports this
// package for decoding needs no second JPEG package for the pixel-limit
// check that must precede it.
func DecodeConfig(r io.Reader) (image.Config, error) {
	var d decoder
	if _, err := d.decode(r, true); err != nil {
		return image.Config{}, err
	}
	switch d.nComp {
	case 1:
		return image.Config{
			ColorModel: color.GrayModel,
			Width:      d.width,
			Height:     d.height,
		}, nil
	case 3:
		cm := color.YCbCrModel
		if d.isRGB() {
			cm = color.RGBAModel
		}
		return image.Config{
			ColorModel: cm,
			Width:      d.width,
			Height:     d.height,
		}, nil
	case 4:
		return image.Config{
			ColorModel: color.CMYKModel,
			Width:      d.width,
			Height:     d.height,
		}, nil
	}
	return image.Config{}, FormatError("missing SOF marker")
}
