package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/store"
)

type reportsData struct {
	Reports []alerts.URLReport
	Result  *alerts.URLReport
}

// reportFilter limits what a user sees of reported URLs: operators review
// every alert, reported ones included, and see every report; anyone else
// (staff, partners' scripts) sees only the reports they submitted, which
// may carry another hotline's notes and the places a victim was seen.
func reportFilter(rq *request, limit int) alerts.URLReportFilter {
	f := alerts.URLReportFilter{Limit: limit}
	if !rq.national() {
		f.Centre = rq.user.Centre
	}
	if !rq.user.Has(accounts.RoleOperator) {
		f.SubmittedBy = rq.user.Name
	}
	return f
}

// ownAlertsOnly drops from a report's outcomes the alerts rq's user does
// not see: a reported URL that matched another centre's case raised that
// centre's alert, which a regional submitter is not shown (not even its
// ID).
func (s *Server) ownAlertsOnly(rq *request, rep alerts.URLReport) alerts.URLReport {
	if rq.national() {
		return rep
	}
	urls := make([]alerts.URLOutcome, len(rep.URLs))
	for i, o := range rep.URLs {
		var ids []uint64
		for _, id := range o.AlertIDs {
			if _, err := s.alertFor(rq, id); err == nil {
				ids = append(ids, id)
			}
		}
		o.AlertIDs = ids
		urls[i] = o
	}
	rep.URLs = urls
	return rep
}

func (s *Server) ownAlertsOnlyAll(rq *request, reps []alerts.URLReport) []alerts.URLReport {
	for i := range reps {
		reps[i] = s.ownAlertsOnly(rq, reps[i])
	}
	return reps
}

func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	reps, err := s.db.Alerts.URLReports(reportFilter(rq, 50))
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "reports", rq.loc.T("reports.title"), reportsData{Reports: s.ownAlertsOnlyAll(rq, reps)})
}

// submitURLs has each URL fetched, hashed and matched at once
// (crawler.Inspector.Submit, which stores the report with its submitter and
// each URL's outcome).
func (s *Server) submitURLs(r *http.Request, rq *request, urls []string, note string) (alerts.URLReport, error) {
	if s.cfg.Inspector == nil {
		return alerts.URLReport{}, refuse(http.StatusConflict, "err.no_inspector")
	}
	var clean []string
	for _, u := range urls {
		if u = strings.TrimSpace(u); u != "" {
			clean = append(clean, u)
		}
	}
	if len(clean) == 0 {
		return alerts.URLReport{}, refuse(400, "err.no_urls")
	}
	rep, err := s.cfg.Inspector.Submit(r.Context(), clean, strings.TrimSpace(note), rq.actor())
	if err != nil {
		return rep, fmt.Errorf("report: %w", err)
	}
	return rep, nil
}

func (s *Server) submitReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	rep, err := s.submitURLs(r, rq, strings.Split(r.PostForm.Get("urls"), "\n"), r.PostForm.Get("note"))
	if err != nil {
		return err
	}
	reps, err := s.db.Alerts.URLReports(reportFilter(rq, 50))
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "reports", rq.loc.T("reports.title"), reportsData{Reports: s.ownAlertsOnlyAll(rq, reps), Result: ptr(s.ownAlertsOnly(rq, rep))})
}

func (s *Server) apiSubmitReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body struct {
		URLs []string `json:"urls"`
		Note string   `json:"note"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	rep, err := s.submitURLs(r, rq, body.URLs, body.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, NewURLReportJSON(s.ownAlertsOnly(rq, rep)))
	return nil
}

func (s *Server) apiReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	rep, err := s.db.Alerts.URLReport(id)
	if err == nil && (!rq.sees(rep.Centre) || reportFilter(rq, 0).SubmittedBy != "" && rep.SubmittedBy != rq.user.Name) {
		// Someone else's report does not exist, as far as this user is
		// told.
		err = fmt.Errorf("URL report %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, NewURLReportJSON(s.ownAlertsOnly(rq, rep)))
	return nil
}

// apiReports lists the latest reports (?limit=N, at most 1000; default 100).
func (s *Server) apiReports(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := reportFilter(rq, 0)
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return refuse(400, "err.bad_number", "limit", truncate(v, 40), 1, 1000)
		}
		f.Limit = n
	}
	reps, err := s.db.Alerts.URLReports(f)
	if err != nil {
		return err
	}
	if reps == nil {
		reps = []alerts.URLReport{}
	}
	writeJSON(w, http.StatusOK, convert(s.ownAlertsOnlyAll(rq, reps), NewURLReportJSON))
	return nil
}
