package hashing_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// edgeEnergy is the mean absolute luma difference between horizontally and
// vertically adjacent pixels: how much fine detail a picture holds.
func edgeEnergy(img image.Image) float64 {
	g := imaging.Grayscale(img)
	b := g.Bounds()
	var sum float64
	var n int
	at := func(x, y int) float64 { return float64(g.Pix[y*g.Stride+x*4]) }
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			if x+1 < b.Dx() {
				sum += math.Abs(at(x, y) - at(x+1, y))
				n++
			}
			if y+1 < b.Dy() {
				sum += math.Abs(at(x, y) - at(x, y+1))
				n++
			}
		}
	}
	return sum / float64(n)
}

// detailLost is the mean absolute luma change when img is scaled down to
// 16 px on its long side and back up: the detail finer than that.
func detailLost(img image.Image) float64 {
	b := img.Bounds()
	small := imaging.Fit(img, 16, 16, imaging.Box)
	back := imaging.Grayscale(imaging.Resize(small, b.Dx(), b.Dy(), imaging.Linear))
	orig := imaging.Grayscale(img)
	var sum float64
	for i := 0; i < len(orig.Pix); i += 4 {
		sum += math.Abs(float64(orig.Pix[i]) - float64(back.Pix[i]))
	}
	return sum / float64(len(orig.Pix)/4)
}

func decodeJPEG(t *testing.T, data []byte) image.Image {
	t.Helper()
	if hashing.Sniff(data) != hashing.FormatJPEG {
		t.Fatalf("preview is not a JPEG (starts % x)", data[:min(4, len(data))])
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("preview does not decode: %v", err)
	}
	return img
}

func TestPreviewIsSmallBlurredAndKeepsTheAspect(t *testing.T) {
	h := hashing.NewHasher(hashing.Limits{})
	for _, p := range fixtures.Known()[:3] {
		t.Run(p.Name, func(t *testing.T) {
			orig, err := p.Decode()
			if err != nil {
				t.Fatal(err)
			}
			data, err := h.Preview(p.Data)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) > 8<<10 {
				t.Errorf("preview is %d bytes, want a few KB at most", len(data))
			}
			img := decodeJPEG(t, data)
			b, ob := img.Bounds(), orig.Bounds()
			if max(b.Dx(), b.Dy()) != hashing.PreviewSize {
				t.Errorf("preview is %dx%d, want a long side of %d", b.Dx(), b.Dy(), hashing.PreviewSize)
			}
			if got, want := float64(b.Dx())/float64(b.Dy()), float64(ob.Dx())/float64(ob.Dy()); math.Abs(got-want)/want > 0.05 {
				t.Errorf("preview aspect %.3f, original's %.3f", got, want)
			}
			// A sharp thumbnail of the same size, for comparison.
			sharp := imaging.Fit(orig, hashing.PreviewSize, hashing.PreviewSize, imaging.Box)
			if ep, es := edgeEnergy(img), edgeEnergy(sharp); ep > es/2 {
				t.Errorf("preview edge energy %.2f, a sharp thumbnail's %.2f: not blurred enough", ep, es)
			}
			// Nothing finer than 1/16 of the picture: taking the preview
			// down to 16 px and back up changes it little, where it
			// changes a sharp thumbnail a lot.
			if lp, ls := detailLost(img), detailLost(sharp); lp > ls/3 {
				t.Errorf("a 16-px round trip changes the preview by %.2f luma levels (a sharp thumbnail by %.2f): it holds finer detail", lp, ls)
			}
		})
	}
}

