package console

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// testPassword is every test account's password.
const testPassword = "correct horse battery"

// testUsers are one account per role, named after it.
var testUsers = map[accounts.Role]string{accounts.RoleAdmin: "admin1", accounts.RoleStaff: "staff1", accounts.RoleOperator: "op1", accounts.RoleAnalyst: "ana1"}

// env is a console on a loopback test server over a real database file.
type env struct {
	t   testing.TB
	db  *database.DB
	srv *Server
	ts  *httptest.Server
}

func newEnv(t testing.TB, mod func(*Config)) *env {
	t.Helper()
	return newEnvWith(t, store.Options{}, mod)
}

// newEnvWith is newEnv over a database opened with opts (a clock).
func newEnvWith(t testing.TB, opts store.Options, mod func(*Config)) *env {
	t.Helper()
	db, err := database.Open(filepath.Join(t.TempDir(), "hw.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for role, name := range testUsers {
		if _, err := db.Accounts.AddUser(context.Background(), accounts.NewUser{Name: name, Role: role, Password: testPassword, Language: "en"}, store.Actor{User: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{DB: db}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &env{t: t, db: db, srv: srv, ts: ts}
}

// client is one browser: a cookie jar that does not follow redirects.
type client struct {
	e    *env
	http *http.Client
	csrf string
}

func (e *env) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login logs in as name and learns the session's CSRF token.
func (e *env) login(name string) *client {
	e.t.Helper()
	c := e.anon()
	resp := c.postForm("/login", url.Values{"name": {name}, "password": {testPassword}}, c.loginCSRF())
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d %s", name, resp.StatusCode, readAll(resp))
	}
	resp.Body.Close()
	body := readAll(c.get("/settings"))
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("no CSRF token on the settings page: %s", body)
	}
	c.csrf = m[1]
	return c
}

// loginCSRF loads the login page and returns its form token.
func (c *client) loginCSRF() string {
	c.e.t.Helper()
	body := readAll(c.get("/login"))
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		c.e.t.Fatalf("no CSRF token on the login page")
	}
	return m[1]
}

func (c *client) do(req *http.Request) *http.Response {
	c.e.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return resp
}

func (c *client) get(path string) *http.Response {
	req, _ := http.NewRequest("GET", c.e.ts.URL+path, nil)
	return c.do(req)
}

// postForm posts a urlencoded form with the given CSRF token ("" for none).
func (c *client) postForm(path string, v url.Values, csrf string) *http.Response {
	if v == nil {
		v = url.Values{}
	}
	if csrf != "" {
		v.Set("csrf", csrf)
	}
	req, _ := http.NewRequest("POST", c.e.ts.URL+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func readAll(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(b)
}

// photo reads one committed test photo.
func photo(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "fixtures", "photos", "known", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const testPhoto = "dev-009-eiffelTower.jpg"

// seedAlerts registers the test photo under case c1 and records n alerts
// of distinct media against it on site "board", with distances 1..n and a
// blurred preview each. So many distinct media on one fingerprint would be
// a flood, so it turns the flood quarantine off: the tests that use it are
// about the queue (quarantine_test.go tests the quarantine).
func (e *env) seedAlerts(n int) []alerts.Alert {
	e.t.Helper()
	ctx := context.Background()
	if err := e.db.Alerts.SetFloodLimit(alerts.FloodLimit{}); err != nil {
		e.t.Fatal(err)
	}
	h := hashing.NewHasher(hashing.Limits{})
	data := photo(e.t, testPhoto)
	fp, err := h.Image(ctx, data, hashing.ForRegistration)
	if err != nil {
		e.t.Fatal(err)
	}
	fps, err := e.db.Index.Register(ctx, "c1", "test case", []index.Registration{{Source: testPhoto, Print: fp}}, store.Actor{})
	if err != nil {
		e.t.Fatal(err)
	}
	preview, err := h.Preview(data)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []alerts.Alert
	for i := 1; i <= n; i++ {
		a, _, err := e.db.Alerts.RecordAlert(ctx, alerts.AlertInput{
			Site: "board", MediaSHA256: sha256.Sum256([]byte{byte(i)}),
			Match:    index.Match{Fingerprint: fps[0].ID, Case: "c1", Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: i}},
			Sighting: alerts.Sighting{PageURL: "http://board.example/p", MediaURL: "http://board.example/m.jpg", HTTPStatus: 200, FirstSeen: time.Now()},
			Preview:  preview,
		})
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}
