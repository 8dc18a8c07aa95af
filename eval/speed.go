package eval

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/corona10/goimagehash"

	"github.com/hashwatch/hashwatch/cputime"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// HashSpeed is crawl-time fingerprinting and matching speed against the
// yardstick of image.Decode plus goimagehash's pHash, measured side by side
// in one run on one core, in CPU time (`hashwatch bench hash --json`; the
// keys are a contract).
type HashSpeed struct {
	Images        int     `json:"images"`
	Rounds        int     `json:"rounds"`
	BaselinePerS  float64 `json:"baseline_images_per_s"`
	HashwatchPerS float64 `json:"hashwatch_images_per_s"`
	Ratio         float64 `json:"ratio"`
	MedianMS      float64 `json:"hashwatch_median_ms"`
	// Registered is how many of the images the index held, registered
	// (hashing.ForRegistration) before the timing, so lookups find matches
	// to verify as well as candidates to reject.
	Registered int `json:"registered"`
	// CPU says the figures are CPU time (user + system of the process);
	// false where the platform has no getrusage, and then they are wall
	// time.
	CPU bool `json:"cpu"`
}

// registerEvery is the share of the images MeasureHashSpeed registers
// before timing: one in registerEvery. Registration views are many and
// slow to compute, and the lookup's cost depends little on how many
// fingerprints match.
const registerEvery = 8

// MeasureHashSpeed times, rounds times over files (encoded images) with
// GOMAXPROCS 1, the yardstick and what a crawler does with an image it
// fetched: decode (JPEG at reduced scale), border trim, every crawl-time
// view with its PDQ, pHash and dHash (hashing.ForQuery), then the lookup
// in an index (index.Index.Match with the default rule) that holds one in
// registerEvery of the files, registered in a temporary database. Each
// image is timed on both sides in turn, so a busy machine slows both
// alike; the clock is the process's CPU time. It stops when ctx is done.
func MeasureHashSpeed(ctx context.Context, files [][]byte, rounds int) (HashSpeed, error) {
	if len(files) == 0 || rounds < 1 {
		return HashSpeed{}, fmt.Errorf("measure hash speed: %d images, %d rounds", len(files), rounds)
	}
	h := hashing.NewHasher(hashing.Limits{})
	tmp, err := os.MkdirTemp("", "hashwatch-bench")
	if err != nil {
		return HashSpeed{}, err
	}
	defer os.RemoveAll(tmp)
	db, err := database.Open(filepath.Join(tmp, "bench.db"), store.Options{})
	if err != nil {
		return HashSpeed{}, err
	}
	defer db.Close()
	var regs []index.Registration
	for i := 0; i < len(files); i += registerEvery {
		fp, err := h.Image(ctx, files[i], hashing.ForRegistration)
		if err != nil {
			return HashSpeed{}, fmt.Errorf("register image %d: %w", i, err)
		}
		regs = append(regs, index.Registration{Source: fmt.Sprintf("image-%d", i), Print: fp})
	}
	if _, err := db.Index.Register(ctx, "bench", "", regs, store.Actor{User: auditUser}); err != nil {
		return HashSpeed{}, err
	}
	rule := hashing.DefaultRule()

	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	baseline := func(data []byte) error {
		img, _, err := image.Decode(bytes.NewReader(data))
		if err != nil {
			return err
		}
		_, err = goimagehash.PerceptionHash(img)
		return err
	}
	ours := func(data []byte) error {
		fp, err := h.Image(ctx, data, hashing.ForQuery)
		if err != nil {
			return err
		}
		_, err = db.Index.Match(ctx, fp, rule)
		return err
	}
	_, useCPU := cputime.Process()
	clock := func() time.Duration {
		if useCPU {
			d, _ := cputime.Process()
			return d
		}
		return time.Duration(time.Now().UnixNano())
	}
	var tBase, tOurs time.Duration
	var per []time.Duration
	for r := 0; r < rounds; r++ {
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return HashSpeed{}, err
			}
			start := clock()
			if err := baseline(f); err != nil {
				return HashSpeed{}, fmt.Errorf("baseline: %w", err)
			}
			tBase += clock() - start
			start = clock()
			if err := ours(f); err != nil {
				return HashSpeed{}, fmt.Errorf("hashwatch: %w", err)
			}
			d := clock() - start
			tOurs += d
			per = append(per, d)
		}
	}
	sort.Slice(per, func(i, j int) bool { return per[i] < per[j] })
	n := float64(len(files) * rounds)
	res := HashSpeed{Images: len(files), Rounds: rounds, Registered: len(regs), CPU: useCPU,
		BaselinePerS: n / tBase.Seconds(), HashwatchPerS: n / tOurs.Seconds(),
		MedianMS: float64(per[len(per)/2].Microseconds()) / 1000}
	res.Ratio = res.HashwatchPerS / res.BaselinePerS
	return res, nil
}
