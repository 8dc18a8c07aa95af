package console

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	"github.com/hashwatch/hashwatch/takedown"
)

// browserLocation resolves a Location header the way a browser's URL
// parser reads it: tabs and line breaks vanish and backslashes are
// slashes. It reports whether the result stays on this site.
func browserStaysLocal(loc string) bool {
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(strings.TrimLeft(loc, " \x00\x01\x1f"))
	u, err := url.Parse(loc)
	if err != nil {
		return false
	}
	return u.Scheme == "" && u.Host == "" && strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//")
}

func TestLoginNextNeverLeavesTheSite(t *testing.T) {
	e := newEnv(t, nil)
	for _, next := range []string{
		"//evil.example/", `/\evil.example/`, "/\t/evil.example/", "/\n/evil.example/", "/\r\n/evil.example",
		"/\t\\evil.example", "https://evil.example/", "javascript:alert(1)", "/%0a/evil.example", " //evil.example",
		"/alerts?x=//evil.example", "/alerts/1",
	} {
		c := e.anon()
		resp := c.postForm("/login", url.Values{"name": {"op1"}, "password": {testPassword}, "next": {next}}, c.loginCSRF())
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !browserStaysLocal(loc) {
			t.Errorf("next %q: %d Location %q leaves the site", next, resp.StatusCode, loc)
		}
	}
	c := e.anon()
	resp := c.postForm("/login", url.Values{"name": {"op1"}, "password": {testPassword}, "next": {"/alerts/1?x=1"}}, c.loginCSRF())
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/alerts/1?x=1" {
		t.Errorf("a local next is lost: %q", loc)
	}
}

// addUser adds one more account.
func (e *env) addUser(name string, role accounts.Role) {
	e.t.Helper()
	if _, err := e.db.Accounts.AddUser(context.Background(), accounts.NewUser{Name: name, Role: role, Password: testPassword, Language: "en"}, store.Actor{User: "test"}); err != nil {
		e.t.Fatal(err)
	}
}

func TestStaffSeeOnlyTheirOwnReportedURLs(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("staff2", accounts.RoleStaff)
	ctx := context.Background()
	mine, err := e.db.Alerts.CreateURLReport(ctx, []string{"http://mine.example/a"}, "", store.Actor{User: "staff1"})
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := e.db.Alerts.CreateURLReport(ctx, []string{"http://theirs.example/b"}, "victim's name in a note", store.Actor{User: "staff2"})
	if err != nil {
		t.Fatal(err)
	}
	st := e.login("staff1")
	if resp := st.get("/api/reports/" + itoa(theirs.ID)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another staff member's report: %d %s", resp.StatusCode, readAll(resp))
	}
	if resp := st.get("/api/reports/" + itoa(mine.ID)); resp.StatusCode != http.StatusOK {
		t.Errorf("own report: %d %s", resp.StatusCode, readAll(resp))
	}
	if list := readAll(st.get("/api/reports")); strings.Contains(list, "theirs.example") || !strings.Contains(list, "mine.example") {
		t.Errorf("staff list: %s", list)
	}
	if page := readAll(st.get("/reports")); strings.Contains(page, "theirs.example") || !strings.Contains(page, "mine.example") {
		t.Errorf("staff page shows others' reports")
	}
	// Operators review every alert, reported ones included: they see all.
	op := e.login("op1")
	if list := readAll(op.get("/api/reports")); !strings.Contains(list, "theirs.example") || !strings.Contains(list, "mine.example") {
		t.Errorf("operator list: %s", list)
	}
	if resp := op.get("/api/reports/" + itoa(theirs.ID)); resp.StatusCode != http.StatusOK {
		t.Errorf("operator: %d", resp.StatusCode)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// withCrawling gives the console a scheduler (not running) and an
// inspector for the watched site "board".
func withCrawling(c *Config) {
	cfg, err := crawler.ParseConfig("sites.yaml", []byte("sites:\n  - name: board\n    seeds: [\"http://board.example/\"]\n    contact: abuse@board.example\n"))
	if err != nil {
		panic(err)
	}
	sites := []*crawler.Site{&cfg.Sites[0]}
	c.Sites = sites
	c.Scheduler = crawler.NewScheduler(&crawler.Crawler{DB: c.DB, Rule: hashing.DefaultRule()}, sites)
	c.Inspector = &crawler.Inspector{DB: c.DB, Rule: hashing.DefaultRule(), Sites: sites, AllowPrivate: true}
}

// sessionOf returns the session cookie a client holds.
func (c *client) sessionOf() string {
	u, _ := url.Parse(c.e.ts.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			return ck.Value
		}
	}
	return ""
}

// loggedIn reports whether the client's session still opens a page.
func (c *client) loggedIn() bool {
	resp := c.get("/api/me")
	readAll(resp)
	return resp.StatusCode == http.StatusOK
}

func TestPasswordChangesEndOtherSessions(t *testing.T) {
	e := newEnv(t, nil)
	adm := e.login("admin1")
	a, b := e.login("op1"), e.login("op1")
	if resp := adm.postForm("/users/op1", url.Values{"password": {"a new password 1"}}, adm.csrf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d %s", resp.StatusCode, readAll(resp))
	}
	if a.loggedIn() || b.loggedIn() {
		t.Fatal("sessions outlived an administrator's password reset")
	}
	c, d := e.login("staff1"), e.login("staff1")
	resp := c.postForm("/settings", url.Values{"password": {testPassword}, "new_password": {"a new password 2"}}, c.csrf)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("own change: %d %s", resp.StatusCode, readAll(resp))
	}
	resp.Body.Close()
	if !c.loggedIn() {
		t.Error("changing one's own password logged this browser out")
	}
	if d.loggedIn() {
		t.Error("another session outlived the password change")
	}
}

