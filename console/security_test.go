package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/hashing"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

func TestFormsWithoutTheSessionsCSRFTokenAreRefused(t *testing.T) {
	e := newEnv(t, nil)
	e.seedAlerts(1)
	op := e.login("op1")
	// A wrong token differs from the session's in its first character
	// (always: a token that already starts with x gets a y).
	wrong := "x" + op.csrf[1:]
	if wrong == op.csrf {
		wrong = "y" + op.csrf[1:]
	}
	for _, tc := range []struct{ name, csrf string }{{"no token", ""}, {"a wrong token", wrong}} {
		t.Run(tc.name, func(t *testing.T) {
			resp := op.postForm("/alerts/1/confirm", nil, tc.csrf)
			if body := readAll(resp); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if a, _ := e.db.Alerts.Alert(1); a.Status != alerts.StatusNew {
				t.Fatalf("alert became %s", a.Status)
			}
		})
	}
	t.Run("an API call from a session needs the token in X-CSRF-Token", func(t *testing.T) {
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/alerts/1/confirm", nil)
		if resp := op.do(req); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("an API token needs no CSRF token", func(t *testing.T) {
		secret, _, err := e.db.Accounts.CreateToken(context.Background(), "op1", "script", store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/alerts/1/confirm", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp := e.anon().do(req)
		if body := readAll(resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		if a, _ := e.db.Alerts.Alert(1); a.Status != alerts.StatusConfirmed {
			t.Fatalf("alert is %s", a.Status)
		}
	})
	t.Run("an API token does not open pages", func(t *testing.T) {
		secret, _, _ := e.db.Accounts.CreateToken(context.Background(), "op1", "script", store.Actor{})
		req, _ := http.NewRequest("GET", e.ts.URL+"/alerts", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		if resp := e.anon().do(req); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d, want a redirect to the login page", resp.StatusCode)
		}
	})
	t.Run("the login form has its own token", func(t *testing.T) {
		c := e.anon()
		resp := c.postForm("/login", url.Values{"name": {"op1"}, "password": {testPassword}}, "")
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
}

func TestLoginIsRateLimited(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	e := newEnv(t, func(c *Config) {
		c.Now = clock
		c.Limits = Limits{LoginFailuresPerUser: 3, LoginFailuresPerIP: 6, LoginWindow: 10 * time.Minute}
	})
	try := func(name, pw string) int {
		c := e.anon()
		resp := c.postForm("/login", url.Values{"name": {name}, "password": {pw}}, c.loginCSRF())
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 3 {
		if got := try("op1", "wrong password!"); got != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i+1, got)
		}
	}
	if got := try("op1", testPassword); got != http.StatusTooManyRequests {
		t.Fatalf("after 3 failures the right password got %d, want 429", got)
	}
	if got := try("staff1", testPassword); got != http.StatusSeeOther {
		t.Fatalf("another user from the same address: %d", got)
	}
	for range 3 {
		try("nobody", "wrong password!")
	}
	if got := try("ana1", testPassword); got != http.StatusTooManyRequests {
		t.Fatalf("after 6 failures from one address: %d, want 429", got)
	}
	now = now.Add(11 * time.Minute)
	if got := try("op1", testPassword); got != http.StatusSeeOther {
		t.Fatalf("after the window: %d", got)
	}
	if log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "login.failed"}); len(log) != 6 {
		t.Errorf("%d failed logins audited, want 6", len(log))
	}
}

func TestMalformedInputGets4xxWithAMessage(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.FormBytes = 4 << 10 })
	e.seedAlerts(2)
	op, st, adm := e.login("op1"), e.login("staff1"), e.login("admin1")
	big := strings.Repeat("x", 8<<10)
	cases := []struct {
		name   string
		c      *client
		method string
		path   string
		body   string
		ctype  string
		want   int
	}{
		{"a non-numeric alert ID", op, "GET", "/alerts/abc", "", "", 400},
		{"an unknown alert", op, "GET", "/alerts/99999", "", "", 404},
		{"an unknown status", op, "GET", "/alerts?status=bogus", "", "", 400},
		{"a negative page", op, "GET", "/alerts?page=-1", "", "", 400},
		{"a huge page size", op, "GET", "/api/alerts?per_page=100000", "", "", 400},
		{"a malformed date", op, "GET", "/alerts?from=yesterday", "", "", 400},
		{"an unknown sort", op, "GET", "/api/alerts?sort=random", "", "", 400},
		{"JSON that does not parse", op, "POST", "/api/alerts/1/dismiss", "{reason:", "application/json", 400},
		{"JSON with unknown fields", op, "POST", "/api/alerts/1/dismiss", `{"reason":"dup","evil":1}`, "application/json", 400},
		{"a dismissal without reason", op, "POST", "/api/alerts/1/dismiss", `{}`, "application/json", 400},
		{"a body over the limit", op, "POST", "/api/alerts/1/dismiss", `{"reason":"` + big + `"}`, "application/json", 413},
		{"a form over the limit", op, "POST", "/alerts/1/dismiss", "reason=" + big, "application/x-www-form-urlencoded", 413},
		{"a bulk action with bad IDs", op, "POST", "/api/alerts/bulk", `{"action":"confirm","ids":[]}`, "application/json", 400},
		{"an unknown bulk action", op, "POST", "/api/alerts/bulk", `{"action":"delete","ids":[1]}`, "application/json", 400},
		{"a preview before the reveal", op, "GET", "/alerts/1/preview", "", "", 409},
		{"a registration that is not multipart", st, "POST", "/cases", "case=x", "application/x-www-form-urlencoded", 400},
		{"a truncated multipart body", st, "POST", "/cases", "--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n", "multipart/form-data; boundary=b", 403},
		{"a withdrawal not confirmed", st, "POST", "/api/cases/c1/withdraw", `{"confirm":"c2"}`, "application/json", 400},
		{"a withdrawal of an unknown case", st, "POST", "/api/cases/nosuch/withdraw", `{"confirm":"nosuch"}`, "application/json", 404},
		{"an audit page cursor that is no number", adm, "GET", "/audit?before=x", "", "", 400},
		{"a new user with a short password", adm, "POST", "/users", "name=x&role=staff&password=short", "application/x-www-form-urlencoded", 400},
		{"a new user with an unknown role", adm, "POST", "/users", "name=x&role=god&password=long+enough+pw", "application/x-www-form-urlencoded", 400},
		{"a token of an unknown user", adm, "POST", "/users/nosuch/tokens", "", "application/x-www-form-urlencoded", 404},
		{"an unknown route", op, "GET", "/nosuch", "", "", 404},
		{"a wrong method", op, "DELETE", "/alerts/1", "", "", 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body *strings.Reader
			if tc.ctype == "application/x-www-form-urlencoded" {
				v, _ := url.ParseQuery(tc.body)
				v.Set("csrf", tc.c.csrf)
				body = strings.NewReader(v.Encode())
			} else {
				body = strings.NewReader(tc.body)
			}
			req, _ := http.NewRequest(tc.method, e.ts.URL+tc.path, body)
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			req.Header.Set("X-CSRF-Token", tc.c.csrf)
			resp := tc.c.do(req)
			got := readAll(resp)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, got)
			}
			if strings.Contains(got, "goroutine") || strings.Contains(got, ".go:") {
				t.Fatalf("the answer leaks internals: %s", got)
			}
			if len(strings.TrimSpace(got)) == 0 {
				t.Fatalf("no message")
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, nil)
	e.seedAlerts(1)
	resp := e.login("op1").get("/alerts/1")
	readAll(resp)
	h := resp.Header
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	c := e.anon()
	c.get("/login").Body.Close()
	resp = c.postForm("/login", url.Values{"name": {"op1"}, "password": {testPassword}}, c.loginCSRF())
	resp.Body.Close()
	var sc *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			sc = ck
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie %+v", sc)
	}
}

