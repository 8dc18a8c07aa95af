package crawler

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// TestTransientFailuresAreRetriedWithinThePass serves a page whose re-upload
// of a known photo first answers 503, and checks that the pass still
// alerts; a URL that keeps failing is tried 1+retries times and counted as
// an error; a 404 is final at once.
func TestTransientFailuresAreRetriedWithinThePass(t *testing.T) {
	known := fixtures.Known()[0].Data
	var mu sync.Mutex
	hits := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		n := hits[r.URL.Path]
		mu.Unlock()
		switch r.URL.Path {
		case "/robots.txt":
			http.NotFound(w, r)
		case "/":
			fmt.Fprint(w, `<html><body><img src="/flaky.jpg"><img src="/down.jpg"><img src="/gone.jpg"><img src="/reset.jpg"></body></html>`)
		case "/reset.jpg":
			if n == 1 {
				// Reset the connection: close with SO_LINGER 0 sends RST.
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.(*net.TCPConn).SetLinger(0)
					conn.Close()
				}
				return
			}
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(fixtures.Others()[0].Data)
		case "/flaky.jpg":
			if n == 1 {
				w.Header().Set("Retry-After", "0")
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(known)
		case "/down.jpg":
			http.Error(w, "bad gateway", http.StatusBadGateway)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	db := registerKnown(t)
	site := parseSite(t, fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q]\n    allow_private: true\n    delay: 0s\n    retries: 2\n", srv.URL+"/"))
	start := time.Now()
	st, err := (&Crawler{DB: db, Rule: hashing.DefaultRule(), Workers: 4}).Pass(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	if st.NewAlerts != 1 {
		t.Errorf("%d new alerts, want 1 (the flaky re-upload, after a retry)", st.NewAlerts)
	}
	mu.Lock()
	defer mu.Unlock()
	for path, want := range map[string]int{"/flaky.jpg": 2, "/down.jpg": 3, "/gone.jpg": 1, "/reset.jpg": 2} {
		if hits[path] != want {
			t.Errorf("%s requested %d times, want %d", path, hits[path], want)
		}
	}
	if st.Errors["http_status"] != 2 {
		t.Errorf("errors %v, want 2 http_status (the 502 after its retries, the 404)", st.Errors)
	}
	if st.Recovered["reset"] != 1 || st.Recovered["http_status"] != 1 {
		t.Errorf("recovered %v, want the reset and the 503 each counted once", st.Recovered)
	}
	if ss, _, err := db.Crawl.SiteStatus("fixture"); err != nil || ss.Recovered["reset"] != 1 {
		t.Errorf("site status recovered %v (%v), want the reset counted", ss.Recovered, err)
	}
	// Two backoffs of ~0.5 s and ~1 s for /down.jpg, never the 30-s cap.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("pass took %v", d)
	}
}
