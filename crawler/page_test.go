package crawler

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

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
