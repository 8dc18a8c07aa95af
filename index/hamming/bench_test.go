package hamming

import (
	"context"
	"testing"
)

func TestRunBenchReportsExactRecallOnSmallData(t *testing.T) {
	for _, cfg := range []BenchConfig{
		{N: 20000, Bits: 256, Radius: 31, Data: "uniform", Queries: 50},
		{N: 20000, Bits: 256, Radius: 31, Data: "clustered", Queries: 50},
		{N: 20000, Bits: 64, Radius: 10, Data: "uniform", Queries: 50},
	} {
		res, err := RunBench(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if res.Recall != 1 || res.MedianUS <= 0 || res.P99US < res.MedianUS || res.BuildS <= 0 || res.N != cfg.N {
			t.Fatalf("%+v: implausible result %+v", cfg, res)
		}
	}
	if _, err := RunBench(context.Background(), BenchConfig{N: 10, Bits: 100, Radius: 3}); err == nil {
		t.Fatal("bad bits accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := RunBench(ctx, BenchConfig{N: 1000, Bits: 64, Radius: 3}); err == nil {
		t.Fatal("cancelled context ignored")
	}
}

// Search benchmarks at the target sizes. Fixtures are built once per
// process; the 1M and 10M builds take seconds, so they are skipped in -short
// mode. Run single-threaded like the targets:
//
//	GOMAXPROCS=1 go test -run '^$' -bench 'Search256Uniform1M' ./index/hamming/

type fixture struct {
	ix *Index
	d  benchData
	n  int
}

var fixtures = map[BenchConfig]*fixture{}

func getFixture(b *testing.B, cfg BenchConfig) *fixture {
	if testing.Short() && cfg.N > 100000 {
		b.Skip("large fixture skipped in -short mode")
	}
	if f := fixtures[cfg]; f != nil {
		return f
	}
	d := genBenchData(cfg)
	ix, err := Build(cfg.Bits, d.ids, d.codes)
	if err != nil {
		b.Fatal(err)
	}
	f := &fixture{ix: ix, d: d, n: cfg.N}
	fixtures[cfg] = f
	return f
}

func benchSearch(b *testing.B, cfg BenchConfig) {
	cfg.Queries, cfg.Seed = 1000, 1
	f := getFixture(b, cfg)
	words := cfg.Bits / 64
	var buf []Match
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := i % cfg.Queries
		buf = f.ix.Search(f.d.queries[q*words:(q+1)*words], cfg.Radius, buf)
	}
}

func BenchmarkSearch256Uniform100K(b *testing.B) {
	benchSearch(b, BenchConfig{N: 100000, Bits: 256, Radius: 31, Data: "uniform"})
}

func BenchmarkSearch256Uniform1M(b *testing.B) {
	benchSearch(b, BenchConfig{N: 1000000, Bits: 256, Radius: 31, Data: "uniform"})
}

func BenchmarkSearch256Clustered1M(b *testing.B) {
	benchSearch(b, BenchConfig{N: 1000000, Bits: 256, Radius: 31, Data: "clustered"})
}

func BenchmarkSearch64Uniform1M(b *testing.B) {
	benchSearch(b, BenchConfig{N: 1000000, Bits: 64, Radius: 10, Data: "uniform"})
}

func BenchmarkSearch256Uniform10M(b *testing.B) {
	benchSearch(b, BenchConfig{N: 10000000, Bits: 256, Radius: 31, Data: "uniform"})
}

// BenchmarkScan256_1M is the reference linear scan over 1M 256-bit codes.
func BenchmarkScan256_1M(b *testing.B) {
	cfg := BenchConfig{N: 1000000, Bits: 256, Radius: 31, Data: "uniform", Queries: 1000, Seed: 1}
	if testing.Short() {
		b.Skip("large fixture skipped in -short mode")
	}
	d := genBenchData(cfg)
	var buf []Match
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := i % cfg.Queries
		buf = Scan(256, d.ids, d.codes, d.queries[q*4:(q+1)*4], cfg.Radius, buf)
	}
}

// BenchmarkInsert256Into1M inserts b.N new codes into a 1M-code index and
// includes the background compaction they cause (amortised cost per insert).
func BenchmarkInsert256Into1M(b *testing.B) {
	benchWrites(b, 1000000, false)
}

// BenchmarkDelete256From1M deletes b.N codes (including the compaction work
// the tombstones cause).
func BenchmarkDelete256From1M(b *testing.B) {
	benchWrites(b, 1000000, true)
}

func benchWrites(b *testing.B, n int, del bool) {
	if testing.Short() {
		b.Skip("large fixture skipped in -short mode")
	}
	cfg := BenchConfig{N: n, Bits: 256, Radius: 31, Data: "uniform", Queries: 1, Seed: 2}
	d := genBenchData(cfg)
	ix, err := Build(256, d.ids, d.codes)
	if err != nil {
		b.Fatal(err)
	}
	extra := genBenchData(BenchConfig{N: min(b.N, n), Bits: 256, Radius: 31, Data: "uniform", Queries: 1, Seed: 3})
	cpu0 := processCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(extra.ids)
		if del {
			ix.Delete(d.ids[i%n])
		} else if err := ix.Insert(extra.ids[j]+uint64(i/len(extra.ids)), extra.codes[j*4:j*4+4]); err != nil {
			b.Fatal(err)
		}
	}
	ix.waitIdle()
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkSearchParallel256_1M measures search throughput on all cores,
// alone and with a goroutine inserting and deleting continuously: searches
// take no lock, so writers should barely affect them.
func BenchmarkSearchParallel256_1M(b *testing.B) {
	for _, writers := range []bool{false, true} {
		name := "readers only"
		if writers {
			name = "with a writer"
		}
		b.Run(name, func(b *testing.B) {
			cfg := BenchConfig{N: 1000000, Bits: 256, Radius: 31, Data: "uniform", Queries: 1000, Seed: 1}
			f := getFixture(b, cfg)
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				if !writers {
					return
				}
				code := make([]uint64, 4)
				for i := uint64(0); ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					code[0] = i * 0x9e3779b97f4a7c15
					_ = f.ix.Insert(1<<63|i, code)
					f.ix.Delete(1<<63 | (i - i%2))
				}
			}()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var buf []Match
				q := 0
				for pb.Next() {
					q = (q + 7) % 1000
					buf = f.ix.Search(f.d.queries[q*4:(q+1)*4], 31, buf)
				}
			})
			b.StopTimer()
			close(stop)
			<-done
		})
	}
}
