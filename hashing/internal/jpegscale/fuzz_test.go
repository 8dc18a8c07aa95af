package jpegscale

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
)

// fuzzMaxPixels bounds the declared size the fuzz target decodes, as a
// caller's pixel limit would: image/jpeg, which it compares with, allocates
// the full image.
const fuzzMaxPixels = 1 << 20

// FuzzDecodeScaled checks that no input makes the decoder panic and that on
// every input it agrees with image/jpeg: DecodeConfig returns the same
// config or error; DecodeReduced at every scale fails exactly when
// image/jpeg.Decode fails, with the same error; on success the image has
// image/jpeg's type and ⌈w/denom⌉×⌈h/denom⌉ pixels, and at scale 1 the same
// pixels. Seeds: the testdata images, small generated ones (odd sizes, gray,
// EXIF), and damaged copies of a few.
func FuzzDecodeScaled(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.jpeg")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	small := genJPEG(f, 17, 9, false, 50)
	f.Add(small)
	f.Add(genJPEG(f, 9, 17, true, 50))
	f.Add(genJPEG(f, 1, 1, false, 100))
	f.Add(exifJPEG(small, 6, true))
	for i, c := range corruptions(small) {
		if i%4 == 0 {
			f.Add(c)
		}
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		wantCfg, wantCfgErr := jpeg.DecodeConfig(bytes.NewReader(data))
		cfg, cfgErr := DecodeConfig(bytes.NewReader(data))
		if !sameError(cfgErr, wantCfgErr) {
			t.Fatalf("DecodeConfig error %v, image/jpeg says %v", cfgErr, wantCfgErr)
		}
		if cfgErr == nil {
			if cfg != wantCfg {
				t.Fatalf("DecodeConfig %+v, image/jpeg says %+v", cfg, wantCfg)
			}
			if cfg.Width*cfg.Height > fuzzMaxPixels {
				return
			}
		}
		// With a failed DecodeConfig the decoders fail too, before they
		// allocate any pixels (the same markers come first).
		want, wantErr := jpeg.Decode(bytes.NewReader(data))
		for _, denom := range []int{1, 2, 4, 8} {
			got, err := DecodeReduced(bytes.NewReader(data), denom)
			if !sameError(err, wantErr) {
				t.Fatalf("1/%d: error %v, image/jpeg says %v", denom, err, wantErr)
			}
			if err != nil {
				continue
			}
			wb := want.Bounds()
			if r := image.Rect(0, 0, (wb.Dx()+denom-1)/denom, (wb.Dy()+denom-1)/denom); got.Bounds() != r {
				t.Fatalf("1/%d: bounds %v, want %v", denom, got.Bounds(), r)
			}
			if denom == 1 {
				if err := sameImage(got, want); err != nil {
					t.Fatalf("1/1: %v", err)
				}
			} else if err := sameType(got, want); err != nil {
				t.Fatalf("1/%d: %v", denom, err)
			}
		}
		if _, _, err := DecodeScaledInfo(bytes.NewReader(data), 256, 256); !sameError(err, wantErr) {
			t.Fatalf("DecodeScaledInfo: error %v, image/jpeg says %v", err, wantErr)
		}
	})
}

// sameType reports an error unless got is the same kind of image as want
// (for YCbCr, with the same subsampling).
func sameType(got, want image.Image) error {
	if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) {
		return fmt.Errorf("type %T, want %T", got, want)
	}
	if w, ok := want.(*image.YCbCr); ok && got.(*image.YCbCr).SubsampleRatio != w.SubsampleRatio {
		return fmt.Errorf("subsample ratio %v, want %v", got.(*image.YCbCr).SubsampleRatio, w.SubsampleRatio)
	}
	return nil
}
