package console

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	"github.com/hashwatch/hashwatch/takedown"
)

// centreWorld is what each centre owns in the isolation tests: a case, an
// alert on it (confirmed, with a draft notice), a URL report, a user of
// every role with an API token, and audit entries of all that. Every
// string that names one of them carries a marker unique to the centre, so
// a page that shows another centre's data is caught by a substring.
type centreWorld struct {
	centre string
	marker string // in case IDs, URLs, labels, subjects, user names
	caseID string
	alert  uint64
	notice uint64
	report uint64
	// negative is a negative bank entry made from a second alert of the
	// centre's case (dismissed as not this content).
	negative uint64
	users    map[accounts.Role]string
	tokens   map[accounts.Role]string // token ID of each user
}

// The two regional centres of the tests, and the national one. newEnv's
// testUsers are the national centre's users.
var isolationCentres = []string{"busan", "daegu", centres.National}

func seedCentres(t *testing.T, e *env) map[string]*centreWorld {
	t.Helper()
	ctx := context.Background()
	if err := e.db.Alerts.SetFloodLimit(alerts.FloodLimit{}); err != nil {
		t.Fatal(err)
	}
	h := hashing.NewHasher(hashing.Limits{})
	data := photo(t, testPhoto)
	fp, err := h.Image(ctx, data, hashing.ForRegistration)
	if err != nil {
		t.Fatal(err)
	}
	preview, err := h.Preview(data)
	if err != nil {
		t.Fatal(err)
	}
	worlds := map[string]*centreWorld{}
	for i, c := range isolationCentres {
		w := &centreWorld{centre: c, marker: "mk" + c + "x", users: map[accounts.Role]string{}, tokens: map[accounts.Role]string{}}
		w.caseID = "case-" + w.marker
		if c != centres.National {
			if _, err := e.db.Centres.Add(ctx, c, c+" centre", store.Actor{User: "test"}); err != nil {
				t.Fatal(err)
			}
			for _, role := range accounts.Roles {
				name := w.marker + "-" + string(role)
				if _, err := e.db.Accounts.AddUser(ctx, accounts.NewUser{Name: name, Role: role, Centre: c, Password: testPassword, Language: "en"}, store.Actor{User: "test"}); err != nil {
					t.Fatal(err)
				}
				w.users[role] = name
			}
		} else {
			for role, name := range testUsers {
				w.users[role] = name
			}
		}
		for role, name := range w.users {
			_, tok, err := e.db.Accounts.CreateToken(ctx, name, "iso", store.Actor{User: "test"})
			if err != nil {
				t.Fatal(err)
			}
			w.tokens[role] = tok.ID
		}
		staff := store.Actor{User: w.users[accounts.RoleStaff], Centre: c}
		fps, err := e.db.Index.RegisterIn(ctx, c, w.caseID, "label-"+w.marker, []index.Registration{{Source: testPhoto, Print: fp}}, staff)
		if err != nil {
			t.Fatal(err)
		}
		a, _, err := e.db.Alerts.RecordAlert(ctx, alerts.AlertInput{
			Site: "board", MediaSHA256: sha256.Sum256([]byte{byte(i)}),
			Match:    index.Match{Fingerprint: fps[0].ID, Case: w.caseID, Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: 3}},
			Sighting: alerts.Sighting{PageURL: "http://board.example/" + w.marker + ".html", MediaURL: "http://board.example/" + w.marker + ".jpg", HTTPStatus: 200, FirstSeen: time.Now()},
			Preview:  preview,
		})
		if err != nil {
			t.Fatal(err)
		}
		if a.Centre != c {
			t.Fatalf("alert of %s's case has centre %q", c, a.Centre)
		}
		w.alert = a.ID
		op := store.Actor{User: w.users[accounts.RoleOperator], Centre: c}
		if _, err := e.db.Alerts.DecideAlert(ctx, a.ID, alerts.StatusConfirmed, "", op); err != nil {
			t.Fatal(err)
		}
		n, err := e.db.Takedown.CreateNotice(ctx, takedown.Notice{Site: "board", To: "abuse@board.example", Lang: "en",
			Subject: "subject-" + w.marker, Body: "body", AlertIDs: []uint64{a.ID}}, op)
		if err != nil {
			t.Fatal(err)
		}
		w.notice = n.ID
		a2, _, err := e.db.Alerts.RecordAlert(ctx, alerts.AlertInput{
			Site: "board", MediaSHA256: sha256.Sum256([]byte{byte(100 + i)}),
			Match:    index.Match{Fingerprint: fps[0].ID, Case: w.caseID, Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: 9}},
			Sighting: alerts.Sighting{PageURL: "http://board.example/neg-" + w.marker + ".html", MediaURL: "http://board.example/neg-" + w.marker + ".jpg", HTTPStatus: 200, FirstSeen: time.Now()},
		})
		if err != nil {
			t.Fatal(err)
		}
		neg, _, err := e.db.Alerts.AddNegative(ctx, a2.ID, "logo", op)
		if err != nil {
			t.Fatal(err)
		}
		w.negative = neg.ID
		rep, err := e.db.Alerts.CreateURLReport(ctx, []string{"http://report.example/" + w.marker}, "", op)
		if err != nil {
			t.Fatal(err)
		}
		w.report = rep.ID
		worlds[c] = w
	}
	return worlds
}