func TestPreviewRemovesFineDetail(t *testing.T) {
	// A 4-px checkerboard: detail far finer than a preview may keep.
	board := image.NewGray(image.Rect(0, 0, 512, 384))
	for y := range 384 {
		for x := range 512 {
			if (x/4+y/4)%2 == 0 {
				board.Pix[y*board.Stride+x] = 255
			}
		}
	}
	data, err := hashing.PreviewImage(board)
	if err != nil {
		t.Fatal(err)
	}
	img := decodeJPEG(t, data)
	if b := img.Bounds(); b.Dx() != 96 || b.Dy() != 72 {
		t.Errorf("preview of 512x384 is %dx%d, want 96x72", b.Dx(), b.Dy())
	}
	g := imaging.Grayscale(img)
	lo, hi := 255, 0
	for i := 0; i < len(g.Pix); i += 4 {
		lo, hi = min(lo, int(g.Pix[i])), max(hi, int(g.Pix[i]))
	}
	if hi-lo > 24 {
		t.Errorf("preview of a fine checkerboard spans luma %d..%d; the pattern survived", lo, hi)
	}
}

func TestPreviewOfTinyAndThinPictures(t *testing.T) {
	for _, tc := range []struct {
		name         string
		w, h         int
		wantW, wantH int
	}{
		{"a one-pixel picture is scaled up", 1, 1, 96, 96},
		{"a tall strip keeps at least a pixel across", 2, 900, 1, 96},
		{"a wide picture keeps its aspect", 400, 100, 96, 24},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := image.NewNRGBA(image.Rect(0, 0, tc.w, tc.h))
			for i := range img.Pix {
				img.Pix[i] = byte(i * 7)
			}
			data, err := hashing.PreviewImage(img)
			if err != nil {
				t.Fatal(err)
			}
			b := decodeJPEG(t, data).Bounds()
			if b.Dx() != tc.wantW || b.Dy() != tc.wantH {
				t.Errorf("preview is %dx%d, want %dx%d", b.Dx(), b.Dy(), tc.wantW, tc.wantH)
			}
		})
	}
}

func TestPreviewHonoursTheHashersLimits(t *testing.T) {
	var png1k bytes.Buffer
	big := image.NewGray(image.Rect(0, 0, 1000, 1000))
	big.Set(1, 1, color.White)
	if err := png.Encode(&png1k, big); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		limits hashing.Limits
		data   []byte
		want   error
	}{
		{"bytes over MaxBytes", hashing.Limits{MaxBytes: int64(png1k.Len()) - 1}, png1k.Bytes(), hashing.ErrTooLarge},
		{"pixels over MaxPixels", hashing.Limits{MaxPixels: 999_999}, png1k.Bytes(), hashing.ErrTooLarge},
		{"not an image", hashing.Limits{}, []byte("<html>not a picture</html>"), hashing.ErrUnsupported},
		{"a truncated PNG", hashing.Limits{}, png1k.Bytes()[:60], hashing.ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := hashing.NewHasher(tc.limits).Preview(tc.data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Preview: %v, want %v", err, tc.want)
			}
		})
	}
	// Exactly at the limits is accepted.
	if _, err := hashing.NewHasher(hashing.Limits{MaxBytes: int64(png1k.Len()), MaxPixels: 1_000_000}).Preview(png1k.Bytes()); err != nil {
		t.Fatalf("Preview at the limits: %v", err)
	}
}

// BenchmarkPreview measures making the preview of a matched photo from its
// bytes (decode at reduced scale, blur, encode).
func BenchmarkPreview(b *testing.B) {
	h := hashing.NewHasher(hashing.Limits{})
	data := fixtures.Known()[0].Data
	b.ReportAllocs()
	var n int
	for b.Loop() {
		pv, err := h.Preview(data)
		if err != nil {
			b.Fatal(err)
		}
		n = len(pv)
	}
	b.ReportMetric(float64(n), "preview-bytes")
}

