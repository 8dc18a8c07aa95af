package crawler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/store"
)

// fixtureServer serves a fixture site (with control routes) for the test.
func fixtureServer(t *testing.T) (*fixtures.Site, *httptest.Server) {
	t.Helper()
	site, err := fixtures.NewSite(fixtures.SiteConfig{Control: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(site)
	t.Cleanup(srv.Close)
	t.Cleanup(site.Close)
	return site, srv
}

// unmatchedMedia returns the fixture site's media paths that show no known
// photo.
func unmatchedMedia(site *fixtures.Site) []string {
	known := map[string]bool{}
	for _, r := range site.Truth() {
		known[r.Media] = true
	}
	var out []string
	for _, p := range site.Paths() {
		if strings.HasPrefix(p, "/media/") && !known[p] {
			out = append(out, p)
		}
	}
	return out
}

func shaOf(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

func TestInspectReportedURLs(t *testing.T) {
	ctx := context.Background()
	site, srv := fixtureServer(t)
	db := registerKnown(t)
	in := &Inspector{DB: db, Rule: hashing.DefaultRule(), AllowPrivate: true}
	truth := site.Truth()

	t.Run("a page's images are followed and its re-uploads alert as reported", func(t *testing.T) {
		page := truth[0].Page
		want := map[string]bool{}
		for _, r := range truth {
			if r.Page == page {
				want[r.Media] = true
			}
		}
		res := in.Inspect(ctx, srv.URL+page)
		if res.Err != nil || !res.Page {
			t.Fatalf("Inspect: %+v", res)
		}
		if len(res.Media) < len(want) {
			t.Fatalf("%d images followed, the page shows %d re-uploads", len(res.Media), len(want))
		}
		got := map[string]bool{}
		for _, id := range res.AlertIDs {
			a, err := db.Alerts.Alert(id)
			if err != nil {
				t.Fatal(err)
			}
			if !a.Reported || a.PageURL != srv.URL+page || a.Site != "127.0.0.1" {
				t.Errorf("alert %d: reported %v page %q site %q", id, a.Reported, a.PageURL, a.Site)
			}
			if _, err := db.Alerts.Preview(a.MediaSHA256); err != nil {
				t.Errorf("alert %d has no preview: %v", id, err)
			}
			got[requestURI(a.MediaURL)] = true
		}
		for m := range want {
			if !got[m] {
				t.Errorf("re-upload %s on %s raised no alert (alerts on %v)", m, page, sortedKeys(got))
			}
		}
		if o := res.Outcome(); o.State != alerts.ReportMatch || o.Media != len(res.Media) {
			t.Errorf("outcome %+v", o)
		}
	})
	t.Run("a direct image URL is fingerprinted", func(t *testing.T) {
		res := in.Inspect(ctx, srv.URL+truth[len(truth)-1].Media)
		if res.Err != nil || res.Page || len(res.Media) != 1 || len(res.AlertIDs) == 0 {
			t.Fatalf("Inspect: %+v", res)
		}
	})
	t.Run("an image that matches nothing leaves no alert and no preview", func(t *testing.T) {
		other := unmatchedMedia(site)[0]
		res := in.Inspect(ctx, srv.URL+other)
		if res.Err != nil || len(res.Media) != 1 || res.Media[0].Error != "" || len(res.AlertIDs) != 0 {
			t.Fatalf("Inspect: %+v", res)
		}
		if _, err := db.Alerts.Preview(shaOf(t, srv.URL+other)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a preview of unmatched media: %v", err)
		}
		if o := res.Outcome(); o.State != alerts.ReportNoMatch {
			t.Errorf("outcome %+v", o)
		}
	})
	for _, tc := range []struct {
		name    string
		in      *Inspector
		url     string
		wantErr error
		state   string
	}{
		{"a missing page is an error", in, srv.URL + "/no/such/page", ErrHTTPStatus, alerts.ReportError},
		{"a private address is refused by default", &Inspector{DB: db, Rule: hashing.DefaultRule()}, srv.URL + truth[0].Page, ErrPrivateAddress, alerts.ReportError},
		{"a URL that is not http(s) is refused", in, "file:///etc/passwd", store.ErrInvalid, alerts.ReportError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.in.Inspect(ctx, tc.url)
			if !errors.Is(res.Err, tc.wantErr) {
				t.Fatalf("Inspect(%s): %v, want %v", tc.url, res.Err, tc.wantErr)
			}
			if o := res.Outcome(); o.State != tc.state || o.Error == "" {
				t.Errorf("outcome %+v", o)
			}
		})
	}
	t.Run("an image over the byte limit is an error, not an alert", func(t *testing.T) {
		small := siteFor(t, srv.URL, "    max_image_bytes: 1000\n")
		lim := &Inspector{DB: db, Rule: hashing.DefaultRule(), Sites: []*Site{small}}
		res := lim.Inspect(ctx, srv.URL+truth[0].Media)
		if res.Err != nil || len(res.Media) != 1 || !strings.Contains(res.Media[0].Error, "limit 1000") || res.Site != "fixture" {
			t.Fatalf("Inspect: %+v", res)
		}
		if o := res.Outcome(); o.State != alerts.ReportError {
			t.Errorf("outcome %+v", o)
		}
	})
	t.Run("a submitted list records each URL's outcome", func(t *testing.T) {
		urls := []string{srv.URL + truth[0].Media, srv.URL + unmatchedMedia(site)[1], srv.URL + "/missing.jpg"}
		rep, err := in.Submit(ctx, urls, "hotline 123", store.Actor{User: "staff"})
		if err != nil {
			t.Fatal(err)
		}
		wantStates := []string{alerts.ReportMatch, alerts.ReportNoMatch, alerts.ReportError}
		for i, o := range rep.URLs {
			if o.URL != urls[i] || o.State != wantStates[i] || o.CheckedAt.IsZero() {
				t.Errorf("URL %d: %+v, want state %s", i, o, wantStates[i])
			}
		}
		stored, _ := db.Alerts.URLReport(rep.ID)
		if stored.URLs[0].State != alerts.ReportMatch || len(stored.URLs[0].AlertIDs) == 0 || stored.SubmittedBy != "staff" {
			t.Errorf("stored report %+v", stored)
		}
		if _, err := in.Submit(ctx, []string{"not a url"}, "", store.Actor{}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Submit of a malformed list: %v", err)
		}
	})
}

func TestACrawlStoresPreviewsOfMatchedMediaOnly(t *testing.T) {
	site, srv := fixtureServer(t)
	db := registerKnown(t)
	c := &Crawler{DB: db, Rule: hashing.DefaultRule()}
	if _, err := c.Pass(context.Background(), siteFor(t, srv.URL, "    delay: 0s\n    parallelism: 4\n")); err != nil {
		t.Fatal(err)
	}
	alerts, err := db.Alerts.Alerts(alerts.AlertFilter{})
	if err != nil || len(alerts) == 0 {
		t.Fatalf("alerts %d, %v", len(alerts), err)
	}
	for _, a := range alerts {
		pv, err := db.Alerts.Preview(a.MediaSHA256)
		if err != nil {
			t.Errorf("alert %d (%s) has no preview: %v", a.ID, a.MediaURL, err)
			continue
		}
		if len(pv) > 8<<10 || hashing.Sniff(pv) != hashing.FormatJPEG {
			t.Errorf("alert %d: preview of %d bytes, format %q", a.ID, len(pv), hashing.Sniff(pv))
		}
	}
	for _, p := range unmatchedMedia(site) {
		if _, err := db.Alerts.Preview(shaOf(t, srv.URL+p)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unmatched media %s has a stored preview (%v)", p, err)
		}
	}
}

// TestAReportAbandonedMidCheckLeavesNoURLPending cancels a submission while
// its first URL is being fetched (the client hung up): every URL of the
// report must end in a final state, not stay pending for ever.
func TestAReportAbandonedMidCheckLeavesNoURLPending(t *testing.T) {
	arrived := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	defer srv.Close()
	db := emptyDB(t)
	in := &Inspector{DB: db, Rule: hashing.DefaultRule(), AllowPrivate: true}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	rep, err := in.Submit(ctx, []string{srv.URL + "/a.jpg", srv.URL + "/b.jpg"}, "", store.Actor{User: "staff1"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit: %v, want the cancellation", err)
	}
	stored, err := db.Alerts.URLReport(rep.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range stored.URLs {
		if u.State == alerts.ReportPending || u.Error == "" {
			t.Errorf("%s left %q (%q); want an error saying the check was interrupted", u.URL, u.State, u.Error)
		}
	}
}
