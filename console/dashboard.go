package console

import (
	"html/template"
	"net/http"
	"strconv"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/console/chart"
)

type dashboardData struct {
	D          alerts.Dashboard
	Days       int
	AlertsSVG  template.HTML
	RemovalSVG template.HTML
	Statuses   []alerts.Status
}

// dashboardDays reads ?days=N (default 30, at most a year).
func dashboardDays(r *http.Request) (int, error) {
	v := r.URL.Query().Get("days")
	if v == "" {
		return 30, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 366 {
		return 0, errorf(400, "days %q: want 1–366", truncate(v, 40))
	}
	return n, nil
}

// dashboard is the figures of the last days: a page with charts, or JSON.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, rq *request) error {
	days, err := dashboardDays(r)
	if err != nil {
		return err
	}
	d, err := s.db.Takedown.Dashboard(s.now(), rq.loc.Zone, days)
	if err != nil {
		return err
	}
	pts := make([]chart.Point, len(d.Days))
	for i, dc := range d.Days {
		pts[i] = chart.Point{Label: dc.Day.Format("01-02"), Value: float64(dc.Alerts)}
	}
	var rem []chart.Point
	for _, sr := range d.Removal {
		rem = append(rem, chart.Point{Label: sr.Site, Value: sr.Median.Hours()})
	}
	data := dashboardData{D: d, Days: days, Statuses: allStatuses,
		AlertsSVG: chart.Bars(rq.loc.T("dashboard.alerts_per_day"), pts, chart.Options{Width: 640}),
		RemovalSVG: chart.Bars(rq.loc.T("dashboard.median_hours"), rem, chart.Options{Width: 640,
			Format: func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " h" }})}
	return s.respond(w, r, rq, reply{page: "dashboard", title: rq.loc.T("dashboard.title"), html: data, json: NewDashboardJSON(d)})
}
