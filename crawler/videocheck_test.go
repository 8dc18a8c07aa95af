package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/store"
)

// TestInspectReportedVideos reports video URLs: a re-upload of a registered
// video alerts (marked reported, with video evidence) whether it is named
// as a video file, served at a URL without an extension or shown on a
// page; an unrelated video does not; without a video hasher, or over
// max_video_bytes, a video is an error and never an alert.
func TestInspectReportedVideos(t *testing.T) {
	vs := testVideos(t)
	ctx := context.Background()
	db := openVideoDB(t, filepath.Join(t.TempDir(), "hw.db"), vs, true)
	defer db.Close()
	serveVideo := func(body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "video/mp4")
			w.Write(body)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/v/mirror.mp4", serveVideo(vs.mirror))
	mux.Handle("/v/unrelated.mp4", serveVideo(vs.unrelated))
	mux.Handle("/watch", serveVideo(vs.mirror))
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<html><body><video><source src="/v/mirror.mp4"></video><a href="/v/unrelated.mp4">more</a></body></html>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	in := &Inspector{DB: db, Rule: hashing.DefaultRule(), AllowPrivate: true, Video: video.New(video.Config{TempDir: t.TempDir()})}

	alertOn := func(t *testing.T, res Inspection, media string) {
		t.Helper()
		if len(res.AlertIDs) != 1 {
			t.Fatalf("%d alerts, want 1: %+v", len(res.AlertIDs), res)
		}
		a, err := db.Alerts.Alert(res.AlertIDs[0])
		if err != nil {
			t.Fatal(err)
		}
		if !a.Reported || a.Video == nil || len(a.Video.Ranges) == 0 || a.Case != "v" {
			t.Errorf("alert %+v; want a reported video alert on case v", a)
		}
		var urls []string
		for _, s := range a.Sightings {
			urls = append(urls, requestURI(s.MediaURL))
		}
		if !strings.Contains(strings.Join(urls, " "), media) {
			t.Errorf("sightings %v; want one at %s", urls, media)
		}
		if o := res.Outcome(); o.State != alerts.ReportMatch {
			t.Errorf("outcome %+v, want a match", o)
		}
	}
	t.Run("a video file URL is fingerprinted and alerts", func(t *testing.T) {
		res := in.Inspect(ctx, srv.URL+"/v/mirror.mp4")
		if res.Err != nil || res.Page || len(res.Media) != 1 || !res.Media[0].Video || res.Media[0].Error != "" {
			t.Fatalf("Inspect: %+v", res)
		}
		alertOn(t, res, "/v/mirror.mp4")
	})
	t.Run("a URL without an extension that serves a video alerts", func(t *testing.T) {
		res := in.Inspect(ctx, srv.URL+"/watch")
		if res.Err != nil || res.Page || len(res.Media) != 1 || !res.Media[0].Video {
			t.Fatalf("Inspect: %+v", res)
		}
		alertOn(t, res, "/watch")
	})
	t.Run("a page's videos are followed", func(t *testing.T) {
		res := in.Inspect(ctx, srv.URL+"/page")
		if res.Err != nil || !res.Page || len(res.Media) != 2 {
			t.Fatalf("Inspect: %+v; want the page's two videos followed", res)
		}
		alertOn(t, res, "/v/mirror.mp4")
	})
	t.Run("an unrelated video raises nothing", func(t *testing.T) {
		res := in.Inspect(ctx, srv.URL+"/v/unrelated.mp4")
		if res.Err != nil || len(res.Media) != 1 || res.Media[0].Error != "" || len(res.AlertIDs) != 0 {
			t.Fatalf("Inspect: %+v", res)
		}
		if o := res.Outcome(); o.State != alerts.ReportNoMatch {
			t.Errorf("outcome %+v, want no match", o)
		}
	})
	t.Run("without a video hasher a video is an error", func(t *testing.T) {
		plain := &Inspector{DB: db, Rule: hashing.DefaultRule(), AllowPrivate: true}
		res := plain.Inspect(ctx, srv.URL+"/watch")
		if !errors.Is(res.Err, ErrVideo) || len(res.AlertIDs) != 0 {
			t.Fatalf("Inspect: %+v; want ErrVideo", res)
		}
		if o := res.Outcome(); o.State != alerts.ReportError {
			t.Errorf("outcome %+v, want an error", o)
		}
	})
	t.Run("a video over max_video_bytes is an error", func(t *testing.T) {
		small := siteFor(t, srv.URL, fmt.Sprintf("    max_video_bytes: %d\n", len(vs.mirror)-1))
		lim := &Inspector{DB: db, Rule: hashing.DefaultRule(), Sites: []*Site{small}, Video: in.Video}
		res := lim.Inspect(ctx, srv.URL+"/v/mirror.mp4")
		if res.Err != nil || len(res.Media) != 1 || !strings.Contains(res.Media[0].Error, hashing.ErrTooLarge.Error()) || len(res.AlertIDs) != 0 {
			t.Fatalf("Inspect: %+v; want the video refused at the limit", res)
		}
		if o := res.Outcome(); o.State != alerts.ReportError {
			t.Errorf("outcome %+v, want an error", o)
		}
	})
}

