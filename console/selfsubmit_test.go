package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

var submitForm = regexp.MustCompile(`data-csrf="([^"]+)"`)

// openSubmit opens /submit as an anonymous visitor and learns the form
// token the page set in its cookie.
func openSubmit(t *testing.T, e *env) *client {
	t.Helper()
	c := e.anon()
	resp := c.get("/submit")
	page := readAll(resp)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /submit: %d %s", resp.StatusCode, page)
	}
	m := submitForm.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form token on /submit: %s", page)
	}
	c.csrf = m[1]
	return c
}

// postSelf posts body as JSON to path with the form token (none if "").
func postSelf(c *client, path, token string, body any) (int, string) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.e.ts.URL+path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept-Language", "en")
	if token != "" {
		req.Header.Set("X-CSRF-Token", token)
	}
	resp := c.do(req)
	return resp.StatusCode, readAll(resp)
}

// TestSelfSubmission walks a victim's self-submission through the HTTP
// routes: refused while the centre has it off, then with a PIN issued by
// staff (shown once, stored only hashed) fingerprints are added to the
// case as a browser registration's are, re-checked the same way, audited
// as self:<case>; a wrong PIN, a locked PIN, an expired PIN and a missing
// form token are refused; and the same case number and PIN withdraw the
// case.
func TestSelfSubmission(t *testing.T) {
	ctx := context.Background()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).Unix())
	now := func() time.Time { return time.Unix(clock.Load(), 0) }
	e := newEnvWith(t, store.Options{Now: now}, func(c *Config) {
		c.Now = now
		c.Limits.SelfSubmitPerHour = 3
		c.Limits.LoginFailuresPerIP = 4
		c.Limits.HashedBytes = 256 << 10
	})
	h := hashing.NewHasher(hashing.Limits{})
	fp, err := h.Image(ctx, photo(t, testPhoto), hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	good := hashing.Send(fp)
	files := []hashedFileJSON{{Name: "me.jpg", Fingerprint: good}}
	staff := e.login("staff1")
	if _, err := e.db.Index.RegisterIn(ctx, centres.National, "v-1", "victim V", []index.Registration{{Source: "staff.jpg", Print: fp}}, store.Actor{User: "staff1"}); err != nil {
		t.Fatal(err)
	}

	t.Run("while the centre has it off, the page, the routes and PINs are refused", func(t *testing.T) {
		if resp := e.anon().get("/submit"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /submit: %d, want 404", resp.StatusCode)
		}
		resp := staff.postForm("/cases/v-1/pin", nil, staff.csrf)
		if body := readAll(resp); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "has not turned on self-submission") {
			t.Errorf("issue a PIN: %d %s", resp.StatusCode, body)
		}
		// A visitor with a form token from another centre's page.
		if _, err := e.db.Centres.Add(ctx, "busan", "Busan", store.Actor{}); err != nil {
			t.Fatal(err)
		}
		if err := e.db.Centres.SetSelfSubmit(ctx, "busan", true, store.Actor{}); err != nil {
			t.Fatal(err)
		}
		c := openSubmit(t, e)
		for _, path := range []string{selfSubmitPath, selfWithdrawPath} {
			body := selfJSON{Centre: centres.National, Case: "v-1", PIN: "AAAA-AAAA"}
			if path == selfSubmitPath {
				body.Files = files
			}
			if status, out := postSelf(c, path, c.csrf, body); status != http.StatusNotFound || !strings.Contains(out, "does not take self-submissions") {
				t.Errorf("POST %s: %d %s", path, status, out)
			}
		}
	})

	if err := e.db.Centres.SetSelfSubmit(ctx, centres.National, true, store.Actor{User: "admin1"}); err != nil {
		t.Fatal(err)
	}
	resp := staff.postForm("/cases/v-1/pin", url.Values{"days": {"3"}}, staff.csrf)
	page := readAll(resp)
	m := regexp.MustCompile(`PIN for case v-1: ([A-Z2-9]{4}-[A-Z2-9]{4}) \(valid until`).FindStringSubmatch(page)
	if resp.StatusCode != 200 || m == nil {
		t.Fatalf("issue a PIN: %d %s", resp.StatusCode, page)
	}
	pin := m[1]
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the page showing the PIN may be cached: Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	if again := readAll(staff.get("/cases")); strings.Contains(again, pin) {
		t.Error("the PIN is shown again on the cases page")
	}
	if log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "case.pin_issue"}); len(log) != 1 || log[0].User != "staff1" || strings.Contains(log[0].Detail, pin) {
		t.Errorf("audit of the issue: %+v", log)
	}

	c := openSubmit(t, e)
	t.Run("the page speaks Korean, and English when asked, and has no upload", func(t *testing.T) {
		for lang, want := range map[string]string{"": "내 사진의 지문 직접 등록", "?lang=en": "Register fingerprints of your pictures yourself"} {
			page := readAll(e.anon().get("/submit" + lang))
			if !strings.Contains(page, want) {
				t.Errorf("/submit%s lacks %q", lang, want)
			}
			if strings.Contains(page, "multipart/form-data") || strings.Contains(page, `action="/cases"`) {
				t.Errorf("/submit%s has an upload form", lang)
			}
		}
	})
	t.Run("a body over the limit is refused before anything is checked", func(t *testing.T) {
		big := selfJSON{Centre: centres.National, Case: "v-1", PIN: strings.Repeat(" ", 300<<10), Files: files}
		if status, out := postSelf(c, selfSubmitPath, c.csrf, big); status != http.StatusRequestEntityTooLarge {
			t.Errorf("%d %s", status, out)
		}
	})
	t.Run("without the page's form token nothing is read", func(t *testing.T) {
		for _, token := range []string{"", "forged"} {
			if status, _ := postSelf(c, selfSubmitPath, token, selfJSON{Centre: centres.National, Case: "v-1", PIN: pin, Files: files}); status != http.StatusForbidden {
				t.Errorf("token %q: %d, want 403", token, status)
			}
		}
	})
	t.Run("the right PIN adds the fingerprints, re-checked, audited as self", func(t *testing.T) {
		short := good
		short.Views = good.Views[:len(good.Views)-1]
		if status, out := postSelf(c, selfSubmitPath, c.csrf, selfJSON{Centre: centres.National, Case: "v-1", PIN: pin, Files: []hashedFileJSON{{Name: "x.jpg", Fingerprint: short}}}); status != 400 {
			t.Errorf("a fingerprint of the wrong shape: %d %s", status, out)
		}
		status, out := postSelf(c, selfSubmitPath, c.csrf, selfJSON{Centre: centres.National, Case: "v-1", PIN: strings.ToLower(pin), Files: files})
		if status != 200 || !strings.Contains(out, `"registered":1`) {
			t.Fatalf("submit: %d %s", status, out)
		}
		fps, err := e.db.Index.Fingerprints("v-1")
		if err != nil || len(fps) != 2 {
			t.Fatalf("case v-1 has %d fingerprints (%v), want 2", len(fps), err)
		}
		log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "case.register", User: "self:v-1"})
		if len(log) != 1 || !strings.Contains(log[0].Detail, "the media never reached the server") || log[0].Centre != centres.National {
			t.Errorf("audit: %+v", log)
		}
	})
	t.Run("fingerprints are rate-limited per case", func(t *testing.T) {
		two := []hashedFileJSON{files[0], files[0]}
		status, out := postSelf(c, selfSubmitPath, c.csrf, selfJSON{Centre: centres.National, Case: "v-1", PIN: pin, Files: two})
		if status != 200 {
			t.Fatalf("within the rate: %d %s", status, out)
		}
		if status, out := postSelf(c, selfSubmitPath, c.csrf, selfJSON{Centre: centres.National, Case: "v-1", PIN: pin, Files: files}); status != http.StatusTooManyRequests {
			t.Errorf("over %d an hour: %d %s", 3, status, out)
		}
		clock.Add(3600)
	})
	t.Run("a wrong PIN is refused and audited; an unknown case answers the same", func(t *testing.T) {
		status, out := postSelf(c, selfSubmitPath, c.csrf, selfJSON{Centre: centres.National, Case: "v-1", PIN: "WRNG-WRNG", Files: files})
		if status != http.StatusUnauthorized || !strings.Contains(out, "Wrong case number or PIN") {
			t.Errorf("wrong PIN: %d %s", status, out)
		}
		if status2, out2 := postSelf(c, selfSubmitPath, c.csrf, selfJSON{Centre: centres.National, Case: "nope", PIN: pin, Files: files}); status2 != status || out2 != out {
			t.Errorf("unknown case: %d %s, want what a wrong PIN gets", status2, out2)
		}
		if log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "case.pin_failed"}); len(log) != 1 || log[0].User != "self:v-1" {
			t.Errorf("audit: %+v", log)
		}
		clock.Add(3600) // past the login window: the address may guess again
	})
	t.Run("the PIN expires", func(t *testing.T) {
		clock.Add(3 * 24 * 3600)
		status, out := postSelf(c, selfWithdrawPath, c.csrf, selfJSON{Centre: centres.National, Case: "v-1", PIN: pin})
		if status != http.StatusUnauthorized || !strings.Contains(out, "expired") {
			t.Errorf("expired: %d %s", status, out)
		}
	})

	// newPIN has staff issue the case a new PIN (logging in again: the
	// test's clock outruns sessions).
	newPIN := func() string {
		t.Helper()
		st := e.login("staff1")
		m := regexp.MustCompile(`PIN for case v-1: ([A-Z2-9]{4}-[A-Z2-9]{4})`).FindStringSubmatch(readAll(st.postForm("/cases/v-1/pin", nil, st.csrf)))
		if m == nil {
			t.Fatal("no PIN issued")
		}
		return m[1]
	}
	// A new PIN, then guesses until it locks.
	pin = newPIN()
	t.Run("wrong PINs lock the PIN, even from many addresses", func(t *testing.T) {
		var last int
		var out string
		for i := 0; i < index.MaxPINFailures; i++ {
			clock.Add(3600) // each guess outside the window of the last: only the database's count stops them
			last, out = postSelf(c, selfSubmitPath, c.csrf, selfJSON{Centre: centres.National, Case: "v-1", PIN: "WRNG-WRNG", Files: files})
		}
		if last != http.StatusLocked || !strings.Contains(out, "locked") {
			t.Errorf("guess %d: %d %s", index.MaxPINFailures, last, out)
		}
		clock.Add(3600)
		if status, out := postSelf(c, selfSubmitPath, c.csrf, selfJSON{Centre: centres.National, Case: "v-1", PIN: pin, Files: files}); status != http.StatusLocked {
			t.Errorf("the right PIN after the lock: %d %s", status, out)
		}
	})
	t.Run("quick wrong PINs from one address are slowed, whichever cases they try", func(t *testing.T) {
		clock.Add(3600) // past the window of the earlier failures
		var statuses []int
		for i := 0; i <= 4; i++ {
			s, _ := postSelf(c, selfSubmitPath, c.csrf, selfJSON{Centre: centres.National, Case: fmt.Sprintf("guess-%d", i), PIN: "WRNG-WRNG", Files: files})
			statuses = append(statuses, s)
		}
		if want := []int{401, 401, 401, 401, 429}; !slices.Equal(statuses, want) {
			t.Errorf("statuses %v, want %v", statuses, want)
		}
		clock.Add(3600)
	})
	t.Run("the case number and PIN withdraw the whole case", func(t *testing.T) {
		pin = newPIN()
		status, out := postSelf(c, selfWithdrawPath, c.csrf, selfJSON{Centre: centres.National, Case: "v-1", PIN: pin})
		if status != 200 || !strings.Contains(out, `"fingerprints_deleted":4`) {
			t.Fatalf("withdraw: %d %s", status, out)
		}
		if fps, _ := e.db.Index.Fingerprints("v-1"); len(fps) != 0 {
			t.Errorf("%d fingerprints left", len(fps))
		}
		if log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "case.withdraw"}); len(log) != 1 || log[0].User != "self:v-1" {
			t.Errorf("audit: %+v", log)
		}
		if status, _ := postSelf(c, selfSubmitPath, c.csrf, selfJSON{Centre: centres.National, Case: "v-1", PIN: pin, Files: files}); status != http.StatusUnauthorized {
			t.Errorf("submitting to the withdrawn case: %d", status)
		}
	})
}

