package index

import (
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/hashing/video"
)

// TestVideoMatcherMemory measures the video matcher at the scale:
// 100,000 registered videos of 40 frames (20 s at the registration
// sampling) with two codes each, 8 million frame codes, loaded as the
// index loads them (each fingerprint decoded from its stored record, then
// the matcher built over all of them). It logs the heap the matcher keeps
// after GC and the process's peak resident memory (the issue asks for at
// most 1.5 GB; the peak includes the stored records, as the index's load
// has the database's pages in memory), the
// build time and the time to match a 60-s query (at most 50 ms). It needs
// some 4 GB of memory and a few minutes, so it runs only with
// HASHWATCH_VIDEOBENCH=1 (make bench).
func TestVideoMatcherMemory(t *testing.T) {
	if os.Getenv("HASHWATCH_VIDEOBENCH") != "1" {
		t.Skip("set HASHWATCH_VIDEOBENCH=1 to build and measure an 8M-code video matcher")
	}
	const videos, frames = 100_000, 40
	rng := rand.New(rand.NewPCG(7, 8))
	// The stored records, as bbolt holds them; the query's middle 15 s
	// are a clip of video 777, the rest unrelated.
	records := make([]fingerprintRecord, 0, videos)
	q := hashingtest.Video(rng, 60, true)
	for id := uint64(1); id <= videos; id++ {
		p := hashingtest.Video(rng, frames, false)
		if id == 777 {
			for i, f := range hashingtest.Clip(rng, p, 4, 15, 10).Frames {
				q.Frames[20+i].Hashes = f.Hashes
			}
		}
		r, err := toRecord(&Fingerprint{ID: id, Case: "c", Print: p})
		if err != nil {
			t.Fatal(err)
		}
		records = append(records, r)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var recBytes int64
	for _, r := range records {
		recBytes += int64(len(r.Frames) + len(r.Packed))
	}

	start := time.Now()
	// As loadActive does.
	m := emptyMatcher()
	for i := range records {
		var short []shortCodes
		f, err := heldFromRecord(records[i], func(b []byte) (views []hashing.View, err error) {
			views, short, err = m.unpackCompact(b)
			return views, err
		})
		if err != nil {
			t.Fatal(err)
		}
		m.fps[f.ID] = f
		if short != nil {
			m.short[f.ID] = short
		}
		records[i] = fingerprintRecord{}
	}
	if err := m.build(); err != nil {
		t.Fatal(err)
	}
	m.frames.Compact()
	built := time.Since(start)
	records = nil
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)

	vm := video.DefaultMatching()
	var took []time.Duration
	const rounds = 21
	cpu := processCPU()
	for range rounds {
		s := time.Now()
		ms := m.matchVideo(q, vm)
		took = append(took, time.Since(s))
		if len(ms) != 1 || ms[0].Fingerprint != 777 {
			t.Fatalf("matches %+v, want video 777 alone", ms)
		}
	}
	cpu = (processCPU() - cpu) / rounds
	slices.Sort(took)
	codes := m.frames.Len()
	t.Logf("%d videos, %d frame codes: matcher holds %d MB after GC (%.0f B/code); built in %v; process peak RSS %d MB (the stored records, %d MB, included), %d MB taken from the OS",
		videos, codes, held>>20, float64(held)/float64(codes), built.Round(time.Millisecond), peakRSS()>>20, recBytes>>20, after.Sys>>20)
	t.Logf("match of a 60-s query: median %v, max %v wall; %v CPU each (the process's, a guide on a busy machine)",
		took[len(took)/2].Round(time.Microsecond), took[len(took)-1].Round(time.Microsecond), cpu.Round(time.Microsecond))
	runtime.KeepAlive(m)
}
