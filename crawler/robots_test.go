package crawler

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/hashing"
)

// TestRobotsCrawlDelaySlowsTheHost checks that a robots.txt Crawl-delay
// larger than the site's delay spaces every later request to that host, and
// that a site which opts out of robots.txt keeps its own pace.
func TestRobotsCrawlDelaySlowsTheHost(t *testing.T) {
	const crawlDelay = 150 * time.Millisecond
	const pages = 5
	tests := []struct {
		name      string
		robots    string
		wantSpace bool
	}{
		{name: "Crawl-delay for every agent is honoured", robots: "true", wantSpace: true},
		{name: "a site that ignores robots.txt keeps its own delay", robots: "false", wantSpace: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &inflight{}
			rec.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/robots.txt" {
					fmt.Fprintf(w, "User-agent: *\nCrawl-delay: %.2f\nAllow: /\n", crawlDelay.Seconds())
					return
				}
				var b strings.Builder
				b.WriteString("<html><body>")
				for p := 1; p <= pages; p++ {
					fmt.Fprintf(&b, `<a href="/p%d.html">page %d</a>`, p, p)
				}
				b.WriteString("</body></html>")
				io.WriteString(w, b.String())
			})
			srv := httptest.NewServer(rec)
			defer srv.Close()
			db := registerKnown(t)
			site := parseSite(t, fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q]\n    allow_private: true\n    delay: 1ms\n    parallelism: 4\n    respect_robots: %s\n", srv.URL+"/", tt.robots))
			if _, err := (&Crawler{DB: db, Rule: hashing.DefaultRule(), Workers: 4}).Pass(context.Background(), site); err != nil {
				t.Fatal(err)
			}
			rec.mu.Lock()
			starts := append([]time.Time(nil), rec.starts...)
			rec.mu.Unlock()
			sortTimes(starts)
			// The first request is robots.txt (or the seed); every request
			// after the robots.txt answer waits its turn.
			if len(starts) < pages {
				t.Fatalf("%d requests, want at least %d", len(starts), pages)
			}
			span := starts[len(starts)-1].Sub(starts[1])
			min := time.Duration(len(starts)-2) * crawlDelay * 9 / 10
			if tt.wantSpace && span < min {
				t.Errorf("%d requests within %v; Crawl-delay %v needs at least %v", len(starts)-1, span, crawlDelay, min)
			}
			if !tt.wantSpace && span >= min {
				t.Errorf("%d requests took %v although robots.txt is ignored", len(starts)-1, span)
			}
		})
	}
}

// TestATruncatedRobotsTxtDisallowsItsHost serves a robots.txt whose
// Disallow comes after 512 KiB of comments: the crawler cannot read it, so
// it must not crawl the host, and it says why.
func TestATruncatedRobotsTxtDisallowsItsHost(t *testing.T) {
	var pages atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			io.WriteString(w, "User-agent: *\n")
			line := "# " + strings.Repeat("padding ", 12) + "\n"
			for n := 0; n <= work.MaxRobotsBytes; n += len(line) {
				io.WriteString(w, line)
			}
			io.WriteString(w, "Disallow: /\n")
			return
		}
		pages.Add(1)
		io.WriteString(w, `<html><body><a href="/private.html">x</a></body></html>`)
	}))
	defer srv.Close()
	db := emptyDB(t)
	site := parseSite(t, fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q]\n    allow_private: true\n    delay: 0s\n", srv.URL+"/"))
	st, err := (&Crawler{DB: db, Rule: hashing.DefaultRule(), Workers: 4}).Pass(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	if n := pages.Load(); n != 0 {
		t.Errorf("%d pages fetched from a host whose robots.txt disallows all after 512 KiB", n)
	}
	if st.Errors["robots_truncated"] != 1 || st.Robots == 0 {
		t.Errorf("errors %v, robots-blocked %d; want the truncated robots.txt named and the seed blocked", st.Errors, st.Robots)
	}
}

// TestARobotsTxtAnswered5xxDisallowsItsHost: RFC 9309 reads a server error
// as "disallow all" (robotstxt's FindGroup alone would allow all).
func TestARobotsTxtAnswered5xxDisallowsItsHost(t *testing.T) {
	var pages atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		pages.Add(1)
		io.WriteString(w, `<html><body></body></html>`)
	}))
	defer srv.Close()
	db := emptyDB(t)
	site := parseSite(t, fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q]\n    allow_private: true\n    delay: 0s\n    retries: 0\n", srv.URL+"/"))
	st, err := (&Crawler{DB: db, Rule: hashing.DefaultRule(), Workers: 4}).Pass(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	if n := pages.Load(); n != 0 || st.Robots != 1 {
		t.Errorf("%d pages fetched, %d robots-blocked; a 5xx robots.txt disallows the host", n, st.Robots)
	}
}
