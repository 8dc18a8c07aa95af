package hashing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // registers GIF (first frame) with image.Decode
	_ "image/jpeg" // registers JPEG
	_ "image/png"  // registers PNG
	"io"
	"math"
	"time"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/hashing/internal/jpegscale"
	_ "golang.org/x/image/bmp"  // registers BMP
	_ "golang.org/x/image/tiff" // registers TIFF
	"golang.org/x/image/webp"
)

// Format names an encoding recognised by its leading bytes.
type Format string

// The image formats this package decodes.
const (
	FormatJPEG Format = "jpeg"
	FormatPNG  Format = "png"
	FormatGIF  Format = "gif"
	FormatWebP Format = "webp"
	FormatBMP  Format = "bmp"
	FormatTIFF Format = "tiff"
)

// Sniff names the image format of data from its magic bytes, or returns ""
// when data is not an image this package decodes. It trusts no file name or
// Content-Type: re-uploads are often served under the wrong ones.
func Sniff(data []byte) Format {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		return FormatJPEG
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return FormatGIF
	case len(data) >= 12 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WEBP")):
		return FormatWebP
	case bytes.HasPrefix(data, []byte("BM")) && len(data) >= 26:
		return FormatBMP
	case bytes.HasPrefix(data, []byte("II*\x00")), bytes.HasPrefix(data, []byte("MM\x00*")):
		return FormatTIFF
	}
	return ""
}

// ReadLimited reads all of r, failing with ErrTooLarge as soon as more than
// max bytes arrive, so an endless or oversized body never fills memory and is
// never silently truncated.
func ReadLimited(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("more than %d bytes: %w", max, ErrTooLarge)
	}
	return data, nil
}

// DecodeImage decodes data under limits: it sniffs the format, checks the
// declared dimensions against the pixel limit before allocating pixels, then
// decodes with EXIF orientation applied. GIFs yield their first frame.
// Transparent and translucent pixels come composited over white,
// so what they hide never reaches a hash.
func DecodeImage(data []byte, limits Limits) (image.Image, Format, error) {
	img, format, _, err := decodeImage(context.Background(), data, limits, 0)
	return img, format, err
}

// DecodeImageSmall is DecodeImage for a caller that needs only a small
// copy: it may decode a JPEG at 1/2, 1/4 or 1/8 scale, keeping the long
// side at least minLong pixels (see decodeImage).
func DecodeImageSmall(data []byte, limits Limits, minLong int) (image.Image, Format, error) {
	img, format, _, err := decodeImage(context.Background(), data, limits, max(minLong, 1))
	return img, format, err
}

// decodeImage is DecodeImage that, given minLong > 0, may decode a JPEG at
// 1/2, 1/4 or 1/8 scale straight from its DCT coefficients, as long as the
// long side stays at least minLong pixels: hashes look at a few hundred
// pixels, and most of a full decode's cost is pixels they never see. It
// also returns the picture's full size as declared, after orientation.
// Every image leaves it opaque (flattenAlpha): this is the one decode step
// registration, crawling, inspection and previews share, so a transparent
// picture is hashed the same way on both sides of a match.
// A JPEG's decode stops when ctx is done or limits.MaxDecodeCPU or
// MaxDecodeTime is spent (decodebudget.go).
func decodeImage(ctx context.Context, data []byte, limits Limits, minLong int) (image.Image, Format, image.Point, error) {
	p, err := decodePicture(ctx, data, limits, minLong, 0)
	return p.img, p.format, p.size, err
}

// picture is what decodePicture returns.
type picture struct {
	// img is the picture, opaque, as decodeImage returns it, except that
	// a colour JPEG may come as its luma alone (*image.Gray) when a colour
	// copy was asked for.
	img image.Image
	// colour is what the colour summary is taken from: a small colour copy
	// of a JPEG, or img itself.
	colour image.Image
	format Format
	size   image.Point // the full size as declared, after orientation
}

