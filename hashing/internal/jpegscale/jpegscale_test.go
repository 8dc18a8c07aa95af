package jpegscale

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// photoGlob finds the fixture photos, relative to this package directory.
const photoGlob = "../../../fixtures/photos/known/*.jpg"

// sample is one JPEG the tests decode.
type sample struct {
	name string
	data []byte
}

// samples returns every JPEG the tests use: Go's image/jpeg test images
// (every subsampling mode, progressive, restart markers, gray, CMYK, RGB;
// copied into testdata/), re-encodings of a fixture photo (testdata/macaw.*,
// see testdata/README.md), the fixture photos, and a few images encoded here
// with odd sizes. Files that image/jpeg itself rejects (the truncated one)
// are left out.
func samples(t testing.TB) []sample {
	t.Helper()
	var out []sample
	files, _ := filepath.Glob("testdata/*.jp*g")
	photos, _ := filepath.Glob(photoGlob)
	if len(photos) == 0 {
		t.Logf("no fixture photos at %s", photoGlob)
	}
	files = append(files, photos...)
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
			continue
		}
		out = append(out, sample{filepath.Base(f), b})
	}
	for _, sz := range [][2]int{{1, 1}, {7, 9}, {17, 33}, {123, 45}} {
		for _, gray := range []bool{false, true} {
			out = append(out, sample{fmt.Sprintf("gen-%dx%d-gray=%v", sz[0], sz[1], gray), genJPEG(t, sz[0], sz[1], gray, 90)})
		}
	}
	out = append(out, sample{"noise-200x150", noiseJPEG(t, 200, 150)})
	return out
}

// noiseJPEG encodes a gray pattern of hard 0↔255 wrap-arounds: the worst
// case for reduced decoding, whose ringing past 0 and 255 the full decode
// clips per pixel but the reduced decode averages before clipping.
func noiseJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g.SetGray(x, y, color.Gray{uint8((x*7 + y*3) ^ (x * y / 5))})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, g, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// genJPEG encodes a w×h test pattern (gradients plus a few edges) with
// image/jpeg, as 4:2:0 YCbCr or as gray.
func genJPEG(t testing.TB, w, h int, gray bool, quality int) []byte {
	t.Helper()
	var img image.Image
	if gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				g.SetGray(x, y, color.Gray{uint8(x*200/max(w, 1) + 50*((x/10+y/10)%2))})
			}
		}
		img = g
	} else {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				m.SetRGBA(x, y, color.RGBA{uint8(x * 255 / max(w, 1)), uint8(y * 255 / max(h, 1)), uint8((x ^ y) * 4), 255})
			}
		}
		img = m
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// plane is one channel of a decoded image, addressed from (0, 0).
type plane struct {
	name string
	w, h int
	at   func(x, y int) uint8
	// cw×ch is the cell of pixels that share one decoded sample: 1×1 except
	// for the subsampled channels of a CMYK or RGB JPEG, which image/jpeg
	// (and this package) upsample by repeating samples.
	cw, ch int
}

// subsampling returns, for each component of the JPEG data, how many pixels
// wide and high one of its samples is (1 for full resolution).
func subsampling(t testing.TB, data []byte) (hs, vs [maxComponents]int) {
	t.Helper()
	var d decoder
	if _, err := d.decode(bytes.NewReader(data), true); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < d.nComp; i++ {
		hs[i], vs[i] = d.comp[0].h/d.comp[i].h, d.comp[0].v/d.comp[i].v
	}
	return hs, vs
}

