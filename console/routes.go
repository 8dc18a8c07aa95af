package console

import (
	"net/http"
	"slices"
	"strings"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
)

// route is one entry of the route table: the only place access is granted.
type route struct {
	Method string
	Path   string // net/http pattern path, with {wildcards}
	// Roles may use the route; Public routes need no login at all.
	Roles  []accounts.Role
	Public bool
	// Multipart routes read their body as a stream and check the CSRF
	// token themselves (it is the first part), since parsing the form
	// first would buffer the uploads.
	Multipart bool
	h         handler
}

// RouteInfo describes one route for documentation and tests.
type RouteInfo struct {
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Roles  []accounts.Role `json:"roles"`
	Public bool            `json:"public"`
}

// Routes lists every route with the roles allowed on it.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, rt := range s.routes {
		out[i] = RouteInfo{Method: rt.Method, Path: rt.Path, Roles: slices.Clone(rt.Roles), Public: rt.Public}
	}
	return out
}

// Who does what (issue 7): staff register and withdraw cases, operators
// review alerts and send notices, analysts manage sites and crawls, admins
// manage users and read the audit log. Everyone logged in sees the
// dashboard and their own settings.
var (
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
)

// routeTable is every route of the console, in one place.
func (s *Server) routeTable() []route {
	return []route{
		{Method: "GET", Path: "/login", Public: true, h: s.loginPage},
		{Method: "POST", Path: "/login", Public: true, h: s.login},
		{Method: "GET", Path: "/healthz", Public: true, h: s.healthz},
		{Method: "POST", Path: "/logout", Roles: anyone, h: s.logout},
		{Method: "GET", Path: "/{$}", Roles: anyone, h: s.home},
		{Method: "GET", Path: "/settings", Roles: anyone, h: s.settingsPage},
		{Method: "POST", Path: "/settings", Roles: anyone, h: s.saveSettings},

		{Method: "GET", Path: "/alerts", Roles: operator, h: s.alertQueue},
		{Method: "GET", Path: "/alerts/{id}", Roles: operator, h: s.alert},
		{Method: "POST", Path: "/alerts/{id}/reveal", Roles: operator, h: s.revealPreview},
		{Method: "GET", Path: "/alerts/{id}/preview", Roles: operator, h: s.preview},
		{Method: "POST", Path: "/alerts/{id}/confirm", Roles: operator, h: s.decideAlert(alerts.StatusConfirmed)},
		{Method: "POST", Path: "/alerts/{id}/dismiss", Roles: operator, h: s.dismissAlert},
		{Method: "POST", Path: "/alerts/bulk", Roles: operator, h: s.bulkAlerts},

		{Method: "GET", Path: "/cases", Roles: staff, h: s.cases},
		{Method: "POST", Path: "/cases", Roles: staff, Multipart: true, h: s.registerCase},
		{Method: "POST", Path: "/cases/{id}/withdraw", Roles: staff, h: s.withdrawCase},

		{Method: "GET", Path: "/sites", Roles: analyst, h: s.sites},
		{Method: "POST", Path: "/sites/{name}/pass", Roles: analyst, h: s.siteAction("pass")},
		{Method: "POST", Path: "/sites/{name}/pause", Roles: analyst, h: s.siteAction("pause")},
		{Method: "POST", Path: "/sites/{name}/resume", Roles: analyst, h: s.siteAction("resume")},

		{Method: "GET", Path: "/users", Roles: admin, h: s.users},
		{Method: "POST", Path: "/users", Roles: admin, h: s.addUser},
		{Method: "POST", Path: "/users/{name}", Roles: admin, h: s.updateUser},
		{Method: "POST", Path: "/users/{name}/tokens", Roles: admin, h: s.createToken},
		{Method: "POST", Path: "/tokens/{id}/revoke", Roles: admin, h: s.revokeToken},
		{Method: "GET", Path: "/audit", Roles: admin, h: s.auditLog},

		{Method: "GET", Path: "/metrics", Roles: watchers, h: s.metrics},

		{Method: "GET", Path: "/api/me", Roles: anyone, h: s.apiMe},
		{Method: "GET", Path: "/api/alerts", Roles: operator, h: s.alertQueue},
		{Method: "GET", Path: "/api/alerts/{id}", Roles: operator, h: s.alert},
		{Method: "POST", Path: "/api/alerts/{id}/confirm", Roles: operator, h: s.decideAlert(alerts.StatusConfirmed)},
		{Method: "POST", Path: "/api/alerts/{id}/dismiss", Roles: operator, h: s.dismissAlert},
		{Method: "POST", Path: "/api/alerts/bulk", Roles: operator, h: s.apiBulk},
		{Method: "GET", Path: "/api/cases", Roles: staff, h: s.cases},
		{Method: "POST", Path: "/api/cases/{id}/withdraw", Roles: staff, h: s.withdrawCase},
		{Method: "GET", Path: "/api/sites", Roles: analyst, h: s.sites},
		{Method: "POST", Path: "/api/sites/{name}/pass", Roles: analyst, h: s.siteAction("pass")},
		{Method: "POST", Path: "/api/sites/{name}/pause", Roles: analyst, h: s.siteAction("pause")},
		{Method: "POST", Path: "/api/sites/{name}/resume", Roles: analyst, h: s.siteAction("resume")},
		{Method: "GET", Path: "/api/users", Roles: admin, h: s.users},
		{Method: "GET", Path: "/api/audit", Roles: admin, h: s.auditLog},
		{Method: "GET", Path: "/api/verify", Roles: admin, h: s.apiVerify},
		{Method: "GET", Path: "/api/backup", Roles: admin, h: s.apiBackup},

		// Takedown notices, the dashboard and reported URLs (notices.go,
		// dashboard.go, reports.go).
		{Method: "GET", Path: "/dashboard", Roles: anyone, h: s.dashboard},
		{Method: "GET", Path: "/api/dashboard", Roles: anyone, h: s.dashboard},

		{Method: "GET", Path: "/notices", Roles: operator, h: s.noticesPage},
		{Method: "POST", Path: "/notices/draft", Roles: operator, h: s.draftNotice},
		{Method: "POST", Path: "/notices", Roles: operator, h: s.createNotice},
		{Method: "GET", Path: "/notices/{id}", Roles: operator, h: s.noticePage},
		{Method: "GET", Path: "/notices/{id}/eml", Roles: operator, h: s.noticeFile("eml")},
		{Method: "GET", Path: "/notices/{id}/txt", Roles: operator, h: s.noticeFile("txt")},
		{Method: "POST", Path: "/notices/{id}/sent", Roles: operator, h: s.markSent},
		{Method: "GET", Path: "/notice-templates", Roles: operator, h: s.templatesPage},
		{Method: "POST", Path: "/notice-templates/{lang}", Roles: operator, h: s.saveTemplate},
		{Method: "POST", Path: "/contacts/{site}", Roles: noticeWriters, h: s.setContact},
		{Method: "GET", Path: "/api/notices", Roles: operator, h: s.apiNotices},
		{Method: "POST", Path: "/api/notices/{id}/sent", Roles: operator, h: s.markSent},

		{Method: "GET", Path: "/reports", Roles: reporters, h: s.reportsPage},
		{Method: "POST", Path: "/reports", Roles: reporters, h: s.submitReport},
		{Method: "GET", Path: "/api/reports", Roles: reporters, h: s.apiReports},
		{Method: "POST", Path: "/api/reports", Roles: reporters, h: s.apiSubmitReport},
		{Method: "GET", Path: "/api/reports/{id}", Roles: reporters, h: s.apiReport},

		// Flood quarantine and the negative bank (quarantine.go).
		{Method: "GET", Path: "/quarantine", Roles: staff, h: s.quarantine},
		{Method: "POST", Path: "/quarantine/{id}/release", Roles: staff, h: s.release},
		{Method: "POST", Path: "/quarantine/{id}/retire", Roles: staff, h: s.retire},
		{Method: "GET", Path: "/api/quarantine", Roles: staff, h: s.quarantine},
		{Method: "POST", Path: "/api/quarantine/{id}/release", Roles: staff, h: s.release},
		{Method: "POST", Path: "/api/quarantine/{id}/retire", Roles: staff, h: s.retire},

		{Method: "GET", Path: "/negative", Roles: operator, h: s.negatives},
		{Method: "POST", Path: "/alerts/{id}/negative", Roles: operator, h: s.addNegative},
		{Method: "POST", Path: "/negative/{id}/remove", Roles: operator, h: s.removeNegative},
		{Method: "GET", Path: "/api/negative", Roles: operator, h: s.negatives},
		{Method: "POST", Path: "/api/alerts/{id}/negative", Roles: operator, h: s.addNegative},
		{Method: "POST", Path: "/api/negative/{id}/remove", Roles: operator, h: s.removeNegative},
	}
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
	}
	return false
}

// allows reports whether role may use rt.
func (rt route) allows(role accounts.Role) bool {
	return rt.Public || slices.Contains(rt.Roles, role)
}

// mayGet reports whether role may GET path (for the navigation bar).
func (s *Server) mayGet(path string, role accounts.Role) bool {
	for _, rt := range s.routes {
		if rt.Method == "GET" && rt.Path == path {
			return rt.allows(role)
		}
	}
	return false
}