func TestSettingsPasswordCheckIsRateLimited(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.LoginFailuresPerUser = 3 })
	op := e.login("op1")
	try := func(pw string) int {
		resp := op.postForm("/settings", url.Values{"password": {pw}, "new_password": {"another password"}}, op.csrf)
		readAll(resp)
		return resp.StatusCode
	}
	for i := range 3 {
		if got := try("wrong guess " + string(rune('a'+i))); got != http.StatusForbidden {
			t.Fatalf("guess %d: %d", i, got)
		}
	}
	if got := try(testPassword); got != http.StatusTooManyRequests {
		t.Fatalf("after 3 wrong current passwords: %d, want 429", got)
	}
	if log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "password.check_failed"}); len(log) != 3 || log[0].User != "op1" {
		t.Errorf("audit: %+v", log)
	}
}

func TestRoleAndStateChangesTakeEffectAtOnce(t *testing.T) {
	e := newEnv(t, nil)
	adm, op := e.login("admin1"), e.login("op1")
	secret, tok, err := e.db.Accounts.CreateToken(context.Background(), "op1", "script", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	bearer := func(path string) int {
		req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp := e.anon().do(req)
		readAll(resp)
		return resp.StatusCode
	}
	status := func(c *client, path string) int {
		resp := c.get(path)
		readAll(resp)
		return resp.StatusCode
	}
	if status(op, "/alerts") != 200 || bearer("/api/alerts") != 200 {
		t.Fatal("operator refused before any change")
	}
	adm.postForm("/users/op1", url.Values{"role": {"analyst"}}, adm.csrf).Body.Close()
	if got := status(op, "/alerts"); got != http.StatusForbidden {
		t.Errorf("demoted session on /alerts: %d", got)
	}
	if got := status(op, "/sites"); got != 200 {
		t.Errorf("new role's page: %d", got)
	}
	if got := bearer("/api/alerts"); got != http.StatusForbidden {
		t.Errorf("demoted token: %d", got)
	}
	adm.postForm("/users/op1", url.Values{"state": {"disabled"}}, adm.csrf).Body.Close()
	if op.loggedIn() {
		t.Error("a disabled user's session still works")
	}
	if got := bearer("/api/me"); got != http.StatusUnauthorized {
		t.Errorf("a disabled user's token: %d", got)
	}
	adm.postForm("/users/op1", url.Values{"state": {"active"}}, adm.csrf).Body.Close()
	if got := bearer("/api/me"); got != http.StatusUnauthorized {
		t.Errorf("re-enabled user's token: %d; disabling revokes tokens for good (issue 14)", got)
	}
	adm.postForm("/tokens/"+tok.ID+"/revoke", nil, adm.csrf).Body.Close()
	if got := bearer("/api/me"); got != http.StatusUnauthorized {
		t.Errorf("a revoked token: %d", got)
	}
}

func TestAPITokensAreNeverTakenFromTheURL(t *testing.T) {
	e := newEnv(t, nil)
	secret, _, _ := e.db.Accounts.CreateToken(context.Background(), "op1", "script", store.Actor{})
	for _, q := range []string{"token", "access_token", "api_key", "bearer", "auth"} {
		resp := e.anon().get("/api/me?" + q + "=" + url.QueryEscape(secret))
		if body := readAll(resp); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("?%s=: %d %s", q, resp.StatusCode, body)
		}
	}
	// Nor as a cookie or a basic-auth password.
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/me", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: secret})
	req.SetBasicAuth("op1", secret)
	if resp := e.anon().do(req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("cookie/basic: %d", resp.StatusCode)
	}
}