// planes splits img, decoded from data, into its channels at their own
// resolution: Y, Cb and Cr (chroma possibly subsampled) for YCbCr, one for
// Gray, four for CMYK and R, G, B for RGBA. Every image here has Rect.Min
// == (0, 0).
func planes(t testing.TB, img image.Image, data []byte) []plane {
	t.Helper()
	hs, vs := subsampling(t, data)
	b := img.Bounds()
	if b.Min != (image.Point{}) {
		t.Fatalf("bounds %v do not start at 0,0", b)
	}
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.Gray:
		return []plane{{"gray", w, h, func(x, y int) uint8 { return m.Pix[y*m.Stride+x] }, 1, 1}}
	case *image.YCbCr:
		hs, vs := 1, 1
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio422:
			hs = 2
		case image.YCbCrSubsampleRatio420:
			hs, vs = 2, 2
		case image.YCbCrSubsampleRatio440:
			vs = 2
		case image.YCbCrSubsampleRatio411:
			hs = 4
		case image.YCbCrSubsampleRatio410:
			hs, vs = 4, 2
		}
		cw, ch := (w+hs-1)/hs, (h+vs-1)/vs
		return []plane{
			{"Y", w, h, func(x, y int) uint8 { return m.Y[y*m.YStride+x] }, 1, 1},
			{"Cb", cw, ch, func(x, y int) uint8 { return m.Cb[y*m.CStride+x] }, 1, 1},
			{"Cr", cw, ch, func(x, y int) uint8 { return m.Cr[y*m.CStride+x] }, 1, 1},
		}
	case *image.CMYK:
		var ps []plane
		for c, name := range []string{"C", "M", "Y", "K"} {
			ps = append(ps, plane{name, w, h, func(x, y int) uint8 { return m.Pix[y*m.Stride+4*x+c] }, hs[c], vs[c]})
		}
		return ps
	case *image.RGBA:
		var ps []plane
		for c, name := range []string{"R", "G", "B"} {
			ps = append(ps, plane{name, w, h, func(x, y int) uint8 { return m.Pix[y*m.Stride+4*x+c] }, hs[c], vs[c]})
		}
		return ps
	}
	t.Fatalf("unexpected image type %T", img)
	return nil
}

// boxError compares a reduced plane with the full plane box-filtered by
// denom (each output the rounded mean of the full samples it covers, fewer
// at the right and bottom edges). It returns the mean and the largest
// absolute difference, and fails if the reduced plane is not exactly
// ⌈w/denom⌉×⌈h/denom⌉. A channel upsampled from cw×ch cells is compared
// cell by cell: the reduced decode holds one sample per cw×ch reduced pixels,
// so the box it stands for is cw×ch times as large.
func boxError(t testing.TB, full, red plane, denom int) (mae float64, maxErr int) {
	t.Helper()
	if want := [2]int{(full.w + denom - 1) / denom, (full.h + denom - 1) / denom}; [2]int{red.w, red.h} != want {
		t.Fatalf("plane %s: reduced size %dx%d, want %dx%d", full.name, red.w, red.h, want[0], want[1])
	}
	var sum int
	for y := 0; y < red.h; y++ {
		for x := 0; x < red.w; x++ {
			s, n := 0, 0
			x0, y0 := x/full.cw*full.cw*denom, y/full.ch*full.ch*denom
			for yy := y0; yy < min(y0+full.ch*denom, full.h); yy++ {
				for xx := x0; xx < min(x0+full.cw*denom, full.w); xx++ {
					s += int(full.at(xx, yy))
					n++
				}
			}
			mean := (2*s + n) / (2 * n)
			e := int(red.at(x, y)) - mean
			if e < 0 {
				e = -e
			}
			sum += e
			maxErr = max(maxErr, e)
		}
	}
	return float64(sum) / float64(red.w*red.h), maxErr
}

// maxMAE is the largest mean absolute error per channel the accuracy test
// accepts, by denominator. The worst measured is about 0.45 at every scale
// (the -v log prints all figures).
var maxMAE = map[int]float64{2: 1.0, 4: 1.0, 8: 1.0}