// decodePicture is decodeImage for a caller that reads the picture's
// pixels only as luma, at minLong, and its colours only from a small copy
// whose long side is at least colourMin (the crawl's fingerprint: grey
// views and a 32×32 hue histogram). Given colourMin > 0, a colour JPEG
// without EXIF rotation or flip is decoded as its luma at the scale
// minLong asks for — the same Y plane, pixel for pixel, so every hash is
// what decodeImage's picture gives — and its chroma only at the scale
// colourMin asks for (1/8, from the DC terms alone, for a photo of 256 px
// or more), which saves the inverse transforms of the chroma blocks and
// the conversion of every pixel to RGB. Every other picture decodes as
// decodeImage decodes it, and colour is img. colourMin ≤ 0: decodeImage.
func decodePicture(ctx context.Context, data []byte, limits Limits, minLong, colourMin int) (picture, error) {
	limits = limits.withDefaults()
	if int64(len(data)) > limits.MaxBytes {
		return picture{}, fmt.Errorf("%d bytes, limit %d: %w", len(data), limits.MaxBytes, ErrTooLarge)
	}
	format := Sniff(data)
	if format == "" {
		return picture{}, fmt.Errorf("not a JPEG, PNG, GIF, WebP, BMP or TIFF image: %w", ErrUnsupported)
	}
	fail := picture{format: format}
	cfg, _, err := decodeConfig(data)
	if err != nil {
		return fail, fmt.Errorf("read %s header: %v: %w", format, err, ErrCorrupt)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return fail, fmt.Errorf("%s declares %dx%d pixels: %w", format, cfg.Width, cfg.Height, ErrCorrupt)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > limits.MaxPixels {
		return fail, fmt.Errorf("%s declares %dx%d = %d pixels, limit %d: %w",
			format, cfg.Width, cfg.Height, px, limits.MaxPixels, ErrTooLarge)
	}
	var img, thumb image.Image
	size := image.Pt(cfg.Width, cfg.Height)
	if format == FormatJPEG {
		if _, err := jpegScanCount(data, limits.MaxJPEGScans); err != nil {
			return fail, err
		}
		if minLong <= 0 {
			minLong = math.MaxInt32 // no reduction reaches it: full size
		}
		dctx, cancel := context.WithTimeout(ctx, limits.MaxDecodeTime)
		budget, done := startDecodeBudget(limits.MaxDecodeCPU)
		var orientation int
		img, thumb, orientation, err = decodeJPEGScaled(dctx, data, minLong, colourMin, budget.over)
		done()
		cancel()
		switch {
		case ctx.Err() != nil:
			return fail, fmt.Errorf("decode %s: %w", format, ctx.Err())
		case errors.Is(err, errDecodeCPU):
			return fail, fmt.Errorf("decode %s (%dx%d, %d bytes): stopped after %v of CPU, over the decode budget of %v (max_decode_cpu): %w",
				format, cfg.Width, cfg.Height, len(data), budget.used().Round(time.Millisecond), limits.MaxDecodeCPU, ErrTooLarge)
		case errors.Is(err, context.DeadlineExceeded):
			return fail, fmt.Errorf("decode %s (%dx%d, %d bytes): longer than the decode time limit of %v (max_decode_time): %w",
				format, cfg.Width, cfg.Height, len(data), limits.MaxDecodeTime, ErrTooLarge)
		}
		if orientation >= 5 && orientation <= 8 {
			size = image.Pt(size.Y, size.X)
		}
	} else {
		img, err = decode(data)
		if err == nil {
			size = img.Bounds().Size()
		}
	}
	if err != nil {
		return fail, fmt.Errorf("decode %s: %v: %w", format, err, ErrCorrupt)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return fail, fmt.Errorf("%s decoded to %dx%d pixels: %w", format, b.Dx(), b.Dy(), ErrCorrupt)
	}
	p := picture{img: flattenAlpha(img), format: format, size: size}
	p.colour = p.img
	if thumb != nil {
		p.colour = thumb // YCbCr: opaque
	}
	return p, nil
}

// decodeJPEGScaled decodes a JPEG reduced so its long side is still at least
// minLong (at full size when no reduction keeps that much), then applies its
// EXIF orientation as imaging.Decode would. Given colourMin > 0 it may
// return the luma alone and a colour copy whose long side is at least
// colourMin (see decodePicture); thumb is nil otherwise. It stops with
// ctx's error soon after ctx is done, or with over's once over reports the
// budget spent.
func decodeJPEGScaled(ctx context.Context, data []byte, minLong, colourMin int, over func() error) (img, thumb image.Image, orientation int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panic: %v", r)
		}
	}()
	var info jpegscale.Info
	if colourMin > 0 {
		var t *image.YCbCr
		img, t, info, err = jpegscale.DecodeLumaThumb(ctx, data, minLong, minLong, colourMin, over)
		if t != nil {
			// Only for a picture with no rotation or flip: orient leaves
			// img as it is.
			thumb = t
		}
	} else {
		img, info, err = jpegscale.DecodeScaledBudget(ctx, bytes.NewReader(data), minLong, minLong, over)
	}
	if err != nil {
		return nil, nil, 0, err
	}
	return orient(img, info.Orientation), thumb, info.Orientation, nil
}

// orient applies an EXIF orientation (1–8), with the same transforms as
// imaging's AutoOrientation.
func orient(img image.Image, o int) image.Image {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	return img
}

// decodeConfig and decode turn a decoder panic on hostile bytes into an error:
// a crawl must outlive any one file, and the decoders in golang.org/x/image
// have panicked on crafted input before.
//
// WebP goes to golang.org/x/image/webp by name rather than through package
// image's registry: another package linked into the same binary (the eval's
// WebP encoder, github.com/gen2brain/webp) registers a libwebp-in-WebAssembly
// decoder for the same magic bytes, and whichever registers first would win.
func decodeConfig(data []byte) (cfg image.Config, name string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panic: %v", r)
		}
	}()
	if Sniff(data) == FormatWebP {
		cfg, err = webp.DecodeConfig(bytes.NewReader(data))
		return cfg, string(FormatWebP), err
	}
	return image.DecodeConfig(bytes.NewReader(data))
}

func decode(data []byte) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panic: %v", r)
		}
	}()
	if Sniff(data) == FormatWebP {
		return webp.Decode(bytes.NewReader(data))
	}
	return imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
}