// TestSelfSubmissionSettingAndPINRevocationFromTheConsole turns a
// centre's self-submission on and off from the users page (its own
// admins, or a national admin for any centre; a regional admin cannot
// reach another centre's) and revokes a case's PIN from the cases page,
// after which the PIN opens nothing; both audited as the command line's
// are.
func TestSelfSubmissionSettingAndPINRevocationFromTheConsole(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	for _, c := range []string{"busan", "daegu"} {
		if _, err := e.db.Centres.Add(ctx, c, c+" centre", store.Actor{User: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.db.Accounts.AddUser(ctx, accounts.NewUser{Name: "busan-admin", Role: accounts.RoleAdmin, Centre: "busan", Password: testPassword, Language: "en"}, store.Actor{User: "test"}); err != nil {
		t.Fatal(err)
	}
	national, regional := e.login("admin1"), e.login("busan-admin")
	setting := func(id string) bool {
		t.Helper()
		c, err := e.db.Centres.Centre(id)
		if err != nil {
			t.Fatal(err)
		}
		return c.SelfSubmit
	}

	t.Run("the users page offers each admin their centres' setting", func(t *testing.T) {
		page := readAll(regional.get("/users"))
		if !strings.Contains(page, `action="/centres/busan/self-submit"`) || strings.Contains(page, "/centres/daegu/") || strings.Contains(page, "/centres/"+centres.National+"/") {
			t.Errorf("a regional admin's users page should offer only their centre's setting: %s", page)
		}
		page = readAll(national.get("/users"))
		for _, c := range []string{"busan", "daegu", centres.National} {
			if !strings.Contains(page, `action="/centres/`+c+`/self-submit"`) {
				t.Errorf("a national admin's users page lacks %s's setting", c)
			}
		}
	})

	for _, st := range []struct {
		name   string
		who    *client
		centre string
		state  string
		status int
		want   bool // the setting afterwards
	}{
		{"a regional admin turns their centre on", regional, "busan", "on", http.StatusSeeOther, true},
		{"a regional admin cannot reach another centre", regional, "daegu", "on", http.StatusNotFound, false},
		{"a regional admin cannot reach the national centre", regional, centres.National, "on", http.StatusNotFound, false},
		{"a national admin turns any centre on", national, "daegu", "on", http.StatusSeeOther, true},
		{"a national admin turns it off again", national, "busan", "off", http.StatusSeeOther, false},
		{"a state other than on or off is refused", national, "daegu", "yes", http.StatusBadRequest, true},
		{"an unknown centre is not there", national, "nosuch", "on", http.StatusNotFound, false},
	} {
		t.Run(st.name, func(t *testing.T) {
			resp := st.who.postForm("/centres/"+st.centre+"/self-submit", url.Values{"state": {st.state}}, st.who.csrf)
			body := readAll(resp)
			if resp.StatusCode != st.status {
				t.Fatalf("%d, want %d: %s", resp.StatusCode, st.status, body)
			}
			if st.centre != "nosuch" && setting(st.centre) != st.want {
				t.Errorf("setting of %s: %v, want %v", st.centre, setting(st.centre), st.want)
			}
			if st.status == http.StatusSeeOther {
				if loc := resp.Header.Get("Location"); loc != "/users?done=self_submit_"+st.state {
					t.Errorf("redirect to %q", loc)
				}
				log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "centre.self_submit", Limit: 1})
				if len(log) != 1 || log[0].Target != st.centre || log[0].Detail != st.state {
					t.Errorf("audit: %+v", log)
				}
			}
		})
	}
	if page := readAll(national.get("/users?done=self_submit_on")); !strings.Contains(page, "Self-submission by victims is on.") {
		t.Error("the users page does not say the setting changed")
	}

	t.Run("staff revoke a case's PIN and it opens nothing", func(t *testing.T) {
		if err := e.db.Centres.SetSelfSubmit(ctx, centres.National, true, store.Actor{User: "test"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Index.RegisterIn(ctx, centres.National, "rv", "", nil, store.Actor{User: "test"}); err != nil {
			t.Fatal(err)
		}
		staff := e.login("staff1")
		if page := readAll(staff.get("/cases")); strings.Contains(page, `/cases/rv/pin/revoke`) {
			t.Error("a revoke button for a case without a PIN")
		}
		pin, _, err := e.db.Index.IssuePIN(ctx, centres.National, "rv", 0, store.Actor{User: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if page := readAll(staff.get("/cases")); !strings.Contains(page, `/cases/rv/pin/revoke`) {
			t.Error("no revoke button for a case with a PIN")
		}
		// Another centre's staff: the case is not there for them.
		if _, err := e.db.Accounts.AddUser(ctx, accounts.NewUser{Name: "busan-staff", Role: accounts.RoleStaff, Centre: "busan", Password: testPassword}, store.Actor{User: "test"}); err != nil {
			t.Fatal(err)
		}
		other := e.login("busan-staff")
		if resp := other.postForm("/cases/rv/pin/revoke", nil, other.csrf); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another centre's staff revoking: %d, want 404", resp.StatusCode)
		}
		if err := e.db.Index.CheckPIN(ctx, centres.National, "rv", pin, store.Actor{User: "test"}); err != nil {
			t.Fatalf("the PIN stopped working before it was revoked: %v", err)
		}
		resp := staff.postForm("/cases/rv/pin/revoke", nil, staff.csrf)
		readAll(resp)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/cases?done=pin_revoked" {
			t.Fatalf("revoke: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if err := e.db.Index.CheckPIN(ctx, centres.National, "rv", pin, store.Actor{User: "test"}); err == nil {
			t.Error("a revoked PIN still opens the case")
		}
		log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "case.pin_revoke"})
		if len(log) != 1 || log[0].User != "staff1" || log[0].Target != "rv" || log[0].Detail != "PIN revoked" {
			t.Errorf("audit of the revocation: %+v", log)
		}
		page := readAll(staff.get("/cases?done=pin_revoked"))
		if !strings.Contains(page, "The PIN was revoked") || strings.Contains(page, `/cases/rv/pin/revoke`) {
			t.Error("the cases page neither says the PIN was revoked nor drops its button")
		}
		if resp := staff.postForm("/cases/nosuch/pin/revoke", nil, staff.csrf); resp.StatusCode != http.StatusNotFound {
			t.Errorf("an unknown case: %d, want 404", resp.StatusCode)
		}
	})
}
