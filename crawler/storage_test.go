package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// TestAFailedAlertWriteStopsThePassAndIsNeverMarkedDone makes the first
// alert write fail as on a full disk: the pass must stop there, unfinished,
// with the item still queued, and the resumed pass must raise the alert —
// not a pass one interval later (issue 14: 45 re-uploads were marked done
// although their alerts were never stored).
func TestAFailedAlertWriteStopsThePassAndIsNeverMarkedDone(t *testing.T) {
	known := fixtures.Known()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			fmt.Fprint(w, `<html><body><img src="/a.jpg"><img src="/b.jpg"></body></html>`)
		case "/a.jpg":
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(known[0].Data)
		case "/b.jpg":
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(known[1].Data)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	db := registerFirst(t, 2)
	site := parseSite(t, largeSiteYAML(srv.URL, "    respect_robots: false\n"))
	var failed atomic.Bool
	c := &Crawler{DB: db, Rule: hashing.DefaultRule(), Workers: 1,
		recordAlert: func(ctx context.Context, in alerts.AlertInput) (alerts.Alert, bool, error) {
			if failed.CompareAndSwap(false, true) {
				return alerts.Alert{}, false, errors.New("write hw.db: no space left on device")
			}
			return db.Alerts.RecordAlert(ctx, in)
		}}
	first, err := c.Pass(context.Background(), site)
	if err == nil || !first.Interrupted {
		t.Fatalf("pass with a failed alert write: err %v, interrupted %v; want it stopped, unfinished", err, first.Interrupted)
	}
	if st, _, _ := db.Crawl.SiteStatus("fixture"); !st.Running {
		t.Errorf("the site's pass is not marked to resume")
	}
	second, err := c.Pass(context.Background(), site)
	if err != nil || !second.Resumed || second.Interrupted {
		t.Fatalf("resumed pass: err %v, resumed %v, interrupted %v", err, second.Resumed, second.Interrupted)
	}
	alerts, err := db.Alerts.Alerts(alerts.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 2 {
		t.Errorf("%d alerts after the resumed pass, want both re-uploads", len(alerts))
	}
}
