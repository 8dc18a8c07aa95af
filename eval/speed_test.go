package eval

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestMeasureHashSpeed runs the measurement on the fixture photos: both
// sides timed on every image, one in registerEvery registered, the ratio
// the quotient of the two rates.
func TestMeasureHashSpeed(t *testing.T) {
	paths, _ := filepath.Glob("../fixtures/photos/known/*.jpg")
	if len(paths) == 0 {
		t.Fatal("no fixture photos")
	}
	var files [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	res, err := MeasureHashSpeed(context.Background(), files, 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Images != len(files) || res.Rounds != 1 {
		t.Errorf("%d images x %d rounds, want %d x 1", res.Images, res.Rounds, len(files))
	}
	if want := (len(files) + registerEvery - 1) / registerEvery; res.Registered != want {
		t.Errorf("%d registered, want %d", res.Registered, want)
	}
	if res.BaselinePerS <= 0 || res.HashwatchPerS <= 0 || res.MedianMS <= 0 {
		t.Errorf("rates %.1f and %.1f images/s, median %.2f ms: want all positive", res.BaselinePerS, res.HashwatchPerS, res.MedianMS)
	}
	if got := res.HashwatchPerS / res.BaselinePerS; got != res.Ratio {
		t.Errorf("ratio %v, want %v", res.Ratio, got)
	}
	if _, err := MeasureHashSpeed(context.Background(), nil, 1); err == nil {
		t.Error("no images: want an error")
	}
}
