package console

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/store"
)

// TestVictimSubmitsFromTheBrowserWithoutSendingMedia has a victim, with
// no account, open /submit in headless Chromium, enter the case number
// and PIN their counsellor issued, and pick the known photos beside a
// file the page cannot hash. Every request that reached the console is
// kept: none carries any part of a photo or of the other file (refused on
// the device, never sent: the page has no upload), the page says so per
// file, the audit log records the submission as self:<case> with the
// media never reaching the server, and a crawl of the fixture site then
// alerts on exactly what a server-side registration of the same photos
// alerts on. Then the victim withdraws the case from the same page.
func TestVictimSubmitsFromTheBrowserWithoutSendingMedia(t *testing.T) {
	b := startBrowser(t)
	dir := buildWasm(t)
	e := newEnv(t, func(c *Config) { c.Wasm = os.DirFS(dir) })
	rec := &recordBodies{h: e.srv}
	ts := httptest.NewServer(rec)
	t.Cleanup(ts.Close)
	stayedOnConsole := recordBrowserRequests(t, b)
	ctx := context.Background()
	if err := e.db.Centres.SetSelfSubmit(ctx, centres.National, true, store.Actor{User: "admin1"}); err != nil {
		t.Fatal(err)
	}
	pin, _, err := e.db.Index.IssuePIN(ctx, centres.National, "v-7", 0, store.Actor{User: "staff1"})
	if err != nil {
		t.Fatal(err)
	}

	files := t.TempDir()
	known := fixtures.Known()
	var paths []string
	for _, p := range known {
		path := filepath.Join(files, p.Name)
		if err := os.WriteFile(path, p.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	notes := []byte(strings.Repeat("notes that are not a picture, ", 20))
	paths = append(paths, filepath.Join(files, "notes.heic"))
	if err := os.WriteFile(paths[len(paths)-1], notes, 0o644); err != nil {
		t.Fatal(err)
	}

	b.do("open the page",
		chromedp.Navigate(ts.URL+"/submit?lang=en"),
		chromedp.WaitVisible(css("#submit-form")),
	)
	value(b, "load the hashing module", chromedp.Evaluate[bool](`hashwatchRegistration.hasher().then(() => true)`, chromedp.EvalAwaitPromise))
	rec.mu.Lock()
	rec.seen = nil // the submission starts here
	rec.mu.Unlock()
	b.do("submit the files",
		chromedp.SendKeys(css(`#submit-case`), "v-7"),
		chromedp.SendKeys(css(`#submit-pin`), pin),
		chromedp.SetUploadFiles(css(`#submit-files`), paths),
		chromedp.Click(css(`#submit-button`)),
	)
	wait := func(step string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(b.ctx, 3*time.Minute)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.WaitVisible(css(`#submit-result[data-done="1"]`))); err != nil {
			t.Fatalf("%s did not finish: %v", step, err)
		}
	}
	wait("the submission")
	msg := value(b, "read the message", chromedp.Evaluate[string](`document.getElementById('submit-message').textContent`))
	if want := fmt.Sprintf("%d fingerprint(s) added to the case.", len(known)); msg != want {
		t.Errorf("message %q, want %q", msg, want)
	}
	type row struct{ Name, Path string }
	rows := value(b, "read the result", chromedp.Evaluate[[]row](`[...document.querySelectorAll('#submit-table tbody tr')].map((tr) => {
  const td = tr.querySelectorAll('td');
  return {Name: td[0].textContent, Path: td[1].textContent};
})`))
	if len(rows) != len(paths) {
		t.Fatalf("the page lists %d files, want %d: %+v", len(rows), len(paths), rows)
	}
	for _, r := range rows {
		want := "hashed on this device"
		if r.Name == "notes.heic" {
			want = "this browser cannot hash it, so it was not sent"
		}
		if !strings.HasPrefix(r.Path, want) {
			t.Errorf("%s: %q, want %q…", r.Name, r.Path, want)
		}
	}

	// What reached the server: one post of fingerprints, no file.
	var posts int
	for _, r := range rec.requests() {
		for _, p := range append(known, fixtures.Photo{Name: "notes.heic", Data: notes}) {
			if carries(r.Body, p.Data) {
				t.Errorf("%s %s carried bytes of %s", r.Method, r.Path, p.Name)
			}
		}
		switch {
		case r.Method == "POST" && r.Path == selfSubmitPath:
			posts++
		case r.Method == "POST":
			t.Errorf("the page posted to %s", r.Path)
		}
	}
	if posts != 1 {
		t.Errorf("%d posts of fingerprints, want 1", posts)
	}
	stayedOnConsole(ts.URL)
	fps, err := e.db.Index.Fingerprints("v-7")
	if err != nil || len(fps) != len(known) {
		t.Fatalf("case v-7 has %d fingerprints (%v), want %d", len(fps), err, len(known))
	}
	log, err := e.db.Store.AuditLog(store.AuditFilter{Action: "case.register"})
	if err != nil || len(log) != 1 || log[0].User != "self:v-7" || !strings.HasSuffix(log[0].Detail, "hashed on the sender's device: the media never reached the server") {
		t.Errorf("audit (%v): %+v", err, log)
	}

	matchesLikeAServerRegistration(t, e.db, known)

	b.do("withdraw the case", chromedp.Click(css(`#withdraw-button`)))
	wait("the withdrawal")
	if fps, _ := e.db.Index.Fingerprints("v-7"); len(fps) != 0 {
		t.Errorf("after the withdrawal %d fingerprints are left", len(fps))
	}
	if log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "case.withdraw"}); len(log) != 1 || log[0].User != "self:v-7" {
		t.Errorf("audit of the withdrawal: %+v", log)
	}
}
