//go:build soak

package crawler

import (
	"context"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
)

// cpuSeconds is this process's user+system CPU time so far.
func cpuSeconds(t *testing.T) float64 {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Skipf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// TestSoakHostileRoutes crawls every hostile route of issue 14 (gzip bomb,
// many-scan JPEGs, a canvas-bomb GIF, 200,000 <img>, a link trap, a page
// declaring 50 MB, connection resets, a JPEG served as HTML) one at a
// time, then all at once, and prints each pass's wall time, CPU (user+sys,
// the in-process server included) and peak RSS. Every pass must finish,
// raise no alert, and stay within a few seconds of CPU and 1 GiB.
func TestSoakHostileRoutes(t *testing.T) {
	srv := httptest.NewServer(fixtures.HostileSite())
	defer srv.Close()
	routes := append([]fixtures.HostileRoute(nil), fixtures.HostileRoutes...)
	routes = append(routes, fixtures.HostileRoute{Path: "/", What: "all of the above at once"})
	t.Logf("%-20s %8s %8s %10s %6s %6s  %s", "ROUTE", "WALL s", "CPU s", "PEAK MiB", "PAGES", "MEDIA", "ERRORS / BOUNDS")
	for _, rt := range routes {
		db := registerKnown(t)
		site := parseSite(t, largeSiteYAML(srv.URL, "    request_timeout: 5s\n    max_pages: 500\n    max_pass_duration: 2m\n    respect_robots: false\n"))
		site.Seeds = []string{srv.URL + rt.Path}
		peakRSS(t) // reset the high-water mark
		cpu0, start := cpuSeconds(t), time.Now()
		stats, err := (&Crawler{DB: db, Rule: hashing.DefaultRule(), Video: video.New(video.Config{})}).Pass(context.Background(), site)
		wall, cpu, peak := time.Since(start).Seconds(), cpuSeconds(t)-cpu0, peakRSS(t)
		t.Logf("%-20s %8.2f %8.2f %10.0f %6d %6d  %v %v", rt.Path, wall, cpu, peak, stats.Pages, stats.Media, stats.Errors, stats.Bounds)
		if err != nil || stats.Interrupted {
			t.Errorf("%s: pass %v, interrupted %v", rt.Path, err, stats.Interrupted)
		}
		if stats.NewAlerts != 0 {
			t.Errorf("%s: %d alerts from a site without a known photo", rt.Path, stats.NewAlerts)
		}
		if peak > 1024 {
			t.Errorf("%s: peak RSS %.0f MiB", rt.Path, peak)
		}
	}
}
