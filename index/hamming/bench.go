package hamming

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"
)

// BenchConfig describes a synthetic benchmark of the index.
type BenchConfig struct {
	N       int    // stored codes
	Bits    int    // 64 or 256
	Radius  int    // search radius
	Data    string // "uniform" or "clustered"
	Queries int    // number of timed queries (default 1000)
	Seed    uint64 // data seed (default 1)
}

// BenchResult is the outcome of RunBench.
type BenchResult struct {
	N            int     `json:"n"`
	Bits         int     `json:"bits"`
	Radius       int     `json:"radius"`
	Data         string  `json:"data"`
	BuildS       float64 `json:"build_s"`
	MedianUS     float64 `json:"median_us"`
	P99US        float64 `json:"p99_us"`
	BytesPerCode float64 `json:"bytes_per_code"`
	Recall       float64 `json:"recall"`
}

// Synthetic data parameters.
const (
	benchCentres       = 100 // cluster centres of "clustered" data
	benchPlantsPerQ    = 3   // near-duplicates planted per query
	benchRecallSampleN = 100 // queries verified by scan when N is large
	benchRecallAllMaxN = 2_000_000
)

// benchData is a generated data set: codes (back to back), their ids, and
// queries with near-duplicates planted among the codes.
type benchData struct {
	ids, codes, queries []uint64
}

// genBenchData generates cfg's data deterministically from cfg.Seed.
func genBenchData(cfg BenchConfig) benchData {
	words := cfg.Bits / 64
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	var centres []uint64
	if cfg.Data == "clustered" {
		centres = make([]uint64, benchCentres*words)
		for i := range centres {
			centres[i] = rng.Uint64()
		}
	}
	flips := (cfg.Bits + 5) / 10 // 10% of the bits
	draw := func(dst []uint64) {
		if centres == nil {
			for i := range dst {
				dst[i] = rng.Uint64()
			}
			return
		}
		c := rng.IntN(benchCentres)
		copy(dst, centres[c*words:(c+1)*words])
		flipBits(rng, dst, cfg.Bits, flips)
	}
	d := benchData{
		ids:     make([]uint64, cfg.N),
		codes:   make([]uint64, cfg.N*words),
		queries: make([]uint64, cfg.Queries*words),
	}
	for i := range d.ids {
		// A bijection of i: unique, unordered ids.
		d.ids[i] = (uint64(i)+1)*0x9e3779b97f4a7c15 ^ cfg.Seed
		draw(d.codes[i*words : (i+1)*words])
	}
	for q := 0; q < cfg.Queries; q++ {
		draw(d.queries[q*words : (q+1)*words])
	}
	// Plant near-duplicates (distance uniform in 0..radius) of each query
	// at distinct random positions.
	plants := min(benchPlantsPerQ*cfg.Queries, cfg.N)
	used := make(map[int]bool, plants)
	for p := 0; p < plants; p++ {
		q := p % cfg.Queries
		pos := rng.IntN(cfg.N)
		for used[pos] {
			pos = rng.IntN(cfg.N)
		}
		used[pos] = true
		dst := d.codes[pos*words : (pos+1)*words]
		copy(dst, d.queries[q*words:(q+1)*words])
		flipBits(rng, dst, cfg.Bits, rng.IntN(min(cfg.Radius, cfg.Bits)+1))
	}
	return d
}

// flipBits flips k distinct random bits of code.
func flipBits(rng *rand.Rand, code []uint64, nbits, k int) {
	var mask [4]uint64
	for done := 0; done < k; {
		b := rng.IntN(nbits)
		if mask[b/64]&(1<<(b%64)) != 0 {
			continue
		}
		mask[b/64] |= 1 << (b % 64)
		done++
	}
	for i := range code {
		code[i] ^= mask[i]
	}
}

// RunBench builds an index over synthetic data and times single-threaded
// queries. It reports build time, median and p99 query latency, heap bytes
// per code (after runtime.GC, index heap delta over N) and recall against
// Scan (all queries up to 2M codes, a sample of 100 beyond; any false
// positive is an error). The caller controls GOMAXPROCS.
func RunBench(ctx context.Context, cfg BenchConfig) (BenchResult, error) {
	if cfg.Queries == 0 {
		cfg.Queries = 1000
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.Data == "" {
		cfg.Data = "uniform"
	}
	res := BenchResult{N: cfg.N, Bits: cfg.Bits, Radius: cfg.Radius, Data: cfg.Data}
	switch {
	case cfg.Bits != 64 && cfg.Bits != 256:
		return res, ErrBits
	case cfg.N < 1 || cfg.Queries < 1 || cfg.Radius < 0:
		return res, fmt.Errorf("hamming: bench needs N >= 1, Queries >= 1, Radius >= 0")
	case cfg.Data != "uniform" && cfg.Data != "clustered":
		return res, fmt.Errorf("hamming: unknown bench data %q", cfg.Data)
	}
	words := cfg.Bits / 64
	d := genBenchData(cfg)
	if err := ctx.Err(); err != nil {
		return res, err
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	ix, err := Build(cfg.Bits, d.ids, d.codes)
	if err != nil {
		return res, err
	}
	res.BuildS = time.Since(start).Seconds()
	runtime.GC()
	runtime.ReadMemStats(&after)
	res.BytesPerCode = (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(cfg.N)

	sampleEvery := 1
	if cfg.N > benchRecallAllMaxN {
		sampleEvery = max(1, cfg.Queries/benchRecallSampleN)
	}
	got := make(map[int][]Match)
	lat := make([]time.Duration, cfg.Queries)
	var buf []Match
	for q := 0; q < min(10, cfg.Queries); q++ { // warm-up: plans, scratch
		buf = ix.Search(d.queries[q*words:(q+1)*words], cfg.Radius, buf)
	}
	for q := 0; q < cfg.Queries; q++ {
		if q%64 == 0 {
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
		code := d.queries[q*words : (q+1)*words]
		t0 := time.Now()
		buf = ix.Search(code, cfg.Radius, buf)
		lat[q] = time.Since(t0)
		if q%sampleEvery == 0 {
			got[q] = slices.Clone(buf)
		}
	}
	slices.Sort(lat)
	res.MedianUS = float64(lat[len(lat)/2]) / 1e3
	res.P99US = float64(lat[min(len(lat)-1, len(lat)*99/100)]) / 1e3

	want, found := 0, 0
	var exp []Match
	for q := 0; q < cfg.Queries; q += sampleEvery {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		exp = Scan(cfg.Bits, d.ids, d.codes, d.queries[q*words:(q+1)*words], cfg.Radius, exp)
		g := got[q]
		i := 0
		for _, e := range exp {
			for i < len(g) && less(g[i], e) {
				return res, fmt.Errorf("hamming: query %d returned %v, not within radius per scan", q, g[i])
			}
			if i < len(g) && g[i] == e {
				found++
				i++
			}
		}
		if i < len(g) {
			return res, fmt.Errorf("hamming: query %d returned %v, not within radius per scan", q, g[i])
		}
		want += len(exp)
	}
	res.Recall = 1
	if want > 0 {
		res.Recall = float64(found) / float64(want)
	}
	runtime.KeepAlive(d)
	return res, nil
}

func less(a, b Match) bool {
	return a.Distance < b.Distance || a.Distance == b.Distance && a.ID < b.ID
}
