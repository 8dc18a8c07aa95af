// Package gray resizes and hashes 8-bit grey pictures exactly as the
// libraries that define hashwatch's codes do — imaging's Box resize,
// nfnt/resize's Bilinear resize (which goimagehash uses) and goimagehash's
// pHash and dHash — bit for bit, but on one channel instead of four, on the
// calling goroutine and into reused buffers.
//
// Crawl-time fingerprinting resizes and hashes every view of a picture three
// ways. On grey views the libraries spent most of that time widening grey to
// RGBA, starting goroutines, allocating and transforming DCT columns whose
// coefficients pHash never reads. The code here is a port of theirs
// (LICENSE), restricted to *image.Gray; the tests compare it with the
// libraries on random pictures of many sizes and on sub-images.
package gray

import (
	"image"
	"math"

	"github.com/corona10/goimagehash/etcs"
	"github.com/corona10/goimagehash/transforms"
)

// Scratch holds the buffers of the resizes, reused from call to call. The
// zero Scratch is ready to use; it is not safe for concurrent use.
type Scratch struct {
	tmp  []uint8 // intermediate pass of a two-pass resize
	wts  []boxWeight
	inv  []float64
	offs []int
	taps taps
	px   [4096]float64 // pHash's 64×64 grey values, then row DCTs
}

// boxWeight is one source sample's weight in imaging's resampling.
type boxWeight struct {
	index  int
	weight float64
}

// clampRound is imaging's clamp: round half up and saturate.
func clampRound(x float64) uint8 {
	v := int64(x + 0.5)
	if v > 255 {
		return 255
	}
	if v > 0 {
		return uint8(v)
	}
	return 0
}

// boxWeights is imaging's precomputeWeights for the Box filter: for each of
// dst output samples, the source samples it averages and their weights,
// flattened into s.wts with s.offs[v]..s.offs[v+1] the range of sample v.
func (s *Scratch) boxWeights(dst, src int) ([]boxWeight, []int) {
	du := float64(src) / float64(dst)
	scale := du
	if scale < 1.0 {
		scale = 1.0
	}
	ru := math.Ceil(scale * 0.5)
	wts, offs := s.wts[:0], append(s.offs[:0], 0)
	for v := 0; v < dst; v++ {
		fu := (float64(v)+0.5)*du - 0.5
		begin := int(math.Ceil(fu - ru))
		if begin < 0 {
			begin = 0
		}
		end := int(math.Floor(fu + ru))
		if end > src-1 {
			end = src - 1
		}
		start := len(wts)
		var sum float64
		for u := begin; u <= end; u++ {
			if math.Abs((float64(u)-fu)/scale) <= 0.5 { // Box kernel: weight 1
				sum += 1.0
				wts = append(wts, boxWeight{index: u, weight: 1.0})
			}
		}
		if sum != 0 {
			for i := start; i < len(wts); i++ {
				wts[i].weight /= sum
			}
		}
		offs = append(offs, len(wts))
	}
	s.wts, s.offs = wts, offs
	return wts, offs
}

// boxPass resamples n lines of length srcLen into lines of length dstLen
// with imaging's arithmetic on an opaque grey channel: sample i of line l is
// in[l*inLine + i*inStep], output sample j goes to out[l*outLine +
// j*outStep]. imaging sums, per sample, v·(255·w) and 255·w in float64 and
// writes the first sum times the reciprocal of the second; the alpha sum
// and the products 255·w are the same on every line, so they are computed
// once per pass, to the same bits.
func (s *Scratch) boxPass(in []uint8, inLine, inStep int, out []uint8, outLine, outStep int, n, srcLen, dstLen int) {
	wts, offs := s.boxWeights(dstLen, srcLen)
	if cap(s.inv) < dstLen {
		s.inv = make([]float64, dstLen)
	}
	inv := s.inv[:dstLen]
	for j := range inv {
		var a float64
		for k := offs[j]; k < offs[j+1]; k++ {
			wts[k].weight *= 255 // now the alpha (255) times the weight
			a += wts[k].weight
		}
		inv[j] = 0
		if a != 0 {
			inv[j] = 1 / a
		}
	}
	for l := 0; l < n; l++ {
		line := in[l*inLine:]
		o := out[l*outLine:]
		for j := 0; j < dstLen; j++ {
			if inv[j] == 0 {
				continue // imaging leaves a sample of no weight zero
			}
			var r float64
			for _, w := range wts[offs[j]:offs[j+1]] {
				r += float64(line[w.index*inStep]) * w.weight
			}
			o[j*outStep] = clampRound(r * inv[j])
		}
	}
}

