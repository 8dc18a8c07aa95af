package console

// extraRoutes are the routes of takedown notices, the dashboard and
// reported URLs (notices.go, dashboard.go, reports.go).
func (s *Server) extraRoutes() []route {
	rs := []route{
		{Method: "GET", Path: "/dashboard", Roles: anyone, h: s.dashboardPage},
		{Method: "GET", Path: "/api/dashboard", Roles: anyone, h: s.apiDashboard},

		{Method: "GET", Path: "/notices", Roles: operator, h: s.noticesPage},
		{Method: "POST", Path: "/notices/draft", Roles: operator, h: s.draftNotice},
		{Method: "POST", Path: "/notices", Roles: operator, h: s.createNotice},
		{Method: "GET", Path: "/notices/{id}", Roles: operator, h: s.noticePage},
		{Method: "GET", Path: "/notices/{id}/eml", Roles: operator, h: s.noticeEML},
		{Method: "GET", Path: "/notices/{id}/txt", Roles: operator, h: s.noticeTXT},
		{Method: "POST", Path: "/notices/{id}/sent", Roles: operator, h: s.markSent},
		{Method: "GET", Path: "/notice-templates", Roles: operator, h: s.templatesPage},
		{Method: "POST", Path: "/notice-templates/{lang}", Roles: operator, h: s.saveTemplate},
		{Method: "POST", Path: "/contacts/{site}", Roles: noticeWriters, h: s.setContact},
		{Method: "GET", Path: "/api/notices", Roles: operator, h: s.apiNotices},
		{Method: "POST", Path: "/api/notices/{id}/sent", Roles: operator, h: s.apiMarkSent},

		{Method: "GET", Path: "/reports", Roles: reporters, h: s.reportsPage},
		{Method: "POST", Path: "/reports", Roles: reporters, h: s.submitReport},
		{Method: "GET", Path: "/api/reports", Roles: reporters, h: s.apiReports},
		{Method: "POST", Path: "/api/reports", Roles: reporters, h: s.apiSubmitReport},
		{Method: "GET", Path: "/api/reports/{id}", Roles: reporters, h: s.apiReport},
	}
	// Flood quarantine and the negative bank (quarantine.go).
	return append(rs, s.quarantineRoutes()...)
}
