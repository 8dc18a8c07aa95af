package hashing

import (
	"image"
	"image/color"
	"image/draw"
)

// alphaBackground is the colour decoding lays under every transparent or
// translucent pixel. A fully transparent pixel still stores some RGB, which
// no viewer shows: sprites and icons often keep a drawing's leftovers, a
// flat colour or noise there, and hashing it made two sprites on an
// invisible ground look alike (or one sprite look unlike itself). Pictures
// are hashed as they are seen, composited over one fixed ground; white,
// because that is what a browser's default page, an image viewer's
// default and most flattening tools (ImageMagick's -flatten, "save as
// JPEG") put under a transparent picture, so its flattened re-upload
// hashes alike.
var alphaBackground = color.NRGBA{R: 255, G: 255, B: 255, A: 255}

// flattenAlpha returns img composited over alphaBackground, or img itself
// when every pixel is opaque (JPEGs, most PNGs: no copy). The result is
// an opaque *image.NRGBA with img's bounds.
func flattenAlpha(img image.Image) image.Image {
	if o, ok := img.(interface{ Opaque() bool }); ok && o.Opaque() {
		return img
	}
	b := img.Bounds()
	dst := image.NewRGBA(b)
	draw.Draw(dst, b, image.NewUniform(alphaBackground), image.Point{}, draw.Src)
	draw.Draw(dst, b, img, b.Min, draw.Over)
	// Every pixel is opaque now, where premultiplied and straight RGBA are
	// the same bytes: the hashes' fast paths read *image.NRGBA.
	return &image.NRGBA{Pix: dst.Pix, Stride: dst.Stride, Rect: dst.Rect}
}

// greyIfGrey returns an opaque picture whose pixels are all grey (R = G =
// B) as an *image.Gray, as a decoder hands over a grey file; any other
// picture is returned as it is. Pixels decoded elsewhere arrive as RGBA
// whatever the file held, and the hashes weigh a grey picture's value v
// as v, where the RGB weights give 0.299·v + 0.587·v + 0.114·v, which in
// float32 may differ from v in the last bit.
func greyIfGrey(img image.Image) image.Image {
	var pix []uint8
	var stride int
	b := img.Bounds()
	switch m := img.(type) {
	case *image.NRGBA:
		pix, stride = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
	case *image.RGBA:
		pix, stride = m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], m.Stride
	default:
		return img
	}
	w, h := b.Dx(), b.Dy()
	for y := range h {
		row := pix[y*stride : y*stride+4*w]
		for x := 0; x < len(row); x += 4 {
			if row[x] != row[x+1] || row[x] != row[x+2] || row[x+3] != 0xff {
				return img
			}
		}
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		row := pix[y*stride : y*stride+4*w]
		out := g.Pix[y*g.Stride : y*g.Stride+w]
		for x := range out {
			out[x] = row[4*x]
		}
	}
	return g
}
