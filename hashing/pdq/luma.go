package pdq

import (
	"image"
	"image/color"
)

// The reference's luma coefficients, as float32 constants.
const (
	lumaFromR float32 = 0.299
	lumaFromG float32 = 0.587
	lumaFromB float32 = 0.114
)

// lumaTab[c][v] is the float32 product of channel c's coefficient and the
// 8-bit value v. Each product is rounded to float32 exactly as the reference
// rounds it, so summing table entries gives bit-identical luma.
var lumaTab = func() (t [3][256]float32) {
	for v := range 256 {
		f := float32(v)
		t[0][v] = float32(lumaFromR * f)
		t[1][v] = float32(lumaFromG * f)
		t[2][v] = float32(lumaFromB * f)
	}
	return t
}()

// RGBLuma is the luma the reference gives a pixel of 8-bit R, G, B (see
// rgbLuma). A caller that resizes a grey picture itself, where a library
// would have widened it to RGB first, gets the same hash by passing
// RGBLuma(v, v, v) for each grey value v to [Hasher.HashLuma].
func RGBLuma(r, g, b uint8) float32 { return rgbLuma(r, g, b) }

// rgbLuma is the reference's fillFloatLumaFromRGB for one pixel:
// 0.299·R + 0.587·G + 0.114·B in float32, summed left to right.
func rgbLuma(r, g, b uint8) float32 {
	return lumaTab[0][r] + lumaTab[1][g] + lumaTab[2][b]
}

// Luma returns the luma plane of img as the reference computes it from 8-bit
// pixels, row-major, Bounds().Dx() values per row. It reuses dst's storage
// when it is large enough.
//
// Grey images (*image.Gray, and any image whose color model is
// color.GrayModel or color.Gray16Model, taking the high byte of 16-bit
// values) give Y = v. All other images are converted to 8-bit straight
// (non-premultiplied) RGB, as color.NRGBAModel does, and give
// Y = 0.299·R + 0.587·G + 0.114·B in float32. Alpha is ignored, as the
// reference ignores the alpha channel of the PNGs it reads: *image.NRGBA
// uses its stored R, G, B unchanged, and translucent *image.RGBA pixels are
// first un-premultiplied. *image.YCbCr is converted to RGB by
// color.YCbCrToRGB, so the result equals that of converting the decoded
// image to RGBA first. *image.Gray, *image.Gray16, *image.RGBA,
// *image.NRGBA, *image.YCbCr and *image.Paletted are read directly; other
// types go through At and the color models, which is much slower.
func Luma(img image.Image, dst []float32) []float32 {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	if w <= 0 || h <= 0 {
		return dst[:0]
	}
	n := w * h
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	var rd rowReader
	rd.reset(img)
	for y := range h {
		rd.row(y, dst[y*w:(y+1)*w])
	}
	return dst
}

// rowReader converts an image to luma one row at a time.
type rowReader struct {
	img  image.Image
	r    image.Rectangle // img.Bounds()
	grey bool            // generic path: the color model is grey
	lut  [256]float32    // *image.Paletted: luma of each palette index
}

// reset prepares rd to read img.
func (rd *rowReader) reset(img image.Image) {
	rd.img = img
	rd.r = img.Bounds()
	rd.grey = false
	switch img := img.(type) {
	case *image.Gray, *image.Gray16, *image.RGBA, *image.NRGBA, *image.YCbCr:
	case *image.Paletted:
		// Each entry converted as the generic path would; indices past
		// the end of the palette (on which At would panic) give 0.
		rd.lut = [256]float32{}
		for i, c := range img.Palette[:min(len(img.Palette), 256)] {
			rd.lut[i] = colorLuma(c)
		}
	default:
		m := img.ColorModel()
		rd.grey = m == color.GrayModel || m == color.Gray16Model
	}
}

// row fills dst (len r.Dx()) with the luma of row r.Min.Y+y.
func (rd *rowReader) row(y int, dst []float32) {
	r := rd.r
	y += r.Min.Y
	switch img := rd.img.(type) {

	case *image.Gray:
		p := img.Pix[img.PixOffset(r.Min.X, y):]
		p = p[:len(dst)]
		for x, v := range p {
			dst[x] = float32(v)
		}
	case *image.Gray16:
		p := img.Pix[img.PixOffset(r.Min.X, y):]
		p = p[:2*len(dst)]
		for x := range dst {
			dst[x] = float32(p[2*x])
		}
	case *image.RGBA:
		p := img.Pix[img.PixOffset(r.Min.X, y):]
		p = p[:4*len(dst)]
		for x := range dst {
			q := p[4*x : 4*x+4 : 4*x+4]
			if a := q[3]; a == 0xff {
				dst[x] = rgbLuma(q[0], q[1], q[2])
			} else {
				dst[x] = rgbLuma(unpremultiply(q[0], a), unpremultiply(q[1], a), unpremultiply(q[2], a))
			}
		}
	case *image.NRGBA:
		p := img.Pix[img.PixOffset(r.Min.X, y):]
		p = p[:4*len(dst)]
		for x := range dst {
			q := p[4*x : 4*x+4 : 4*x+4]
			dst[x] = rgbLuma(q[0], q[1], q[2])
		}
	case *image.YCbCr:
		ycbcrRow(img, r, y, dst)
	case *image.Paletted:
		p := img.Pix[img.PixOffset(r.Min.X, y):]
		p = p[:len(dst)]
		for x, v := range p {
			dst[x] = rd.lut[v]
		}
	default:
		if rd.grey {
			for x := range dst {
				dst[x] = grayLuma(img.At(r.Min.X+x, y))
			}
			return
		}
		for x := range dst {
			dst[x] = colorLuma(img.At(r.Min.X+x, y))
		}
	}
}