// TestScaledMatchesBoxFilteredFullDecode checks every sample at 1/2, 1/4 and
// 1/8 against image/jpeg's full decode box-filtered by the same factor,
// channel by channel, and logs the error figures.
func TestScaledMatchesBoxFilteredFullDecode(t *testing.T) {
	worst := map[int]float64{}
	for _, s := range samples(t) {
		full, err := jpeg.Decode(bytes.NewReader(s.data))
		if err != nil {
			t.Fatal(err)
		}
		fp := planes(t, full, s.data)
		for _, denom := range []int{2, 4, 8} {
			red, err := DecodeReduced(bytes.NewReader(s.data), denom)
			if err != nil {
				t.Fatalf("%s 1/%d: %v", s.name, denom, err)
			}
			if err := sameType(red, full); err != nil {
				t.Fatalf("%s 1/%d: %v", s.name, denom, err)
			}
			fb := full.Bounds()
			if want := image.Rect(0, 0, (fb.Dx()+denom-1)/denom, (fb.Dy()+denom-1)/denom); red.Bounds() != want {
				t.Fatalf("%s 1/%d: bounds %v, want %v", s.name, denom, red.Bounds(), want)
			}
			rp := planes(t, red, s.data)
			var line []string
			for i := range fp {
				mae, mx := boxError(t, fp[i], rp[i], denom)
				line = append(line, fmt.Sprintf("%s %.3f (max %d)", fp[i].name, mae, mx))
				if fp[i].w*fp[i].h < 64*64 || strings.HasPrefix(s.name, "noise") {
					// Tiny images are mostly edge blocks, whose padding
					// counts in the reduced decode, and noise is the
					// clipping worst case: logged, not judged.
					continue
				}
				worst[denom] = math.Max(worst[denom], mae)
				if mae > maxMAE[denom] {
					t.Errorf("%s 1/%d channel %s: mean absolute error %.3f > %.1f", s.name, denom, fp[i].name, mae, maxMAE[denom])
				}
			}
			t.Logf("%-48s 1/%d %v: %s", s.name, denom, red.Bounds().Size(), strings.Join(line, ", "))
		}
	}
	for _, denom := range []int{2, 4, 8} {
		t.Logf("worst channel mean absolute error at 1/%d: %.3f", denom, worst[denom])
	}
}

// TestFullScaleIdentical checks that denominator 1 is image/jpeg.Decode, bit
// for bit, including the image type and layout.
func TestFullScaleIdentical(t *testing.T) {
	for _, s := range samples(t) {
		want, err := jpeg.Decode(bytes.NewReader(s.data))
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeReduced(bytes.NewReader(s.data), 1)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if err := sameImage(got, want); err != nil {
			t.Errorf("%s: %v", s.name, err)
		}
	}
}

// sameImage reports how got differs from want: type, bounds, or any sample.
func sameImage(got, want image.Image) error {
	if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) {
		return fmt.Errorf("type %T, want %T", got, want)
	}
	if got.Bounds() != want.Bounds() {
		return fmt.Errorf("bounds %v, want %v", got.Bounds(), want.Bounds())
	}
	switch w := want.(type) {
	case *image.YCbCr:
		g := got.(*image.YCbCr)
		if g.SubsampleRatio != w.SubsampleRatio || g.YStride != w.YStride || g.CStride != w.CStride {
			return fmt.Errorf("layout %v/%d/%d, want %v/%d/%d", g.SubsampleRatio, g.YStride, g.CStride, w.SubsampleRatio, w.YStride, w.CStride)
		}
		if !bytes.Equal(g.Y, w.Y) || !bytes.Equal(g.Cb, w.Cb) || !bytes.Equal(g.Cr, w.Cr) {
			return errors.New("samples differ")
		}
		return nil
	}
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if got.At(x, y) != want.At(x, y) {
				return fmt.Errorf("pixel %d,%d is %v, want %v", x, y, got.At(x, y), want.At(x, y))
			}
		}
	}
	return nil
}