// TestRecheckReFingerprintsVideos re-checks a confirmed video alert while
// its URL serves the same video, another copy of it, an unrelated video and
// a placeholder: only what still matches counts as present.
func TestRecheckReFingerprintsVideos(t *testing.T) {
	vs := testVideos(t)
	ctx := context.Background()
	db := openVideoDB(t, filepath.Join(t.TempDir(), "hw.db"), vs, true)
	defer db.Close()
	h := &switchable{}
	h.set(200, "video/mp4", vs.mirror)
	srv := httptest.NewServer(h)
	defer srv.Close()
	watched := siteFor(t, srv.URL, "    delay: 0s\n")
	vh := video.New(video.Config{TempDir: t.TempDir()})
	in := &Inspector{DB: db, Rule: hashing.DefaultRule(), Sites: []*Site{watched}, Video: vh}
	res := in.Inspect(ctx, srv.URL+"/clip.mp4")
	if res.Err != nil || len(res.AlertIDs) != 1 {
		t.Fatalf("Inspect: %+v", res)
	}
	a, err := db.Alerts.DecideAlert(ctx, res.AlertIDs[0], alerts.StatusConfirmed, "", store.Actor{User: "op"})
	if err != nil {
		t.Fatal(err)
	}
	r := &Rechecker{DB: db, Rule: hashing.DefaultRule(), Sites: []*Site{watched}, Video: vh}
	defer r.Close()
	now := time.Now().UTC()
	for _, s := range []struct {
		name       string
		r          *Rechecker
		ct         string
		body       []byte
		outcome    alerts.CheckOutcome
		status     alerts.Status
		transition string
	}{
		{"the same video is present", r, "video/mp4", vs.mirror, alerts.CheckPresent, alerts.StatusConfirmed, ""},
		{"another copy that still matches is present", r, "video/mp4", vs.orig, alerts.CheckPresent, alerts.StatusConfirmed, ""},
		{"an unrelated video in its place is a removal", r, "video/mp4", vs.unrelated, alerts.CheckGone, alerts.StatusRemoved, "removed"},
		{"the video back is a reappearance", r, "video/mp4", vs.mirror, alerts.CheckPresent, alerts.StatusConfirmed, "reappeared"},
		{"a placeholder page is a removal", r, "text/html", []byte("<html>removed</html>"), alerts.CheckGone, alerts.StatusRemoved, "removed"},
		{"the same bytes need no video hasher", &Rechecker{DB: db, Rule: hashing.DefaultRule(), Sites: []*Site{watched}}, "video/mp4", vs.mirror, alerts.CheckPresent, alerts.StatusConfirmed, "reappeared"},
		{"other video bytes without a video hasher tell nothing", &Rechecker{DB: db, Rule: hashing.DefaultRule(), Sites: []*Site{watched}}, "video/mp4", vs.unrelated, alerts.CheckFailed, alerts.StatusConfirmed, ""},
	} {
		t.Run(s.name, func(t *testing.T) {
			h.set(200, s.ct, s.body)
			now = now.Add(2 * time.Hour)
			got, err := s.r.Check(ctx, a, now)
			if err != nil {
				t.Fatal(err)
			}
			c := lastCheck(got)
			if c.Outcome != s.outcome || got.Status != s.status || c.Transition != s.transition {
				t.Fatalf("outcome %s (%s), status %s, transition %q; want %s, %s, %q", c.Outcome, c.Detail, got.Status, c.Transition, s.outcome, s.status, s.transition)
			}
		})
	}
}
