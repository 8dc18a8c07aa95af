package console

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
)

// route is one row of the route table: the only place access is granted.
type route struct {
	Method string
	Path   string // net/http pattern path, with {wildcards}
	// Roles may use the route; public routes need no login at all.
	Roles []accounts.Role
	// CSRF is how a state change proves it was sent from the console's
	// own page.
	CSRF csrfRule
	// Out is how the route answers, its errors included.
	Out output
	// Load is what a request may cost the machine: heavy routes share a
	// few slots of the console's bounded concurrency (load.go).
	Load load
	h    handler
	// Centres is which centres' users may use the route (issue 13): any
	// centre's, each seeing only its own centre's data, or only the
	// national centre's (the national crawl and site list, the whole
	// file's backup and verification, process-wide metrics).
	Centres centreRule
}

// centreRule is which centres' users may use a route.
type centreRule int

const (
	// anyCentre: users of every centre, each scoped to their own centre's
	// data (national users to every centre's).
	anyCentre centreRule = iota
	// nationalOnly: users of the national centre only; others get 403
	// saying so.
	nationalOnly
)

func (c centreRule) String() string {
	return [...]string{"any", "national"}[c]
}

// nationalReason says why a national route refuses a user of centre, and
// where that user finds what they may see instead.
func nationalReason(path, centre string) string {
	switch {
	case path == "/metrics":
		return fmt.Sprintf("its figures are the whole service's (the crawl, its queue and workers, the console), not one centre's; users of centre %s read their centre's figures on /dashboard and GET /api/dashboard", centre)
	case strings.HasPrefix(path, "/cases/") || strings.HasPrefix(path, "/api/cases/"):
		return "moving a case between centres is the national admins' decision (or `hashwatch case move` on the server)"
	case path == "/api/verify" || path == "/api/backup":
		return "it reads or copies the whole database, every centre's"
	}
	return fmt.Sprintf("sites and the crawl are national; users of centre %s see the crawl's status read-only on /sites", centre)
}

// csrfRule is how a route's requests prove they come from the console's
// own pages rather than from another site the browser has open.
type csrfRule int

const (
	// csrfNone: the route changes nothing (GET).
	csrfNone csrfRule = iota
	// csrfSession: a request made with a session carries the session's
	// token, in the form field "csrf" or the X-CSRF-Token header; a
	// request made with an API token needs none (a browser never sends
	// one by itself).
	csrfSession
	// csrfUpload: a multipart upload whose first part is the session's
	// token, checked by the handler before it reads anything else; the
	// body is streamed, never read whole, so it is not parsed as a form.
	csrfUpload
	// csrfLogin: before there is a session, the login form's (or the
	// self-submission page's) token double-submitted in a cookie, checked
	// by the handler.
	csrfLogin
)

func (c csrfRule) String() string {
	return [...]string{"none", "session", "upload", "login"}[c]
}

// anonymous is the role of a caller who has not logged in: a route whose
// roles are public lets everyone in, anonymous callers too.
const anonymous accounts.Role = ""

// RouteInfo describes one route for documentation and tests.
type RouteInfo struct {
	Method  string          `json:"method"`
	Path    string          `json:"path"`
	Roles   []accounts.Role `json:"roles"`
	Public  bool            `json:"public"`
	CSRF    string          `json:"csrf"`    // none, session, upload or login
	Answers string          `json:"answers"` // html or json
	Load    string          `json:"load"`    // light, heavy, free or cached (load.go)
	Centres string          `json:"centres"` // any or national
}

// Routes lists every route with the roles allowed on it.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, rt := range s.routes {
		ri := RouteInfo{Method: rt.Method, Path: rt.Path, Public: rt.public(), CSRF: rt.CSRF.String(), Answers: rt.Out.String(), Load: rt.Load.String(), Centres: rt.Centres.String()}
		if !ri.Public {
			ri.Roles = slices.Clone(rt.Roles)
		}
		out[i] = ri
	}
	return out
}

