package lfindex_test

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/cputime"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing/features"
	"github.com/hashwatch/hashwatch/hashing/features/lfindex"
)

// benchPictures is the registered pictures of the benchmarks: the known
// fixture photos and, to reach a national index's scale, sets of random
// corners (uniform descriptors fill the buckets evenly: real ones
// cluster, which the pool run measures, `hashwatch eval --pool --local`).
const benchPictures = 20_000

// randomSet is a set of n corners with uniform descriptors.
func randomSet(r *rand.Rand, n int) features.Set {
	s := features.Set{W: 320, H: 240, Points: make([]features.Point, n)}
	for i := range s.Points {
		s.Points[i] = features.Point{X: float32(r.IntN(320)), Y: float32(r.IntN(240)), Angle: uint8(r.IntN(30)),
			Desc: [4]uint64{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}}
	}
	return s
}

// benchIndex fills an index with the known photos and random sets up to
// benchPictures, returning it and the known photos' sets.
func benchIndex(b *testing.B) (*lfindex.Index, []features.Set) {
	cfg := lfindex.DefaultConfig()
	x, err := lfindex.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var known []features.Set
	for i, p := range fixtures.Known() {
		img, err := p.Decode()
		if err != nil {
			b.Fatal(err)
		}
		s := features.Extract(grey(img), cfg.Features)
		known = append(known, s)
		if err := x.Add(uint64(i), s); err != nil {
			b.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := len(known); i < benchPictures; i++ {
		if err := x.Add(uint64(i), randomSet(r, cfg.MaxPoints)); err != nil {
			b.Fatal(err)
		}
	}
	return x, known
}

// BenchmarkBuild files benchPictures pictures of 96 corners each and
// reports the heap the index holds per picture (fixed tables included).
func BenchmarkBuild(b *testing.B) {
	cfg := lfindex.DefaultConfig()
	r := rand.New(rand.NewPCG(1, 2))
	sets := make([]features.Set, benchPictures)
	for i := range sets {
		sets[i] = randomSet(r, cfg.MaxPoints)
	}
	b.ReportAllocs()
	var before, after runtime.MemStats
	var x *lfindex.Index
	for b.Loop() {
		x = nil
		runtime.GC()
		runtime.ReadMemStats(&before)
		x, _ = lfindex.New(cfg)
		for i, s := range sets {
			if err := x.Add(uint64(i), s); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
	}
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/benchPictures, "heap-bytes/picture")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchPictures, "ns/picture-added")
	runtime.KeepAlive(x)
}

// BenchmarkMatch is one query (a 25% corner crop of a known photo,
// mirror included) against benchPictures registered pictures: lookup,
// voting and verification, extraction excluded (BenchmarkExtract in
// package features).
func BenchmarkMatch(b *testing.B) {
	x, _ := benchIndex(b)
	img, err := fixtures.Known()[0].Decode()
	if err != nil {
		b.Fatal(err)
	}
	q := setOf(b, img, fixtures.Crop(0.25, 0.25, 0, 0))
	ctx := context.Background()
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, _ := cputime.Thread()
	for b.Loop() {
		hits, err := x.Match(ctx, q)
		if err != nil || len(hits) == 0 || hits[0].ID != 0 {
			b.Fatalf("hits %+v err %v, want picture 0", hits, err)
		}
	}
	reportCPU(b, start)
}

// reportCPU reports the thread's CPU time per operation since start: on
// a shared machine wall time counts the wait for a core as well.
func reportCPU(b *testing.B, start time.Duration) {
	if end, ok := cputime.Thread(); ok {
		b.ReportMetric(float64((end-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkMatchUnrelated is a query whose picture is not registered:
// the common case on a crawl.
func BenchmarkMatchUnrelated(b *testing.B) {
	x, _ := benchIndex(b)
	img, err := fixtures.Others()[0].Decode()
	if err != nil {
		b.Fatal(err)
	}
	q := setOf(b, img, fixtures.PNG())
	ctx := context.Background()
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, _ := cputime.Thread()
	for b.Loop() {
		if _, err := x.Match(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}