func TestSecureCookiesBehindAProxy(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SecureCookies = true })
	c := e.anon()
	resp := c.get("/login")
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if !ck.Secure {
			t.Errorf("cookie %s not Secure", ck.Name)
		}
	}
}

func TestRevealIsAuditedAndGatesThePreview(t *testing.T) {
	e := newEnv(t, nil)
	e.seedAlerts(1)
	op := e.login("op1")
	page := readAll(op.get("/alerts/1"))
	if strings.Contains(page, "/alerts/1/preview") {
		t.Fatal("the preview is linked before the reveal")
	}
	resp := op.postForm("/alerts/1/reveal", nil, op.csrf)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reveal: %d", resp.StatusCode)
	}
	if page := readAll(op.get("/alerts/1")); !strings.Contains(page, `src="/alerts/1/preview"`) {
		t.Fatal("the revealed preview is not shown")
	}
	resp = op.get("/alerts/1/preview")
	img := readAll(resp)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || !strings.HasPrefix(img, "\xff\xd8\xff") {
		t.Fatalf("preview: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	other := e.login("op1") // another session of the same user has not revealed it
	if resp := other.get("/alerts/1/preview"); resp.StatusCode != http.StatusConflict {
		t.Fatalf("another session: %d", resp.StatusCode)
	}
	log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "alert.reveal"})
	if len(log) != 1 || log[0].User != "op1" || log[0].Target != "1" || log[0].Remote != "127.0.0.1" {
		t.Fatalf("audit: %+v", log)
	}
}

