package console

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	"golang.org/x/image/tiff"
)

// buildWasm builds the browser's hashing module (cmd/hashwasm) and copies
// the loader of the same Go beside it, as `make wasm` does, into a fresh
// directory: the tests need no earlier build step.
func buildWasm(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s", "-o", filepath.Join(dir, wasmModule), "../cmd/hashwasm")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the hashing module: %v\n%s", err, out)
	}
	root, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(root)), "lib", "wasm", wasmExec))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, wasmExec), js, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// openRegistration logs staff1 in and opens the registration page with
// its hashing module loaded.
func openRegistration(b *browser, base string) {
	b.t.Helper()
	b.do("log in as staff",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(css("#name")),
		chromedp.SendKeys(css("#name"), "staff1"),
		chromedp.SendKeys(css("#password"), testPassword),
		chromedp.Click(css("#login-submit")),
		chromedp.WaitReady(css(`form[action="/logout"]`)),
		chromedp.Navigate(base+"/cases"),
		chromedp.WaitVisible(css("#hashed-here")),
	)
	value(b, "load the hashing module", chromedp.Evaluate[bool](`hashwatchRegistration.hasher().then(() => true)`, chromedp.EvalAwaitPromise))
}

// pageHash is what the page computed for one file, with the pixels it
// decoded, so the test can hash the same pixels natively.
type pageHash struct {
	Name        string       `json:"name"`
	Width       int          `json:"width"`
	Height      int          `json:"height"`
	Pixels      string       `json:"pixels"` // base64 RGBA
	Fingerprint hashing.Sent `json:"fingerprint"`
	MS          float64      `json:"ms"`
}

// hashInPage sets the form's file input to paths and has the page hash
// each file with its own code: fn "picture" (the browser's decoder, a
// canvas) or "decoded" (the server's decoders in the module); with
// withPixels it also returns the pixels the browser decoded.
func hashInPage(b *browser, fn string, paths []string, withPixels bool) []pageHash {
	b.t.Helper()
	b.do("choose the files", chromedp.SetUploadFiles(css(`#register-form input[type=file]`), paths))
	js := fmt.Sprintf(`(async () => {
  const out = [];
  for (const f of document.querySelector('#register-form input[type=file]').files) {
    const t0 = performance.now();
    const fp = await hashwatchRegistration[%q](f);
    const ms = performance.now() - t0;
    let pixels = '', w = 0, h = 0;
    if (%v) {
      const bmp = await createImageBitmap(f, {imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none'});
      w = bmp.width; h = bmp.height;
      const c = document.createElement('canvas'); c.width = w; c.height = h;
      const ctx = c.getContext('2d', {willReadFrequently: true});
      ctx.drawImage(bmp, 0, 0);
      const px = ctx.getImageData(0, 0, w, h).data;
      let s = '';
      for (let i = 0; i < px.length; i += 32768) s += String.fromCharCode.apply(null, px.subarray(i, i + 32768));
      pixels = btoa(s);
    }
    out.push({name: f.name, width: w, height: h, pixels, fingerprint: fp, ms});
  }
  return JSON.stringify(out);
})()`, fn, withPixels)
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Minute)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("hash in the page: %v", err)
	}
	var out []pageHash
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		b.t.Fatal(err)
	}
	return out
}

