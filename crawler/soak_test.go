//go:build soak

package crawler

// The long measurements behind `make soak`: crawl throughput against the
// hashing rate on the same images, the second pass's cost against the
// first's, and memory over ten passes. Run with
//
//	go test -tags soak -run Soak -v -timeout 30m ./crawler/

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// peakRSS returns the process's peak resident set (VmHWM) in MiB and resets
// it (Linux: writing 5 to clear_refs), so that each pass reports its own
// peak.
func peakRSS(t *testing.T) float64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("peak RSS needs /proc: %v", err)
	}
	defer f.Close()
	var kb float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ = strconv.ParseFloat(strings.Fields(rest)[0], 64)
		}
	}
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	return kb / 1024
}

// hashRate fingerprints images on every CPU for about d and returns images
// per second: the yardstick crawl throughput is compared with.
func hashRate(t *testing.T, images [][]byte, d time.Duration) float64 {
	t.Helper()
	h := hashing.NewHasher(hashing.Limits{})
	var n atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range runtime.NumCPU() {
		wg.Go(func() {
			for i := w; time.Now().Before(deadline); i++ {
				if _, err := h.Image(context.Background(), images[i%len(images)], hashing.ForQuery); err != nil {
					t.Error(err)
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

func TestSoakThroughputSecondPassAndMemory(t *testing.T) {
	// Without the hostile routes: their slow page holds every pass for its
	// timeout, which would measure the timeout, not the crawl.
	fs, err := fixtures.NewSite(fixtures.SiteConfig{Large: true, UniqueMedia: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	defer fs.Close()

	// The same images the crawl will fingerprint: a sample of the
	// gallery's files, as served.
	var images [][]byte
	for _, p := range fs.Paths() {
		if !strings.HasPrefix(p, "/g/") || len(images) >= 300 {
			continue
		}
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		images = append(images, b)
	}
	baseline := hashRate(t, images, 10*time.Second)

	db := registerKnown(t)
	// A generous timeout: the fixture server shares the CPUs with the
	// hashing, and a page timing out would cut the crawl short.
	site := parseSite(t, largeSiteYAML(srv.URL, "    request_timeout: 30s\n"))
	c := &Crawler{DB: db, Rule: hashing.DefaultRule()}
	peakRSS(t)
	var first time.Duration
	for i := 1; i <= 10; i++ {
		s, err := c.Pass(context.Background(), site)
		if err != nil {
			t.Fatal(err)
		}
		d := s.End.Sub(s.Start)
		rss := peakRSS(t)
		fs.ClearRequests() // the test's own log, not the crawler's memory
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fi, _ := os.Stat(db.Store.Path())
		mem := fmt.Sprintf("peak RSS %.0f MiB, Go heap after GC %.1f MiB, %d goroutines, database %.1f MiB",
			rss, float64(ms.HeapInuse)/(1<<20), runtime.NumGoroutine(), float64(fi.Size())/(1<<20))
		switch i {
		case 1:
			first = d
			rate := float64(s.Hashed) / d.Seconds()
			t.Logf("hashing benchmark on the same images, %d CPUs: %.0f images/s", runtime.NumCPU(), baseline)
			t.Logf("pass 1: %v, %d pages, %d media, %d hashed: %.0f media fingerprinted/s = %.0f%% of the benchmark; %s",
				d.Round(time.Millisecond), s.Pages, s.Media, s.Hashed, rate, 100*rate/baseline, mem)
		default:
			t.Logf("pass %d: %v (%.0f%% of the first), %d not modified, %d hashed; %s",
				i, d.Round(time.Millisecond), 100*d.Seconds()/first.Seconds(), s.NotModified, s.Hashed, mem)
		}
	}
}