func TestDecisionsAreAudited(t *testing.T) {
	e := newEnv(t, nil)
	e.seedAlerts(4)
	op := e.login("op1")
	check := func(resp *http.Response, want int) {
		t.Helper()
		if body := readAll(resp); resp.StatusCode != want {
			t.Fatalf("status %d, want %d: %s", resp.StatusCode, want, body)
		}
	}
	check(op.postForm("/alerts/1/confirm", nil, op.csrf), http.StatusSeeOther)
	check(op.postForm("/alerts/1/confirm", nil, op.csrf), http.StatusConflict) // already confirmed
	check(op.postForm("/alerts/2/dismiss", url.Values{"reason": {"not the same picture"}}, op.csrf), http.StatusSeeOther)
	check(op.postForm("/alerts/bulk", url.Values{"id": {"3", "4"}, "action": {"dismiss"}, "reason": {"duplicates"}}, op.csrf), http.StatusSeeOther)
	want := map[uint64]alerts.Status{1: alerts.StatusConfirmed, 2: alerts.StatusDismissed, 3: alerts.StatusDismissed, 4: alerts.StatusDismissed}
	for id, st := range want {
		if a, _ := e.db.Alerts.Alert(id); a.Status != st {
			t.Errorf("alert %d is %s, want %s", id, a.Status, st)
		}
	}
	log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "alert."})
	got := map[string]string{}
	for _, l := range log {
		if l.User != "op1" || l.Remote == "" {
			t.Errorf("entry without who or where: %+v", l)
		}
		got[l.Target] = l.Action + " " + l.Detail
	}
	for target, w := range map[string]string{"1": "alert.confirm ", "2": "alert.dismiss not the same picture", "3": "alert.dismiss duplicates", "4": "alert.dismiss duplicates"} {
		if got[target] != w {
			t.Errorf("alert %s: audit %q, want %q", target, got[target], w)
		}
	}
}

