package eval

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashwatch/hashwatch/cputime"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
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

// BenchmarkLookup times the lookup part of `hashwatch bench hash`: the
// development photos (the fixture photos without them) fingerprinted for
// a query beforehand, one in registerEvery registered as MeasureHashSpeed
// does, and each query matched with the default rule — the stage issue 18
// asks to profile apart from decoding and hashing.
func BenchmarkLookup(b *testing.B) {
	paths, _ := filepath.Glob("../../shared/datasets/dev/*.jpg")
	if len(paths) == 0 {
		paths, _ = filepath.Glob("../fixtures/photos/known/*.jpg")
	}
	if len(paths) == 0 {
		b.Skip("no photos")
	}
	ctx := context.Background()
	h := hashing.NewHasher(hashing.Limits{})
	db, err := database.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var regs []index.Registration
	var queries []hashing.Fingerprint
	for i, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		if i%registerEvery == 0 {
			fp, err := h.Image(ctx, data, hashing.ForRegistration)
			if err != nil {
				b.Fatal(err)
			}
			regs = append(regs, index.Registration{Source: p, Print: fp})
		}
		fp, err := h.Image(ctx, data, hashing.ForQuery)
		if err != nil {
			b.Fatal(err)
		}
		queries = append(queries, fp)
	}
	if _, err := db.Index.Register(ctx, "bench", "", regs, store.Actor{User: auditUser}); err != nil {
		b.Fatal(err)
	}
	rule := hashing.DefaultRule()
	b.ReportAllocs()
	i := 0
	cpu0, _ := cputime.Process()
	for b.Loop() {
		if _, err := db.Index.Match(ctx, queries[i%len(queries)], rule); err != nil {
			b.Fatal(err)
		}
		i++
	}
	// CPU time per lookup: on a shared machine wall time includes waiting
	// for a core.
	if cpu, ok := cputime.Process(); ok {
		b.ReportMetric(float64(cpu-cpu0)/float64(b.N), "cpu-ns/op")
	}
}
