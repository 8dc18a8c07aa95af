package crawler

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// TestAJPEGOverItsDecodeBudgetIsSkippedAndThePassGoesOn crawls a page
// showing a costly progressive JPEG (400 scans on a 2048×2048 frame, under
// the scan limit) beside a re-upload of a known photo, with the site's
// max_decode_cpu set low: the costly file is skipped as too_large with a
// message naming the limit, and the re-upload still alerts.
func TestAJPEGOverItsDecodeBudgetIsSkippedAndThePassGoesOn(t *testing.T) {
	known := fixtures.Known()[0].Data
	costly := fixtures.ManyScanJPEG(2048, 2048, 400)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<html><body><img src="/costly.jpg"><img src="/known.jpg"></body></html>`))
	})
	serve := func(b []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(b)
		}
	}
	mux.HandleFunc("/costly.jpg", serve(costly))
	mux.HandleFunc("/known.jpg", serve(known))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	db := registerKnown(t)
	site := siteFor(t, srv.URL, "    delay: 0s\n    max_decode_cpu: 20ms\n")
	if got := site.HashLimits().MaxDecodeCPU.String(); got != "20ms" {
		t.Fatalf("max_decode_cpu read as %s", got)
	}
	c := &Crawler{DB: db, Rule: hashing.DefaultRule()}
	stats, err := c.Pass(context.Background(), site)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Skipped != 1 || stats.Errors["too_large"] != 1 {
		t.Errorf("skipped %d, errors %v; want the costly JPEG skipped as too_large", stats.Skipped, stats.Errors)
	}
	st, _, err := db.Crawl.SiteStatus("fixture")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.RecentSkipped) != 1 || !strings.HasSuffix(st.RecentSkipped[0].URL, "/costly.jpg") || !strings.Contains(st.RecentSkipped[0].Reason, "max_decode_cpu") {
		t.Errorf("recent skipped %+v: want costly.jpg, the reason naming max_decode_cpu", st.RecentSkipped)
	}
	as, err := db.Alerts.Alerts(alerts.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || !strings.HasSuffix(as[0].Sightings[0].MediaURL, "/known.jpg") {
		t.Errorf("alerts %+v: want the re-upload's, once", as)
	}
}

func TestDecodeLimitsAreReadFromSitesYAML(t *testing.T) {
	for _, tc := range []struct {
		name, extra, wantErr string
		cpu, wall            string
	}{
		{"left out, they take hashing's defaults", "", "", hashing.DefaultMaxDecodeCPU.String(), hashing.DefaultMaxDecodeTime.String()},
		{"set, they are the site's", "    max_decode_cpu: 2s\n    max_decode_time: 5s\n", "", "2s", "5s"},
		{"negative is refused with its key", "    max_decode_cpu: -1s\n", "max_decode_cpu must not be negative", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ParseConfig("test.yaml", []byte("sites:\n  - name: s\n    seeds: [\"http://example.com/\"]\n"+tc.extra))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			l := cfg.Sites[0].HashLimits()
			if l.MaxDecodeCPU.String() != tc.cpu || l.MaxDecodeTime.String() != tc.wall {
				t.Errorf("cpu %v, wall %v; want %s, %s", l.MaxDecodeCPU, l.MaxDecodeTime, tc.cpu, tc.wall)
			}
		})
	}
}
