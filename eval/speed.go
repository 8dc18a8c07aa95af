package eval

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"runtime"
	"sort"
	"time"

	"github.com/corona10/goimagehash"

	"github.com/hashwatch/hashwatch/hashing"
)

// HashSpeed is crawl-time fingerprinting speed against the yardstick of
// image.Decode plus goimagehash's pHash, measured side by side in one run
// on one core (`hashwatch bench hash --json`; the keys are a contract).
type HashSpeed struct {
	Images        int     `json:"images"`
	Rounds        int     `json:"rounds"`
	BaselinePerS  float64 `json:"baseline_images_per_s"`
	HashwatchPerS float64 `json:"hashwatch_images_per_s"`
	Ratio         float64 `json:"ratio"`
	MedianMS      float64 `json:"hashwatch_median_ms"`
}

// MeasureHashSpeed times, rounds times over files (encoded images) with
// GOMAXPROCS 1, the yardstick and everything hashwatch computes for a
// crawled image: decode (JPEG at reduced scale), border trim, six views,
// PDQ, pHash and dHash. It stops when ctx is done.
func MeasureHashSpeed(ctx context.Context, files [][]byte, rounds int) (HashSpeed, error) {
	if len(files) == 0 || rounds < 1 {
		return HashSpeed{}, fmt.Errorf("measure hash speed: %d images, %d rounds", len(files), rounds)
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	h := hashing.NewHasher(hashing.Limits{})
	baseline := func(data []byte) error {
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			return err
		}
		_, err = goimagehash.PerceptionHash(img)
		return err
	}
	ours := func(data []byte) error {
		_, err := h.Image(ctx, data, hashing.ForQuery)
		return err
	}
	var tBase, tOurs time.Duration
	var per []time.Duration
	for r := 0; r < rounds; r++ {
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return HashSpeed{}, err
			}
			start := time.Now()
			if err := baseline(f); err != nil {
				return HashSpeed{}, fmt.Errorf("baseline: %w", err)
			}
			tBase += time.Since(start)
			start = time.Now()
			if err := ours(f); err != nil {
				return HashSpeed{}, fmt.Errorf("hashwatch: %w", err)
			}
			d := time.Since(start)
			tOurs += d
			per = append(per, d)
		}
	}
	sort.Slice(per, func(i, j int) bool { return per[i] < per[j] })
	n := float64(len(files) * rounds)
	res := HashSpeed{Images: len(files), Rounds: rounds,
		BaselinePerS: n / tBase.Seconds(), HashwatchPerS: n / tOurs.Seconds(),
		MedianMS: float64(per[len(per)/2].Microseconds()) / 1000}
	res.Ratio = res.HashwatchPerS / res.BaselinePerS
	return res, nil
}