func TestQueueFiltersSortsAndCounts(t *testing.T) {
	e := newEnv(t, nil)
	e.seedAlerts(5)
	e.db.Alerts.DecideAlert(context.Background(), 2, alerts.StatusConfirmed, "", store.Actor{})
	op := e.login("op1")
	var got alertsJSON
	get := func(q string) {
		t.Helper()
		resp := op.get("/api/alerts?" + q)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", q, resp.StatusCode, readAll(resp))
		}
		got = alertsJSON{}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	ids := func() []uint64 {
		var out []uint64
		for _, a := range got.Alerts {
			out = append(out, a.ID)
		}
		return out
	}
	get("")
	if fmt.Sprint(ids()) != "[5 4 3 2 1]" || got.Counts[alerts.StatusNew] != 4 || got.Counts[alerts.StatusConfirmed] != 1 {
		t.Errorf("newest first: %v counts %v", ids(), got.Counts)
	}
	get("sort=confidence&status=new")
	if fmt.Sprint(ids()) != "[1 3 4 5]" {
		t.Errorf("confidence: %v", ids())
	}
	get("per_page=2&page=2")
	if fmt.Sprint(ids()) != "[3 2]" || got.Pages != 3 {
		t.Errorf("page 2: %v of %d", ids(), got.Pages)
	}
	get("site=other")
	if len(got.Alerts) != 0 {
		t.Errorf("site filter: %v", ids())
	}
	tomorrow := time.Now().In(loadZone("")).AddDate(0, 0, 1).Format("2006-01-02")
	get("from=" + tomorrow)
	if len(got.Alerts) != 0 {
		t.Errorf("date filter: %v", ids())
	}
}

// multipartUpload builds a registration form; csrfFirst puts the token
// first as the console requires.
func multipartUpload(t *testing.T, csrf, caseID string, files map[string][]byte) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("csrf", csrf)
	w.WriteField("case", caseID)
	w.WriteField("label", "browser upload")
	for name, data := range files {
		fw, err := w.CreateFormFile("files", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	w.Close()
	return &buf, w.FormDataContentType()
}

func TestBrowserRegistrationKeepsNothing(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where multipart parsing would spill files
	e := newEnv(t, func(c *Config) { c.Limits.Media.MaxBytes = 200 << 10 })
	st := e.login("staff1")
	good := photo(t, testPhoto)
	if len(good) > 200<<10 {
		t.Fatalf("test photo %d bytes is over the test limit", len(good))
	}
	body, ctype := multipartUpload(t, st.csrf, "case-9", map[string][]byte{
		"a.jpg":     good,
		"notes.txt": []byte("not an image"),
		// JPEG magic, so it is judged by its size, not refused by its
		// first bytes as non-media.
		"huge.jpg": append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte{0xff}, 300<<10)...),
	})
	req, _ := http.NewRequest("POST", e.ts.URL+"/cases", body)
	req.Header.Set("Content-Type", ctype)
	resp := st.do(req)
	page := readAll(resp)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, page)
	}
	cases, _ := e.db.Index.Cases()
	if len(cases) != 1 || cases[0].ID != "case-9" || cases[0].Fingerprints != 1 {
		t.Fatalf("cases %+v", cases)
	}
	for _, want := range []string{"unsupported", "over the size limit"} {
		if !strings.Contains(page, want) {
			t.Errorf("page does not report %q per file", want)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the upload left files in TMPDIR: %v", left)
	}
	if log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "case.register"}); len(log) != 1 || log[0].Target != "case-9" {
		t.Errorf("audit: %+v", log)
	}

	t.Run("without the CSRF token first nothing is read", func(t *testing.T) {
		body, ctype := multipartUpload(t, "wrong", "case-10", map[string][]byte{"a.jpg": good})
		req, _ := http.NewRequest("POST", e.ts.URL+"/cases", body)
		req.Header.Set("Content-Type", ctype)
		if resp := st.do(req); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("an upload over the total limit is refused", func(t *testing.T) {
		e2 := newEnv(t, func(c *Config) { c.Limits.UploadBytes = int64(len(good) / 2) })
		st := e2.login("staff1")
		body, ctype := multipartUpload(t, st.csrf, "case-11", map[string][]byte{"a.jpg": good})
		req, _ := http.NewRequest("POST", e2.ts.URL+"/cases", body)
		req.Header.Set("Content-Type", ctype)
		if resp := st.do(req); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d: %s", resp.StatusCode, readAll(resp))
		}
	})
	t.Run("withdrawing needs the case ID typed again, and is audited", func(t *testing.T) {
		resp := st.postForm("/cases/case-9/withdraw", url.Values{"confirm": {"case-x"}}, st.csrf)
		if resp.StatusCode != 400 {
			t.Fatalf("mismatch: %d", resp.StatusCode)
		}
		resp = st.postForm("/cases/case-9/withdraw", url.Values{"confirm": {"case-9"}}, st.csrf)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("withdraw: %d %s", resp.StatusCode, readAll(resp))
		}
		if log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "case.withdraw"}); len(log) != 1 || log[0].User != "staff1" {
			t.Errorf("audit: %+v", log)
		}
	})
}