// boxPass3 is boxPass on three channels interleaved as pixels of three
// bytes (inStep and outStep count pixels): each channel gets boxPass's
// arithmetic to the bit, the three sums kept side by side so that their
// additions overlap instead of waiting on one another.
func (s *Scratch) boxPass3(in []uint8, inLine, inStep int, out []uint8, outLine, outStep int, n, srcLen, dstLen int) {
	wts, offs := s.boxWeights(dstLen, srcLen)
	if cap(s.inv) < dstLen {
		s.inv = make([]float64, dstLen)
	}
	inv := s.inv[:dstLen]
	for j := range inv {
		var a float64
		for k := offs[j]; k < offs[j+1]; k++ {
			wts[k].weight *= 255
			a += wts[k].weight
		}
		inv[j] = 0
		if a != 0 {
			inv[j] = 1 / a
		}
	}
	for l := 0; l < n; l++ {
		line := in[l*inLine:]
		o := out[l*outLine:]
		for j := 0; j < dstLen; j++ {
			if inv[j] == 0 {
				continue
			}
			var r, g, b float64
			for _, w := range wts[offs[j]:offs[j+1]] {
				p := line[3*w.index*inStep : 3*w.index*inStep+3 : 3*w.index*inStep+3]
				r += float64(p[0]) * w.weight
				g += float64(p[1]) * w.weight
				b += float64(p[2]) * w.weight
			}
			q := o[3*j*outStep : 3*j*outStep+3 : 3*j*outStep+3]
			q[0], q[1], q[2] = clampRound(r*inv[j]), clampRound(g*inv[j]), clampRound(b*inv[j])
		}
	}
}

// BoxRGB is Box on each channel of an sw×sh picture of three-byte pixels
// (rows of 3·sw bytes), into a new w×h one: the R, G and B that
// imaging.Resize(img, w, h, imaging.Box) gives an opaque picture with
// those channels.
func (s *Scratch) BoxRGB(pix []uint8, sw, sh, w, h int) []uint8 {
	dst := make([]uint8, 3*w*h)
	if sw <= 0 || sh <= 0 || w <= 0 || h <= 0 {
		return dst
	}
	switch {
	case sw != w && sh != h:
		if cap(s.tmp) < 3*w*sh {
			s.tmp = make([]uint8, 3*w*sh)
		}
		tmp := s.tmp[:3*w*sh]
		clear(tmp)
		s.boxPass3(pix, 3*sw, 1, tmp, 3*w, 1, sh, sw, w)
		s.boxPass3(tmp, 3, w, dst, 3, w, w, sh, h)
	case sw != w:
		s.boxPass3(pix, 3*sw, 1, dst, 3*w, 1, sh, sw, w)
	case sh != h:
		s.boxPass3(pix, 3, sw, dst, 3, w, sw, sh, h)
	default:
		copy(dst, pix[:3*w*h])
	}
	return dst
}

// Box returns src resized to w×h as imaging.Resize(src, w, h, imaging.Box)
// does, as grey: imaging gives each of R, G and B the value computed here.
// When the size is unchanged it returns a copy, as imaging does.
func (s *Scratch) Box(src *image.Gray, w, h int) *image.Gray {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewGray(image.Rect(0, 0, w, h))
	if sw <= 0 || sh <= 0 || w <= 0 || h <= 0 {
		return dst
	}
	switch {
	case sw != w && sh != h:
		// Horizontal pass into a w×sh intermediate, then vertical.
		if cap(s.tmp) < w*sh {
			s.tmp = make([]uint8, w*sh)
		}
		tmp := s.tmp[:w*sh]
		clear(tmp)
		s.boxPass(src.Pix, src.Stride, 1, tmp, w, 1, sh, sw, w)
		s.boxPass(tmp, 1, w, dst.Pix, 1, dst.Stride, w, sh, h)
	case sw != w:
		s.boxPass(src.Pix, src.Stride, 1, dst.Pix, dst.Stride, 1, sh, sw, w)
	case sh != h:
		s.boxPass(src.Pix, 1, src.Stride, dst.Pix, 1, dst.Stride, sw, sh, h)
	default:
		for y := 0; y < h; y++ {
			copy(dst.Pix[y*dst.Stride:y*dst.Stride+w], src.Pix[y*src.Stride:])
		}
	}
	return dst
}

