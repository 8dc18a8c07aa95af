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
	limits = limits.withDefaults()
	if int64(len(data)) > limits.MaxBytes {
		return nil, "", image.Point{}, fmt.Errorf("%d bytes, limit %d: %w", len(data), limits.MaxBytes, ErrTooLarge)
	}
	format := Sniff(data)
	if format == "" {
		return nil, "", image.Point{}, fmt.Errorf("not a JPEG, PNG, GIF, WebP, BMP or TIFF image: %w", ErrUnsupported)
	}
	cfg, _, err := decodeConfig(data)
	if err != nil {
		return nil, format, image.Point{}, fmt.Errorf("read %s header: %v: %w", format, err, ErrCorrupt)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, format, image.Point{}, fmt.Errorf("%s declares %dx%d pixels: %w", format, cfg.Width, cfg.Height, ErrCorrupt)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > limits.MaxPixels {
		return nil, format, image.Point{}, fmt.Errorf("%s declares %dx%d = %d pixels, limit %d: %w",
			format, cfg.Width, cfg.Height, px, limits.MaxPixels, ErrTooLarge)
	}
	var img image.Image
	size := image.Pt(cfg.Width, cfg.Height)
	if format == FormatJPEG {
		if _, err := jpegScanCount(data, limits.MaxJPEGScans); err != nil {
			return nil, format, image.Point{}, err
		}
		if minLong <= 0 {
			minLong = math.MaxInt32 // no reduction reaches it: full size
		}
		dctx, cancel := context.WithTimeout(ctx, limits.MaxDecodeTime)
		budget, done := startDecodeBudget(limits.MaxDecodeCPU)
		var orientation int
		img, orientation, err = decodeJPEGScaled(dctx, data, minLong, budget.over)
		done()
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil, format, image.Point{}, fmt.Errorf("decode %s: %w", format, ctx.Err())
		case errors.Is(err, errDecodeCPU):
			return nil, format, image.Point{}, fmt.Errorf("decode %s (%dx%d, %d bytes): stopped after %v of CPU, over the decode budget of %v (max_decode_cpu): %w",
				format, cfg.Width, cfg.Height, len(data), budget.used().Round(time.Millisecond), limits.MaxDecodeCPU, ErrTooLarge)
		case errors.Is(err, context.DeadlineExceeded):
			return nil, format, image.Point{}, fmt.Errorf("decode %s (%dx%d, %d bytes): longer than the decode time limit of %v (max_decode_time): %w",
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
		return nil, format, image.Point{}, fmt.Errorf("decode %s: %v: %w", format, err, ErrCorrupt)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, format, image.Point{}, fmt.Errorf("%s decoded to %dx%d pixels: %w", format, b.Dx(), b.Dy(), ErrCorrupt)
	}
	return flattenAlpha(img), format, size, nil
}

// decodeJPEGScaled decodes a JPEG reduced so its long side is still at least
// minLong (at full size when no reduction keeps that much), then applies its
// EXIF orientation as imaging.Decode would. It stops with ctx's error soon
// after ctx is done, or with over's once over reports the budget spent.
func decodeJPEGScaled(ctx context.Context, data []byte, minLong int, over func() error) (img image.Image, orientation int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panic: %v", r)
		}
	}()
	img, info, err := jpegscale.DecodeScaledBudget(ctx, bytes.NewReader(data), minLong, minLong, over)
	if err != nil {
		return nil, 0, err
	}
	return orient(img, info.Orientation), info.Orientation, nil
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