// Who does what (issue 7): staff register and withdraw cases, operators
// review alerts and send notices, analysts manage sites and crawls, admins
// manage users and read the audit log. Everyone logged in sees the
// dashboard and their own settings.
var (
	// public routes are open to anyone, logged in or not.
	public    = []accounts.Role{anonymous}
	admin     = []accounts.Role{accounts.RoleAdmin}
	staff     = []accounts.Role{accounts.RoleStaff}
	operator  = []accounts.Role{accounts.RoleOperator}
	analyst   = []accounts.Role{accounts.RoleAnalyst}
	reporters = []accounts.Role{accounts.RoleStaff, accounts.RoleOperator}
	watchers  = []accounts.Role{accounts.RoleAdmin, accounts.RoleAnalyst}
	// noticeWriters set a site's takedown contact: operators write the
	// notices, analysts keep the site list.
	noticeWriters = []accounts.Role{accounts.RoleOperator, accounts.RoleAnalyst}
	anyone        = []accounts.Role{accounts.RoleAdmin, accounts.RoleStaff, accounts.RoleOperator, accounts.RoleAnalyst}
	// undoers undo a decision: operators their own, admins anyone's.
	undoers = []accounts.Role{accounts.RoleOperator, accounts.RoleAdmin}
)

// routeTable is every route of the console, in one place. Where a page and
// an API route differ only in how they answer, they share one handler,
// which builds the data once and answers it as the row says (respond).
// Routes under /api/ (and /metrics, for Prometheus with a token) answer
// JSON; the rest answer HTML.
func (s *Server) routeTable() []route {
	rs := []route{
		// method, path, who, CSRF, answers, load, handler, which centres
		{"GET", "/login", public, csrfNone, asHTML, light, s.loginPage, anyCentre},
		// The login limiter bounds password checks (one at a time per
		// address and per user name) and must refuse a guess at once
		// (429), not after a wait in the gate.
		{"POST", "/login", public, csrfLogin, asHTML, free, s.login, anyCentre},
		{"GET", "/healthz", public, csrfNone, asHTML, free, s.healthz, anyCentre},
		{"POST", "/logout", anyone, csrfSession, asHTML, light, s.logout, anyCentre},
		{"GET", "/{$}", anyone, csrfNone, asHTML, light, s.home, anyCentre},
		{"GET", "/settings", anyone, csrfNone, asHTML, light, s.settingsPage, anyCentre},
		{"POST", "/settings", anyone, csrfSession, asHTML, light, s.saveSettings, anyCentre},
		{"GET", "/api/me", anyone, csrfNone, asJSON, light, s.apiMe, anyCentre},
		{"GET", "/dashboard", anyone, csrfNone, asHTML, cached, s.dashboard, anyCentre},
		{"GET", "/api/dashboard", anyone, csrfNone, asJSON, cached, s.dashboard, anyCentre},

		// Alert review (alerts.go).
		{"GET", "/alerts", operator, csrfNone, asHTML, heavy, s.alertQueue, anyCentre},
		{"GET", "/api/alerts", operator, csrfNone, asJSON, heavy, s.alertQueue, anyCentre},
		{"GET", "/alerts/{id}", operator, csrfNone, asHTML, light, s.alert, anyCentre},
		{"GET", "/api/alerts/{id}", operator, csrfNone, asJSON, light, s.alert, anyCentre},
		{"POST", "/alerts/{id}/reveal", operator, csrfSession, asHTML, light, s.revealPreview, anyCentre},
		{"GET", "/alerts/{id}/preview", operator, csrfNone, asHTML, light, s.preview, anyCentre},
		{"GET", "/alerts/{id}/thumb", operator, csrfNone, asHTML, light, s.thumb, anyCentre},
		{"POST", "/alerts/{id}/view/{step}", operator, csrfSession, asHTML, light, s.viewStep, anyCentre},
		{"GET", "/alerts/{id}/view/{step}", operator, csrfNone, asHTML, heavy, s.viewImage, anyCentre},
		{"POST", "/alerts/{id}/release", operator, csrfSession, asHTML, light, s.releaseAlert, anyCentre},
		{"POST", "/alerts/{id}/confirm", operator, csrfSession, asHTML, light, s.decideAlert(alerts.StatusConfirmed), anyCentre},
		{"POST", "/api/alerts/{id}/confirm", operator, csrfSession, asJSON, light, s.decideAlert(alerts.StatusConfirmed), anyCentre},
		{"POST", "/alerts/{id}/dismiss", operator, csrfSession, asHTML, light, s.dismissAlert, anyCentre},
		{"POST", "/api/alerts/{id}/dismiss", operator, csrfSession, asJSON, light, s.dismissAlert, anyCentre},
		{"POST", "/alerts/bulk", operator, csrfSession, asHTML, heavy, s.bulkAlerts, anyCentre},
		{"POST", "/api/alerts/bulk", operator, csrfSession, asJSON, heavy, s.apiBulk, anyCentre},
		// Undo of a decision (undo.go): its decider, or an admin.
		{"POST", "/alerts/undo", undoers, csrfSession, asHTML, heavy, s.undoAlerts, anyCentre},
		{"POST", "/api/alerts/undo", undoers, csrfSession, asJSON, heavy, s.undoAlerts, anyCentre},

		// Cases (cases.go).
		{"GET", "/cases", staff, csrfNone, asHTML, heavy, s.cases, anyCentre},
		{"GET", "/api/cases", staff, csrfNone, asJSON, heavy, s.cases, anyCentre},
		{"POST", "/cases", staff, csrfUpload, asHTML, heavy, s.registerCase, anyCentre},
		{"POST", hashedPath, staff, csrfSession, asJSON, heavy, s.registerHashed, anyCentre},
		{"POST", "/cases/{id}/withdraw", staff, csrfSession, asHTML, heavy, s.withdrawCase, anyCentre},
		{"POST", "/api/cases/{id}/withdraw", staff, csrfSession, asJSON, heavy, s.withdrawCase, anyCentre},
		// Victims' self-submission (selfsubmit.go): staff issue a case's
		// PIN; the victim, with no account, submits fingerprints hashed
		// in their browser or withdraws the case with it. The PIN check
		// is a slow hash, limited per address and per case: heavy.
		{"POST", "/cases/{id}/pin", staff, csrfSession, asHTML, light, s.issuePIN, anyCentre},
		{"POST", "/api/cases/{id}/pin", staff, csrfSession, asJSON, light, s.issuePIN, anyCentre},
		{"POST", "/cases/{id}/pin/revoke", staff, csrfSession, asHTML, light, s.revokePIN, anyCentre},
		{"GET", "/submit", public, csrfNone, asHTML, light, s.submitPage, anyCentre},
		{"POST", selfSubmitPath, public, csrfLogin, asJSON, heavy, s.selfSubmit, anyCentre},
		{"POST", selfWithdrawPath, public, csrfLogin, asJSON, heavy, s.selfWithdraw, anyCentre},
		// Moving a case between centres (casemove.go): national admins.
		{"GET", "/cases/move", admin, csrfNone, asHTML, heavy, s.caseMovePage, nationalOnly},
		{"POST", "/cases/{id}/move", admin, csrfSession, asHTML, heavy, s.moveCase, nationalOnly},
		{"POST", "/api/cases/{id}/move", admin, csrfSession, asJSON, heavy, s.moveCase, nationalOnly},

		// Watched sites and crawls (sites.go).
		{"GET", "/sites", analyst, csrfNone, asHTML, heavy, s.sites, anyCentre},
		{"GET", "/api/sites", analyst, csrfNone, asJSON, heavy, s.sites, anyCentre},
		{"POST", "/sites/{name}/pass", analyst, csrfSession, asHTML, light, s.siteAction("pass"), nationalOnly},
		{"POST", "/api/sites/{name}/pass", analyst, csrfSession, asJSON, light, s.siteAction("pass"), nationalOnly},
		{"POST", "/sites/{name}/pause", analyst, csrfSession, asHTML, light, s.siteAction("pause"), nationalOnly},
		{"POST", "/api/sites/{name}/pause", analyst, csrfSession, asJSON, light, s.siteAction("pause"), nationalOnly},
		{"POST", "/sites/{name}/resume", analyst, csrfSession, asHTML, light, s.siteAction("resume"), nationalOnly},
		{"POST", "/api/sites/{name}/resume", analyst, csrfSession, asJSON, light, s.siteAction("resume"), nationalOnly},
		// Editing sites.yaml from the console (sitesedit.go): national
		// analysts and admins, each change audited.
		{"GET", "/sites/new", watchers, csrfNone, asHTML, light, s.siteEditPage, nationalOnly},
		{"POST", "/sites/new", watchers, csrfSession, asHTML, light, s.saveSite, nationalOnly},
		{"GET", "/sites/{name}/edit", watchers, csrfNone, asHTML, light, s.siteEditPage, nationalOnly},
		{"POST", "/sites/{name}/edit", watchers, csrfSession, asHTML, light, s.saveSite, nationalOnly},
		{"POST", "/sites/{name}/remove", watchers, csrfSession, asHTML, light, s.removeSite, nationalOnly},
		{"POST", "/sites/reload", watchers, csrfSession, asHTML, light, s.reloadSites, nationalOnly},
		{"POST", "/api/sites/reload", watchers, csrfSession, asJSON, light, s.reloadSites, nationalOnly},
		{"GET", "/metrics", watchers, csrfNone, asJSON, light, s.metrics, nationalOnly},

		// Accounts, the audit log and the database (users.go, api.go).
		{"GET", "/users", admin, csrfNone, asHTML, heavy, s.users, anyCentre},
		{"GET", "/api/users", admin, csrfNone, asJSON, heavy, s.users, anyCentre},
		{"POST", "/users", admin, csrfSession, asHTML, light, s.addUser, anyCentre},
		{"POST", "/users/{name}", admin, csrfSession, asHTML, light, s.updateUser, anyCentre},
		{"POST", "/users/{name}/tokens", admin, csrfSession, asHTML, light, s.createToken, anyCentre},
		{"POST", "/tokens/{id}/revoke", admin, csrfSession, asHTML, light, s.revokeToken, anyCentre},
		// A centre's self-submission by victims, on the users page: the
		// centre's admins, or national admins for any centre.
		{"POST", "/centres/{id}/self-submit", admin, csrfSession, asHTML, light, s.setSelfSubmit, anyCentre},
		{"GET", "/audit", admin, csrfNone, asHTML, heavy, s.auditLog, anyCentre},
		{"GET", "/api/audit", admin, csrfNone, asJSON, heavy, s.auditLog, anyCentre},
		{"GET", "/api/verify", admin, csrfNone, asJSON, heavy, s.apiVerify, nationalOnly},
		{"GET", "/api/backup", admin, csrfNone, asJSON, heavy, s.apiBackup, nationalOnly},

		// Takedown notices (notices.go).
		{"GET", "/notices", operator, csrfNone, asHTML, heavy, s.noticesPage, anyCentre},
		{"GET", "/api/notices", operator, csrfNone, asJSON, heavy, s.apiNotices, anyCentre},
		{"POST", "/notices/draft", operator, csrfSession, asHTML, light, s.draftNotice, anyCentre},
		{"POST", "/notices", operator, csrfSession, asHTML, light, s.createNotice, anyCentre},
		{"GET", "/notices/{id}", operator, csrfNone, asHTML, light, s.noticePage, anyCentre},
		{"GET", "/notices/{id}/eml", operator, csrfNone, asHTML, light, s.noticeFile("eml"), anyCentre},
		{"GET", "/notices/{id}/txt", operator, csrfNone, asHTML, light, s.noticeFile("txt"), anyCentre},
		{"POST", "/notices/{id}/sent", operator, csrfSession, asHTML, light, s.markSent, anyCentre},
		{"POST", "/api/notices/{id}/sent", operator, csrfSession, asJSON, light, s.markSent, anyCentre},
		{"GET", "/notice-templates", operator, csrfNone, asHTML, light, s.templatesPage, anyCentre},
		{"POST", "/notice-templates/{lang}", operator, csrfSession, asHTML, light, s.saveTemplate, anyCentre},
		{"POST", "/notice-templates/{lang}/preview", operator, csrfSession, asHTML, light, s.previewTemplate, anyCentre},
		{"POST", "/contacts/{site}", noticeWriters, csrfSession, asHTML, light, s.setContact, nationalOnly},

		// Reported URLs (reports.go).
		{"GET", "/reports", reporters, csrfNone, asHTML, heavy, s.reportsPage, anyCentre},
		{"POST", "/reports", reporters, csrfSession, asHTML, light, s.submitReport, anyCentre},
		{"GET", "/api/reports", reporters, csrfNone, asJSON, heavy, s.apiReports, anyCentre},
		{"POST", "/api/reports", reporters, csrfSession, asJSON, light, s.apiSubmitReport, anyCentre},
		{"GET", "/api/reports/{id}", reporters, csrfNone, asJSON, light, s.apiReport, anyCentre},

		// Flood quarantine and the negative bank (quarantine.go).
		{"GET", "/quarantine", staff, csrfNone, asHTML, heavy, s.quarantine, anyCentre},
		{"GET", "/api/quarantine", staff, csrfNone, asJSON, heavy, s.quarantine, anyCentre},
		{"POST", "/quarantine/{id}/release", staff, csrfSession, asHTML, light, s.release, anyCentre},
		{"POST", "/api/quarantine/{id}/release", staff, csrfSession, asJSON, light, s.release, anyCentre},
		{"POST", "/quarantine/{id}/retire", staff, csrfSession, asHTML, heavy, s.retire, anyCentre},
		{"POST", "/api/quarantine/{id}/retire", staff, csrfSession, asJSON, heavy, s.retire, anyCentre},
		{"GET", "/negative", operator, csrfNone, asHTML, heavy, s.negatives, anyCentre},
		{"GET", "/api/negative", operator, csrfNone, asJSON, heavy, s.negatives, anyCentre},
		{"POST", "/alerts/{id}/negative", operator, csrfSession, asHTML, light, s.addNegative, anyCentre},
		{"POST", "/api/alerts/{id}/negative", operator, csrfSession, asJSON, light, s.addNegative, anyCentre},
		{"POST", "/negative/{id}/remove", operator, csrfSession, asHTML, light, s.removeNegative, anyCentre},
		{"POST", "/api/negative/{id}/remove", operator, csrfSession, asJSON, light, s.removeNegative, anyCentre},

		// The lookup API for partner platforms (lookup.go): match and
		// distance only, for tokens of scope lookup (and anyone logged
		// in); each caller sees the fingerprints of their own centre. A
		// request of many hashes costs like a list (the background
		// ratio test of each match): heavy.
		{"POST", "/api/lookup", anyone, csrfSession, asJSON, heavy, s.apiLookup, anyCentre},
		{"GET", "/api/lookup/feed", anyone, csrfNone, asJSON, heavy, s.apiLookupFeed, anyCentre},
	}
	if s.cfg.Mailer != nil {
		// Sending notices by mail exists only where SMTP is configured.
		rs = append(rs,
			route{"POST", "/notices/{id}/send", operator, csrfSession, asHTML, light, s.sendNotice, anyCentre},
			route{"POST", "/api/notices/{id}/send", operator, csrfSession, asJSON, light, s.sendNotice, anyCentre})
	}
	return rs
}