func TestLoggingInEndsTheBrowsersEarlierSession(t *testing.T) {
	e := newEnv(t, nil)
	c := e.login("op1")
	old := c.sessionOf()
	// A logged-in browser is sent away from the login page, so give it a
	// login form token by hand (the double-submitted cookie).
	u, _ := url.Parse(e.ts.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: loginCookie, Value: "form-token", Path: "/"}})
	resp := c.postForm("/login", url.Values{"name": {"staff1"}, "password": {testPassword}}, "form-token")
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || c.sessionOf() == old {
		t.Fatalf("login: %d, session not renewed", resp.StatusCode)
	}
	if _, _, err := e.db.Accounts.SessionByToken(context.Background(), old); err == nil {
		t.Error("the replaced session still works server-side")
	}
	// Logging out ends the session server-side, not only the cookie.
	cur := c.sessionOf()
	c.postForm("/logout", nil, csrfOf(t, c)).Body.Close()
	if _, _, err := e.db.Accounts.SessionByToken(context.Background(), cur); err == nil {
		t.Error("the session outlived logout")
	}
}

func csrfOf(t *testing.T, c *client) string {
	m := csrfField.FindStringSubmatch(readAll(c.get("/settings")))
	if m == nil {
		t.Fatal("no CSRF token")
	}
	return m[1]
}

func TestCrawledURLsAreNeverLinks(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	seeded := e.seedAlerts(1)
	evil := `javascript:alert(document.cookie)//"><script>alert(1)</script>`
	a, _, err := e.db.Alerts.RecordAlert(ctx, alerts.AlertInput{
		Site: "board", MediaSHA256: [32]byte{0xab},
		Match:    index.Match{Fingerprint: seeded[0].Fingerprint, Case: "c1", Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: 3}},
		Sighting: alerts.Sighting{PageURL: evil, MediaURL: evil, FinalURL: evil, HTTPStatus: 200, FirstSeen: time.Now()},
	})
	if err != nil {
		t.Fatal(err)
	}
	op := e.login("op1")
	if resp := op.postForm("/alerts/"+itoa(a.ID)+"/confirm", nil, op.csrf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	for _, path := range []string{"/alerts?status=", "/alerts/" + itoa(a.ID), "/notices"} { // every status: the queue's default is new alerts
		page := readAll(op.get(path))
		low := strings.ToLower(page)
		if strings.Contains(low, `href="javascript:`) || strings.Contains(low, `src="javascript:`) || strings.Contains(page, "<script>") {
			t.Errorf("%s renders a crawled URL as markup or a link", path)
		}
		if !strings.Contains(page, "javascript:alert(document.cookie)//&#34;&gt;&lt;script&gt;") {
			t.Errorf("%s does not show the crawled URL as escaped text", path)
		}
	}
}