func TestAVideoAlertShowsTheMatchedSeconds(t *testing.T) {
	e := newEnv(t, nil)
	seeded := e.seedAlerts(1)
	a := seeded[0]
	_, _, err := e.db.Alerts.RecordAlert(context.Background(), alerts.AlertInput{
		Site: "board", MediaSHA256: [32]byte{0xee},
		Match: index.Match{Fingerprint: a.Fingerprint, Case: "c1", Video: &index.VideoEvidence{QueryShare: 0.5, RegisteredShare: 0.25, Rate: 1, OffsetSeconds: 60,
			Frames: 12, Ranges: []index.VideoRange{{QueryStart: 5, QueryEnd: 17.5, RegisteredStart: 65, RegisteredEnd: 77.5}}}},
		Sighting: alerts.Sighting{PageURL: "http://board.example/v", MediaURL: "http://board.example/v.mp4"},
	})
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(e.login("op1").get("/alerts/2"))
	for _, want := range []string{"50% of the upload", "upload 0:05.0–0:17.5 = registered 1:05.0–1:17.5"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
}

// TestParallelWrongPasswordsAreCountedBeforeTheCheck sends 40 wrong
// passwords for one user at once: each is counted before bcrypt runs and
// one check per user runs at a time, so no more than the free failures are
// ever checked (before, all 40 were).
func TestParallelWrongPasswordsAreCountedBeforeTheCheck(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	e := newEnv(t, func(c *Config) {
		c.Now = func() time.Time { return now }
		c.Limits = Limits{LoginFailuresPerUser: 5, LoginFailuresPerIP: 1000}
	})
	type attempt struct {
		c    *client
		csrf string
	}
	var attempts []attempt
	for range 40 {
		c := e.anon()
		attempts = append(attempts, attempt{c, c.loginCSRF()})
	}
	codes := make(chan int, len(attempts))
	var wg sync.WaitGroup
	for _, a := range attempts {
		wg.Go(func() {
			resp := a.c.postForm("/login", url.Values{"name": {"admin1"}, "password": {"wrong password!"}}, a.csrf)
			resp.Body.Close()
			codes <- resp.StatusCode
		})
	}
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	if got[http.StatusUnauthorized] > 5 || got[http.StatusTooManyRequests] < 35 {
		t.Errorf("statuses %v: want at most 5 passwords checked (401) and the rest refused (429)", got)
	}
}

// TestFailedLoginsDelayRatherThanLockOut fails five times on purpose as
// admin1 from one address: the admin, from another address, waits the
// growing delay (seconds), not the 15-minute window.
func TestFailedLoginsDelayRatherThanLockOut(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	e := newEnv(t, func(c *Config) {
		c.Now = func() time.Time { return now }
		c.Limits = Limits{LoginFailuresPerUser: 5}
	})
	try := func(pw string) int {
		c := e.anon()
		resp := c.postForm("/login", url.Values{"name": {"admin1"}, "password": {pw}}, c.loginCSRF())
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 5 {
		if got := try("wrong password!"); got != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i+1, got)
		}
	}
	if got := try(testPassword); got != http.StatusTooManyRequests {
		t.Fatalf("right after 5 failures: %d, want 429 (wait the first delay)", got)
	}
	now = now.Add(2 * time.Second)
	if got := try(testPassword); got != http.StatusSeeOther {
		t.Fatalf("2 s after 5 failures the right password got %d, want in: a delay, not a lock-out", got)
	}
	// The delays grow: eight failures after that success (which forgave
	// the earlier ones), the next attempt waits 8 s.
	for range 8 {
		now = now.Add(time.Minute)
		try("wrong password!")
	}
	now = now.Add(2 * time.Second)
	if got := try(testPassword); got != http.StatusTooManyRequests {
		t.Errorf("2 s after 8 failures: %d, want 429 (the delay has grown)", got)
	}
	now = now.Add(31 * time.Second)
	if got := try(testPassword); got != http.StatusSeeOther {
		t.Errorf("after the 30-s cap: %d, want in", got)
	}
}

