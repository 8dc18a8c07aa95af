package console

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// chromiumPath is Debian's Chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// TestOperatorTakesAReuploadDownInTheBrowser drives the console in headless
// Chromium through issue 7's whole flow: an operator logs in, opens an
// alert from a real crawl of the fixture site, reveals its preview,
// confirms it, generates a notice and marks it sent; the site takes the
// media down; the removal re-check marks the alert removed; and the
// dashboard shows the site's time to removal.
func TestOperatorTakesAReuploadDownInTheBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no Chromium at %s (Debian package chromium; .ci/run installs it): %v", chromiumPath, err)
	}
	ctx := context.Background()

	// A fixture site with planted re-uploads, crawled once for real.
	fsite, err := fixtures.NewSite(fixtures.SiteConfig{Control: true})
	if err != nil {
		t.Fatal(err)
	}
	siteSrv := httptest.NewServer(fsite)
	t.Cleanup(siteSrv.Close)
	cfg, err := crawler.ParseConfig("sites.yaml", []byte(fmt.Sprintf(
		"sites:\n  - name: fixture\n    seeds: [%q]\n    allow_private: true\n    delay: 0s\n    request_timeout: 5s\n    contact: abuse@fixture.example\n", siteSrv.URL+"/")))
	if err != nil {
		t.Fatal(err)
	}
	sites := []*crawler.Site{&cfg.Sites[0]}
	db, err := database.Open(filepath.Join(t.TempDir(), "hw.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := hashing.NewHasher(hashing.Limits{})
	var regs []index.Registration
	for _, p := range fixtures.Known() {
		fp, err := h.Image(ctx, p.Data, hashing.ForRegistration)
		if err != nil {
			t.Fatal(err)
		}
		regs = append(regs, index.Registration{Source: p.Name, Print: fp})
	}
	if _, err := db.Index.Register(ctx, "demo", "demo case", regs, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	c := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule()}
	if _, err := c.Pass(ctx, sites[0]); err != nil {
		t.Fatal(err)
	}
	if as, _ := db.Alerts.Alerts(alerts.AlertFilter{}); len(as) == 0 {
		t.Fatal("the crawl raised no alerts")
	}
	if _, err := db.Accounts.AddUser(ctx, accounts.NewUser{Name: "op1", Role: accounts.RoleOperator, Password: testPassword, Language: "en"}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{DB: db, Sites: sites, NoticeFrom: "Centre <takedown@centre.example>", NoticeSender: "Test centre"})
	if err != nil {
		t.Fatal(err)
	}
	console := httptest.NewServer(srv)
	t.Cleanup(console.Close)

	b := startBrowser(t)
	base := console.URL

	b.do("log in as an operator",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(css("#name")),
		chromedp.SendKeys(css("#name"), "op1"),
		chromedp.SendKeys(css("#password"), testPassword),
		chromedp.Click(css("#login-submit")),
		chromedp.WaitVisible(css("#queue")),
	)
	b.do("open the highest-confidence alert",
		chromedp.Navigate(base+"/alerts?sort=confidence&status=new"),
		chromedp.WaitVisible(css("#queue")),
		chromedp.Click(css("#queue a.alert-link"), chromedp.NodeVisible),
		chromedp.WaitVisible(css("#alert-status")),
	)
	mediaURL := strings.TrimSpace(value(b, "read the media URL", chromedp.Text(css("#media-url"))))
	var alert alerts.Alert
	for _, a := range must(db.Alerts.Alerts(alerts.AlertFilter{})) {
		if a.MediaURL == mediaURL {
			alert = a
		}
	}
	if alert.ID == 0 {
		t.Fatalf("the page shows media %q of no alert", mediaURL)
	}
	if value(b, "look for the preview", chromedp.Evaluate[bool](`document.querySelector("#preview-img") !== null`)) {
		t.Fatal("the preview is shown before the reveal")
	}
	b.do("reveal the blurred preview",
		chromedp.Click(css("#reveal"), chromedp.NodeVisible),
		chromedp.WaitVisible(css("#preview-img")),
	)
	value(b, "load the preview image", chromedp.Poll[bool](`(() => { const i = document.querySelector("#preview-img"); return i.complete && i.naturalWidth > 0 })()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	b.do("confirm it",
		chromedp.Click(css("#confirm"), chromedp.NodeVisible),
		chromedp.WaitVisible(css("#to-notices")),
	)
	if text := value(b, "read the status", chromedp.Text(css("#alert-status"))); text != "confirmed" {
		t.Fatalf("status after confirming: %q", text)
	}
	b.do("generate a notice for the site and save it",
		chromedp.Navigate(base+"/notices"),
		chromedp.Click(css("button.generate"), chromedp.NodeVisible),
		chromedp.WaitVisible(css("#draft")),
		chromedp.Click(css("#save-notice"), chromedp.NodeVisible),
		chromedp.WaitVisible(css("#mark-sent")),
	)
	if text := value(b, "read the notice", chromedp.Text(css("#notice-body"))); !strings.Contains(text, mediaURL) {
		t.Fatalf("the notice does not list the media URL %s:\n%s", mediaURL, text)
	}
	// The body wraps to the window: no page wider than the 1280 px window
	// (an unwrapped notice made it 3,843 px wide).
	w := value(b, "measure the notice page", chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	t.Logf("the notice page is %d px wide", w)
	if w > 1280 {
		t.Errorf("the notice page is %d px wide in a 1280 px window", w)
	}
	if subject := value(b, "read the subject", chromedp.Text(css("#notice-subject"))); !strings.Contains(subject, "(notice no. 1)") {
		t.Errorf("the subject %q does not carry the notice's number", subject)
	}
	b.do("mark it sent",
		chromedp.Click(css("#mark-sent"), chromedp.NodeVisible),
		chromedp.WaitNotPresent(css("#mark-sent")),
	)
	if a, _ := db.Alerts.Alert(alert.ID); a.Status != alerts.StatusNoticeSent {
		t.Fatalf("alert %d is %s after the notice was marked sent", alert.ID, a.Status)
	}

	// The site takes the media down, wherever it showed it.
	for _, s := range alert.Sightings {
		for _, u := range []string{s.MediaURL, s.FinalURL} {
			if pu, err := url.Parse(u); err == nil && u != "" {
				if err := fsite.Remove(pu.Path, 410); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	rc := &crawler.Rechecker{DB: db, Rule: hashing.DefaultRule(), Sites: sites}
	defer rc.Close()
	if _, err := rc.CheckDue(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if a, _ := db.Alerts.Alert(alert.ID); a.Status != alerts.StatusRemoved {
		t.Fatalf("after the re-check alert %d is %s, want removed (checks %+v)", alert.ID, a.Status, a.Checks)
	}

	b.do("open the dashboard", chromedp.Navigate(base+"/dashboard"), chromedp.WaitVisible(css("#removal")))
	site := value(b, "read the removal row", chromedp.Text(css("#removal tbody tr td")))
	median := value(b, "read the median", chromedp.Text(css("#removal td.median")))
	if site != "fixture" || median == "" || median == "—" {
		t.Fatalf("dashboard removal row: site %q, median %q", site, median)
	}
	b.do("see when removal was seen on the alert page", chromedp.Navigate(fmt.Sprintf("%s/alerts/%d", base, alert.ID)), chromedp.WaitVisible(css("#removed-at")))
	if log, _ := db.Store.AuditLog(store.AuditFilter{User: "op1"}); len(log) < 5 {
		t.Errorf("the operator's steps left %d audit entries: %+v", len(log), log)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// browser runs test steps in one Chromium tab, each with a timeout, and on
// failure shows the page it was on.
type browser struct {
	t   *testing.T
	ctx context.Context
}

// stepTimeout bounds one step of the browser test.
const stepTimeout = 20 * time.Second

func (b *browser) do(step string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	value(b, step, chromedp.Steps(steps...))
}

// value runs one action and returns its value, failing the test with the
// page's HTML if it fails.
func value[T any](b *browser, step string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		page, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(css("body")))
		b.t.Fatalf("%s: %v\npage: %.3000s", step, err, page)
	}
	return v
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }
