package crawler

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// gzipBomb returns n bytes of HTML padding, gzip-compressed: a few KiB on
// the wire that expand to n bytes.
func gzipBomb(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write([]byte("<html><body>"))
	pad := bytes.Repeat([]byte(" "), 64<<10)
	for w := 0; w < n; w += len(pad) {
		zw.Write(pad)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestACompressedPageIsCappedAfterDecoding(t *testing.T) {
	const expanded = 16 << 20
	bomb := gzipBomb(t, expanded)
	small := func() []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(`<html><body><img src="/a.jpg"></body></html>`))
		zw.Close()
		return b.Bytes()
	}()
	mux := http.NewServeMux()
	mux.HandleFunc("/x-gzip.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; x=gzip")
		w.Write(bomb)
	})
	mux.HandleFunc("/sitemap.xml.gz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(bomb)
	})
	mux.HandleFunc("/encoded.html", func(w http.ResponseWriter, r *http.Request) {
		// Content-Encoding the client never asked for.
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb)
	})
	mux.HandleFunc("/small.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; x=gzip")
		w.Write(small)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	site := siteFor(t, srv.URL, "    max_page_bytes: 65536\n")
	pages := newPageFetcher(context.Background(), site, newTransport(site), "test")

	for _, path := range []string{"/x-gzip.html", "/sitemap.xml.gz", "/encoded.html"} {
		t.Run("a bomb at "+path+" is refused as too large without expanding it", func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			pf := pages.fetch(srv.URL+path, validators{})
			runtime.ReadMemStats(&after)
			if !errors.Is(pf.err, hashing.ErrTooLarge) || classify(pf.err) != "too_large" {
				t.Errorf("err = %v, want too_large", pf.err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
				t.Errorf("fetching a %d-byte bomb allocated %d MiB; the page limit is 64 KiB", len(bomb), grew>>20)
			}
		})
	}
	t.Run("a small compressed page is still read", func(t *testing.T) {
		pf := pages.fetch(srv.URL+"/small.html", validators{})
		if pf.err != nil || len(pf.media) != 1 || !strings.HasSuffix(pf.media[0], "/a.jpg") {
			t.Errorf("err %v, media %v; want the one image found", pf.err, pf.media)
		}
	})
}

func TestAPageDeclaringTooManyBytesIsTooLarge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", "5000000")
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	site := siteFor(t, srv.URL, "    max_page_bytes: 65536\n")
	pf := newPageFetcher(context.Background(), site, newTransport(site), "test").fetch(srv.URL+"/", validators{})
	if got := classify(pf.err); got != "too_large" {
		t.Errorf("a page declaring 5000000 bytes over a 65536 limit is %q (%v), want too_large", got, pf.err)
	}
}

func TestAPictureServedAsHTMLIsSniffedAndMatched(t *testing.T) {
	known := fixtures.Known()[0].Data
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/":
			io.WriteString(w, `<html><body><a href="/view?id=7">the photo</a></body></html>`)
		case "/view":
			w.Write(known) // a JPEG, whatever the header says
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	db := registerFirst(t, 1)
	site := parseSite(t, largeSiteYAML(srv.URL, "    respect_robots: false\n"))
	stats, err := (&Crawler{DB: db, Rule: hashing.DefaultRule()}).Pass(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	if stats.NewAlerts != 1 {
		t.Errorf("%d new alerts, want 1: the link serves a registered photo as text/html (errors %v)", stats.NewAlerts, stats.Errors)
	}
}