// TestPDQInTheBrowserIsBitExact hashes every PDQ reference vector in
// headless Chromium with the registration page's own code: the page's
// fingerprint equals, field for field, the one the server computes from
// the pixels the browser decoded, and its reference PDQ (all eight
// dihedral variants and the quality) equals Meta's reference output in
// expected.csv.
func TestPDQInTheBrowserIsBitExact(t *testing.T) {
	b := startBrowser(t)
	dir := buildWasm(t)
	e := newEnv(t, func(c *Config) { c.Wasm = os.DirFS(dir) })
	openRegistration(b, e.ts.URL)

	vectors := filepath.Join("..", "hashing", "pdq", "testdata")
	f, err := os.Open(filepath.Join(vectors, "expected.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	var paths []string
	for _, row := range rows[1:] {
		want[row[0]] = row[1:]
		p, _ := filepath.Abs(filepath.Join(vectors, row[0]))
		paths = append(paths, p)
	}
	// The server's own decoders in the page give the server's
	// fingerprint of the file, bit for bit: the vectors, and photos as
	// JPEG, whose decoders differ between browsers and Go.
	files := append([]string(nil), paths...)
	photos := t.TempDir()
	for _, p := range fixtures.Known()[:4] {
		path := filepath.Join(photos, p.Name)
		if err := os.WriteFile(path, p.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	h := hashing.NewHasher(hashing.Limits{})
	for i, g := range hashInPage(b, "decoded", files, false) {
		data, err := os.ReadFile(files[i])
		if err != nil {
			t.Fatal(err)
		}
		fp, err := h.Image(context.Background(), data, hashing.ForRegistration)
		if err != nil {
			t.Fatal(err)
		}
		server, _ := json.Marshal(hashing.Send(fp))
		page, _ := json.Marshal(g.Fingerprint)
		if !bytes.Equal(server, page) {
			t.Errorf("%s: decoded in the page by the server's decoders, the fingerprint differs from the server's:\npage   %s\nserver %s", g.Name, page, server)
		}
	}

	got := hashInPage(b, "picture", paths, true)
	if len(got) != len(paths) {
		t.Fatalf("the page hashed %d files, want %d", len(got), len(paths))
	}
	for _, g := range got {
		t.Run(g.Name, func(t *testing.T) {
			pix, err := base64.StdEncoding.DecodeString(g.Pixels)
			if err != nil || len(pix) != 4*g.Width*g.Height {
				t.Fatalf("pixels: %d bytes for %dx%d (%v)", len(pix), g.Width, g.Height, err)
			}
			img := &image.NRGBA{Pix: pix, Stride: 4 * g.Width, Rect: image.Rect(0, 0, g.Width, g.Height)}
			fp, err := h.Pixels(context.Background(), img, hashing.ForRegistration)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := hashing.ParseSHA256(g.Fingerprint.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			fp.SHA256 = sum
			server, _ := json.Marshal(hashing.Send(fp))
			page, _ := json.Marshal(g.Fingerprint)
			if !bytes.Equal(server, page) {
				t.Errorf("the page's fingerprint differs from the server's on the same pixels:\npage   %s\nserver %s", page, server)
			}
			w := want[g.Name]
			ref := g.Fingerprint.Reference
			if len(ref) != 8 {
				t.Fatalf("%d reference hashes", len(ref))
			}
			if fmt.Sprint(ref[0].Quality) != w[0] {
				t.Errorf("quality %d, reference %s", ref[0].Quality, w[0])
			}
			for i, hx := range w[1:] {
				if ref[i].Hex != hx {
					t.Errorf("variant %d: page %s, reference %s", i, ref[i].Hex, hx)
				}
			}
		})
	}
}

// recordBodies wraps h, keeping every request's method, path and body, so
// a test can show what reached the server.
type recordBodies struct {
	h    http.Handler
	mu   sync.Mutex
	seen []seenRequest
}

type seenRequest struct {
	Method, Path, Type string
	Body               []byte
}

func (rb *recordBodies) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rb.mu.Lock()
	rb.seen = append(rb.seen, seenRequest{r.Method, r.URL.Path, r.Header.Get("Content-Type"), body})
	rb.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	rb.h.ServeHTTP(w, r)
}

func (rb *recordBodies) requests() []seenRequest {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	return append([]seenRequest(nil), rb.seen...)
}

// recordBrowserRequests records every request b's page sends from now
// on. The function it returns fails t for any of them that went elsewhere
// than consoleURL: a page that hashes media in the browser must not send
// them, or anything, to a third party.
func recordBrowserRequests(t *testing.T, b *browser) func(consoleURL string) {
	t.Helper()
	var mu sync.Mutex
	var sent []string
	if err := chromedp.Listen(b.ctx, func(ev any) {
		if r, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			sent = append(sent, r.Request.Method+" "+r.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	return func(consoleURL string) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		for _, r := range sent {
			if !strings.Contains(r, consoleURL) && !strings.Contains(r, "about:blank") {
				t.Errorf("the browser sent a request elsewhere than the console: %s", r)
			}
		}
	}
}

// carries reports whether body holds any 64-byte stretch of data taken
// every 4 KiB: a file, or any part of it, sent as it is.
func carries(body, data []byte) bool {
	for off := 0; off+64 <= len(data); off += 4096 {
		if bytes.Contains(body, data[off:off+64]) {
			return true
		}
	}
	return false
}

// auditDetails returns the details of the audit entries of action.
func auditDetails(t *testing.T, st *store.DB, action string) []string {
	t.Helper()
	log, err := st.AuditLog(store.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range log {
		out = append(out, e.Detail)
	}
	return out
}

// crawlAlerts crawls the fixture site once into db and returns the media
// paths it alerted on.
func crawlAlerts(t *testing.T, db *database.DB, site *crawler.Site) map[string]bool {
	t.Helper()
	c := &crawler.Crawler{DB: db, Rule: hashing.DefaultRule()}
	if _, err := c.Pass(context.Background(), site); err != nil {
		t.Fatal(err)
	}
	as, err := db.Alerts.Alerts(alerts.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, a := range as {
		u, err := url.Parse(a.MediaURL)
		if err != nil {
			t.Fatal(err)
		}
		out[u.Path] = true
	}
	return out
}

// TestStaffRegisterFromTheBrowserWithoutSendingMedia registers the known
// photos through the registration page in headless Chromium, beside a
// TIFF (which Chromium cannot decode; the server's decoders in the page
// can) and a file that is no picture (uploaded, and refused by the
// server). Every request that reached the console is kept: none carries
// any part of a photo or the TIFF (the other file's upload does, which
// shows the check sees files), the page says which path each file took,
// the audit log says the media never reached the server, and a crawl of
// the fixture site then raises alerts on exactly the re-uploads a
// server-side registration of the same photos alerts on.
func TestStaffRegisterFromTheBrowserWithoutSendingMedia(t *testing.T) {
	b := startBrowser(t)
	dir := buildWasm(t)
	e := newEnv(t, func(c *Config) { c.Wasm = os.DirFS(dir) })
	rec := &recordBodies{h: e.srv}
	ts := httptest.NewServer(rec)
	t.Cleanup(ts.Close)
	stayedOnConsole := recordBrowserRequests(t, b)

	files := t.TempDir()
	// First a JPEG that breaks off after its header: the module's
	// decoder fails on it, the page uploads it, and the files after it are
	// still hashed in the browser.
	broken := append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{0x42}, 300)...)
	paths := []string{filepath.Join(files, "broken.jpg")}
	if err := os.WriteFile(paths[0], broken, 0o644); err != nil {
		t.Fatal(err)
	}
	known := fixtures.Known()
	for _, p := range known {
		path := filepath.Join(files, p.Name)
		if err := os.WriteFile(path, p.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	// A picture that is on no page of the site, as TIFF, which Chromium
	// cannot decode and the server's decoders in the page can; and a file
	// that is no picture, which the page cannot hash: it is uploaded, and
	// the server refuses it.
	tiffImg := image.NewRGBA(image.Rect(0, 0, 96, 64))
	for i := range tiffImg.Pix {
		tiffImg.Pix[i] = uint8(i*7 + i/384*13)
	}
	var tiffBuf bytes.Buffer
	if err := tiff.Encode(&tiffBuf, tiffImg, nil); err != nil {
		t.Fatal(err)
	}
	notes := []byte(strings.Repeat("notes that are not a picture, ", 20))
	for name, data := range map[string][]byte{"scan.tiff": tiffBuf.Bytes(), "notes.heic": notes} {
		path := filepath.Join(files, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	media := append(known, fixtures.Photo{Name: "scan.tiff", Data: tiffBuf.Bytes()})

	openRegistration(b, ts.URL)
	rec.mu.Lock()
	rec.seen = nil // the registration starts here
	rec.mu.Unlock()
	b.do("register the files",
		chromedp.SendKeys(css(`#register-form input[name=case]`), "b-1"),
		chromedp.SendKeys(css(`#register-form input[name=label]`), "victim B"),
		chromedp.SetUploadFiles(css(`#register-form input[type=file]`), paths),
		chromedp.Click(css(`#register-form button[type=submit]`)),
	)
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Minute)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitVisible(css(`#browser-result[data-done="1"]`))); err != nil {
		t.Fatalf("the registration did not finish: %v", err)
	}
	type row struct{ Name, Path, Outcome string }
	rows := value(b, "read the result", chromedp.Evaluate[[]row](`[...document.querySelectorAll('#browser-result-table tbody tr')].map((tr) => {
  const td = tr.querySelectorAll('td');
  return {Name: td[0].textContent, Path: td[1].textContent, Outcome: td[2].textContent};
})`))
	if len(rows) != len(paths) {
		t.Fatalf("the page lists %d files, want %d: %+v", len(rows), len(paths), rows)
	}
	for _, r := range rows {
		wantPath, wantOutcome := "hashed in this browser", "fingerprint #"
		switch r.Name {
		case "notes.heic":
			wantPath, wantOutcome = "uploaded", "not a picture or video"
		case "broken.jpg":
			wantPath, wantOutcome = "uploaded", "read jpeg header"
		}
		if !strings.HasPrefix(r.Path, wantPath) || !strings.HasPrefix(r.Outcome, wantOutcome) {
			t.Errorf("%s: path %q, outcome %q; want %q… and %q…", r.Name, r.Path, r.Outcome, wantPath, wantOutcome)
		}
	}

	// What reached the server.
	var hashedPosts, uploads int
	for _, r := range rec.requests() {
		for _, p := range media {
			if carries(r.Body, p.Data) {
				t.Errorf("%s %s carried bytes of %s", r.Method, r.Path, p.Name)
			}
		}
		switch {
		case r.Method == "POST" && r.Path == hashedPath:
			hashedPosts++
		case r.Method == "POST" && r.Path == "/cases":
			uploads++
			if !carries(r.Body, notes) || !carries(r.Body, broken) {
				t.Errorf("the upload of the files the page cannot hash does not carry them: the check would not see a file")
			}
		}
	}
	if hashedPosts != 1 || uploads != 1 {
		t.Errorf("%d fingerprint posts and %d uploads, want 1 and 1", hashedPosts, uploads)
	}
	stayedOnConsole(ts.URL)
	fps, err := e.db.Index.Fingerprints("b-1")
	if err != nil || len(fps) != len(media) {
		t.Fatalf("case b-1 has %d fingerprints (%v), want %d", len(fps), err, len(media))
	}
	details := auditDetails(t, e.db.Store, "case.register")
	if want := fmt.Sprintf("%d fingerprint(s), hashed on the sender's device: the media never reached the server", len(media)); len(details) != 1 || details[0] != want {
		t.Errorf("audit details %q, want one, %q", details, want)
	}

	matchesLikeAServerRegistration(t, e.db, known)
}

// matchesLikeAServerRegistration registers known on the server, in a
// database of its own, then crawls the fixture site into both it and
// browserDB (where a browser registered the same photos): both raise
// alerts on exactly the same media.
func matchesLikeAServerRegistration(t *testing.T, browserDB *database.DB, known []fixtures.Photo) {
	t.Helper()
	// The same photos registered on the server, in a database of their
	// own; then both crawl the fixture site.
	fsite, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	siteSrv := httptest.NewServer(fsite)
	t.Cleanup(siteSrv.Close)
	cfg, err := crawler.ParseConfig("sites.yaml", []byte(fmt.Sprintf(
		"sites:\n  - name: fixture\n    seeds: [%q]\n    allow_private: true\n    delay: 0s\n    request_timeout: 5s\n", siteSrv.URL+"/")))
	if err != nil {
		t.Fatal(err)
	}
	serverDB, err := database.Open(filepath.Join(t.TempDir(), "server.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { serverDB.Close() })
	h := hashing.NewHasher(hashing.Limits{})
	var regs []index.Registration
	for _, p := range known {
		fp, err := h.Image(context.Background(), p.Data, hashing.ForRegistration)
		if err != nil {
			t.Fatal(err)
		}
		regs = append(regs, index.Registration{Source: p.Name, Print: fp})
	}
	if _, err := serverDB.Index.Register(context.Background(), "s-1", "", regs, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	fromBrowser := crawlAlerts(t, browserDB, &cfg.Sites[0])
	fromServer := crawlAlerts(t, serverDB, &cfg.Sites[0])
	truth := map[string]bool{}
	for _, r := range fsite.Truth() {
		truth[r.Media] = true
	}
	found := 0
	for m := range truth {
		if fromBrowser[m] {
			found++
		}
	}
	t.Logf("re-uploads on the site %d; alerted from the browser's registration %d (of them re-uploads %d), from the server's %d",
		len(truth), len(fromBrowser), found, len(fromServer))
	if len(fromServer) == 0 {
		t.Fatal("the server-side registration raised no alerts")
	}
	for m := range fromServer {
		if !fromBrowser[m] {
			t.Errorf("%s alerts for the server's registration, not for the browser's", m)
		}
	}
	for m := range fromBrowser {
		if !fromServer[m] {
			t.Errorf("%s alerts for the browser's registration, not for the server's", m)
		}
	}
}

// TestAHashedRegistrationIsCheckedLikeAnUpload posts fingerprints to the
// browser registration's route as the page does: what is well formed is
// registered under the caller's centre with the same case rules and one
// audit entry saying the media never reached the server; what is not —
// a fingerprint of the wrong shape, too many files, too large a body, a
// missing CSRF token, a caller who is not staff — is refused whole, and
// nothing is stored.
func TestAHashedRegistrationIsCheckedLikeAnUpload(t *testing.T) {
	ctx := context.Background()
	h := hashing.NewHasher(hashing.Limits{})
	fp, err := h.Image(ctx, photo(t, testPhoto), hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	good := hashing.Send(fp)
	short := good
	short.Views = good.Views[:len(good.Views)-1]
	weak := good
	weak.Reference = append([]hashing.SentHash(nil), good.Reference...)
	for i := range weak.Reference {
		weak.Reference[i].Quality = 120
	}
	body := func(caseID string, sents ...hashing.Sent) string {
		var files []hashedFileJSON
		for i, s := range sents {
			files = append(files, hashedFileJSON{Name: fmt.Sprintf("p%d.jpg", i), Fingerprint: s})
		}
		b, _ := json.Marshal(hashedJSON{Case: caseID, Label: "victim C", Files: files})
		return string(b)
	}
	e := newEnv(t, func(c *Config) { c.Limits.UploadFiles = 3; c.Limits.HashedBytes = 200 << 10 })
	if _, err := e.db.Centres.Add(ctx, "busan", "Busan", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Accounts.AddUser(ctx, accounts.NewUser{Name: "busan-staff", Role: accounts.RoleStaff, Centre: "busan", Password: testPassword, Language: "en"}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	staff, busan, op := e.login("staff1"), e.login("busan-staff"), e.login("op1")
	post := func(c *client, csrf, body string) (int, string) {
		req, _ := http.NewRequest("POST", e.ts.URL+hashedPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp := c.do(req)
		return resp.StatusCode, readAll(resp)
	}
	tests := []struct {
		name   string
		c      *client
		csrf   bool
		body   string
		status int
		want   string
	}{
		{"a fingerprint of the wrong shape is refused", staff, true, body("c-1", good, short), 400, "registration views"},
		{"a quality out of range is refused", staff, true, body("c-1", weak), 400, "quality 120 out of range"},
		{"more files than an upload may hold are refused", staff, true, body("c-1", good, good, good, good), 413, "more than 3 files"},
		{"a body over the limit is refused", staff, true, body("c-1", good, good, good) + strings.Repeat(" ", 200<<10), 413, "over the limit"},
		{"without the CSRF token it is refused", staff, false, body("c-1", good), 403, ""},
		{"an operator may not register", op, true, body("c-1", good), 403, ""},
		{"a case ID is needed", staff, true, body(" ", good), 400, "case ID"},
		{"a file is needed", staff, true, body("c-1"), 400, "Choose files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csrf := ""
			if tt.csrf {
				csrf = tt.c.csrf
			}
			status, got := post(tt.c, csrf, tt.body)
			if status != tt.status || !strings.Contains(got, tt.want) {
				t.Fatalf("status %d %s, want %d with %q", status, got, tt.status, tt.want)
			}
		})
	}
	if cases, _ := e.db.Index.Cases(); len(cases) != 0 {
		t.Fatalf("refused registrations left cases %+v", cases)
	}

	t.Run("a good registration is stored under the caller's centre and audited as hashed on the device", func(t *testing.T) {
		for _, c := range []*client{staff, busan} {
			status, got := post(c, c.csrf, body("c-2", good, good))
			if status != 200 {
				t.Fatalf("status %d: %s", status, got)
			}
			var res hashedResultJSON
			if err := json.Unmarshal([]byte(got), &res); err != nil || res.Registered != 2 || res.Files[1].Fingerprint == 0 {
				t.Fatalf("answer %s (%v)", got, err)
			}
		}
		for _, centre := range []string{"national", "busan"} {
			cs, err := e.db.Index.CasesOf(centre)
			if err != nil || len(cs) != 1 || cs[0].ID != "c-2" || cs[0].Fingerprints != 2 || cs[0].Label != "victim C" {
				t.Errorf("%s's cases: %+v, %v", centre, cs, err)
			}
		}
		details := auditDetails(t, e.db.Store, "case.register")
		if len(details) != 2 {
			t.Fatalf("audit entries %q, want one per registration", details)
		}
		for _, d := range details {
			if d != "2 fingerprint(s), hashed on the sender's device: the media never reached the server" {
				t.Errorf("audit detail %q", d)
			}
		}
		stored, err := e.db.Index.Fingerprints("c-2")
		if err != nil || len(stored) == 0 {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(stored[0].Print.Views, fp.Views) || stored[0].Print.SHA256 != fp.SHA256 {
			t.Errorf("the stored fingerprint differs from the one sent")
		}
	})
	t.Run("a withdrawn case takes no more", func(t *testing.T) {
		if _, _, err := e.db.Index.WithdrawIn(ctx, "national", "c-2", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if status, got := post(staff, staff.csrf, body("c-2", good)); status != 400 || !strings.Contains(got, "withdrawn") {
			t.Errorf("status %d %s, want 400 naming the withdrawal", status, got)
		}
	})
}

// TestMeasureBrowserHashing measures, in headless Chromium, the time to
// fingerprint a 12-megapixel photo in the page and how far the browser's
// fingerprints of the dev photos lie from the server's registration of
// the same files: browsers' JPEG decoders differ from Go's in the last
// bits. Run it with HASHWATCH_BROWSER_EVAL=DIR (the dev set,
// ../shared/datasets/dev beside a checkout; with -short, only the 12-MP
// timing); it reports and fails on nothing but errors.
func TestMeasureBrowserHashing(t *testing.T) {
	devDir := os.Getenv("HASHWATCH_BROWSER_EVAL")
	if devDir == "" {
		t.Skip("set HASHWATCH_BROWSER_EVAL=DIR of photos (the dev set) to measure")
	}
	b := startBrowser(t)
	wasm := buildWasm(t)
	e := newEnv(t, func(c *Config) { c.Wasm = os.DirFS(wasm) })
	openRegistration(b, e.ts.URL)
	ctx := context.Background()
	h := hashing.NewHasher(hashing.Limits{})

	// A 12-MP photo: a dev photo scaled to 4000×3000, JPEG quality 90.
	src, err := imaging.Open(filepath.Join(devDir, "dev-009-eiffelTower.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "12mp.jpg")
	if err := imaging.Save(imaging.Resize(src, 4000, 3000, imaging.Lanczos), big, imaging.JPEGQuality(90)); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(big)
	start := time.Now()
	if _, err := h.Image(ctx, data, hashing.ForRegistration); err != nil {
		t.Fatal(err)
	}
	t.Logf("12-MP photo (4000×3000 JPEG, %d KB): the server's native registration %d ms", len(data)>>10, time.Since(start).Milliseconds())
	for _, fn := range []string{"decoded", "picture"} {
		var ms []float64
		for range 3 {
			ms = append(ms, hashInPage(b, fn, []string{big}, false)[0].MS)
		}
		t.Logf("12-MP photo, %s in the page: %.0f, %.0f, %.0f ms", fn, ms[0], ms[1], ms[2])
	}

	if testing.Short() {
		return // -short: the timing alone
	}
	// The dev photos, hashed in the page and by the server.
	names, err := filepath.Glob(filepath.Join(devDir, "*.jpg"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no photos in %s (%v)", devDir, err)
	}
	var paths []string
	for _, n := range names {
		p, _ := filepath.Abs(n)
		paths = append(paths, p)
	}
	for _, fn := range []string{"decoded", "picture"} {
		measureAgreement(t, b, fn, paths)
	}
}

// measureAgreement hashes paths in the page with fn and by the server,
// and reports how far the page's registration views lie from the
// server's.
func measureAgreement(t *testing.T, b *browser, fn string, paths []string) {
	ctx := context.Background()
	h := hashing.NewHasher(hashing.Limits{})
	rule := hashing.DefaultRule()
	var photos, sameViews, views, zero, within, refZero, refWithin, photosZero int
	var pageMS float64
	hist := map[int]int{}
	for start := 0; start < len(paths); start += 40 {
		got := hashInPage(b, fn, paths[start:min(start+40, len(paths))], false)
		for k, g := range got {
			data, err := os.ReadFile(paths[start+k])
			if err != nil {
				t.Fatal(err)
			}
			server, err := h.Image(ctx, data, hashing.ForRegistration)
			if err != nil {
				t.Fatal(err)
			}
			page, err := g.Fingerprint.Picture(hashing.Limits{})
			if err != nil {
				t.Fatalf("%s: the page's fingerprint is refused: %v", g.Name, err)
			}
			photos++
			pageMS += g.MS
			if len(page.Views) == len(server.Views) {
				sameViews++
			}
			allZero := true
			for _, sv := range server.Views {
				pv, ok := page.View(sv.Name)
				if !ok {
					allZero = false
					continue
				}
				views++
				ph, _ := pv.Hash(hashing.PDQ)
				sh, _ := sv.Hash(hashing.PDQ)
				d := ph.Code.Distance(sh.Code)
				hist[min(d/4*4, 32)]++
				if d == 0 {
					zero++
				} else {
					allZero = false
				}
				if _, ok := rule.Compare(pv, sv); ok {
					within++
				}
			}
			if allZero {
				photosZero++
			}
			d := page.Reference[0].Code.Distance(server.Reference[0].Code)
			if d == 0 {
				refZero++
			}
			if d <= 31 {
				refWithin++
			}
		}
	}
	pct := func(n, of int) float64 { return 100 * float64(n) / float64(max(of, 1)) }
	t.Logf("%s: %d dev photos, %.0f ms each in the page; same view set %d (%.1f%%); every view's PDQ equal %d (%.1f%%)",
		fn, photos, pageMS/float64(photos), sameViews, pct(sameViews, photos), photosZero, pct(photosZero, photos))
	t.Logf("registration views: %d compared; PDQ distance 0: %d (%.1f%%); matching under the default rule: %d (%.1f%%)",
		views, zero, pct(zero, views), within, pct(within, views))
	t.Logf("PDQ distance page↔server per view, by 4s (32 = 32 and over): %v", hist)
	t.Logf("reference PDQ (full size): distance 0 %d (%.1f%%), ≤ 31 %d (%.1f%%)", refZero, pct(refZero, photos), refWithin, pct(refWithin, photos))
}

// TestStaffRegisterAVideoFromTheBrowser registers a WebM video through
// the registration page in headless Chromium: its frames are drawn from a
// <video> element at the server's sampling times and hashed in the page,
// only the fingerprint reaches the server, and the registered video then
// matches every edited copy that a server-side registration of the same
// file matches.
func TestStaffRegisterAVideoFromTheBrowser(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed (.ci/run installs it)")
	}
	b := startBrowser(t)
	dir := buildWasm(t)
	ctx := context.Background()
	vb := fixtures.VideoBuilder{Dir: t.TempDir()}
	ks := fixtures.Known()
	length := 12 * time.Second
	src, err := vb.Slideshow(ctx, fixtures.Slideshow{
		Photos:    [][]byte{ks[0].Data, ks[3].Data, ks[5].Data, ks[7].Data},
		Durations: []time.Duration{length / 4}, Fade: 500 * time.Millisecond, Width: 320, Height: 240, FPS: 25,
	})
	if err != nil {
		t.Fatal(err)
	}
	webm, err := vb.Edit(ctx, src, fixtures.VP9())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "clip.webm")
	if err := os.WriteFile(path, webm, 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.Wasm = os.DirFS(dir) })
	rec := &recordBodies{h: e.srv}
	ts := httptest.NewServer(rec)
	t.Cleanup(ts.Close)
	openRegistration(b, ts.URL)
	b.do("register the video",
		chromedp.SendKeys(css(`#register-form input[name=case]`), "v-1"),
		chromedp.SetUploadFiles(css(`#register-form input[type=file]`), []string{path}),
		chromedp.Click(css(`#register-form button[type=submit]`)),
	)
	wctx, cancel := context.WithTimeout(b.ctx, 3*time.Minute)
	defer cancel()
	if _, err := chromedp.Run(wctx, chromedp.WaitVisible(css(`#browser-result[data-done="1"]`))); err != nil {
		t.Fatalf("the registration did not finish: %v", err)
	}
	if p := value(b, "read the path", chromedp.Text(css(`#browser-result-table td.path`))); !strings.HasPrefix(p, "hashed in this browser") {
		t.Fatalf("the video took the path %q", p)
	}
	for _, r := range rec.requests() {
		if carries(r.Body, webm) {
			t.Errorf("%s %s carried bytes of the video", r.Method, r.Path)
		}
	}
	fps, err := e.db.Index.Fingerprints("v-1")
	if err != nil || len(fps) != 1 || fps[0].Print.Kind != hashing.KindVideo {
		t.Fatalf("case v-1: %d fingerprints (%v), want one video", len(fps), err)
	}
	browserFP := fps[0].Print
	vh := video.New(video.Config{})
	serverFP, err := vh.Fingerprint(ctx, webm, hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("frames: browser %d over %v, server %d over %v", len(browserFP.Frames), browserFP.Duration, len(serverFP.Frames), serverFP.Duration)
	m := video.DefaultMatching()
	// A few of the fixtures' edits, to keep the test short; with all
	// twelve (fixtures.VideoEdits) the browser's registration matched all,
	// the server's eleven (not speed-1.1).
	for _, edit := range []fixtures.VideoEdit{fixtures.ReencodeLow(150), fixtures.ResizeVideo(0.5), fixtures.CropAllSides(0.10), fixtures.MirrorVideo(), fixtures.Clip(4*time.Second, 4*time.Second)} {
		t.Run(edit.Name, func(t *testing.T) {
			copyData, err := vb.Edit(ctx, src, edit)
			if err != nil {
				t.Fatal(err)
			}
			q, err := vh.Fingerprint(ctx, copyData, hashing.ForQuery)
			if err != nil {
				t.Fatal(err)
			}
			sa, sok := video.Compare(q, serverFP, m)
			ba, bok := video.Compare(q, browserFP, m)
			t.Logf("server registration: %v (query share %.2f); browser registration: %v (query share %.2f)", sok, sa.QueryShare, bok, ba.QueryShare)
			if sok && !bok {
				t.Errorf("the edited copy matches the server's registration and not the browser's")
			}
		})
	}
}

// TestTheHashingModuleIsServedCompressedAndRevalidated serves a stand-in
// module: gzipped to a browser that takes it, as it is to one that does
// not, 304 to a browser that has it, and 404 without a module or for any
// other name.
func TestTheHashingModuleIsServedCompressedAndRevalidated(t *testing.T) {
	module := bytes.Repeat([]byte("\x00asm module bytes "), 4096)
	fsys := fstest.MapFS{wasmModule: {Data: module}, wasmExec: {Data: []byte("// loader")}}
	e := newEnv(t, func(c *Config) { c.Wasm = fsys })
	get := func(path string, hdr map[string]string) *http.Response {
		req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		tr := &http.Transport{DisableCompression: true}
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := get("/wasm/"+wasmModule, map[string]string{"Accept-Encoding": "gzip"})
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(zr)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/wasm" || !bytes.Equal(got, module) {
		t.Fatalf("gzipped: %d %s, %d bytes after gunzip", resp.StatusCode, resp.Header.Get("Content-Type"), len(got))
	}
	etag := resp.Header.Get("ETag")
	if r := get("/wasm/"+wasmModule, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": etag}); r.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", r.StatusCode)
	}
	plain := get("/wasm/"+wasmModule, nil)
	if body := readAll(plain); plain.Header.Get("Content-Encoding") != "" || body != string(module) {
		t.Errorf("uncompressed: encoding %q, %d bytes", plain.Header.Get("Content-Encoding"), len(body))
	}
	if r := get("/wasm/other.wasm", nil); r.StatusCode != 404 {
		t.Errorf("another name: %d, want 404", r.StatusCode)
	}
	bare := newEnv(t, nil)
	if r, _ := http.Get(bare.ts.URL + "/wasm/" + wasmModule); r.StatusCode != 404 {
		t.Errorf("without a module: %d, want 404", r.StatusCode)
	}
	if page := readAll(bare.login("staff1").get("/cases")); strings.Contains(page, "hashed-here") || strings.Contains(page, "register.js") {
		t.Errorf("without a module the page still offers hashing in the browser")
	}
}