// TestASlowFormBodyIsCutShort opens a login POST that promises a body and
// never sends it: the server gives up after the form read time instead of
// holding the connection for the upload timeout.
func TestASlowFormBodyIsCutShort(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Limits.FormReadTime = 200 * time.Millisecond })
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nname=")
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	_, err = conn.Read(buf) // a response or the connection closed
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("no answer after %v to a body that never came; want the server to give up after 200ms", time.Since(start))
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the server held a stalled form body for %v", d)
	}
}

// TestAnUploadThatIsNotMediaIsRefusedFromItsFirstBytes uploads 20 MB that
// are no picture or video: the file is refused from its first bytes and
// never buffered (before, the whole file was read into memory first).
func TestAnUploadThatIsNotMediaIsRefusedFromItsFirstBytes(t *testing.T) {
	e := newEnv(t, nil)
	st := e.login("staff1")
	upload := func(caseID string, files map[string][]byte) (int, string, uint64) {
		body, ctype := multipartUpload(t, st.csrf, caseID, files)
		req, _ := http.NewRequest("POST", e.ts.URL+"/cases", body)
		req.Header.Set("Content-Type", ctype)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		resp := st.do(req)
		page := readAll(resp)
		runtime.ReadMemStats(&after)
		return resp.StatusCode, page, after.TotalAlloc - before.TotalAlloc
	}
	photo := fixtures.Known()[2].Data
	_, _, base := upload("case-photo", map[string][]byte{"a.jpg": photo})
	junk := bytes.Repeat([]byte("not a picture "), 20<<20/14)
	status, page, grew := upload("case-junk", map[string][]byte{"junk.jpg": junk, "a.jpg": photo})
	if status != http.StatusOK || !strings.Contains(page, "not a picture or video") {
		t.Errorf("status %d; want 200 with the junk refused as not a picture or video", status)
	}
	if grew > base+6<<20 {
		t.Errorf("the upload allocated %d MiB, the photo alone %d MiB: the 20 MB that are not media were buffered", grew>>20, base>>20)
	}
}