// colorLuma is the luma of one color of a non-grey image: its 8-bit
// straight RGB exactly as color.NRGBAModel converts it (without the
// allocation of going through the interface).
func colorLuma(c color.Color) float32 {
	if n, ok := c.(color.NRGBA); ok {
		return rgbLuma(n.R, n.G, n.B)
	}
	r, g, b, a := c.RGBA()
	switch a {
	case 0xffff:
	case 0:
		r, g, b = 0, 0, 0
	default:
		r = (r * 0xffff) / a
		g = (g * 0xffff) / a
		b = (b * 0xffff) / a
	}
	return rgbLuma(uint8(r>>8), uint8(g>>8), uint8(b>>8))
}

// grayLuma is the luma of one color of a grey image: Y as
// color.GrayModel converts it.
func grayLuma(c color.Color) float32 {
	if g, ok := c.(color.Gray); ok {
		return float32(g.Y)
	}
	r, g, b, _ := c.RGBA()
	return float32(uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 24))
}

// unpremultiply converts an 8-bit alpha-premultiplied channel value to
// straight alpha exactly as color.NRGBAModel converts a color.RGBA.
func unpremultiply(v, a uint8) uint8 {
	if a == 0 {
		return 0
	}
	v16 := uint32(v) * 0x101
	a16 := uint32(a) * 0x101
	return uint8((v16 * 0xffff / a16) >> 8)
}

// chromaTerms returns the chroma contributions to R, G and B of
// color.YCbCrToRGB, in its 16.16 fixed point.
func chromaTerms(cb, cr uint8) (int32, int32, int32) {
	cb1 := int32(cb) - 128
	cr1 := int32(cr) - 128
	return 91881 * cr1, -22554*cb1 - 46802*cr1, 116130 * cb1
}

// clampShift is color.YCbCrToRGB's rounding and clamping of one channel.
func clampShift(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}

// ycbcrLuma is rgbLuma(color.YCbCrToRGB(y, cb, cr)) given chromaTerms(cb, cr).
// Integer addition is associative, so adding the precomputed terms gives
// YCbCrToRGB's exact channel values.
func ycbcrLuma(y uint8, tr, tg, tb int32) float32 {
	return rgbLuma(ycbcrRGB(y, tr, tg, tb))
}

// ycbcrRGB is color.YCbCrToRGB given chromaTerms(cb, cr); small enough to
// inline.
func ycbcrRGB(y uint8, tr, tg, tb int32) (uint8, uint8, uint8) {
	yy := int32(y) * 0x10101
	return clampShift(yy + tr), clampShift(yy + tg), clampShift(yy + tb)
}

// ycbcrRow is lumaRow for *image.YCbCr, with the chroma indexing of
// image.YCbCr.COffset.
func ycbcrRow(img *image.YCbCr, r image.Rectangle, y int, dst []float32) {
	yp := img.Y[img.YOffset(r.Min.X, y):]
	yp = yp[:len(dst)]
	ci := img.COffset(r.Min.X, y)
	x0 := r.Min.X
	div := 1 // luma columns per chroma column
	switch img.SubsampleRatio {
	case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
		div = 2
	case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
		div = 4
	}
	if div == 2 && x0 >= 0 {
		// Common case: pixels x and x+1 (x even) share chroma sample
		// ci + x/2 - x0/2.
		cb := img.Cb[ci:]
		cr := img.Cr[ci:]
		i, c := 0, 0
		if x0&1 != 0 {
			tr, tg, tb := chromaTerms(cb[0], cr[0])
			dst[0] = ycbcrLuma(yp[0], tr, tg, tb)
			i, c = 1, 1
		}
		for ; i+1 < len(yp); i, c = i+2, c+1 {
			tr, tg, tb := chromaTerms(cb[c], cr[c])
			dst[i] = rgbLuma(ycbcrRGB(yp[i], tr, tg, tb))
			dst[i+1] = rgbLuma(ycbcrRGB(yp[i+1], tr, tg, tb))
		}
		if i < len(yp) {
			tr, tg, tb := chromaTerms(cb[c], cr[c])
			dst[i] = ycbcrLuma(yp[i], tr, tg, tb)
		}
		return
	}
	// General case, with Go's truncating division as in COffset.
	base := ci - x0/div
	for i, yy := range yp {
		c := base + (x0+i)/div
		tr, tg, tb := chromaTerms(img.Cb[c], img.Cr[c])
		dst[i] = ycbcrLuma(yy, tr, tg, tb)
	}
}