// checkRoutes refuses a route table that contradicts itself, so a row
// written wrong fails at start (and in every test) instead of opening a
// hole: a route open to nobody, a state change without a CSRF rule, a
// login-form rule on a route that needs a session, or the same route
// twice.
func checkRoutes(routes []route) error {
	seen := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		switch {
		case seen[key]:
			return fmt.Errorf("console: route %s listed twice", key)
		case len(rt.Roles) == 0:
			return fmt.Errorf("console: route %s is open to no role", key)
		case rt.h == nil:
			return fmt.Errorf("console: route %s has no handler", key)
		case (rt.Method == http.MethodGet) != (rt.CSRF == csrfNone):
			return fmt.Errorf("console: route %s: CSRF rule %s, want none exactly for GET", key, rt.CSRF)
		case (rt.CSRF == csrfLogin) != (rt.public() && rt.Method != http.MethodGet):
			return fmt.Errorf("console: route %s: CSRF rule %s, want login exactly on public state changes", key, rt.CSRF)
		}
		seen[key] = true
	}
	return nil
}

// tokenAllows reports whether an API token of scope may use rt, on top of
// its owner's role.
func tokenAllows(scope accounts.TokenScope, rt route) bool {
	switch scope {
	case accounts.ScopeFull:
		return true
	case accounts.ScopeRead:
		return rt.Method == http.MethodGet || rt.Method == http.MethodHead
	case accounts.ScopeReport:
		return rt.Path == "/api/me" || rt.Path == "/api/reports" || strings.HasPrefix(rt.Path, "/api/reports/")
	case accounts.ScopeOperator:
		return rt.allows(accounts.RoleOperator)
	case accounts.ScopeStaff:
		return rt.allows(accounts.RoleStaff)
	case accounts.ScopeLookup:
		return isLookupRoute(rt.Path)
	}
	return false
}

// allows reports whether role may use rt.
func (rt route) allows(role accounts.Role) bool {
	return rt.public() || slices.Contains(rt.Roles, role)
}

// allowsAny reports whether any of roles may use rt: a user with several
// roles does the work of each.
func (rt route) allowsAny(roles []accounts.Role) bool {
	return slices.ContainsFunc(roles, rt.allows)
}

// public reports whether rt needs no login.
func (rt route) public() bool { return slices.Contains(rt.Roles, anonymous) }

// mayGet reports whether a user with roles, of the national centre or
// not, may GET path (for the navigation bar).
func (s *Server) mayGet(path string, roles []accounts.Role, national bool) bool {
	for _, rt := range s.routes {
		if rt.Method == "GET" && rt.Path == path {
			return rt.allowsAny(roles) && (national || rt.Centres != nationalOnly)
		}
	}
	return false
}
