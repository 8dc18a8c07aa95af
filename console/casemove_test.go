package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/store"
)

// TestANationalAdminMovesACaseFromTheConsole moves busan's case to daegu
// from the case move page and back through the API, with the CLI's rules:
// the case ID typed again, a target centre without a case of that ID, the
// case's alerts following it, one audit entry per move naming the admin;
// regional admins get 403 saying why and no link to the page.
func TestANationalAdminMovesACaseFromTheConsole(t *testing.T) {
	e := newEnv(t, nil)
	worlds := seedCentres(t, e)
	busan := worlds["busan"]
	admin := e.login(worlds[centres.National].users[accounts.RoleAdmin])

	page := readAll(admin.get("/cases/move"))
	for _, w := range worlds {
		if !strings.Contains(page, `data-case="`+w.caseID+`" data-centre="`+w.centre+`"`) {
			t.Errorf("the page does not list %s's case %s", w.centre, w.caseID)
		}
		if strings.Contains(page, "label-"+w.marker) {
			t.Errorf("the page shows %s's case label", w.centre)
		}
	}
	if !strings.Contains(page, `href="/cases/move"`) {
		t.Error("a national admin's navigation has no link to the page")
	}

	move := func(c *client, id string, form url.Values) *http.Response {
		return c.postForm("/cases/"+url.PathEscape(id)+"/move", form, c.csrf)
	}
	t.Run("a wrong confirmation moves nothing", func(t *testing.T) {
		resp := move(admin, busan.caseID, url.Values{"centre": {"busan"}, "to": {"daegu"}, "confirm": {"nope"}})
		if body := readAll(resp); resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if _, err := e.db.Index.CaseOf("busan", busan.caseID); err != nil {
			t.Fatalf("the case left busan: %v", err)
		}
	})
	t.Run("the form moves the case, its alerts and audits it", func(t *testing.T) {
		resp := move(admin, busan.caseID, url.Values{"centre": {"busan"}, "to": {"daegu"}, "confirm": {busan.caseID}})
		body := readAll(resp)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/cases/move?done=case_moved" {
			t.Fatalf("%d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		if _, err := e.db.Index.CaseOf("daegu", busan.caseID); err != nil {
			t.Fatalf("the case is not daegu's: %v", err)
		}
		if a, err := e.db.Alerts.Alert(busan.alert); err != nil || a.Centre != "daegu" {
			t.Errorf("its alert: centre %q, %v; want daegu", a.Centre, err)
		}
		entries, err := e.db.Store.AuditLog(store.AuditFilter{Action: "case.move", Target: busan.caseID})
		if err != nil || len(entries) != 1 || entries[0].User != worlds[centres.National].users[accounts.RoleAdmin] || entries[0].Centre != "daegu" {
			t.Errorf("audit %+v, %v: want one case.move by the admin, daegu's", entries, err)
		}
	})
	t.Run("the API moves it back, finding its centre by ID", func(t *testing.T) {
		req, _ := http.NewRequest("POST", e.ts.URL+"/api/cases/"+url.PathEscape(busan.caseID)+"/move",
			strings.NewReader(`{"to":"busan","confirm":"`+busan.caseID+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", admin.csrf)
		resp := admin.do(req)
		var got struct {
			From, To     string
			Fingerprints int
			Alerts       int
		}
		body := readAll(resp)
		if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 200 || got.From != "daegu" || got.To != "busan" || got.Fingerprints != 1 || got.Alerts < 1 {
			t.Fatalf("%d %s (%v)", resp.StatusCode, body, err)
		}
		if a, _ := e.db.Alerts.Alert(busan.alert); a.Centre != "busan" {
			t.Errorf("its alert is %q's", a.Centre)
		}
	})
	t.Run("a target with a case of that ID is refused", func(t *testing.T) {
		if _, err := e.db.Index.RegisterIn(t.Context(), "daegu", busan.caseID, "", nil, store.Actor{User: "test"}); err != nil {
			t.Fatal(err)
		}
		resp := move(admin, busan.caseID, url.Values{"centre": {"busan"}, "to": {"daegu"}, "confirm": {busan.caseID}})
		if body := readAll(resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "already") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if _, err := e.db.Index.CaseOf("busan", busan.caseID); err != nil {
			t.Fatalf("the case left busan: %v", err)
		}
	})
	t.Run("a regional admin is refused, told why, and not shown the page", func(t *testing.T) {
		ra := e.login(busan.users[accounts.RoleAdmin])
		resp := ra.get("/cases/move")
		body := readAll(resp)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "national admins") {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
		resp = move(ra, busan.caseID, url.Values{"centre": {"busan"}, "to": {"daegu"}, "confirm": {busan.caseID}})
		if readAll(resp); resp.StatusCode != http.StatusForbidden {
			t.Errorf("move by a regional admin: %d", resp.StatusCode)
		}
		if _, err := e.db.Index.CaseOf("busan", busan.caseID); err != nil {
			t.Errorf("the case moved: %v", err)
		}
		if strings.Contains(readAll(ra.get("/settings")), `href="/cases/move"`) {
			t.Error("a regional admin's navigation links to the national page")
		}
	})
}

// TestRegionalUsersOnMetricsAreToldWhereTheirFiguresAre pins the decision
// on /metrics for regional users: its figures are the whole service's, so
// a regional admin or analyst gets 403 naming their centre's dashboard.
func TestRegionalUsersOnMetricsAreToldWhereTheirFiguresAre(t *testing.T) {
	e := newEnv(t, nil)
	worlds := seedCentres(t, e)
	for _, role := range []accounts.Role{accounts.RoleAdmin, accounts.RoleAnalyst} {
		c := e.login(worlds["busan"].users[role])
		resp := c.get("/metrics")
		body := readAll(resp)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "/api/dashboard") || !strings.Contains(body, "busan") {
			t.Errorf("%s of busan on /metrics: %d %s", role, resp.StatusCode, body)
		}
	}
	if resp := e.login(worlds[centres.National].users[accounts.RoleAnalyst]).get("/metrics"); readAll(resp) != "" && resp.StatusCode == http.StatusForbidden {
		t.Errorf("a national analyst on /metrics: %d", resp.StatusCode)
	}
}
