package hashing

import (
	"image"
	"image/color"

	"github.com/disintegration/imaging"
)

// workingCopy returns img as 8-bit luma, scaled with an area filter to fit
// size×size. Every view is cut from it: the hashes all reduce a picture to
// grey first (PDQ and goimagehash with the same 0.299/0.587/0.114 weights),
// so doing that once, on a small copy, saves each hash its own conversion
// and large resize, and lets crops be sub-images that copy nothing.
//
// Grey pictures (a JPEG's Y plane is the luma already) are scaled on their
// one channel by package gray, to the bit as imaging.Fit would scale them.
func (s *scratch) workingCopy(img image.Image, size int) *image.Gray {
	b := img.Bounds()
	if b.Dx() > size || b.Dy() > size {
		switch g := img.(type) {
		case *image.YCbCr:
			return s.gray.FitBox(lumaPlane(g), size)
		case *image.Gray:
			return s.gray.FitBox(g, size)
		}
		img = imaging.Fit(img, size, size, imaging.Box)
	}
	if y, ok := img.(*image.YCbCr); ok {
		return lumaPlane(y)
	}
	return toGray(img)
}

// lumaPlane views a YCbCr image's Y plane as a Gray image, without copying.
func lumaPlane(y *image.YCbCr) *image.Gray {
	return &image.Gray{Pix: y.Y, Stride: y.YStride, Rect: y.Rect}
}

// toGray converts img to luma with the weights the hashes use.
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	switch src := img.(type) {
	case *image.Gray:
		for y := 0; y < b.Dy(); y++ {
			copy(g.Pix[y*g.Stride:y*g.Stride+b.Dx()], src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.RGBA:
		// Opaque, as decoding leaves every picture (flattenAlpha), so its
		// premultiplied values are its colours: read them with the weights
		// NRGBA gets, or an opaque PNG (decoded as RGBA) and the same
		// picture flattened from a transparent one (NRGBA) would differ by
		// rounding.
		for y := 0; y < b.Dy(); y++ {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			out := g.Pix[y*g.Stride:]
			for x := 0; x < b.Dx(); x++ {
				p := row[4*x : 4*x+3 : 4*x+3]
				out[x] = uint8((299*uint32(p[0]) + 587*uint32(p[1]) + 114*uint32(p[2]) + 500) / 1000)
			}
		}
	case *image.NRGBA:
		for y := 0; y < b.Dy(); y++ {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			out := g.Pix[y*g.Stride:]
			for x := 0; x < b.Dx(); x++ {
				p := row[4*x : 4*x+3 : 4*x+3]
				out[x] = uint8((299*uint32(p[0]) + 587*uint32(p[1]) + 114*uint32(p[2]) + 500) / 1000)
			}
		}
	default:
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				g.Pix[y*g.Stride+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			}
		}
	}
	return g
}

// The transforms below work on Gray images directly; imaging's return
// NRGBA, four times the bytes, for pictures that are grey by now.

func flipH(src *image.Gray) *image.Gray {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dst := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
		out := dst.Pix[y*dst.Stride:]
		for x := 0; x < w; x++ {
			out[x] = row[w-1-x]
		}
	}
	return dst
}

// rotate turns src counter-clockwise by quarter turns (1, 2 or 3).
func rotate(src *image.Gray, quarters int) *image.Gray {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := h, w
	if quarters == 2 {
		dw, dh = w, h
	}
	dst := image.NewGray(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
		for x := 0; x < w; x++ {
			var dx, dy int
			switch quarters {
			case 1: // 90° counter-clockwise
				dx, dy = y, w-1-x
			case 2:
				dx, dy = w-1-x, h-1-y
			default: // 270° counter-clockwise
				dx, dy = h-1-y, x
			}
			dst.Pix[dy*dst.Stride+dx] = row[x]
		}
	}
	return dst
}
