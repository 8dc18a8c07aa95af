package crawler

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// disc is variant i of one simple graphic — a dark disc on white, moved by
// a pixel or so and saved at JPEG quality 50+i%50 — the kind of picture
// whose PDQ sits close to many others. Each variant is a distinct file.
func disc(t testing.TB, i int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 240, 240))
	cx, cy, r := 120+(i%3)-1, 120+(i/3%3)-1, 64
	for y := range 240 {
		for x := range 240 {
			c := color.RGBA{255, 255, 255, 255}
			if dx, dy := x-cx, y-cy; dx*dx+dy*dy <= r*r {
				c = color.RGBA{uint8(20 + i%50), 30, 40, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 50 + i%50}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// mediaSite serves an index page linking pages of perPage images each, the
// images being media[i] at /img/i.jpg.
func mediaSite(t testing.TB, media [][]byte, perPage int) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	var index strings.Builder
	index.WriteString("<html><body>")
	for p := 0; p*perPage < len(media); p++ {
		fmt.Fprintf(&index, `<a href="/p/%d">page %d</a> `, p, p)
		var page strings.Builder
		page.WriteString("<html><body>")
		for i := p * perPage; i < min(len(media), (p+1)*perPage); i++ {
			fmt.Fprintf(&page, `<img src="/img/%d.jpg">`, i)
		}
		body := page.String()
		mux.HandleFunc(fmt.Sprintf("GET /p/%d", p), func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, body)
		})
	}
	root := index.String()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, root)
	})
	for i, m := range media {
		mux.HandleFunc(fmt.Sprintf("GET /img/%d.jpg", i), func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(m)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func openDB(t testing.TB) *database.DB {
	t.Helper()
	db, err := database.Open(t.TempDir()+"/hw.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func registerData(t testing.TB, db *database.DB, caseID string, data ...[]byte) []*index.Fingerprint {
	t.Helper()
	h := hashing.NewHasher(hashing.Limits{})
	var regs []index.Registration
	for i, d := range data {
		fp, err := h.Image(context.Background(), d, hashing.ForRegistration)
		if err != nil {
			t.Fatal(err)
		}
		regs = append(regs, index.Registration{Source: fmt.Sprintf("%s-%d", caseID, i), Print: fp})
	}
	fps, err := db.Index.Register(context.Background(), caseID, "", regs, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	return fps
}

// TestAHubFingerprintIsQuarantinedAndTheQueueStaysClean is issue 17's end
// to end test: a registered picture whose hash matches a whole family of
// other pictures, and a site with 50 of them. Under the default limit
// (more than 10 distinct media in a day) the first ten alerts are new until
// the eleventh arrives; then all fifty are held for staff and the queue of
// new alerts is empty. Staff release or retire the fingerprint.
func TestAHubFingerprintIsQuarantinedAndTheQueueStaysClean(t *testing.T) {
	const variants = 50
	media := make([][]byte, variants)
	for i := range media {
		media[i] = disc(t, i)
	}
	// Two unrelated photos on the same site must not alert at all.
	for _, p := range fixtures.Others()[:2] {
		media = append(media, p.Data)
	}
	srv := mediaSite(t, media, 10)
	ctx := context.Background()
	staff := store.Actor{User: "sun", Remote: "127.0.0.1"}

	crawl := func(t *testing.T) (*database.DB, uint64, PassStats) {
		t.Helper()
		db := openDB(t)
		if got := db.Alerts.FloodLimit(); got != alerts.DefaultFloodLimit() || got.Media != 10 {
			t.Fatalf("flood limit %+v, want the default of 10", got)
		}
		hub := registerData(t, db, "hub", disc(t, 1000))[0]
		// A second, ordinary case that must not be touched.
		registerData(t, db, "other", fixtures.Known()[0].Data)
		c := &Crawler{DB: db, Rule: hashing.DefaultRule()}
		stats, err := c.Pass(ctx, siteFor(t, srv.URL, "    delay: 0s\n    parallelism: 4\n"))
		if err != nil {
			t.Fatal(err)
		}
		if stats.NewAlerts != variants || stats.Quarantined != variants-alerts.DefaultFloodMedia || len(stats.Errors) != 0 {
			t.Fatalf("pass: %d new alerts (%d quarantined), errors %v; want %d, %d quarantined (the fixture's variants must all match by the default rule)",
				stats.NewAlerts, stats.Quarantined, stats.Errors, variants, variants-alerts.DefaultFloodMedia)
		}
		return db, hub.ID, stats
	}
	queue := func(t *testing.T, db *database.DB) map[alerts.Status]int {
		t.Helper()
		page, err := db.Alerts.QueryAlerts(ctx, alerts.AlertQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return page.Counts
	}
	verify := func(t *testing.T, db *database.DB) {
		t.Helper()
		r, err := db.Verify(ctx)
		if err != nil || !r.OK() {
			t.Fatalf("verify: %+v, %v", r.Problems, err)
		}
	}

	t.Run("the queue stays clean and the quarantine shows the fingerprint", func(t *testing.T) {
		db, hub, _ := crawl(t)
		if got := queue(t, db); got[alerts.StatusNew] != 0 || got[alerts.StatusQuarantined] != variants {
			t.Fatalf("queue counts %v: want no new alert and %d quarantined", got, variants)
		}
		qs, err := db.Alerts.Quarantines(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(qs) != 1 || qs[0].Fingerprint != hub || qs[0].State != alerts.QuarantineHeld || qs[0].Case != "hub" {
			t.Fatalf("quarantine: %+v", qs)
		}
		h := qs[0].History
		if h.Media != variants || h.Held != variants || len(h.Sites) != 1 || h.Sites[0] != (alerts.SiteMedia{Site: "fixture", Media: variants}) {
			t.Fatalf("history: %+v", h)
		}
		if log, _ := db.Store.AuditLog(store.AuditFilter{Action: "quarantine.hold"}); len(log) != 1 || log[0].Target != fmt.Sprint(hub) {
			t.Fatalf("audit: %+v", log)
		}
		verify(t, db)
	})

	t.Run("release puts the fifty in the queue, audited, and a recrawl holds nothing", func(t *testing.T) {
		db, hub, _ := crawl(t)
		_, n, err := db.Alerts.ReleaseQuarantine(ctx, hub, staff)
		if err != nil || n != variants {
			t.Fatalf("release: %d, %v", n, err)
		}
		if got := queue(t, db); got[alerts.StatusNew] != variants || got[alerts.StatusQuarantined] != 0 {
			t.Fatalf("after release: %v", got)
		}
		if log, _ := db.Store.AuditLog(store.AuditFilter{Action: "quarantine.release"}); len(log) != 1 || log[0].User != "sun" {
			t.Fatalf("audit: %+v", log)
		}
		// The same fifty seen again are sightings, not new media: no flood.
		c := &Crawler{DB: db, Rule: hashing.DefaultRule()}
		stats, err := c.Pass(ctx, siteFor(t, srv.URL, "    delay: 0s\n    parallelism: 4\n"))
		if err != nil || stats.NewAlerts != 0 || stats.Quarantined != 0 {
			t.Fatalf("recrawl: %+v, %v", stats, err)
		}
		if got := queue(t, db); got[alerts.StatusNew] != variants {
			t.Fatalf("after the recrawl: %v", got)
		}
		verify(t, db)
	})

	t.Run("retire dismisses the fifty, audited, and the fingerprint stops matching", func(t *testing.T) {
		db, hub, _ := crawl(t)
		_, n, err := db.Alerts.RetireQuarantine(ctx, hub, "matches any dark disc", staff)
		if err != nil || n != variants {
			t.Fatalf("retire: %d, %v", n, err)
		}
		if got := queue(t, db); got[alerts.StatusDismissed] != variants || len(got) != 1 {
			t.Fatalf("after retire: %v", got)
		}
		if log, _ := db.Store.AuditLog(store.AuditFilter{Action: "quarantine.retire"}); len(log) != 1 || log[0].User != "sun" {
			t.Fatalf("audit: %+v", log)
		}
		// A new variant, never seen, and the old ones: nothing matches now,
		// and stored match results naming the fingerprint raise nothing.
		q, err := hashing.NewHasher(hashing.Limits{}).Image(ctx, disc(t, 77), hashing.ForQuery)
		if err != nil {
			t.Fatal(err)
		}
		if ms, _ := db.Index.Match(ctx, q, hashing.DefaultRule()); len(ms) != 0 {
			t.Fatalf("the retired fingerprint still matches: %+v", ms)
		}
		c := &Crawler{DB: db, Rule: hashing.DefaultRule()}
		stats, err := c.Pass(ctx, siteFor(t, srv.URL, "    delay: 0s\n    parallelism: 4\n"))
		if err != nil || stats.NewAlerts != 0 || len(stats.Errors) != 0 {
			t.Fatalf("recrawl: %+v, %v", stats, err)
		}
		verify(t, db)
	})
}

// TestTheNegativeBankSilencesAPictureOnEverySite: an operator dismisses an
// alert as not this content and adds the media to the negative bank; the
// same picture re-encoded on another site, under another
// case's fingerprint too, raises no alert, while a real re-upload still
// does.
func TestTheNegativeBankSilencesAPictureOnEverySite(t *testing.T) {
	ctx := context.Background()
	banner := fixtures.Known()[1]
	real := fixtures.Known()[2]
	img, err := banner.Decode()
	if err != nil {
		t.Fatal(err)
	}
	var reencoded bytes.Buffer
	if err := jpeg.Encode(&reencoded, img, &jpeg.Options{Quality: 70}); err != nil {
		t.Fatal(err)
	}
	siteA := mediaSite(t, [][]byte{banner.Data}, 1)
	siteB := mediaSite(t, [][]byte{reencoded.Bytes(), real.Data}, 2)

	db := openDB(t)
	registerData(t, db, "c1", banner.Data)
	registerData(t, db, "c2", banner.Data, real.Data) // another case matching the banner too
	c := &Crawler{DB: db, Rule: hashing.DefaultRule()}
	stats, err := c.Pass(ctx, siteFor(t, siteA.URL, "    delay: 0s\n"))
	if err != nil || stats.NewAlerts != 2 {
		t.Fatalf("site A: %+v, %v", stats, err)
	}
	first, _ := db.Alerts.Alerts(alerts.AlertFilter{})
	if first[0].QueryPDQ == "" || first[0].QueryPDQQuality < 50 {
		t.Fatalf("the alert keeps no as-served PDQ: %+v", first[0])
	}
	op := store.Actor{User: "kim", Remote: "127.0.0.1"}
	e, _, err := db.Alerts.AddNegative(ctx, first[0].ID, "the board's banner", op)
	if err != nil {
		t.Fatal(err)
	}
	// The other case's alert of the same bytes is already there; the
	// operator dismisses it plainly.
	if _, err := db.Alerts.DecideAlert(ctx, first[1].ID, alerts.StatusDismissed, "the board's banner", op); err != nil {
		t.Fatal(err)
	}

	siteBConf := siteFor(t, siteB.URL, "    delay: 0s\n")
	siteBConf.Name = "mirror"
	stats, err = c.Pass(ctx, siteBConf)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Suppressed != 2 || stats.NewAlerts != 1 {
		t.Fatalf("site B: %d suppressed, %d new alerts; want 2 (the banner under both cases) and 1 (the real re-upload)", stats.Suppressed, stats.NewAlerts)
	}
	all, _ := db.Alerts.Alerts(alerts.AlertFilter{Site: "mirror"})
	if len(all) != 1 || !strings.HasSuffix(all[0].MediaURL, "/img/1.jpg") {
		t.Fatalf("alerts on the mirror: %+v", all)
	}
	if log, _ := db.Store.AuditLog(store.AuditFilter{Action: "negative.add"}); len(log) != 1 || log[0].User != "kim" || log[0].Target != fmt.Sprint(e.ID) {
		t.Fatalf("audit: %+v", log)
	}
	// Removing the entry lets the picture alert again.
	if _, err := db.Alerts.RemoveNegative(ctx, e.ID, op); err != nil {
		t.Fatal(err)
	}
	stats, err = c.Pass(ctx, siteBConf)
	if err != nil || stats.Suppressed != 0 || stats.NewAlerts != 2 {
		t.Fatalf("after removal: %+v, %v", stats, err)
	}
}

// TestTheNegativeRadiusCoversReencodings checks NegativeRadius against
// what it is for: every known photo re-encoded as JPEG at quality 30 to 90
// keeps its as-served PDQ within the radius of the original's.
func TestTheNegativeRadiusCoversReencodings(t *testing.T) {
	h := hashing.NewHasher(hashing.Limits{})
	served := func(data []byte) hashing.Hash {
		fp, err := h.Image(context.Background(), data, hashing.ForQuery)
		if err != nil {
			t.Fatal(err)
		}
		pdq, _ := fp.Views[0].Hash(hashing.PDQ)
		return pdq
	}
	worst := 0
	for _, p := range fixtures.Known() {
		img, err := p.Decode()
		if err != nil {
			t.Fatal(err)
		}
		orig := served(p.Data)
		for _, q := range []int{30, 50, 70, 90} {
			var b bytes.Buffer
			if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
				t.Fatal(err)
			}
			d := orig.Code.Distance(served(b.Bytes()).Code)
			worst = max(worst, d)
			if d > alerts.NegativeRadius {
				t.Errorf("%s at quality %d: PDQ %d from the original, radius %d", p.Name, q, d, alerts.NegativeRadius)
			}
		}
	}
	t.Logf("largest PDQ distance of a re-encoding: %d (radius %d)", worst, alerts.NegativeRadius)
}
