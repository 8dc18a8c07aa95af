package console

import (
	"errors"
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
	if rq.user.Role != accounts.RoleOperator {
		f.SubmittedBy = rq.user.Name
	}
	return f
}

func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	reps, err := s.db.Alerts.URLReports(reportFilter(rq, 50))
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "reports", rq.loc.T("reports.title"), reportsData{Reports: reps})
}

// errNoInspector reports a reported-URL submission to a console that
// fetches nothing.
var errNoInspector = errors.New("this console does not inspect reported URLs (start it with `hashwatch serve`)")

// submitURLs has each URL fetched, hashed and matched at once
// (crawler.Inspector.Submit, which stores the report with its submitter and
// each URL's outcome).
func (s *Server) submitURLs(r *http.Request, rq *request, urls []string, note string) (alerts.URLReport, error) {
	if s.cfg.Inspector == nil {
		return alerts.URLReport{}, errorf(http.StatusConflict, "%s", errNoInspector)
	}
	var clean []string
	for _, u := range urls {
		if u = strings.TrimSpace(u); u != "" {
			clean = append(clean, u)
		}
	}
	if len(clean) == 0 {
		return alerts.URLReport{}, errorf(400, "no URLs given (one per line)")
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
	return s.render(w, r, rq, http.StatusOK, "reports", rq.loc.T("reports.title"), reportsData{Reports: reps, Result: &rep})
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
	writeJSON(w, http.StatusOK, NewURLReportJSON(rep))
	return nil
}

func (s *Server) apiReport(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	rep, err := s.db.Alerts.URLReport(id)
	if err == nil && reportFilter(rq, 0).SubmittedBy != "" && rep.SubmittedBy != rq.user.Name {
		// Someone else's report does not exist, as far as this user is
		// told.
		err = fmt.Errorf("URL report %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, NewURLReportJSON(rep))
	return nil
}

// apiReports lists the latest reports (?limit=N, at most 1000; default 100).
func (s *Server) apiReports(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := reportFilter(rq, 0)
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return errorf(400, "limit %q: want 1–1000", truncate(v, 40))
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
	writeJSON(w, http.StatusOK, convert(reps, NewURLReportJSON))
	return nil
}
