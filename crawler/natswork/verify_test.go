package natswork

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// verifySite serves one page showing a registered photo's copy beyond PDQ
// 31 (its top 15% and right 5% cut off: off the registered side and corner
// crops' grids) and a look-alike drawn in its layout
// (fixtures.LookAlike), which the hashes accept there too.
func verifySite(t *testing.T) *httptest.Server {
	t.Helper()
	var castle fixtures.Photo
	for _, p := range fixtures.Known() {
		if p.Name == "dev-018-neuschwansteinCastle.jpg" {
			castle = p
		}
	}
	img, err := castle.Decode()
	if err != nil {
		t.Fatal(err)
	}
	copied, err := fixtures.Crop(0, 0.15, 0.05, 0).Render(img)
	if err != nil {
		t.Fatal(err)
	}
	var other fixtures.Photo
	for _, p := range fixtures.Others() {
		if p.Name == "dev-012-pontduGard.jpg" {
			other = p
		}
	}
	detail, err := other.Decode()
	if err != nil {
		t.Fatal(err)
	}
	look, err := fixtures.Encode(fixtures.LookAlike(img, detail, 8), fixtures.FormatJPEG, 90)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(`<html><body><img src="/copy.jpg"><img src="/lookalike.jpg"></body></html>`))
	})
	for name, data := range map[string][]byte{"/copy.jpg": copied, "/lookalike.jpg": look} {
		mux.HandleFunc(name, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/jpeg")
			_, _ = w.Write(data)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestTheVerifierDecidesAlikeInOneProcessAndOverNATS crawls a page with a
// registered photo's copy and a look-alike of it, both beyond PDQ 31: the
// geometric verifier keeps the copy and refuses the look-alike in one
// process (the pass's own worker makes the query's corner set) and
// through a protocol 4 worker (the coordinator asks it for the set). A
// protocol 1 worker cannot send a set, so its matches are left unchecked
// and the look-alike alerts, as without the verifier.
func TestTheVerifierDecidesAlikeInOneProcessAndOverNATS(t *testing.T) {
	srv := verifySite(t)
	copyOnly := []string{"demo / /copy.jpg"}
	both := []string{"demo / /copy.jpg", "demo / /lookalike.jpg"}
	noVerify := hashing.DefaultRule()
	noVerify.Verify = nil
	for _, tc := range []struct {
		name   string
		rule   hashing.Rule
		worker *WorkerConfig // nil: one process
		want   []string
	}{
		{"without the verifier both alert", noVerify, nil, both},
		{"in one process the look-alike is refused", hashing.DefaultRule(), nil, copyOnly},
		{"through a protocol 4 worker the look-alike is refused", hashing.DefaultRule(), &WorkerConfig{Name: "w", Parallel: 2}, copyOnly},
		{"through a protocol 1 worker the match is left unchecked", hashing.DefaultRule(), &WorkerConfig{Name: "old", Parallel: 2, protocol1: true}, both},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := registerKnown(t)
			c := &crawler.Crawler{DB: db, Rule: tc.rule}
			if tc.worker != nil {
				cl := startCluster(t, c, 5*time.Second, 0)
				cl.runWorker(t, *tc.worker)
			}
			if _, err := c.Pass(context.Background(), siteFor(t, srv.URL)); err != nil {
				t.Fatal(err)
			}
			if got := sightings(t, db); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("sightings %q, want %q", got, tc.want)
			}
		})
	}
}
