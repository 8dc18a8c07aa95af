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
