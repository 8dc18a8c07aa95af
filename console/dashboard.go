package console

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/console/admission"
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
		return 0, refuse(400, "err.bad_number", "days", truncate(v, 40), 1, 366)
	}
	return n, nil
}

// dashboard is the figures of the last days: a page with charts, or JSON.
// A regional user sees their centre's figures only; a national user the
// national total with each centre's side by side, or with ?centre=ID one
// centre's. The answer is kept (dashcache.go): a request it still holds
// for is answered without a slot of the gate (a few reads and a copy, as
// the guard's session check), its CPU time billed to the gate's share,
// one that must compute it in a heavy slot (without waiting for the
// share: admission.HeavyNow).
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, rq *request) error {
	days, err := dashboardDays(r)
	if err != nil {
		return err
	}
	scope, err := rq.scope(r)
	if err != nil {
		return err
	}
	now := s.now()
	version, err := s.db.Alerts.FiguresVersion()
	if err != nil {
		return err
	}
	data := dashboardData{Days: days, Statuses: allStatuses}
	var cs []centres.Centre
	y, m, dd := now.In(rq.loc.Zone).Date()
	stamp := dashStamp{version: version, today: time.Date(y, m, dd, 0, 0, 0, 0, rq.loc.Zone).Unix()}
	if scope != "" {
		c, err := s.db.Centres.Centre(scope)
		if err != nil {
			return err
		}
		data.CentreName = c.Name
		stamp.centres = c.Name
	} else {
		if cs, err = s.db.Centres.List(); err != nil {
			return err
		}
		var b strings.Builder
		for _, c := range cs {
			fmt.Fprintf(&b, "%q %q\n", c.ID, c.Name)
		}
		stamp.centres = b.String()
	}
	key := dashKey{scope: scope, lang: rq.loc.Lang, zone: rq.loc.Zone.String(), days: days, api: rq.api}
	if body, ok := s.dashboards.get(key, stamp, now); ok {
		// Answered at once, but its CPU time is console work all the
		// same: billed to the gate's share while the crawl runs.
		leave, err := s.admit(w, r, admission.Billed)
		if err != nil {
			return err
		}
		defer leave()
		return s.sendDashboard(w, r, rq, body)
	}
	// A heavy slot, but no wait for the handlers' share: the kept answer
	// is recomputed after a change, and waiting behind the alert lists'
	// share put the dashboard's p99 at 0.9 s under 16 clients.
	leave, err := s.admit(w, r, admission.HeavyNow)
	if err != nil {
		return err
	}
	defer leave()
	// Requests that found the answer missing wait for the slot together:
	// the first computes it, the ones after it take what it kept, unless
	// the figures changed meanwhile (the version is read again, before
	// the figures, as above).
	if stamp.version, err = s.db.Alerts.FiguresVersion(); err != nil {
		return err
	}
	if body, ok := s.dashboards.get(key, stamp, now); ok {
		return s.sendDashboard(w, r, rq, body)
	}
	var d alerts.Dashboard
	if scope != "" {
		if d, err = s.db.Takedown.DashboardOf(scope, now, rq.loc.Zone, days); err != nil {
			return err
		}
	} else {
		ids := make([]string, len(cs))
		for i, c := range cs {
			ids[i] = c.ID
		}
		if d, err = s.db.Takedown.NationalDashboard(ids, now, rq.loc.Zone, days); err != nil {
			return err
		}
		for i, cd := range d.Centres {
			data.Centres = append(data.Centres, figuresOf(cs[i].ID, cs[i].Name, cd))
		}
		data.Total = figuresOf("", "", d)
	}
	data.D = d
	var body []byte
	if rq.api {
		body, err = encodeJSON(NewDashboardJSON(d))
	} else {
		body, err = s.renderContent(rq, "dashboard", s.dashboardCharts(rq, data))
	}
	if err != nil {
		return err
	}
	s.dashboards.put(key, stamp, now, body)
	return s.sendDashboard(w, r, rq, body)
}

// dashboardCharts draws data's charts in rq's language.
func (s *Server) dashboardCharts(rq *request, data dashboardData) dashboardData {
	d := data.D
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
	return data
}

// sendDashboard answers with a dashboard rendered by dashboard, kept or
// fresh: the JSON body, or the page's content in the page's frame (the
// user's navigation and session token, rendered for each request).
func (s *Server) sendDashboard(w http.ResponseWriter, r *http.Request, rq *request, body []byte) error {
	if rq.api {
		writeJSONBody(w, http.StatusOK, body)
		return nil
	}
	return s.render(w, r, rq, http.StatusOK, "prerendered", rq.loc.T("dashboard.title"), template.HTML(body))
}