func TestAPITokenScopesExpiryAndAudit(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	e := newEnv(t, func(c *Config) { c.Now = func() time.Time { return now } })
	e.seedAlerts(2)
	ctx := context.Background()
	call := func(secret, method, path string) int {
		req, _ := http.NewRequest(method, e.ts.URL+path, strings.NewReader(`{"reason":"test"}`))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		resp := e.anon().do(req)
		readAll(resp)
		return resp.StatusCode
	}
	token := func(user string, o accounts.TokenOptions) (string, accounts.Token) {
		t.Helper()
		secret, tok, err := e.db.Accounts.CreateTokenWith(ctx, user, "test", o, store.Actor{User: "admin1"})
		if err != nil {
			t.Fatal(err)
		}
		return secret, tok
	}
	t.Run("a read-only token reads and changes nothing", func(t *testing.T) {
		secret, _ := token("op1", accounts.TokenOptions{Scope: accounts.ScopeRead})
		if got := call(secret, "GET", "/api/alerts"); got != http.StatusOK {
			t.Errorf("GET /api/alerts: %d", got)
		}
		if got := call(secret, "POST", "/api/alerts/1/confirm"); got != http.StatusForbidden {
			t.Errorf("POST confirm with a read token: %d, want 403", got)
		}
	})
	t.Run("a report-only token reaches only reported URLs", func(t *testing.T) {
		secret, _ := token("staff1", accounts.TokenOptions{Scope: accounts.ScopeReport})
		if got := call(secret, "GET", "/api/reports"); got != http.StatusOK {
			t.Errorf("GET /api/reports: %d", got)
		}
		if got := call(secret, "GET", "/api/cases"); got != http.StatusForbidden {
			t.Errorf("GET /api/cases with a report token: %d, want 403", got)
		}
	})
	t.Run("a scope above the owner's role is refused", func(t *testing.T) {
		if _, _, err := e.db.Accounts.CreateTokenWith(ctx, "staff1", "x", accounts.TokenOptions{Scope: accounts.ScopeOperator}, store.Actor{}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("an operator token for staff: %v, want ErrInvalid", err)
		}
	})
	t.Run("the audit log names the token a change was made with", func(t *testing.T) {
		secret, tok := token("op1", accounts.TokenOptions{})
		if got := call(secret, "POST", "/api/alerts/2/confirm"); got != http.StatusOK {
			t.Fatalf("confirm: %d", got)
		}
		log, err := e.db.Store.AuditLog(store.AuditFilter{Action: "alert.confirm"})
		if err != nil || len(log) != 1 || log[0].User != "op1" || log[0].Token != tok.ID {
			t.Errorf("audit %+v (%v), want op1 with token %s", log, err, tok.ID)
		}
	})
	t.Run("an admin's own password needs the current one", func(t *testing.T) {
		adm := e.login("admin1")
		resp := adm.postForm("/users/admin1", url.Values{"password": {"a brand new password"}}, adm.csrf)
		readAll(resp)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("admin set their own password without the current one: %d", resp.StatusCode)
		}
		if _, err := e.db.Accounts.Authenticate(ctx, "admin1", testPassword); err != nil {
			t.Errorf("the old password no longer works: %v", err)
		}
	})
}

// TestAFormHandlerMayOutlastTheFormReadTime submits a reported URL whose
// server answers after several form read times: the body deadline must
// not cancel the check (net/http cancels a request whose connection read
// times out).
func TestAFormHandlerMayOutlastTheFormReadTime(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(500 * time.Millisecond):
		case <-r.Context().Done():
		}
		http.NotFound(w, r)
	}))
	defer slow.Close()
	e := newEnv(t, func(c *Config) {
		c.Limits.FormReadTime = 100 * time.Millisecond
		c.Inspector = &crawler.Inspector{DB: c.DB, Rule: hashing.DefaultRule(), AllowPrivate: true}
	})
	st := e.login("staff1")
	resp := st.postForm("/reports", url.Values{"urls": {slow.URL + "/gone.jpg"}}, st.csrf)
	readAll(resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	reps, err := e.db.Alerts.URLReports(alerts.URLReportFilter{})
	if err != nil || len(reps) != 1 || len(reps[0].URLs) != 1 {
		t.Fatalf("reports %+v (%v)", reps, err)
	}
	if o := reps[0].URLs[0]; strings.Contains(o.Error, "interrupted") || o.State == alerts.ReportPending {
		t.Errorf("the check was cut short: %+v", o)
	}
}
