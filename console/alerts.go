package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/store"
)

// decide applies an operator's decision to one alert and records it in the
// audit log: confirm only a new alert; dismiss a new or confirmed one, with
// a reason. Other moves (re-opening, confirming a removed alert) are
// refused with a message rather than silently rewriting history.
func (s *Server) decide(ctx context.Context, rq *request, id uint64, to alerts.Status, reason string) (alerts.Alert, error) {
	reason = strings.TrimSpace(reason)
	if len(reason) > maxReason {
		return alerts.Alert{}, errorf(400, "reason longer than %d bytes", maxReason)
	}
	// The check, the change and its audit record are one transaction
	// (alerts.Store.DecideAlert): two operators deciding the same alert at
	// once get one decision and one conflict, never two decisions from the
	// same "new" state, and no decision is ever left unrecorded.
	return s.db.Alerts.DecideAlert(ctx, id, to, reason, rq.actor())
}

type alertsData struct {
	Q        queueQuery
	R        queueResult
	Statuses []alerts.Status
	Sites    []string
	Prev     string
	Next     string
}

var allStatuses = []alerts.Status{alerts.StatusNew, alerts.StatusConfirmed, alerts.StatusNoticeSent, alerts.StatusRemoved, alerts.StatusDismissed, alerts.StatusWithdrawn, alerts.StatusQuarantined}

// alertQueue is the queue, as a page or as JSON, with the same query
// parameters either way: status, site, case, from, to, sort, page,
// per_page.
func (s *Server) alertQueue(w http.ResponseWriter, r *http.Request, rq *request) error {
	qq, err := parseQueue(r.URL.Query(), rq.loc.Zone)
	if err != nil {
		return err
	}
	res, err := qq.run(r.Context(), s.db)
	if err != nil {
		return err
	}
	d := alertsData{Q: qq, R: res, Statuses: allStatuses}
	for _, st := range s.cfg.Sites {
		d.Sites = append(d.Sites, st.Name)
	}
	if qq.Page > 1 {
		d.Prev = qq.Link(qq.Page - 1)
	}
	if qq.Page < res.Pages {
		d.Next = qq.Link(qq.Page + 1)
	}
	return s.respond(w, r, rq, reply{page: "alerts", title: rq.loc.T("alerts.title"), html: d,
		json: alertsJSON{Alerts: alertsJSONOf(res.Alerts), Counts: res.Counts, Total: res.Total, Page: qq.Page, Pages: res.Pages, PerPage: qq.PerPage}})
}

type alertData struct {
	A         alerts.Alert
	CaseLabel string
	Revealed  bool
	Preview   bool // a preview is stored
	// Negative is the media's negative bank entry (quarantine.go), if any.
	Negative *alerts.NegativeEntry
}

// alert is one alert: the review page with its evidence, or its JSON.
func (s *Server) alert(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	a, err := s.db.Alerts.Alert(id)
	if err != nil {
		return err
	}
	d := alertData{A: a, CaseLabel: s.caseLabel(a.Case)}
	if _, err := s.db.Alerts.Preview(a.MediaSHA256); err == nil {
		d.Preview = true
	}
	d.Revealed = d.Preview && rq.session != nil && s.isRevealed(rq.session.ID, id)
	if e, ok, err := s.db.Alerts.NegativeOf(a.MediaSHA256); err == nil && ok {
		d.Negative = &e
	}
	return s.respond(w, r, rq, reply{page: "alert", title: rq.loc.T("alert.title", id), html: d, json: NewAlertJSON(a)})
}

// caseLabel is the label staff gave a case ("" when none or unknown):
// operators see what a match is about, never the registered content.
func (s *Server) caseLabel(id string) string {
	c, err := s.db.Index.Case(id)
	if err != nil {
		return ""
	}
	return c.Label
}

// revealPreview is the explicit, audited step before an operator sees the
// blurred preview of a match.
func (s *Server) revealPreview(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	a, err := s.db.Alerts.Alert(id)
	if err != nil {
		return err
	}
	if _, err := s.db.Alerts.Preview(a.MediaSHA256); err != nil {
		return fmt.Errorf("alert %d has no stored preview: %w", id, err)
	}
	if rq.session == nil {
		return errorf(400, "previews are revealed in a browser session")
	}
	if err := s.db.Store.Audit(r.Context(), store.AuditEntry{User: rq.user.Name, Remote: rq.remote, Token: rq.actor().Token, Action: "alert.reveal", Target: fmt.Sprint(id)}); err != nil {
		return err // no record, no reveal
	}
	s.reveal(rq.session.ID, id)
	http.Redirect(w, r, fmt.Sprintf("/alerts/%d#preview", id), http.StatusSeeOther)
	return nil
}

