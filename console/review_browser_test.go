package console

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/store"
)

// startBrowser starts headless Chromium with a fresh profile and nothing
// phoning home, or skips the test where there is none: the one start-up
// of every browser test. extra adds options (a language the browser
// asks for, with chromedp.Flag("accept-lang", "ko")).
//
// A browser that dies before it opens its DevTools port (chromedp's
// "chrome failed to start": once in CI, 0.14 s after launch, with nothing
// but the launcher's usual D-Bus noise on its stderr) is the machine's
// fault, not the console's, so the start is tried again, up to three
// times, with a fresh profile; any other failure, and a third crash, fail
// the test.
func startBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no Chromium at %s (Debian package chromium; .ci/run installs it): %v", chromiumPath, err)
	}
	const attempts = 3
	for attempt := 1; ; attempt++ {
		b, err := launchBrowser(t, extra)
		if err == nil {
			return b
		}
		if attempt == attempts || !strings.Contains(err.Error(), "chrome failed to start") {
			t.Fatalf("start Chromium (attempt %d of %d): %v", attempt, attempts, err)
		}
		t.Logf("start Chromium (attempt %d of %d), trying again: %v", attempt, attempts, err)
	}
}

// launchBrowser is one attempt of startBrowser: on failure the browser
// and its allocator are already stopped.
func launchBrowser(t *testing.T, extra []chromedp.ExecAllocatorOption) (*browser, error) {
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		// Containers often mount a small /dev/shm, where Chromium's
		// shared memory runs out and the renderer crashes.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-default-browser-check", true), chromedp.WindowSize(1280, 900),
	}, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	// The first action starts the browser, on a context without timeout
	// (a timeout there would stop the browser); steps get their own.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		cancelBrowser()
		cancelAlloc()
		return nil, err
	}
	t.Cleanup(cancelAlloc)
	t.Cleanup(cancelBrowser)
	return &browser{t: t, ctx: bctx}, nil
}

// until waits for a page condition (a JavaScript expression) across page
// loads: while a form post or a link navigates, the page's context comes
// and goes, and an evaluation that meets none is tried again.
func (b *browser) until(step, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(20 * time.Millisecond) // polling a browser, not synchronising goroutines
	}
	page, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(css("body")))
	b.t.Fatalf("%s: not within %s (last error %v)\npage: %.3000s", step, stepTimeout, last, page)
}

// screenshot saves the page to $HASHWATCH_SCREENSHOTS/name.png when that
// variable names a folder (for the closing note); otherwise it
// does nothing.
func (b *browser) screenshot(name string) {
	dir := os.Getenv("HASHWATCH_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := value(b, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Error(err)
	}
}