// TestSizes checks the ⌈w/denom⌉ × ⌈h/denom⌉ rule on sizes around block and
// MCU boundaries, for color and gray.
func TestSizes(t *testing.T) {
	for _, gray := range []bool{false, true} {
		for _, w := range []int{1, 2, 7, 8, 9, 15, 16, 17, 31, 33} {
			for _, h := range []int{1, 3, 8, 16, 17, 24} {
				data := genJPEG(t, w, h, gray, 75)
				for _, denom := range []int{1, 2, 4, 8} {
					img, err := DecodeReduced(bytes.NewReader(data), denom)
					if err != nil {
						t.Fatalf("%dx%d 1/%d: %v", w, h, denom, err)
					}
					if want := image.Rect(0, 0, (w+denom-1)/denom, (h+denom-1)/denom); img.Bounds() != want {
						t.Errorf("%dx%d gray=%v 1/%d: bounds %v, want %v", w, h, gray, denom, img.Bounds(), want)
					}
				}
			}
		}
	}
}

func TestScaleDenom(t *testing.T) {
	for _, c := range []struct{ w, h, minW, minH, want int }{
		{4000, 3000, 256, 256, 8},   // 500×375
		{2048, 1536, 256, 256, 8},   // 256×192: long side exactly 256
		{2047, 1536, 256, 256, 8},   // ⌈2047/8⌉ = 256
		{2040, 1536, 256, 256, 4},   // 255 at 1/8
		{1024, 768, 256, 256, 4},    // 256×192
		{1023, 768, 256, 256, 4},    // ⌈1023/4⌉ = 256
		{1020, 768, 256, 256, 2},    // 255 at 1/4
		{600, 400, 256, 256, 2},     // 300×200
		{500, 400, 256, 256, 1},     // 250 at 1/2
		{200, 100, 256, 256, 1},     // already smaller: never enlarged
		{4000, 1000, 256, 256, 8},   // long side decides: 500×125
		{1000, 4000, 256, 256, 8},   // portrait
		{4000, 1000, 256, 0, 8},     // height free
		{4000, 1000, 0, 256, 2},     // width free: 2000×500, 1000×250 is short
		{4000, 1000, 0, 0, 8},       // nothing asked
		{4000, 1000, 1000, 1000, 4}, // 1000×250
	} {
		got := ScaleDenom(c.w, c.h, c.minW, c.minH)
		if got != c.want {
			t.Errorf("ScaleDenom(%d, %d, %d, %d) = %d, want %d", c.w, c.h, c.minW, c.minH, got, c.want)
		}
	}
}

// TestDecodeScaled checks DecodeScaled and DecodeScaledInfo pick ScaleDenom's
// reduction and report the declared size.
func TestDecodeScaled(t *testing.T) {
	data := genJPEG(t, 1100, 300, false, 75)
	img, info, err := DecodeScaledInfo(bytes.NewReader(data), 256, 256)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Info{Width: 1100, Height: 300, Denom: 4}); info != want {
		t.Errorf("info %+v, want %+v", info, want)
	}
	if want := image.Rect(0, 0, 275, 75); img.Bounds() != want {
		t.Errorf("bounds %v, want %v", img.Bounds(), want)
	}
	img2, err := DecodeScaled(bytes.NewReader(data), 256, 256)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameImage(img2, img); err != nil {
		t.Error(err)
	}
	if _, err := DecodeReduced(bytes.NewReader(data), 3); err == nil {
		t.Error("DecodeReduced accepted denominator 3")
	}
	cfg, err := DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != 1100 || cfg.Height != 300 || cfg.ColorModel != color.YCbCrModel {
		t.Errorf("DecodeConfig = %+v, %v", cfg, err)
	}
}

// corruptions returns data and damaged copies of it: truncations at many
// lengths and single-byte changes at many offsets, deterministic.
func corruptions(data []byte) [][]byte {
	out := [][]byte{data}
	step := max(1, len(data)/60)
	for n := 0; n < len(data); n += step {
		out = append(out, data[:n])
	}
	for i := 2; i < len(data); i += max(1, len(data)/40) {
		for _, v := range []byte{0x00, 0xff, data[i] ^ 0x10} {
			c := bytes.Clone(data)
			c[i] = v
			out = append(out, c)
		}
	}
	return out
}

// TestErrorsMatchStdlib decodes damaged samples at every scale and checks
// that the outcome is image/jpeg's: the same error value (FormatError,
// UnsupportedError, io.ErrUnexpectedEOF...) or success, and at scale 1 the
// same pixels.
func TestErrorsMatchStdlib(t *testing.T) {
	var inputs []sample
	for _, name := range []string{
		"video-001.q50.420.jpeg", "video-001.q50.411.progressive.jpeg",
		"video-001.restart2.jpeg", "video-005.gray.q50.progressive.jpeg",
		"video-001.cmyk.jpeg", "video-001.progressive.truncated.jpeg",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, sample{name, b})
	}
	nErr := 0
	for _, in := range inputs {
		for i, c := range corruptions(in.data) {
			want, wantErr := jpeg.Decode(bytes.NewReader(c))
			if wantErr != nil {
				nErr++
			}
			for _, denom := range []int{1, 2, 4, 8} {
				got, err := DecodeReduced(bytes.NewReader(c), denom)
				if !sameError(err, wantErr) {
					t.Errorf("%s corruption %d 1/%d: error %v, image/jpeg says %v", in.name, i, denom, err, wantErr)
					continue
				}
				if err == nil && denom == 1 {
					if e := sameImage(got, want); e != nil {
						t.Errorf("%s corruption %d: %v", in.name, i, e)
					}
				}
			}
		}
	}
	t.Logf("%d damaged inputs image/jpeg rejects, all rejected alike", nErr)
}

// sameError reports whether err is the error image/jpeg returned: same type
// and message (FormatError and UnsupportedError are distinct types here, so
// compare by kind and text).
func sameError(err, want error) bool {
	if err == nil || want == nil {
		return err == nil && want == nil
	}
	switch w := want.(type) {
	case jpeg.FormatError:
		e, ok := err.(FormatError)
		return ok && string(e) == string(w)
	case jpeg.UnsupportedError:
		e, ok := err.(UnsupportedError)
		return ok && string(e) == string(w)
	}
	return err == want
}

// exifJPEG returns data with an APP1 Exif segment carrying orientation o
// inserted after SOI, in the given byte order.
func exifJPEG(data []byte, o uint16, bigEndian bool) []byte {
	var tiff []byte
	put16 := func(v uint16) {
		if bigEndian {
			tiff = append(tiff, byte(v>>8), byte(v))
		} else {
			tiff = append(tiff, byte(v), byte(v>>8))
		}
	}
	put32 := func(v uint32) {
		put16(uint16(v >> 16))
		put16(uint16(v))
		if !bigEndian { // put16 wrote the halves in big-endian order: swap
			n := len(tiff)
			tiff[n-4], tiff[n-3], tiff[n-2], tiff[n-1] = tiff[n-2], tiff[n-1], tiff[n-4], tiff[n-3]
		}
	}
	if bigEndian {
		tiff = append(tiff, "MM"...)
	} else {
		tiff = append(tiff, "II"...)
	}
	put16(42)
	put32(8)
	put16(2)                             // two entries
	put16(0x010f)                        // Make
	put16(2)                             // ASCII
	put32(4)                             // count
	tiff = append(tiff, "Go\x00\x00"...) // inline value
	put16(0x0112)                        // Orientation
	put16(3)                             // SHORT
	put32(1)
	put16(o)
	put16(0)
	put32(0) // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff...)
	n := len(seg) + 2
	out := append([]byte{0xff, 0xd8, 0xff, 0xe1, byte(n >> 8), byte(n)}, seg...)
	return append(out, data[2:]...)
}