// objectPath fills a route's path with the IDs of w's objects.
func objectPath(p string, w *centreWorld) string {
	id := "1"
	switch {
	case strings.Contains(p, "/alerts/{id}"):
		id = strconv.FormatUint(w.alert, 10)
	case strings.Contains(p, "/notices/{id}"):
		id = strconv.FormatUint(w.notice, 10)
	case strings.Contains(p, "/reports/{id}"):
		id = strconv.FormatUint(w.report, 10)
	case strings.Contains(p, "/cases/{id}"):
		id = w.caseID
	case strings.Contains(p, "/tokens/{id}"):
		id = w.tokens[accounts.RoleAnalyst]
	case strings.Contains(p, "/negative/{id}"):
		id = strconv.FormatUint(w.negative, 10)
	case strings.Contains(p, "/centres/{id}"):
		id = w.centre
	}
	return strings.NewReplacer("{id}", id, "{name}", w.users[accounts.RoleAnalyst], "{site}", "board", "{lang}", "en", "{step}", "clearer", "{$}", "").Replace(p)
}

// negativeGone reports whether negative bank entry id was removed.
func negativeGone(t *testing.T, e *env, id uint64) bool {
	es, err := e.db.Alerts.Negatives()
	if err != nil {
		t.Fatal(err)
	}
	return !slices.ContainsFunc(es, func(n alerts.NegativeEntry) bool { return n.ID == id })
}