// preview serves a blurred preview, only to a session that revealed it.
func (s *Server) preview(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	if rq.session == nil || !s.isRevealed(rq.session.ID, id) {
		return errorf(http.StatusConflict, "reveal the preview of alert %d first (the reveal is recorded)", id)
	}
	a, err := s.db.Alerts.Alert(id)
	if err != nil {
		return err
	}
	jpeg, err := s.db.Alerts.Preview(a.MediaSHA256)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Disposition", "inline")
	_, _ = w.Write(jpeg)
	return nil
}

// decideAlert confirms or dismisses one alert: a form post that returns
// to the alert with a flash message, or an API call answered with the
// alert. A dismissal's reason is the form's or the JSON body's "reason".
func (s *Server) decideAlert(to alerts.Status) handler {
	return func(w http.ResponseWriter, r *http.Request, rq *request) error {
		id, err := parseID(r.PathValue("id"))
		if err != nil {
			return err
		}
		reason, err := reasonOf(r, rq)
		if err != nil {
			return err
		}
		a, err := s.decide(r.Context(), rq, id, to, reason)
		if err != nil {
			return err
		}
		return s.respond(w, r, rq, reply{redirect: fmt.Sprintf("/alerts/%d?done=%s", id, to), json: NewAlertJSON(a)})
	}
}

// dismissAlert dismisses an alert — and, from the review page's "not this
// content" box, adds its media to the negative bank in the same
// transaction (quarantine.go).
func (s *Server) dismissAlert(w http.ResponseWriter, r *http.Request, rq *request) error {
	if !rq.api && r.PostForm.Get("negative") != "" {
		return s.addNegative(w, r, rq)
	}
	return s.decideAlert(alerts.StatusDismissed)(w, r, rq)
}

// bulkResult is the outcome of a bulk action per alert.
type bulkResult struct {
	ID     uint64 `json:"id"`
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// bulk applies one decision to several alerts; each alert succeeds or
// fails on its own.
func (s *Server) bulk(ctx context.Context, rq *request, action string, ids []uint64, reason string) ([]bulkResult, error) {
	var to alerts.Status
	switch action {
	case "confirm":
		to = alerts.StatusConfirmed
	case "dismiss":
		to = alerts.StatusDismissed
		if strings.TrimSpace(reason) == "" {
			return nil, errorf(400, "dismissing needs a reason")
		}
	default:
		return nil, errorf(400, "unknown action %q (confirm or dismiss)", truncate(action, 40))
	}
	out := make([]bulkResult, len(ids))
	for i, id := range ids {
		out[i].ID = id
		a, err := s.decide(ctx, rq, id, to, reason)
		if err != nil {
			if st, _ := statusOf(err); st == http.StatusInternalServerError {
				return out, err
			}
			out[i].Error = err.Error()
			continue
		}
		out[i].Status = string(a.Status)
	}
	return out, nil
}

// bulkAlerts is the queue page's bulk action: every selected alert
// decided, or a 409 listing those that could not be.
func (s *Server) bulkAlerts(w http.ResponseWriter, r *http.Request, rq *request) error {
	ids, err := parseIDs(r.PostForm["id"])
	if err != nil {
		return err
	}
	res, err := s.bulk(r.Context(), rq, r.PostForm.Get("action"), ids, r.PostForm.Get("reason"))
	if err != nil {
		return err
	}
	var failed []string
	for _, b := range res {
		if b.Error != "" {
			failed = append(failed, b.Error)
		}
	}
	if len(failed) > 0 {
		return errorf(http.StatusConflict, "%s", strings.Join(failed, "\n"))
	}
	back := safeNext(r.PostForm.Get("back"))
	if back == "" || !strings.HasPrefix(back, "/alerts") {
		back = "/alerts"
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+"done=bulk", http.StatusSeeOther)
	return nil
}

// apiBulk is the API's bulk action: each alert succeeds or fails on its
// own, and the answer says which.
func (s *Server) apiBulk(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body decisionJSON
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if len(body.IDs) == 0 || len(body.IDs) > maxBulk {
		return errorf(400, "ids: want 1–%d alert IDs", maxBulk)
	}
	res, err := s.bulk(r.Context(), rq, body.Action, body.IDs, body.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": res})
	return nil
}
