package console

import (
	"html/template"
	"net/http"
	"strconv"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/console/chart"
)

type dashboardData struct {
	// D is the figures shown: one centre's, or the national total with
	// each centre's in D.Centres.
	D alerts.Dashboard
	// CentreName names D's centre (empty for the national total).
	CentreName string
	// Centres are the rows of the national total's by-centre table.
	Centres    []centreFigures
	Total      centreFigures
	Days       int
	AlertsSVG  template.HTML
	RemovalSVG template.HTML
	Statuses   []alerts.Status
}

// centreFigures is one row of the national dashboard's by-centre table.
type centreFigures struct {
	ID, Name       string
	Alerts         int // created in the dashboard's days
	Open           int
	Queue          map[alerts.Status]int
	OverdueNotices int
	Removed        int
}

// figuresOf sums d's row of the by-centre table.
func figuresOf(id, name string, d alerts.Dashboard) centreFigures {
	f := centreFigures{ID: id, Name: name, Open: d.Open, Queue: d.Queue, OverdueNotices: d.OverdueNotices}
	for _, dc := range d.Days {
		f.Alerts += dc.Alerts
	}
	for _, r := range d.Removal {
		f.Removed += r.Removed
	}
	return f
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
// A regional user sees their centre's figures only; a national user the
// national total with each centre's side by side, or with ?centre=ID one
// centre's.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, rq *request) error {
	days, err := dashboardDays(r)
	if err != nil {
		return err
	}
	scope, err := rq.scope(r)
	if err != nil {
		return err
	}
	var d alerts.Dashboard
	data := dashboardData{Days: days, Statuses: allStatuses}
	if scope != "" {
		c, err := s.db.Centres.Centre(scope)
		if err != nil {
			return err
		}
		data.CentreName = c.Name
		if d, err = s.db.Takedown.DashboardOf(scope, s.now(), rq.loc.Zone, days); err != nil {
			return err
		}
	} else {
		cs, err := s.db.Centres.List()
		if err != nil {
			return err
		}
		ids := make([]string, len(cs))
		for i, c := range cs {
			ids[i] = c.ID
		}
		if d, err = s.db.Takedown.NationalDashboard(ids, s.now(), rq.loc.Zone, days); err != nil {
			return err
		}
		for i, cd := range d.Centres {
			data.Centres = append(data.Centres, figuresOf(cs[i].ID, cs[i].Name, cd))
		}
		data.Total = figuresOf("", "", d)
	}
	data.D = d
	pts := make([]chart.Point, len(d.Days))
	for i, dc := range d.Days {
		pts[i] = chart.Point{Label: dc.Day.Format("01-02"), Value: float64(dc.Alerts)}
	}
	var rem []chart.Point
	for _, sr := range d.Removal {
		rem = append(rem, chart.Point{Label: sr.Site, Value: sr.Median.Hours()})
	}
	data.AlertsSVG = chart.Bars(rq.loc.T("dashboard.alerts_per_day"), pts, chart.Options{Width: 640})
	data.RemovalSVG = chart.Bars(rq.loc.T("dashboard.median_hours"), rem, chart.Options{Width: 640,
		Format: func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " h" }})
	return s.respond(w, r, rq, reply{page: "dashboard", title: rq.loc.T("dashboard.title"), html: data, json: NewDashboardJSON(d)})
}