// ownsObject reports whether a route's path names one of a centre's
// objects (so that another centre's users must not reach it).
func ownsObject(p string) bool {
	for _, s := range []string{"/alerts/{id}", "/notices/{id}", "/reports/{id}", "/cases/{id}", "/tokens/{id}", "/users/{name}", "/negative/{id}", "/centres/{id}"} {
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}

// TestEveryRouteKeepsEachCentreToItsOwn requests every route of the table
// as every role of a regional centre (busan) and of the national centre,
// on objects of the caller's own centre, of another regional centre
// (daegu) and of the national centre, over the HTML pages and the JSON API
// (and with the users' API tokens on the API), and checks:
//
//   - a role the route does not name gets 403, as before centres;
//   - a regional user gets 403 on the national centre's routes (the crawl's
//     controls, backup, verify, metrics);
//   - a regional user asking for another centre's (or the national
//     centre's) alert, notice, report, case, user or token gets 404 — it
//     does not exist for them — and the object is not changed;
//   - a national user reaches every centre's objects (never 404 for them);
//   - no page or API answer to a regional user shows another centre's
//     markers (case IDs, labels, URLs, notice subjects, user names).
func TestEveryRouteKeepsEachCentreToItsOwn(t *testing.T) {
	e := newEnv(t, nil)
	worlds := seedCentres(t, e)
	callers := []string{"busan", centres.National}
	sessions := map[string]map[accounts.Role]*client{}
	tokens := map[string]map[accounts.Role]string{}
	for _, c := range callers {
		sessions[c] = map[accounts.Role]*client{}
		tokens[c] = map[accounts.Role]string{}
		for _, role := range accounts.Roles {
			sessions[c][role] = e.login(worlds[c].users[role])
			secret, _, err := e.db.Accounts.CreateToken(context.Background(), worlds[c].users[role], "matrix", store.Actor{User: "test"})
			if err != nil {
				t.Fatal(err)
			}
			tokens[c][role] = secret
		}
	}
	// Another centre's markers, which a regional caller must never see.
	foreign := func(caller string) []string {
		var out []string
		for _, c := range isolationCentres {
			if c != caller {
				out = append(out, worlds[c].marker)
			}
		}
		return out
	}
	for _, caller := range callers {
		for _, rt := range e.srv.Routes() {
			if rt.Public || rt.Path == "/logout" {
				continue
			}
			for _, role := range accounts.Roles {
				for _, owner := range isolationCentres {
					if !ownsObject(rt.Path) && owner != caller {
						continue // a list or a form: the caller's own view is the case
					}
					for _, via := range []string{"session", "token"} {
						if via == "token" && rt.Answers != "json" {
							continue
						}
						name := fmt.Sprintf("%s %s as %s of %s via %s on %s's object", rt.Method, rt.Path, role, caller, via, owner)
						t.Run(name, func(t *testing.T) {
							path := objectPath(rt.Path, worlds[owner])
							c := sessions[caller][role]
							var req *http.Request
							switch {
							case rt.Method == "GET":
								req, _ = http.NewRequest("GET", e.ts.URL+path, nil)
							case strings.HasPrefix(path, "/api/"):
								req, _ = http.NewRequest(rt.Method, e.ts.URL+path, strings.NewReader("{}"))
								req.Header.Set("Content-Type", "application/json")
								req.Header.Set("X-CSRF-Token", c.csrf)
							default:
								req, _ = http.NewRequest(rt.Method, e.ts.URL+path, strings.NewReader(url.Values{"csrf": {c.csrf}}.Encode()))
								req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
							}
							var resp *http.Response
							if via == "token" {
								req.Header.Set("Authorization", "Bearer "+tokens[caller][role])
								resp, _ = http.DefaultClient.Do(req)
							} else {
								resp = c.do(req)
							}
							body := readAll(resp)
							allowedRole := slices.Contains(rt.Roles, role)
							regional := caller != centres.National
							switch {
							case resp.StatusCode >= 500:
								t.Fatalf("status %d: %s", resp.StatusCode, body)
							case !allowedRole:
								if resp.StatusCode != 403 {
									t.Fatalf("role %s got %d, want 403", role, resp.StatusCode)
								}
							case rt.Centres == "national" && regional:
								if resp.StatusCode != 403 {
									t.Fatalf("a regional user got %d on a national route, want 403: %s", resp.StatusCode, body)
								}
							case regional && owner != caller && ownsObject(rt.Path),
								// Only a centre's own staff withdraw its cases
								// or issue and revoke their victims' PINs (moving
								// one is national admins' work).
								(strings.HasSuffix(rt.Path, "/withdraw") || strings.HasSuffix(rt.Path, "/pin") || strings.HasSuffix(rt.Path, "/pin/revoke")) && (strings.HasPrefix(rt.Path, "/cases/") || strings.HasPrefix(rt.Path, "/api/cases/")) && owner != caller:
								if resp.StatusCode != 404 {
									t.Fatalf("a regional user reached another centre's object: %d %s", resp.StatusCode, body)
								}
							case resp.StatusCode == 404 && ownsObject(rt.Path) &&
								// Reports are their submitter's unless one is an operator.
								!(strings.Contains(rt.Path, "/reports/") && role != accounts.RoleOperator) &&
								// A removal made by an earlier request (the page's or the API's twin).
								!(strings.Contains(rt.Path, "/negative/") && negativeGone(t, e, worlds[owner].negative)):
								t.Fatalf("a user of %s was refused %s's object: %s", caller, owner, body)
							case resp.StatusCode == 401 || resp.StatusCode == 403:
								t.Fatalf("an allowed caller was refused: %d %s", resp.StatusCode, body)
							}
							if regional {
								// The path's own ID echoed in a message
								// tells the caller nothing new.
								for _, seg := range strings.Split(path, "/") {
									if seg != "" {
										body = strings.ReplaceAll(body, seg, "")
									}
								}
								for _, m := range foreign(caller) {
									if strings.Contains(body, m) {
										t.Fatalf("answer to a user of %s shows marker %s of another centre: %s", caller, m, body)
									}
								}
							}
						})
					}
				}
			}
		}
		if caller != "busan" {
			continue
		}
		// Nothing of another centre changed under busan's users: daegu's
		// and the national alert are still confirmed (busan's may have
		// been sent by its own operators), their notices unsent, their
		// tokens unrevoked.
		for _, c := range []string{"daegu", centres.National} {
			w := worlds[c]
			if a, err := e.db.Alerts.Alert(w.alert); err != nil || a.Status != alerts.StatusConfirmed {
				t.Errorf("%s's alert after busan's requests: %+v, %v", c, a, err)
			}
			if negativeGone(t, e, w.negative) {
				t.Errorf("%s's negative bank entry removed by busan's requests", c)
			}
			if n, err := e.db.Takedown.Notice(w.notice); err != nil || n.Sent() {
				t.Errorf("%s's notice after busan's requests: %+v, %v", c, n, err)
			}
			ts, err := e.db.Accounts.Tokens(w.users[accounts.RoleAnalyst])
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range ts {
				if tok.Revoked() {
					t.Errorf("%s's token %s revoked by busan's requests", c, tok.ID)
				}
			}
		}
	}
}

// TestEachCentreSeesExactlyItsOwnAlerts checks the alert queue over the
// API with each centre's operator token and session page, and the national
// operator's with and without ?centre=.
func TestEachCentreSeesExactlyItsOwnAlerts(t *testing.T) {
	e := newEnv(t, nil)
	worlds := seedCentres(t, e)
	get := func(secret, path string) alertsJSON {
		t.Helper()
		req, _ := http.NewRequest("GET", e.ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readAll(resp)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		var out alertsJSON
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	ids := func(a alertsJSON) (out []string) {
		for _, x := range a.Alerts {
			out = append(out, x.Centre+":"+strconv.FormatUint(x.ID, 10))
		}
		slices.Sort(out)
		return out
	}
	want := func(cs ...string) (out []string) {
		for _, c := range cs {
			out = append(out, c+":"+strconv.FormatUint(worlds[c].alert, 10))
		}
		slices.Sort(out)
		return out
	}
	for _, c := range isolationCentres {
		secret, _, err := e.db.Accounts.CreateToken(context.Background(), worlds[c].users[accounts.RoleOperator], "q", store.Actor{User: "test"})
		if err != nil {
			t.Fatal(err)
		}
		got := ids(get(secret, "/api/alerts?status=confirmed"))
		w := want(c)
		if c == centres.National {
			w = want(isolationCentres...)
		}
		if !slices.Equal(got, w) {
			t.Errorf("%s's operator token sees %v, want %v", c, got, w)
		}
		if c == centres.National {
			for _, only := range []string{"busan", "daegu"} {
				if got := ids(get(secret, "/api/alerts?status=confirmed&centre="+only)); !slices.Equal(got, want(only)) {
					t.Errorf("national ?centre=%s sees %v", only, got)
				}
			}
		} else if got := ids(get(secret, "/api/alerts?status=confirmed&centre=national")); !slices.Equal(got, want(c)) {
			t.Errorf("%s asking for ?centre=national sees %v, want its own", c, got)
		}
		// Every status: the page's default is new alerts only.
		page := readAll(e.login(worlds[c].users[accounts.RoleOperator]).get("/alerts?status="))
		for _, o := range isolationCentres {
			shown := strings.Contains(page, worlds[o].marker)
			if wantShown := o == c || c == centres.National; shown != wantShown {
				t.Errorf("%s's queue page shows %s's alert: %v, want %v", c, o, shown, wantShown)
			}
		}
	}
}

// TestAUserWithSeveralRolesDoesTheWorkOfEach: a staff member of a small
// centre who also reviews alerts reaches both the cases and the queue, and
// nothing neither role may.
func TestAUserWithSeveralRolesDoesTheWorkOfEach(t *testing.T) {
	e := newEnv(t, nil)
	if _, err := e.db.Accounts.AddUser(context.Background(), accounts.NewUser{Name: "both", Role: accounts.RoleStaff,
		AlsoRoles: []accounts.Role{accounts.RoleOperator}, Password: testPassword, Language: "en"}, store.Actor{User: "test"}); err != nil {
		t.Fatal(err)
	}
	c := e.login("both")
	for path, want := range map[string]int{"/cases": 200, "/alerts": 200, "/api/alerts": 200, "/users": 403, "/sites": 403} {
		if resp := c.get(path); resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	var me struct {
		Roles []accounts.Role `json:"roles"`
	}
	if err := json.Unmarshal([]byte(readAll(c.get("/api/me"))), &me); err != nil || !slices.Equal(me.Roles, []accounts.Role{accounts.RoleStaff, accounts.RoleOperator}) {
		t.Errorf("/api/me roles %v, %v", me.Roles, err)
	}
}

// TestAReportShowsItsSubmitterOnlyTheirCentresAlerts: a URL a busan
// operator reported matched cases of busan and of daegu; the report shows
// busan's operator busan's alert only, and a national operator both.
func TestAReportShowsItsSubmitterOnlyTheirCentresAlerts(t *testing.T) {
	e := newEnv(t, nil)
	worlds := seedCentres(t, e)
	b, d := worlds["busan"], worlds["daegu"]
	if _, err := e.db.Alerts.SetURLOutcome(context.Background(), b.report, 0, alerts.URLOutcome{URL: "http://report.example/" + b.marker,
		State: alerts.ReportMatch, Media: 1, AlertIDs: []uint64{b.alert, d.alert}, CheckedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for caller, want := range map[string][]uint64{"busan": {b.alert}, centres.National: {b.alert, d.alert}} {
		secret, _, err := e.db.Accounts.CreateToken(context.Background(), worlds[caller].users[accounts.RoleOperator], "r", store.Actor{User: "test"})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/reports/%d", e.ts.URL, b.report), nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			URLs []struct {
				AlertIDs []uint64 `json:"alert_ids"`
			} `json:"urls"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(rep.URLs) != 1 || !slices.Equal(rep.URLs[0].AlertIDs, want) {
			t.Errorf("%s's operator sees report alerts %+v, want %v", caller, rep.URLs, want)
		}
	}
}