func TestPathSegmentsInFormsAreEscaped(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	h := hashing.NewHasher(hashing.Limits{})
	fp, err := h.Image(ctx, photo(t, testPhoto), hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	const odd = "2026/11 case?#%41"
	if _, err := e.db.Index.Register(ctx, odd, "", []index.Registration{{Print: fp}}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	st := e.login("staff1")
	page := readAll(st.get("/cases"))
	action := "/cases/" + url.PathEscape(odd) + "/withdraw"
	if !strings.Contains(page, `action="`+action+`"`) {
		t.Fatalf("the withdraw form does not post to %s:\n%s", action, page)
	}
	resp := st.postForm(action, url.Values{"confirm": {odd}}, st.csrf)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw through the escaped path: %d %s", resp.StatusCode, readAll(resp))
	}
	if c, _ := e.db.Index.Case(odd); !c.Withdrawn() {
		t.Error("the case was not withdrawn")
	}
	t.Run("dot segments cannot be registered from the browser", func(t *testing.T) {
		for _, id := range []string{".", ".."} {
			body, ctype := multipartUpload(t, st.csrf, id, map[string][]byte{"a.jpg": photo(t, testPhoto)})
			req, _ := http.NewRequest("POST", e.ts.URL+"/cases", body)
			req.Header.Set("Content-Type", ctype)
			if resp := st.do(req); resp.StatusCode != http.StatusBadRequest {
				t.Errorf("case %q: %d", id, resp.StatusCode)
			}
		}
	})
}

func TestAnEmptyMultipartBodyIsRefusedForCSRF(t *testing.T) {
	e := newEnv(t, nil)
	st := e.login("staff1")
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.Close()
	req, _ := http.NewRequest("POST", e.ts.URL+"/cases", &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if resp := st.do(req); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d: %s", resp.StatusCode, readAll(resp))
	}
}

func TestForwardedForIsTrustedOnlyWhenConfiguredAndChecked(t *testing.T) {
	for _, tc := range []struct {
		trust bool
		xff   string
		want  string
	}{
		{false, "203.0.113.9", "127.0.0.1"},
		{true, "10.0.0.1, 203.0.113.9", "203.0.113.9"},
		{true, "203.0.113.9, not-an-address<script>", "127.0.0.1"},
		{true, "2001:db8::1", "2001:db8::1"},
	} {
		e := newEnv(t, func(c *Config) { c.TrustProxy = tc.trust })
		c := e.anon()
		req, _ := http.NewRequest("POST", e.ts.URL+"/login", strings.NewReader(url.Values{"name": {"op1"}, "password": {"wrong password!"}, "csrf": {c.loginCSRF()}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", tc.xff)
		readAll(c.do(req))
		log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "login.failed"})
		if len(log) != 1 || log[0].Remote != tc.want {
			t.Errorf("trust %v, X-Forwarded-For %q: audit %+v, want remote %s", tc.trust, tc.xff, log, tc.want)
		}
	}
}

func TestPreviewResponsesAreNeverCachedOrSniffed(t *testing.T) {
	e := newEnv(t, nil)
	e.seedAlerts(1)
	op := e.login("op1")
	op.postForm("/alerts/1/reveal", nil, op.csrf).Body.Close()
	resp := op.get("/alerts/1/preview")
	readAll(resp)
	for k, want := range map[string]string{"Content-Type": "image/jpeg", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	// After logout the grant is gone with the session.
	op.postForm("/logout", nil, op.csrf).Body.Close()
	if resp := op.get("/alerts/1/preview"); resp.StatusCode == http.StatusOK {
		t.Error("the preview is served after logout")
	}
}

// TestEveryStateChangeIsAudited performs every state-changing route and
// checks that it wrote an audit record naming who, what, which target,
// when and from where. A POST route without a step here fails the test, so
// a new route must say how it is audited.
func TestEveryStateChangeIsAudited(t *testing.T) {
	fetched := httptest.NewServer(http.NotFoundHandler())
	defer fetched.Close()
	sitesFile := filepath.Join(t.TempDir(), "sites.yaml")
	if err := os.WriteFile(sitesFile, []byte("sites:\n  - name: board\n    seeds: [\"http://board.example/\"]\n    contact: abuse@board.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { withCrawling(c); c.SitesFile = sitesFile })
	e.seedAlerts(8)
	ctx := context.Background()
	heldFingerprints(t, e.db, 4) // fingerprints 2–5, for release and retire
	adm, op, st, ana := e.login("admin1"), e.login("op1"), e.login("staff1"), e.login("ana1")
	_, tok, err := e.db.Accounts.CreateToken(ctx, "op1", "for revoking", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	// A case to move between centres.
	if _, err := e.db.Centres.Add(ctx, "busan", "Busan", store.Actor{User: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Index.RegisterIn(ctx, centres.National, "mv", "", nil, store.Actor{User: "test"}); err != nil {
		t.Fatal(err)
	}
	// A case whose victim submits with a PIN (selfsubmit.go).
	if _, err := e.db.Index.RegisterIn(ctx, centres.National, "sp", "", nil, store.Actor{User: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Centres.SetSelfSubmit(ctx, centres.National, true, store.Actor{User: "test"}); err != nil {
		t.Fatal(err)
	}
	api := func(c *client, path, body string) func() *http.Response {
		return func() *http.Response {
			req, _ := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-CSRF-Token", c.csrf)
			return c.do(req)
		}
	}
	form := func(c *client, path string, v url.Values) func() *http.Response {
		return func() *http.Response { return c.postForm(path, v, c.csrf) }
	}
	upload := func() *http.Response {
		body, ctype := multipartUpload(t, st.csrf, "c3", map[string][]byte{"a.jpg": photo(t, testPhoto)})
		req, _ := http.NewRequest("POST", e.ts.URL+"/cases", body)
		req.Header.Set("Content-Type", ctype)
		return st.do(req)
	}
	hashed := func() *http.Response {
		fp, err := hashing.NewHasher(hashing.Limits{}).Image(ctx, photo(t, testPhoto), hashing.ForRegistration)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(hashedJSON{Case: "c4", Files: []hashedFileJSON{{Name: "a.jpg", Fingerprint: hashing.Send(fp)}}})
		return api(st, hashedPath, string(b))()
	}
	// The PIN the API hands out, for the victim's steps that follow.
	var pin string
	issuePIN := func() *http.Response {
		resp := api(st, "/api/cases/sp/pin", `{"days":3}`)()
		body := readAll(resp)
		var got struct {
			PIN string `json:"pin"`
		}
		json.Unmarshal([]byte(body), &got)
		pin = got.PIN
		resp.Body = io.NopCloser(strings.NewReader(body))
		return resp
	}
	victim := func(path string, withFiles bool) func() *http.Response {
		return func() *http.Response {
			c := openSubmit(t, e)
			body := selfJSON{Centre: centres.National, Case: "sp", PIN: pin}
			if withFiles {
				fp, err := hashing.NewHasher(hashing.Limits{}).Image(ctx, photo(t, testPhoto), hashing.ForRegistration)
				if err != nil {
					t.Fatal(err)
				}
				body.Files = []hashedFileJSON{{Name: "a.jpg", Fingerprint: hashing.Send(fp)}}
			}
			b, _ := json.Marshal(body)
			req, _ := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(string(b)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-CSRF-Token", c.csrf)
			return c.do(req)
		}
	}
	badLogin := func() *http.Response {
		c := e.anon()
		return c.postForm("/login", url.Values{"name": {"op1"}, "password": {"wrong password!"}}, c.loginCSRF())
	}
	goodLogin := func() *http.Response {
		c := e.anon()
		return c.postForm("/login", url.Values{"name": {"ana1"}, "password": {testPassword}}, c.loginCSRF())
	}
	logout := func() *http.Response { c := e.login("staff1"); return c.postForm("/logout", nil, c.csrf) }
	steps := []struct {
		route                string
		do                   func() *http.Response
		user, action, target string
	}{
		{"POST /login", badLogin, "", "login.failed", "op1"},
		{"POST /login", goodLogin, "ana1", "login", "ana1"},
		{"POST /logout", logout, "staff1", "logout", "staff1"},
		{"POST /settings", form(ana, "/settings", url.Values{"language": {"ko"}}), "ana1", "user.update", "ana1"},
		{"POST /alerts/{id}/reveal", form(op, "/alerts/1/reveal", nil), "op1", "alert.reveal", "1"},
		{"POST /alerts/{id}/view/{step}", form(op, "/alerts/1/view/clearer", nil), "op1", "alert.view_clearer", "1"},
		{"POST /alerts/{id}/confirm", form(op, "/alerts/1/confirm", nil), "op1", "alert.confirm", "1"},
		{"POST /alerts/{id}/dismiss", form(op, "/alerts/2/dismiss", url.Values{"reason": {"no"}}), "op1", "alert.dismiss", "2"},
		{"POST /alerts/bulk", form(op, "/alerts/bulk", url.Values{"id": {"3"}, "action": {"confirm"}}), "op1", "alert.confirm", "3"},
		{"POST /alerts/{id}/release", func() *http.Response {
			readAll(op.get("/alerts/8")) // opening it claims it (alert.claim)
			return op.postForm("/alerts/8/release", nil, op.csrf)
		}, "op1", "alert.release", "8"},
		{"POST /api/alerts/{id}/confirm", api(op, "/api/alerts/4/confirm", `{}`), "op1", "alert.confirm", "4"},
		{"POST /api/alerts/{id}/dismiss", api(op, "/api/alerts/5/dismiss", `{"reason":"no"}`), "op1", "alert.dismiss", "5"},
		{"POST /api/alerts/bulk", api(op, "/api/alerts/bulk", `{"action":"confirm","ids":[6]}`), "op1", "alert.confirm", "6"},
		{"POST /alerts/undo", form(op, "/alerts/undo", url.Values{"id": {"4"}}), "op1", "alert.undo", "4"},
		{"POST /api/alerts/undo", api(op, "/api/alerts/undo", `{"ids":[5]}`), "op1", "alert.undo", "5"},
		{"POST /alerts/{id}/negative", form(op, "/alerts/2/negative", url.Values{"reason": {"logo"}}), "op1", "negative.add", "1"},
		{"POST /api/alerts/{id}/negative", api(op, "/api/alerts/7/negative", `{"reason":"banner"}`), "op1", "negative.add", "2"},
		{"POST /negative/{id}/remove", form(op, "/negative/1/remove", nil), "op1", "negative.remove", "1"},
		{"POST /api/negative/{id}/remove", api(op, "/api/negative/2/remove", ``), "op1", "negative.remove", "2"},
		{"POST /quarantine/{id}/release", form(st, "/quarantine/2/release", nil), "staff1", "quarantine.release", "2"},
		{"POST /api/quarantine/{id}/release", api(st, "/api/quarantine/3/release", ``), "staff1", "quarantine.release", "3"},
		{"POST /quarantine/{id}/retire", form(st, "/quarantine/4/retire", url.Values{"reason": {"hub"}}), "staff1", "quarantine.retire", "4"},
		{"POST /api/quarantine/{id}/retire", api(st, "/api/quarantine/5/retire", `{"reason":"hub"}`), "staff1", "quarantine.retire", "5"},
		{"POST /notices/draft", nil, "", "", ""},                   // renders a draft, stores nothing
		{"POST /notice-templates/{lang}/preview", nil, "", "", ""}, // renders a preview, stores nothing
		{"POST /notices", form(op, "/notices", url.Values{"site": {"board"}, "lang": {"en"}, "id": {"1"}, "to": {"abuse@board.example"}, "subject": {"s"}, "body": {"b"}}), "op1", "notice.create", "1"},
		{"POST /notices/{id}/sent", form(op, "/notices/1/sent", nil), "op1", "notice.sent", "1"},
		{"POST /notices", form(op, "/notices", url.Values{"site": {"board"}, "lang": {"en"}, "id": {"3"}, "to": {"abuse@board.example"}, "subject": {"s"}, "body": {"b"}}), "op1", "notice.create", "2"},
		{"POST /api/notices/{id}/sent", api(op, "/api/notices/2/sent", ``), "op1", "notice.sent", "2"},
		{"POST /notice-templates/{lang}", form(op, "/notice-templates/en", url.Values{"reset": {"1"}}), "op1", "notice.template", "en"},
		{"POST /contacts/{site}", form(ana, "/contacts/board", url.Values{"contact": {"abuse@board.example"}}), "ana1", "site.contact", "board"},
		{"POST /cases", upload, "staff1", "case.register", "c3"},
		{"POST " + hashedPath, hashed, "staff1", "case.register", "c4"},
		{"POST /cases/{id}/withdraw", form(st, "/cases/c3/withdraw", url.Values{"confirm": {"c3"}}), "staff1", "case.withdraw", "c3"},
		{"POST /api/cases/{id}/withdraw", api(st, "/api/cases/c1/withdraw", `{"confirm":"c1"}`), "staff1", "case.withdraw", "c1"},
		{"POST /cases/{id}/move", form(adm, "/cases/mv/move", url.Values{"centre": {centres.National}, "to": {"busan"}, "confirm": {"mv"}}), "admin1", "case.move", "mv"},
		{"POST /api/cases/{id}/move", api(adm, "/api/cases/mv/move", `{"to":"national","confirm":"mv"}`), "admin1", "case.move", "mv"},
		{"POST /sites/{name}/pass", form(ana, "/sites/board/pass", nil), "ana1", "site.pass_now", "board"},
		{"POST /sites/{name}/pause", form(ana, "/sites/board/pause", nil), "ana1", "site.pause", "board"},
		{"POST /sites/{name}/resume", form(ana, "/sites/board/resume", nil), "ana1", "site.resume", "board"},
		{"POST /api/sites/{name}/pause", api(ana, "/api/sites/board/pause", ``), "ana1", "site.pause", "board"},
		{"POST /api/sites/{name}/resume", api(ana, "/api/sites/board/resume", ``), "ana1", "site.resume", "board"},
		{"POST /api/sites/{name}/pass", api(ana, "/api/sites/board/pass", ``), "ana1", "site.pass_now", "board"},
		{"POST /sites/new", form(ana, "/sites/new", url.Values{"name": {"forum"}, "seeds": {"http://forum.example/"}}), "ana1", "site.add", "forum"},
		{"POST /sites/{name}/edit", form(ana, "/sites/forum/edit", url.Values{"name": {"forum"}, "seeds": {"http://forum.example/"}, "interval": {"2h"}}), "ana1", "site.edit", "forum"},
		{"POST /sites/{name}/remove", form(adm, "/sites/forum/remove", nil), "admin1", "site.remove", "forum"},
		{"POST /sites/reload", form(ana, "/sites/reload", nil), "ana1", "sites.reload", sitesFile},
		{"POST /api/sites/reload", api(adm, "/api/sites/reload", ``), "admin1", "sites.reload", sitesFile},
		{"POST /users", form(adm, "/users", url.Values{"name": {"newbie"}, "role": {"staff"}, "password": {testPassword}}), "admin1", "user.add", "newbie"},
		{"POST /users/{name}", form(adm, "/users/newbie", url.Values{"role": {"operator"}}), "admin1", "user.update", "newbie"},
		{"POST /users/{name}/tokens", form(adm, "/users/newbie/tokens", url.Values{"label": {"x"}}), "admin1", "token.create", "newbie"},
		{"POST /tokens/{id}/revoke", form(adm, "/tokens/"+tok.ID+"/revoke", nil), "admin1", "token.revoke", "op1"},
		{"POST /reports", form(st, "/reports", url.Values{"urls": {fetched.URL + "/gone.jpg"}}), "staff1", "report.submit", "1"},
		{"POST /api/reports", api(op, "/api/reports", `{"urls":["`+fetched.URL+`/x.jpg"]}`), "op1", "report.submit", "2"},
		{"POST /cases/{id}/pin", form(st, "/cases/sp/pin", url.Values{"days": {"3"}}), "staff1", "case.pin_issue", "sp"},
		{"POST /api/cases/{id}/pin", issuePIN, "staff1", "case.pin_issue", "sp"},
		{"POST /api/submit", victim(selfSubmitPath, true), "self:sp", "case.register", "sp"},
		{"POST /api/submit/withdraw", victim(selfWithdrawPath, false), "self:sp", "case.withdraw", "sp"},
		{"POST /cases/{id}/pin/revoke", form(st, "/cases/sp/pin/revoke", nil), "staff1", "case.pin_revoke", "sp"},
		{"POST /centres/{id}/self-submit", form(adm, "/centres/"+centres.National+"/self-submit", url.Values{"state": {"off"}}), "admin1", "centre.self_submit", centres.National},
		// A partner's lookup changes nothing: it is counted per partner
		// and day, not audited (lookup.go).
		{"POST /api/lookup", nil, "", "", ""},
	}
	covered := map[string]bool{}
	for _, s := range steps {
		covered[s.route] = true
		if s.do == nil {
			continue
		}
		before, _ := e.db.Store.AuditLog(store.AuditFilter{Limit: 1})
		var from uint64
		if len(before) > 0 {
			from = before[0].Seq
		}
		resp := s.do()
		body := readAll(resp)
		if resp.StatusCode >= 400 && s.action != "login.failed" {
			t.Errorf("%s: %d %.300s", s.route, resp.StatusCode, body)
			continue
		}
		entries, _ := e.db.Store.AuditLog(store.AuditFilter{Limit: 50})
		found := false
		for _, en := range entries {
			if en.Seq > from && en.Action == s.action && en.Target == s.target && en.User == s.user {
				found = true
				if en.Remote != "127.0.0.1" || en.At.IsZero() {
					t.Errorf("%s: entry without where or when: %+v", s.route, en)
				}
			}
		}
		if !found {
			t.Errorf("%s: no audit entry %s %s by %q; new entries: %+v", s.route, s.action, s.target, s.user, entries[:min(len(entries), 3)])
		}
	}
	for _, rt := range e.srv.Routes() {
		if key := rt.Method + " " + rt.Path; rt.Method == "POST" && !covered[key] {
			t.Errorf("state-changing route %s has no audit step in this test", key)
		}
	}
	// The backup download, which changes nothing but hands out everything.
	resp := adm.get("/api/backup")
	readAll(resp)
	if log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "backup.download"}); resp.StatusCode != 200 || len(log) != 1 || log[0].User != "admin1" {
		t.Errorf("backup: %d audit %+v", resp.StatusCode, log)
	}
}

func TestANoticeRecipientIsOneValidContact(t *testing.T) {
	e := newEnv(t, nil)
	e.seedAlerts(1)
	op := e.login("op1")
	op.postForm("/alerts/1/confirm", nil, op.csrf).Body.Close()
	for _, to := range []string{"abuse@board.example\nBcc: victim@example.com", "javascript:alert(1)", "not an address"} {
		resp := op.postForm("/notices", url.Values{"site": {"board"}, "lang": {"en"}, "id": {"1"}, "to": {to}, "subject": {"s"}, "body": {"b"}}, op.csrf)
		if body := readAll(resp); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("to %q: %d %.200s", to, resp.StatusCode, body)
		}
	}
	if n, _ := e.db.Takedown.Notices(takedown.NoticeFilter{}); len(n) != 0 {
		t.Errorf("stored %d notices with a bad recipient", len(n))
	}
}

// pngDeclaring is a PNG whose header declares w×h pixels but whose data
// is a 1×1 image: a decompression bomb is refused on the declared size.
func pngDeclaring(t *testing.T, w, h uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// IHDR: 8-byte signature, 4-byte length, "IHDR", width, height, …, CRC.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestADecompressionBombIsRefusedPerFile(t *testing.T) {
	e := newEnv(t, nil)
	st := e.login("staff1")
	body, ctype := multipartUpload(t, st.csrf, "bomb", map[string][]byte{"bomb.png": pngDeclaring(t, 100000, 100000)})
	req, _ := http.NewRequest("POST", e.ts.URL+"/cases", body)
	req.Header.Set("Content-Type", ctype)
	resp := st.do(req)
	page := readAll(resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "bomb.png") {
		t.Fatalf("status %d: %.500s", resp.StatusCode, page)
	}
	if cases, _ := e.db.Index.Cases(); len(cases) != 0 {
		t.Errorf("a bomb registered a case: %+v", cases)
	}
}

func TestTooManyFilesInOneRegistrationAreRefused(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.UploadFiles = 2 })
	st := e.login("staff1")
	good := photo(t, testPhoto)
	body, ctype := multipartUpload(t, st.csrf, "many", map[string][]byte{"a.jpg": good, "b.jpg": good, "c.jpg": good})
	req, _ := http.NewRequest("POST", e.ts.URL+"/cases", body)
	req.Header.Set("Content-Type", ctype)
	resp := st.do(req)
	if page := readAll(resp); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d: %.300s", resp.StatusCode, page)
	}
	if cases, _ := e.db.Index.Cases(); len(cases) != 0 {
		t.Errorf("a refused upload registered: %+v", cases)
	}
}

func TestADraftNoticeTakesOnlyConfirmedAlerts(t *testing.T) {
	e := newEnv(t, nil)
	e.seedAlerts(2)
	op := e.login("op1")
	op.postForm("/alerts/1/dismiss", url.Values{"reason": {"not her"}}, op.csrf).Body.Close()
	resp := op.postForm("/notices/draft", url.Values{"site": {"board"}, "lang": {"en"}, "id": {"1"}}, op.csrf)
	if body := readAll(resp); resp.StatusCode != http.StatusConflict {
		t.Errorf("a draft of a dismissed alert: %d %.200s", resp.StatusCode, body)
	}
	resp = op.postForm("/notices/draft", url.Values{"site": {"board"}, "lang": {"en"}, "id": {"2"}}, op.csrf)
	if body := readAll(resp); resp.StatusCode != http.StatusConflict {
		t.Errorf("a draft of a new (unreviewed) alert: %d %.200s", resp.StatusCode, body)
	}
}

func TestConcurrentDecisionsOnOneAlertDecideOnce(t *testing.T) {
	e := newEnv(t, nil)
	e.seedAlerts(1)
	ops := []*client{e.login("op1"), e.login("op1"), e.login("op1"), e.login("op1")}
	codes := make(chan int, len(ops))
	start := make(chan struct{})
	for _, c := range ops {
		go func() {
			<-start
			resp, err := c.http.Do(mustForm(e.ts.URL+"/alerts/1/confirm", c.csrf))
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	close(start)
	won := 0
	for range ops {
		switch code := <-codes; code {
		case http.StatusSeeOther:
			won++
		case http.StatusConflict:
		default:
			t.Errorf("status %d", code)
		}
	}
	if log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "alert.confirm"}); won != 1 || len(log) != 1 {
		t.Errorf("%d confirmations succeeded, %d audited; want 1", won, len(log))
	}
}

func mustForm(u, csrf string) *http.Request {
	req, _ := http.NewRequest("POST", u, strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
