package hashing

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"

	"github.com/disintegration/imaging"
)

// PreviewSize is the long side, in pixels, of a blurred preview.
const PreviewSize = 96

// previewDetail is the long side, in pixels, of the picture a preview is
// made from: everything finer than 1/previewDetail of the picture is gone
// before the preview is scaled up to PreviewSize and blurred again. It is
// enough to tell a face from a landscape or two framings apart, and not
// enough to recognise a person.
const previewDetail = 16

// previewQuality is the JPEG quality of a preview; a blurred 96-px picture
// needs little, and the result is 1–3 KB.
const previewQuality = 60

// Preview decodes data under the hasher's limits and returns a blurred
// thumbnail of it (see PreviewImage). It is what an alert keeps of a
// matched file instead of the file: operators review a match without being
// shown the abusive picture itself.
func (h *Hasher) Preview(data []byte) ([]byte, error) {
	// A JPEG decoded at reduced scale is plenty: the preview keeps 16 px.
	img, _, _, err := decodeImage(context.Background(), data, h.limits, PreviewSize)
	if err != nil {
		return nil, fmt.Errorf("preview: %w", err)
	}
	return PreviewImage(img)
}

// PreviewImage returns a heavily blurred JPEG thumbnail of img: at most
// PreviewSize pixels on its long side, made from a copy only previewDetail
// pixels across, so no detail survives that a sharper preview could show.
// Colours are kept, since they help an operator tell pictures apart.
func PreviewImage(img image.Image) ([]byte, error) {
	out, err := previewPixels(img)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: previewQuality}); err != nil {
		return nil, fmt.Errorf("preview: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// previewPixels is PreviewImage's picture before encoding.
func previewPixels(img image.Image) (*image.NRGBA, error) {
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, fmt.Errorf("preview of a %dx%d picture: %w", b.Dx(), b.Dy(), ErrCorrupt)
	}
	w, hgt := scaledSize(b.Dx(), b.Dy(), PreviewSize)
	dw, dh := scaledSize(b.Dx(), b.Dy(), previewDetail)
	coarse := imaging.Resize(img, dw, dh, imaging.Box)
	out := imaging.Resize(coarse, w, hgt, imaging.Linear)
	return imaging.Blur(out, float64(max(w, hgt))/float64(previewDetail)/2), nil
}

// stripGap is the space between a strip's frames, in pixels.
const stripGap = 4

// PreviewStrip is a video alert's keyframe strip: each frame blurred as
// PreviewImage blurs a picture, side by side, as one JPEG. It is made on
// demand from frames of the video fetched live and is never stored.
func PreviewStrip(frames []image.Image) ([]byte, error) {
	if len(frames) == 0 {
		return nil, fmt.Errorf("a strip of no frames: %w", ErrCorrupt)
	}
	var tiles []*image.NRGBA
	w, h := 0, 0
	for _, f := range frames {
		t, err := previewPixels(f)
		if err != nil {
			return nil, err
		}
		tiles = append(tiles, t)
		w += t.Bounds().Dx() + stripGap
		h = max(h, t.Bounds().Dy())
	}
	strip := imaging.New(w-stripGap, h, color.White)
	x := 0
	for _, t := range tiles {
		strip = imaging.Paste(strip, t, image.Pt(x, 0))
		x += t.Bounds().Dx() + stripGap
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, strip, &jpeg.Options{Quality: previewQuality}); err != nil {
		return nil, fmt.Errorf("strip: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// scaledSize fits w×h into long×long, keeping the aspect ratio and at
// least one pixel per side; a picture already smaller than that is scaled
// up, so every preview has the same size whatever the original's.
func scaledSize(w, h, long int) (int, int) {
	if w >= h {
		return long, max(1, (h*long+w/2)/w)
	}
	return max(1, (w*long+h/2)/h), long
}

// ThumbSize is the long side, in pixels, of a queue thumbnail.
const ThumbSize = 48

// maxPreviewSide bounds the sides of a stored preview that Thumbnail
// decodes: previews are PreviewSize pixels; anything far larger is not one.
const maxPreviewSide = 4 * PreviewSize

// Thumbnail makes the alert queue's row thumbnail from a stored blurred
// preview (PreviewImage's JPEG), never from media: ThumbSize pixels on its
// long side and grey, so a page of fifty rows shows no more than fifty
// previews would, in less colour. An operator tells rows apart by shape
// and light at a glance, and reveals a preview for more.
func Thumbnail(preview []byte) ([]byte, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(preview))
	if err != nil {
		return nil, fmt.Errorf("thumbnail: %w: %v", ErrCorrupt, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPreviewSide || cfg.Height > maxPreviewSide {
		return nil, fmt.Errorf("thumbnail of a %dx%d preview (at most %d px a side): %w", cfg.Width, cfg.Height, maxPreviewSide, ErrTooLarge)
	}
	img, err := jpeg.Decode(bytes.NewReader(preview))
	if err != nil {
		return nil, fmt.Errorf("thumbnail: %w: %v", ErrCorrupt, err)
	}
	w, h := scaledSize(cfg.Width, cfg.Height, ThumbSize)
	out := imaging.Grayscale(imaging.Resize(img, w, h, imaging.Box))
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: previewQuality}); err != nil {
		return nil, fmt.Errorf("thumbnail: encode: %w", err)
	}
	return buf.Bytes(), nil
}