// FitBox scales src down to fit size×size as imaging.Fit(src, size, size,
// imaging.Box) does; a picture that fits already is returned as it is
// (imaging would copy it).
func (s *Scratch) FitBox(src *image.Gray, size int) *image.Gray {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if sw <= size && sh <= size {
		return src
	}
	srcAspect := float64(sw) / float64(sh)
	var w, h int
	if srcAspect > 1 { // size/size is the maximum aspect ratio
		w = size
		h = int(float64(w) / srcAspect)
	} else {
		h = size
		w = int(float64(h) * srcAspect)
	}
	// imaging.Resize keeps the aspect ratio for a side that came out 0.
	if w == 0 {
		w = int(math.Max(1.0, math.Floor(float64(h)*float64(sw)/float64(sh)+0.5)))
	}
	if h == 0 {
		h = int(math.Max(1.0, math.Floor(float64(w)*float64(sh)/float64(sw)+0.5)))
	}
	return s.Box(src, w, h)
}

// bilinearTaps is nfnt/resize's createWeights8 for the Bilinear filter
// (two taps, blur 1) for dy output samples from src input samples, with
// nfnt's clamping of source positions to [0, src-1] applied in advance and
// zero weights dropped: output y is the integer sum of t.co[k]·in[t.idx[k]]
// for k in t.off[y]..t.off[y+1], divided by t.sum[y]. The arithmetic is on
// integers, so the sums are nfnt's whatever their order.
func (s *Scratch) bilinearTaps(dy, src int, scale float64) *taps {
	t := &s.taps
	fl := 2 * int(math.Max(math.Ceil(scale), 1))
	factor := math.Min(1./scale, 1)
	maxX := src - 1
	t.idx, t.co, t.off, t.sum, t.rec = t.idx[:0], t.co[:0], append(t.off[:0], 0), t.sum[:0], t.rec[:0]
	for y := 0; y < dy; y++ {
		ix := scale*(float64(y)+0.5) - 0.5
		start := int(ix) - fl/2 + 1
		ix -= float64(start)
		var sum int32
		for i := 0; i < fl; i++ {
			in := math.Abs((ix - float64(i)) * factor)
			k := 0.0
			if in <= 1 {
				k = 1 - in
			}
			c := int32(int16(k * 256))
			if c == 0 {
				continue
			}
			xi := start + i
			switch {
			case xi < 0:
				xi = 0
			case xi >= maxX:
				xi = maxX
			}
			t.idx = append(t.idx, int32(xi))
			t.co = append(t.co, c)
			sum += c
		}
		t.off = append(t.off, int32(len(t.idx)))
		t.sum = append(t.sum, sum)
		t.rec = append(t.rec, reciprocal(sum))
	}
	return t
}

// taps are one resize pass's weights (see bilinearTaps).
type taps struct {
	idx, co, off, sum []int32
	// rec[y] is a reciprocal of sum[y] for dividing by multiplication, or
	// 0 where it would not be exact (see reciprocal).
	rec []uint64
}

// recShift is the fixed-point shift of taps.rec.
const recShift = 40

// reciprocal returns m with g/d == g·m >> recShift for every 0 ≤ g ≤ 255·d,
// the sums bilinearPass divides (non-negative weights of bytes), or 0 when
// d is too large for that. With m = ⌊2^k/d⌋ + 1 = (2^k + e)/d, 0 < e ≤ d,
// g·m/2^k = g/d + g·e/(d·2^k), whose floor is ⌊g/d⌋ as long as g·e < 2^k,
// which g·d ≤ 255·d² < 2^k ensures.
func reciprocal(d int32) uint64 {
	if d <= 0 || 255*uint64(d)*uint64(d) >= 1<<recShift {
		return 0
	}
	return (1<<recShift)/uint64(d) + 1
}

// bilinearPass is nfnt/resize's resizeGray: it filters the rows rows of in
// (stride inStride) with t and writes them transposed: output sample y of
// row x goes to out[y*outStride+x].
func bilinearPass(in []uint8, inStride, rows int, out []uint8, outStride int, t *taps) {
	dstLen := len(t.sum)
	for x := 0; x < rows; x++ {
		row := in[x*inStride:]
		for y := 0; y < dstLen; y++ {
			var g int32
			lo, hi := t.off[y], t.off[y+1]
			idx := t.idx[lo:hi]
			co := t.co[lo:hi]
			co = co[:len(idx)]
			for k, i := range idx {
				g += co[k] * int32(row[i])
			}
			var v int32
			if m := t.rec[y]; m != 0 {
				v = int32(uint64(g) * m >> recShift) // g ≥ 0: weights and bytes are
			} else {
				v = g / t.sum[y]
			}
			switch {
			case uint32(v) < 256:
				out[y*outStride+x] = uint8(v)
			case v > 255:
				out[y*outStride+x] = 255
			default:
				out[y*outStride+x] = 0
			}
		}
	}
}

