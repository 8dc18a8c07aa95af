package console

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/accounts"
)

// TestEveryRouteAllowsExactlyItsRoles requests every route as every role
// and as nobody, and checks that exactly the roles the table names get
// through: a denied role gets 403, an anonymous caller 401 or a redirect to
// the login page, and an allowed one anything but those (the handler may
// still refuse the made-up IDs with a 4xx, never a 500).
func TestEveryRouteAllowsExactlyItsRoles(t *testing.T) {
	e := newEnv(t, nil)
	e.seedAlerts(1)
	sessions := map[accounts.Role]*client{}
	for role, name := range testUsers {
		sessions[role] = e.login(name)
	}
	callers := append([]accounts.Role{""}, accounts.Roles...)
	for _, rt := range e.srv.Routes() {
		path := strings.NewReplacer("{id}", "1", "{name}", "nosuch", "{$}", "").Replace(rt.Path)
		for _, role := range callers {
			who := string(role)
			if who == "" {
				who = "anonymous"
			}
			t.Run(fmt.Sprintf("%s %s as %s", rt.Method, rt.Path, who), func(t *testing.T) {
				c := e.anon()
				if role != "" {
					c = sessions[role]
					if rt.Path == "/logout" {
						c = e.login(testUsers[role]) // keep the shared session alive
					}
				}
				var resp *http.Response
				switch {
				case rt.Method == "GET":
					resp = c.get(path)
				case strings.HasPrefix(path, "/api/"):
					req, _ := http.NewRequest(rt.Method, e.ts.URL+path, strings.NewReader("{}"))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-CSRF-Token", c.csrf)
					resp = c.do(req)
				default:
					resp = c.postForm(path, url.Values{}, c.csrf)
				}
				body := readAll(resp)
				allowed := rt.Public || (role != "" && slices.Contains(rt.Roles, role))
				loginRedirect := rt.Method == "GET" && resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login")
				switch {
				case resp.StatusCode >= 500:
					t.Fatalf("status %d: %s", resp.StatusCode, body)
				case allowed && !rt.Public && (resp.StatusCode == 401 || resp.StatusCode == 403 || loginRedirect):
					t.Fatalf("allowed caller refused: %d %s", resp.StatusCode, body)
				case !allowed && role == "" && resp.StatusCode != 401 && !loginRedirect:
					t.Fatalf("anonymous caller got %d, want 401 or a redirect to /login", resp.StatusCode)
				case !allowed && role != "" && resp.StatusCode != 403:
					t.Fatalf("role %s got %d, want 403", role, resp.StatusCode)
				}
			})
		}
	}
}

// TestTheRouteTableGivesEachRoleItsWork pins the table to issue 7's
// division of work, so a change to who may do what is a visible decision.
func TestTheRouteTableGivesEachRoleItsWork(t *testing.T) {
	e := newEnv(t, nil)
	want := map[string][]accounts.Role{
		"POST /alerts/{id}/confirm": operator,
		"POST /alerts/{id}/reveal":  operator,
		"POST /cases":               staff,
		"POST /cases/{id}/withdraw": staff,
		"POST /sites/{name}/pass":   analyst,
		"POST /sites/{name}/pause":  analyst,
		"POST /users":               admin,
		"GET /audit":                admin,
		"GET /api/backup":           admin,
		"POST /api/alerts/bulk":     operator,
		// Issue 15: a decision is undone by its decider, or an admin.
		"POST /alerts/undo":             {accounts.RoleOperator, accounts.RoleAdmin},
		"POST /api/alerts/undo":         {accounts.RoleOperator, accounts.RoleAdmin},
		"POST /api/cases/{id}/withdraw": staff,
		// Issue 13: moving a case between centres is an admin's decision.
		"POST /cases/{id}/move":     admin,
		"POST /api/cases/{id}/move": admin,
		"GET /cases/move":           admin,
		// Issue 17: staff judge quarantined fingerprints, operators keep
		// the negative bank.
		"GET /quarantine":                   staff,
		"POST /quarantine/{id}/release":     staff,
		"POST /quarantine/{id}/retire":      staff,
		"GET /api/quarantine":               staff,
		"POST /api/quarantine/{id}/release": staff,
		"POST /api/quarantine/{id}/retire":  staff,
		"GET /negative":                     operator,
		"POST /alerts/{id}/negative":        operator,
		"POST /negative/{id}/remove":        operator,
		"GET /api/negative":                 operator,
		"POST /api/alerts/{id}/negative":    operator,
		"POST /api/negative/{id}/remove":    operator,
		// Issue 16: staff issue and revoke their victims' PINs; admins
		// turn their centre's self-submission on or off.
		"POST /cases/{id}/pin":           staff,
		"POST /api/cases/{id}/pin":       staff,
		"POST /cases/{id}/pin/revoke":    staff,
		"POST /centres/{id}/self-submit": admin,
	}
	got := map[string][]accounts.Role{}
	for _, r := range e.srv.Routes() {
		key := r.Method + " " + r.Path
		if _, dup := got[key]; dup {
			t.Errorf("route %s listed twice", key)
		}
		got[key] = r.Roles
		if !r.Public && len(r.Roles) == 0 {
			t.Errorf("route %s is open to no role", key)
		}
	}
	for k, roles := range want {
		if !slices.Equal(got[k], roles) {
			t.Errorf("%s: roles %v, want %v", k, got[k], roles)
		}
	}
}
