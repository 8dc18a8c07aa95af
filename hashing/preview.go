package hashing

import (
	"bytes"
	"context"
	"fmt"
	"image"
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
	img, _, _, err := decodeImage(context.Background(), data, h.limits, PreviewSize, false)
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
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, fmt.Errorf("preview of a %dx%d picture: %w", b.Dx(), b.Dy(), ErrCorrupt)
	}
	w, hgt := scaledSize(b.Dx(), b.Dy(), PreviewSize)
	dw, dh := scaledSize(b.Dx(), b.Dy(), previewDetail)
	coarse := imaging.Resize(img, dw, dh, imaging.Box)
	out := imaging.Resize(coarse, w, hgt, imaging.Linear)
	out = imaging.Blur(out, float64(max(w, hgt))/float64(previewDetail)/2)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: previewQuality}); err != nil {
		return nil, fmt.Errorf("preview: encode: %w", err)
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