func TestThumbnailIsASmallGreyPreview(t *testing.T) {
	h := hashing.NewHasher(hashing.Limits{})
	wide, err := h.Preview(fixtures.Known()[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	var big bytes.Buffer
	if err := jpeg.Encode(&big, image.NewRGBA(image.Rect(0, 0, 1000, 10)), nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		preview []byte
		wantErr error
	}{
		{"a stored preview becomes a grey thumbnail", wide, nil},
		{"bytes that are no JPEG are refused", []byte("not a jpeg"), hashing.ErrCorrupt},
		{"a picture far larger than a preview is refused", big.Bytes(), hashing.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th, err := hashing.Thumbnail(tt.preview)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			img, err := jpeg.Decode(bytes.NewReader(th))
			if err != nil {
				t.Fatal(err)
			}
			b := img.Bounds()
			if max(b.Dx(), b.Dy()) != hashing.ThumbSize {
				t.Errorf("thumbnail %dx%d, want a long side of %d", b.Dx(), b.Dy(), hashing.ThumbSize)
			}
			for y := b.Min.Y; y < b.Max.Y; y += 7 {
				for x := b.Min.X; x < b.Max.X; x += 7 {
					r, g, bl, _ := img.At(x, y).RGBA()
					if d := max(r, g, bl) - min(r, g, bl); d > 4<<8 {
						t.Fatalf("pixel %d,%d is coloured: %d %d %d", x, y, r>>8, g>>8, bl>>8)
					}
				}
			}
		})
	}
}

func TestRenderStepsGrowClearerAndGreyByDefault(t *testing.T) {
	h := hashing.NewHasher(hashing.Limits{})
	data := fixtures.Known()[0].Data
	ctx := t.Context()
	energy := map[hashing.ViewStep]float64{}
	for _, tt := range []struct {
		name   string
		step   hashing.ViewStep
		colour bool
		long   int
	}{
		{"the clearer step is small and grey", hashing.ViewClearer, false, hashing.ClearerSize},
		{"the full step is larger and grey", hashing.ViewFull, false, 0},
		{"colour is kept when asked", hashing.ViewFull, true, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.Render(ctx, data, tt.step, tt.colour)
			if err != nil {
				t.Fatal(err)
			}
			img, err := jpeg.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			b := img.Bounds()
			if tt.long > 0 && max(b.Dx(), b.Dy()) != tt.long || max(b.Dx(), b.Dy()) > hashing.FullSize {
				t.Errorf("%dx%d", b.Dx(), b.Dy())
			}
			coloured := false
			for y := b.Min.Y; y < b.Max.Y; y += 5 {
				for x := b.Min.X; x < b.Max.X; x += 5 {
					r, g, bl, _ := img.At(x, y).RGBA()
					if max(r, g, bl)-min(r, g, bl) > 8<<8 {
						coloured = true
					}
				}
			}
			if coloured != tt.colour {
				t.Errorf("coloured %v, want %v", coloured, tt.colour)
			}
			if !tt.colour {
				energy[tt.step] = edgeEnergy(imaging.Resize(img, 256, 0, imaging.Box))
			}
		})
	}
	if energy[hashing.ViewClearer] >= energy[hashing.ViewFull] {
		t.Errorf("the clearer step holds as much detail as the full one: %.2f vs %.2f", energy[hashing.ViewClearer], energy[hashing.ViewFull])
	}
	if _, err := h.Render(ctx, []byte("not a picture"), hashing.ViewFull, false); err == nil {
		t.Error("rendered bytes that are no picture")
	}
	if _, err := h.Render(ctx, data, 7, false); !errors.Is(err, hashing.ErrUnsupported) {
		t.Errorf("unknown step: %v", err)
	}
}

func TestPreviewStripPutsBlurredFramesSideBySide(t *testing.T) {
	var frames []image.Image
	for _, p := range fixtures.Known()[:3] {
		img, err := jpeg.Decode(bytes.NewReader(p.Data))
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, img)
	}
	strip, err := hashing.PreviewStrip(frames)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(strip))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dy() > hashing.PreviewSize || b.Dx() < 3*hashing.PreviewSize/2 || b.Dx() > 3*hashing.PreviewSize+8 {
		t.Errorf("strip of 3 frames is %dx%d", b.Dx(), b.Dy())
	}
	if _, err := hashing.PreviewStrip(nil); !errors.Is(err, hashing.ErrCorrupt) {
		t.Errorf("a strip of nothing: %v", err)
	}
}