// TestOperatorClearsThirtyAlertsByKeyboard is issue 15's done-when: an
// operator logs in and clears 30 alerts with the keyboard alone — start
// the review from the queue (j), reveal each preview (r), confirm (c) or
// dismiss with a reason picked from the list (d, 1), on to the next — and
// the audit log holds every reveal, claim and decision. Three alerts
// judged first the way the console worked before the review mode (queue,
// alert, reveal, confirm, back to the queue, by mouse) give the before
// figures: requests and seconds per decision.
func TestOperatorClearsThirtyAlertsByKeyboard(t *testing.T) {
	const before, keyboard = 3, 30
	e := newEnv(t, nil)
	e.seedAlerts(before + keyboard)
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Pages and actions, not the script, style sheet or the queue's
		// row thumbnails (which the queue of before did not have).
		if !strings.HasPrefix(r.URL.Path, "/static/") && !strings.HasSuffix(r.URL.Path, "/thumb") {
			requests.Add(1)
		}
		e.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	base := srv.URL
	b := startBrowser(t)

	b.do("log in by keyboard",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(css("#name")),
		chromedp.SendKeys(css("#name"), "op1"),
		chromedp.SendKeys(css("#password"), testPassword+"\r"),
		chromedp.WaitVisible(css("#queue")),
	)
	b.screenshot("queue")
	waitAlert := func(id int) {
		b.t.Helper()
		b.until(fmt.Sprintf("wait for alert %d", id), fmt.Sprintf(`document.readyState === "complete" && document.title.includes("#%d") && document.querySelector("#alert-status") !== null`, id))
	}

	// Before: by mouse, back to the queue after every alert.
	start, n0 := time.Now(), requests.Load()
	for id := 1; id <= before; id++ {
		// The queue linked to the plain alert page then; one GET either way.
		b.do(fmt.Sprintf("open alert %d from the queue", id), chromedp.Navigate(fmt.Sprintf("%s/alerts/%d", base, id)))
		waitAlert(id)
		b.do("reveal", chromedp.Click(css("#reveal"), chromedp.NodeVisible), chromedp.WaitVisible(css("#preview-img")))
		b.do("confirm", chromedp.Click(css("#confirm"), chromedp.NodeVisible), chromedp.WaitVisible(css("#to-notices")))
		b.do("back to the queue", chromedp.Navigate(base+"/alerts"), chromedp.WaitVisible(css("#queue")))
	}
	beforeSecs := time.Since(start).Seconds() / before
	beforeReqs := float64(requests.Load()-n0) / before

	// After: the keyboard alone.
	start, n0 = time.Now(), requests.Load()
	b.do("start the review with j", chromedp.KeyEvent("j"))
	dismissed := map[int]bool{}
	for i := range keyboard {
		id := before + 1 + i
		waitAlert(id)
		b.do(fmt.Sprintf("reveal alert %d with r", id), chromedp.KeyEvent("r"))
		waitAlert(id)
		b.until("load the preview", `(() => { const i = document.querySelector("#preview-img"); return document.readyState === "complete" && i !== null && i.complete && i.naturalWidth > 0 })()`)
		if i == 1 {
			b.screenshot("review")
		}
		if id%3 == 0 {
			dismissed[id] = true
			b.do(fmt.Sprintf("dismiss alert %d with d, then reason 1", id),
				chromedp.KeyEvent("d"), chromedp.WaitVisible(css("#reason-picks")), chromedp.KeyEvent("1"))
		} else {
			b.do(fmt.Sprintf("confirm alert %d with c", id), chromedp.KeyEvent("c"))
		}
	}
	last := before + keyboard
	b.until("see the last decision", `(() => { const s = document.querySelector("#alert-status"); return document.readyState === "complete" && s !== null && s.textContent !== "new" })()`)
	afterSecs := time.Since(start).Seconds() / keyboard
	afterReqs := float64(requests.Load()-n0) / keyboard
	t.Logf("per decision: before (mouse, back to the queue) %.1f requests, %.2f s; after (review mode, keyboard) %.1f requests, %.2f s",
		beforeReqs, beforeSecs, afterReqs, afterSecs)
	if afterReqs >= beforeReqs {
		t.Errorf("the review mode costs %.1f requests per decision, no fewer than the queue's %.1f", afterReqs, beforeReqs)
	}

	for id := before + 1; id <= last; id++ {
		a, err := e.db.Alerts.Alert(uint64(id))
		if err != nil {
			t.Fatal(err)
		}
		want := alerts.StatusConfirmed
		if dismissed[id] {
			want = alerts.StatusDismissed
		}
		if a.Status != want || dismissed[id] && a.Reason != "Not the same picture" {
			t.Errorf("alert %d is %s (%q), want %s", id, a.Status, a.Reason, want)
		}
	}
	log, err := e.db.Store.AuditLog(store.AuditFilter{User: "op1", Action: "alert."})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, l := range log {
		got[l.Action+" "+l.Target]++
		if l.Remote == "" || l.At.IsZero() {
			t.Errorf("audit entry without where or when: %+v", l)
		}
	}
	for id := before + 1; id <= last; id++ {
		decision := "alert.confirm"
		if dismissed[id] {
			decision = "alert.dismiss"
		}
		for _, action := range []string{"alert.claim", "alert.reveal", decision} {
			if got[fmt.Sprintf("%s %d", action, id)] != 1 {
				t.Errorf("alert %d: %d %s records, want 1", id, got[fmt.Sprintf("%s %d", action, id)], action)
			}
		}
	}
}
