package jpegscale

import (
	"bytes"
	"context"
	"errors"
	"image"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestLumaThumbMatchesScaledDecodes checks DecodeLumaThumb against the
// decodes it stands for, on every test JPEG (4:4:4, 4:2:2, 4:2:0, 4:4:0,
// 4:1:1, 4:1:0, sequential and progressive, restart intervals, grey, RGB,
// CMYK, truncated), rotated and flipped copies, and odd sizes, at every
// pair of scales: the luma must be the Y plane of DecodeScaledContext at
// the luma's size and the thumb DecodeReduced at the thumb's scale, pixel
// for pixel; any other JPEG must come back exactly as DecodeScaledContext
// returns it, with no thumb.
func TestLumaThumbMatchesScaledDecodes(t *testing.T) {
	type input struct {
		name string
		data []byte
	}
	var inputs []input
	paths, _ := filepath.Glob("testdata/*.jp*g")
	photos, _ := filepath.Glob(photoGlob)
	for _, p := range append(paths, photos...) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{filepath.Base(p), data})
	}
	if len(paths) == 0 {
		t.Fatal("no test JPEGs")
	}
	base := genJPEG(t, 333, 251, false, 85) // edge blocks on both sides at every scale
	inputs = append(inputs,
		input{"333x251", base},
		input{"333x251-exif-1", exifJPEG(base, 1, false)},
		input{"333x251-exif-2-flip", exifJPEG(base, 2, true)},
		input{"333x251-exif-6-turn", exifJPEG(base, 6, false)},
		input{"20x12", genJPEG(t, 20, 12, false, 85)},
		input{"gray-300x200", genJPEG(t, 300, 200, true, 85)},
	)
	scales := []struct{ side, thumbMin int }{
		{1 << 20, 32}, // luma at full size, thumb at 1/8 or finer
		{400, 32},
		{128, 32}, // hashing's query
		{100, 50},
		{1, 1},     // both at 1/8: one colour decode
		{128, 400}, // a thumb asked finer than the luma: the luma's scale
	}
	ctx := context.Background()
	split := map[bool]int{} // progressive or not: luma and thumb apart
	for _, in := range inputs {
		for _, sc := range scales {
			want, wantInfo, wantErr := DecodeScaledContext(ctx, bytes.NewReader(in.data), sc.side, sc.side)
			got, thumb, info, err := DecodeLumaThumb(ctx, in.data, sc.side, sc.side, sc.thumbMin, nil)
			if (wantErr != nil) != (err != nil) {
				t.Fatalf("%s at %d/%d: errors %v and %v", in.name, sc.side, sc.thumbMin, wantErr, err)
			}
			if wantErr != nil {
				continue
			}
			if info != wantInfo {
				t.Errorf("%s at %d/%d: info %+v, want %+v", in.name, sc.side, sc.thumbMin, info, wantInfo)
			}
			y, colour := want.(*image.YCbCr)
			if !colour || wantInfo.Orientation > 1 {
				if thumb != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("%s at %d/%d: %T (thumb %v), want DecodeScaledContext's %T and no thumb", in.name, sc.side, sc.thumbMin, got, thumb != nil, want)
				}
				continue
			}
			var luma []byte
			var stride int
			var rect image.Rectangle
			switch g := got.(type) {
			case *image.Gray:
				luma, stride, rect = g.Pix, g.Stride, g.Rect
				split[bytes.Contains(in.data, []byte{0xff, 0xc2})]++
			case *image.YCbCr:
				luma, stride, rect = g.Y, g.YStride, g.Rect
				if thumb != g {
					t.Errorf("%s at %d/%d: a colour output whose thumb is not itself", in.name, sc.side, sc.thumbMin)
				}
			default:
				t.Fatalf("%s at %d/%d: %T", in.name, sc.side, sc.thumbMin, got)
			}
			if rect != y.Rect || stride != y.YStride || !bytes.Equal(luma, y.Y) {
				t.Errorf("%s at %d/%d: luma differs from the Y plane", in.name, sc.side, sc.thumbMin)
			}
			if thumb == nil {
				t.Fatalf("%s at %d/%d: no thumb for a colour JPEG", in.name, sc.side, sc.thumbMin)
			}
			denom := max(ScaleDenom(wantInfo.Width, wantInfo.Height, sc.thumbMin, sc.thumbMin), wantInfo.Denom)
			ref, err := DecodeReduced(bytes.NewReader(in.data), denom)
			if err != nil {
				t.Fatal(err)
			}
			if !sameYCbCr(thumb, ref.(*image.YCbCr)) {
				t.Errorf("%s at %d/%d: thumb differs from the decode at 1/%d", in.name, sc.side, sc.thumbMin, denom)
			}
		}
	}
	if split[false] == 0 || split[true] == 0 {
		t.Errorf("luma and thumb decoded apart %d times for sequential JPEGs, %d for progressive: the test does not reach that path", split[false], split[true])
	}
}

// sameYCbCr reports whether a and b hold the same pixels in the same
// layout over their visible rectangles.
func sameYCbCr(a, b *image.YCbCr) bool {
	if a.Rect != b.Rect || a.SubsampleRatio != b.SubsampleRatio {
		return false
	}
	for y := a.Rect.Min.Y; y < a.Rect.Max.Y; y++ {
		for x := a.Rect.Min.X; x < a.Rect.Max.X; x++ {
			if a.YCbCrAt(x, y) != b.YCbCrAt(x, y) {
				return false
			}
		}
	}
	return true
}

// TestLumaThumbStopsOverBudget checks that the budget's error stops a
// luma-and-thumb decode, as it stops DecodeScaledBudget.
func TestLumaThumbStopsOverBudget(t *testing.T) {
	errSpent := errors.New("spent")
	for _, name := range []string{"video-001.q50.420.jpeg", "video-001.q50.420.progressive.jpeg"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		_, _, _, err = DecodeLumaThumb(context.Background(), data, 16, 16, 8, func() error { return errSpent })
		if !errors.Is(err, errSpent) {
			t.Errorf("%s: %v, want the budget's error", name, err)
		}
	}
}