func TestOrientation(t *testing.T) {
	base := genJPEG(t, 40, 30, false, 75)
	for _, be := range []bool{false, true} {
		for _, o := range []uint16{1, 3, 6, 8, 9, 0} {
			data := exifJPEG(base, o, be)
			_, info, err := DecodeScaledInfo(bytes.NewReader(data), 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			want := int(o)
			if o > 8 {
				want = 0
			}
			if info.Orientation != want {
				t.Errorf("orientation %d (big-endian %v): got %d", o, be, info.Orientation)
			}
		}
	}
	if _, info, err := DecodeScaledInfo(bytes.NewReader(base), 0, 0); err != nil || info.Orientation != 0 {
		t.Errorf("no Exif: orientation %d, %v", info.Orientation, err)
	}
}

// TestMatchesLibjpegScaledDecode compares the Y channel of reduced decodes
// with libjpeg-turbo's own (djpeg -scale 1/N, whose reduced IDCTs compute
// the same box means). Away from the right and bottom edge, where this
// package averages only the samples inside the image and libjpeg includes
// the block's padding, they agree to within rounding.
func TestMatchesLibjpegScaledDecode(t *testing.T) {
	data, err := os.ReadFile("testdata/macaw.422.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for _, denom := range []int{2, 4, 8} {
		pgm, err := os.ReadFile(fmt.Sprintf("testdata/macaw.422.djpeg-scale-1-%d.pgm", denom))
		if err != nil {
			t.Fatal(err)
		}
		var w, h, maxval int
		if _, err := fmt.Sscanf(string(pgm), "P5\n%d %d\n%d\n", &w, &h, &maxval); err != nil || maxval != 255 || len(pgm) < w*h {
			t.Fatalf("bad PGM for 1/%d: %v", denom, err)
		}
		ref := pgm[len(pgm)-w*h:]
		img, err := DecodeReduced(bytes.NewReader(data), denom)
		if err != nil {
			t.Fatal(err)
		}
		m := img.(*image.YCbCr)
		if m.Rect.Dx() != w || m.Rect.Dy() != h {
			t.Fatalf("1/%d: size %v, libjpeg %dx%d", denom, m.Rect.Size(), w, h)
		}
		sum, maxErr, n := 0, 0, 0
		for y := 0; y < h-1; y++ {
			for x := 0; x < w-1; x++ {
				e := int(m.Y[y*m.YStride+x]) - int(ref[y*w+x])
				e = max(e, -e)
				sum += e
				maxErr = max(maxErr, e)
				n++
			}
		}
		mae := float64(sum) / float64(n)
		t.Logf("1/%d: Y differs from libjpeg-turbo's by %.4f on average, at most %d", denom, mae, maxErr)
		if mae > 0.05 || maxErr > 1 {
			t.Errorf("1/%d: Y differs from libjpeg-turbo's by %.4f on average, at most %d", denom, mae, maxErr)
		}
	}
}

// TestLumaMatchesYPlane checks DecodeLumaContext against
// DecodeScaledContext on every test JPEG at every scale: the same Y plane,
// pixel for pixel, as *image.Gray for colour JPEGs without rotation, and
// the same image as DecodeScaledContext otherwise (grey, rotated, CMYK).
func TestLumaMatchesYPlane(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.jpg")
	photos, _ := filepath.Glob(photoGlob)
	paths = append(paths, photos...)
	if len(paths) == 0 {
		t.Fatal("no test JPEGs")
	}
	ctx := context.Background()
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, side := range []int{1, 100, 200, 400, 1 << 20} {
			want, wantInfo, wantErr := DecodeScaledContext(ctx, bytes.NewReader(data), side, side)
			got, gotInfo, gotErr := DecodeLumaContext(ctx, data, side, side)
			if (wantErr != nil) != (gotErr != nil) {
				t.Fatalf("%s at %d px: errors %v and %v", p, side, wantErr, gotErr)
			}
			if wantErr != nil {
				continue
			}
			if gotInfo != wantInfo {
				t.Errorf("%s at %d px: info %+v, want %+v", p, side, gotInfo, wantInfo)
			}
			y, colour := want.(*image.YCbCr)
			if !colour || wantInfo.Orientation > 1 {
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s at %d px: %T differs from DecodeScaledContext's %T", p, side, got, want)
				}
				continue
			}
			g, ok := got.(*image.Gray)
			if !ok {
				t.Fatalf("%s at %d px: %T, want *image.Gray", p, side, got)
			}
			if g.Rect != y.Rect || g.Stride != y.YStride || !bytes.Equal(g.Pix, y.Y) {
				t.Errorf("%s at %d px: luma differs from the Y plane", p, side)
			}
		}
	}
}