// Bilinear returns src resized to w×h as nfnt/resize.Resize(w, h, src,
// resize.Bilinear) does. Like it, it returns src itself when the size is
// unchanged.
func (s *Scratch) Bilinear(src *image.Gray, w, h int) *image.Gray {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	if (w == sw && h == sh) || sw <= 0 || sh <= 0 {
		return src
	}
	scaleX := float64(sw) / float64(w)
	scaleY := float64(sh) / float64(h)
	// Horizontal pass into a transposed sh-wide, w-high intermediate.
	if cap(s.tmp) < w*sh {
		s.tmp = make([]uint8, w*sh)
	}
	tmp := s.tmp[:w*sh]
	bilinearPass(src.Pix, src.Stride, sh, tmp, sh, s.bilinearTaps(w, sw, scaleX))
	// The same pass on the intermediate's rows, transposed back.
	dst := image.NewGray(image.Rect(0, 0, w, h))
	bilinearPass(tmp, sh, w, dst.Pix, dst.Stride, s.bilinearTaps(h, sh, scaleY))
	return dst
}

// greyLuma is goimagehash's grey value of an 8-bit grey pixel v, whose
// RGBA() is v·0x101 on every channel: 0.299·v + 0.587·v + 0.114·v in
// float64, summed left to right. It increases strictly with v.
var greyLuma = func() (t [256]float64) {
	for v := range 256 {
		r, g, b := uint32(v)*0x101, uint32(v)*0x101, uint32(v)*0x101
		t[v] = 0.299*float64(r/257) + 0.587*float64(g/257) + 0.114*float64(b/256)
	}
	return t
}()

// at is src.At(x, y)'s grey value, zero outside src, as goimagehash reads a
// picture it did not have to resize (from (0, 0), whatever src's bounds).
func at(src *image.Gray, x, y int) uint8 {
	return src.GrayAt(x, y).Y
}

// PHash is goimagehash.PerceptionHash(src).GetHash(): the signs against
// their median of the 8×8 lowest frequencies of the DCT of src resized to
// 64×64 bilinearly. Only the 8 columns those frequencies come from get the
// column transform; the values are the library's to the bit (the same
// float64 operations in the same order).
func (s *Scratch) PHash(src *image.Gray) uint64 {
	r := s.Bilinear(src, 64, 64)
	px := &s.px
	if r == src && src.Rect.Min != (image.Point{}) {
		for i := 0; i < 64; i++ {
			for j := 0; j < 64; j++ {
				px[i*64+j] = greyLuma[at(src, j, i)]
			}
		}
	} else {
		for i := 0; i < 64; i++ {
			row := r.Pix[i*r.Stride : i*r.Stride+64]
			for j, v := range row {
				px[i*64+j] = greyLuma[v]
			}
		}
	}
	for i := 0; i < 64; i++ {
		transforms.DCT1DFast64(px[i*64 : i*64+64])
	}
	var flat [64]float64
	var col [64]float64
	for i := 0; i < 8; i++ {
		for j := 0; j < 64; j++ {
			col[j] = px[i+j*64]
		}
		transforms.DCT1DFast64(col[:])
		for j := 0; j < 8; j++ {
			flat[j*8+i] = col[j]
		}
	}
	median := etcs.MedianOfPixelsFast64(flat[:])
	var hash uint64
	for idx, p := range flat {
		if p > median {
			hash |= 1 << uint(64-idx-1)
		}
	}
	return hash
}

// DHash is goimagehash.DifferenceHash(src).GetHash(): src resized to 9×8
// bilinearly, one bit per horizontally adjacent pair, set where the right
// pixel is brighter. The library compares grey values that increase
// strictly with the 8-bit value, so the bytes are compared directly.
func (s *Scratch) DHash(src *image.Gray) uint64 {
	r := s.Bilinear(src, 9, 8)
	var hash uint64
	idx := 0
	for i := 0; i < 8; i++ {
		for j := 0; j < 8; j++ {
			var a, b uint8
			if r == src {
				a, b = at(src, j, i), at(src, j+1, i)
			} else {
				a, b = r.Pix[i*r.Stride+j], r.Pix[i*r.Stride+j+1]
			}
			if a < b {
				hash |= 1 << uint(64-idx-1)
			}
			idx++
		}
	}
	return hash
}
