package hashing

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/cputime"
	"github.com/hashwatch/hashwatch/fixtures"
)

// TestHasherGivesADefinedResultForOddInput runs unusual but legal pictures
// through the whole crawl-time and registration paths: each must give a
// fingerprint or a sentinel error, never a panic.
func TestHasherGivesADefinedResultForOddInput(t *testing.T) {
	cmyk, err := os.ReadFile("internal/jpegscale/testdata/video-001.cmyk.jpeg")
	if err != nil {
		t.Fatal(err)
	}
	progressive, err := os.ReadFile("internal/jpegscale/testdata/macaw.progressive.jpg")
	if err != nil {
		t.Fatal(err)
	}
	sixteen := image.NewNRGBA64(image.Rect(0, 0, 300, 200))
	for y := 0; y < 200; y++ {
		for x := 0; x < 300; x++ {
			sixteen.Set(x, y, color.NRGBA64{uint16(x * 200), uint16(y * 300), 40000, 65535})
		}
	}
	anim := &gif.GIF{}
	for i := range 3 {
		fr := image.NewPaletted(image.Rect(0, 0, 64, 48), []color.Color{color.Black, color.White, color.RGBA{200, 0, 0, 255}})
		for y := 0; y < 48; y++ {
			for x := 0; x < 64; x++ {
				fr.SetColorIndex(x, y, uint8((x/8+y/8+i)%3))
			}
		}
		anim.Image = append(anim.Image, fr)
		anim.Delay = append(anim.Delay, 10)
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr error
	}{
		{"a CMYK JPEG is fingerprinted", cmyk, nil},
		{"a progressive JPEG is fingerprinted", progressive, nil},
		{"a 16-bit PNG is fingerprinted", encodeWith(t, func(b *bytes.Buffer) error { return png.Encode(b, sixteen) }), nil},
		{"an animated GIF is fingerprinted by its first frame", encodeWith(t, func(b *bytes.Buffer) error { return gif.EncodeAll(b, anim) }), nil},
		{"a 1x500 PNG is fingerprinted", encodeWith(t, func(b *bytes.Buffer) error { return png.Encode(b, testImage(1, 500)) }), nil},
		{"a 500x1 PNG is fingerprinted", encodeWith(t, func(b *bytes.Buffer) error { return png.Encode(b, testImage(500, 1)) }), nil},
		{"a 1x1 PNG is fingerprinted", encodeWith(t, func(b *bytes.Buffer) error { return png.Encode(b, testImage(1, 1)) }), nil},
		{"a zero-size PNG is refused as corrupt", pngHeaderOnly(0, 0), ErrCorrupt},
	}
	h := NewHasher(Limits{})
	for _, tt := range tests {
		for _, purpose := range []Purpose{ForQuery, ForRegistration, ForInspection} {
			t.Run(tt.name, func(t *testing.T) {
				fp, err := h.Image(context.Background(), tt.data, purpose)
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("err = %v, want %v", err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if len(fp.Views) == 0 || fp.Width <= 0 || fp.Height <= 0 {
					t.Fatalf("fingerprint %+v", fp)
				}
			})
		}
	}
}

func TestAJPEGOfTooManyScansIsRefusedBeforeDecoding(t *testing.T) {
	h := NewHasher(Limits{})
	for _, tt := range []struct {
		name    string
		data    []byte
		wantErr error
	}{
		{"a progressive JPEG of 10 scans is fingerprinted", fixtures.ManyScanJPEG(64, 64, 10), nil},
		{"a progressive JPEG of 500 scans is fingerprinted", fixtures.ManyScanJPEG(64, 64, DefaultMaxJPEGScans), nil},
		{"a progressive JPEG of 501 scans is too large", fixtures.ManyScanJPEG(64, 64, DefaultMaxJPEGScans+1), ErrTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, purpose := range []Purpose{ForQuery, ForRegistration} {
				_, err := h.Image(context.Background(), tt.data, purpose)
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
					t.Errorf("purpose %d: err = %v, want %v", purpose, err, tt.wantErr)
				}
			}
			if _, err := h.Preview(tt.data); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("preview: err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestAJPEGDecodeStopsAtItsBudgetAndOnCancellation(t *testing.T) {
	// 400 scans of 65,536 blocks: about 0.6 s of CPU to decode in full.
	data := fixtures.ManyScanJPEG(2048, 2048, 400)
	t.Run("a decode over the time budget is too large", func(t *testing.T) {
		h := NewHasher(Limits{MaxDecodeTime: 20 * time.Millisecond})
		start := time.Now()
		_, err := h.Image(context.Background(), data, ForQuery)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge", err)
		}
		if d := time.Since(start); d > 300*time.Millisecond {
			t.Errorf("a decode with a 20ms budget took %v", d)
		}
	})
	t.Run("a decode over the CPU budget is too large, and says which limit", func(t *testing.T) {
		h := NewHasher(Limits{MaxDecodeCPU: 20 * time.Millisecond, MaxDecodeTime: time.Hour})
		_, err := h.Image(context.Background(), data, ForRegistration)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v, want ErrTooLarge", err)
		}
		for _, want := range []string{"jpeg", "2048x2048", "decode budget of 20ms", "max_decode_cpu"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err %q does not say %q", err, want)
			}
		}
	})
	// The whole decode's wall time, under the same load as the cancelled
	// one below: on a busy machine (make test runs packages side by side)
	// "soon" is measured against it as well as in absolute terms.
	var whole time.Duration
	t.Run("the same file decodes within the default budgets", func(t *testing.T) {
		start := time.Now()
		if _, err := NewHasher(Limits{}).Image(context.Background(), data, ForRegistration); err != nil {
			t.Errorf("err = %v", err)
		}
		whole = time.Since(start)
	})
	t.Run("a cancelled decode stops soon with the context's error", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := NewHasher(Limits{}).Image(ctx, data, ForRegistration)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the context's deadline", err)
		}
		if d := time.Since(start); d > max(300*time.Millisecond, whole/3) {
			t.Errorf("a decode cancelled after 20ms took %v (the whole decode %v)", d, whole)
		}
	})
}

// TestTheDecodeBudgetCountsCPUTimeNotWaiting checks that time a decode
// spends off the CPU (waiting for a core on a busy machine) is not billed
// to its budget where the thread's CPU time can be read, and that work is.
func TestTheDecodeBudgetCountsCPUTimeNotWaiting(t *testing.T) {
	if _, ok := cputime.Thread(); !ok {
		t.Skip("no per-thread CPU time here: the budget is metered in wall time")
	}
	b, done := startDecodeBudget(30 * time.Millisecond)
	defer done()
	time.Sleep(60 * time.Millisecond) // off the CPU: not billed
	b.lastLook = time.Time{}
	if err := b.over(); err != nil {
		t.Fatalf("60 ms asleep spent a 30 ms CPU budget: used %v", b.used())
	}
	for x := uint64(1); b.used() <= 30*time.Millisecond; x = x*6364136223846793005 + 1 {
	}
	b.lastLook = time.Time{}
	if err := b.over(); !errors.Is(err, errDecodeCPU) {
		t.Errorf("after %v of work: %v, want errDecodeCPU", b.used(), err)
	}
}
