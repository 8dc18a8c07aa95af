package hashing

import "context"

// QueryByColourDecode fingerprints data for ForQuery the way every query
// was fingerprinted before queries decoded JPEG luma and colour apart:
// one colour decode at the views' scale, the colour summary taken from
// it. Tests compare Image's ForQuery fingerprints with it.
func QueryByColourDecode(ctx context.Context, h *Hasher, data []byte) (Fingerprint, error) {
	img, format, size, err := decodeImage(ctx, data, h.limits, sourceSize(ForQuery))
	if err != nil {
		return Fingerprint{}, err
	}
	return h.decoded(img, img, format, size, ForQuery, nil)
}

// QueryDecodesApart reports whether a query's decode of data took the
// colour summary from a copy smaller than the views' picture.
func QueryDecodesApart(h *Hasher, data []byte) (bool, error) {
	p, err := decodePicture(context.Background(), data, h.limits, sourceSize(ForQuery), colourSize(ForQuery))
	if err != nil {
		return false, err
	}
	return p.colour.Bounds() != p.img.Bounds(), nil
}
