package work

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

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
	pages := NewPages(context.Background(), site, NewTransport(site), "test")

	for _, path := range []string{"/x-gzip.html", "/sitemap.xml.gz", "/encoded.html"} {
		t.Run("a bomb at "+path+" is refused as too large without expanding it", func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			pf := pages.Fetch(srv.URL+path, Validators{})
			runtime.ReadMemStats(&after)
			if !errors.Is(pf.Err, hashing.ErrTooLarge) || classify(pf.Err) != "too_large" {
				t.Errorf("err = %v, want too_large", pf.Err)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
				t.Errorf("fetching a %d-byte bomb allocated %d MiB; the page limit is 64 KiB", len(bomb), grew>>20)
			}
		})
	}
	t.Run("a small compressed page is still read", func(t *testing.T) {
		pf := pages.Fetch(srv.URL+"/small.html", Validators{})
		if pf.Err != nil || len(pf.Media) != 1 || !strings.HasSuffix(pf.Media[0], "/a.jpg") {
			t.Errorf("err %v, media %v; want the one image found", pf.Err, pf.Media)
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
	pf := NewPages(context.Background(), site, NewTransport(site), "test").Fetch(srv.URL+"/", Validators{})
	if got := classify(pf.Err); got != "too_large" {
		t.Errorf("a page declaring 5000000 bytes over a 65536 limit is %q (%v), want too_large", got, pf.Err)
	}
}
