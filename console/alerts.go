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

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request, rq *request) {
	qq, err := parseQueue(r.URL.Query(), rq.loc.Zone)
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	res, err := qq.run(r.Context(), s.db)
	if err != nil {
		s.fail(w, r, rq, err)
		return
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
	s.render(w, r, rq, http.StatusOK, "alerts", rq.loc.T("alerts.title"), d)
}

type alertData struct {
	A         alerts.Alert
	CaseLabel string
	Revealed  bool
	Preview   bool // a preview is stored
	// Negative is the media's negative bank entry (quarantine.go), if any.
	Negative *alerts.NegativeEntry
}

func (s *Server) alertPage(w http.ResponseWriter, r *http.Request, rq *request) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	a, err := s.db.Alerts.Alert(id)
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	d := alertData{A: a, CaseLabel: s.caseLabel(a.Case)}
	if _, err := s.db.Alerts.Preview(a.MediaSHA256); err == nil {
		d.Preview = true
	}
	d.Revealed = d.Preview && rq.session != nil && s.isRevealed(rq.session.ID, id)
	if e, ok, err := s.db.Alerts.NegativeOf(a.MediaSHA256); err == nil && ok {
		d.Negative = &e
	}
	s.render(w, r, rq, http.StatusOK, "alert", rq.loc.T("alert.title", id), d)
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
func (s *Server) revealPreview(w http.ResponseWriter, r *http.Request, rq *request) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	a, err := s.db.Alerts.Alert(id)
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	if _, err := s.db.Alerts.Preview(a.MediaSHA256); err != nil {
		s.fail(w, r, rq, fmt.Errorf("alert %d has no stored preview: %w", id, err))
		return
	}
	if rq.session == nil {
		s.fail(w, r, rq, errorf(400, "previews are revealed in a browser session"))
		return
	}
	if err := s.db.Store.Audit(r.Context(), store.AuditEntry{User: rq.user.Name, Remote: rq.remote, Token: rq.actor().Token, Action: "alert.reveal", Target: fmt.Sprint(id)}); err != nil {
		s.fail(w, r, rq, err) // no record, no reveal
		return
	}
	s.reveal(rq.session.ID, id)
	http.Redirect(w, r, fmt.Sprintf("/alerts/%d#preview", id), http.StatusSeeOther)
}

// preview serves a blurred preview, only to a session that revealed it.
func (s *Server) preview(w http.ResponseWriter, r *http.Request, rq *request) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	if rq.session == nil || !s.isRevealed(rq.session.ID, id) {
		s.fail(w, r, rq, errorf(http.StatusConflict, "reveal the preview of alert %d first (the reveal is recorded)", id))
		return
	}
	a, err := s.db.Alerts.Alert(id)
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	jpeg, err := s.db.Alerts.Preview(a.MediaSHA256)
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Disposition", "inline")
	_, _ = w.Write(jpeg)
}

func (s *Server) confirmAlert(w http.ResponseWriter, r *http.Request, rq *request) {
	s.decideForm(w, r, rq, alerts.StatusConfirmed)
}

func (s *Server) dismissAlert(w http.ResponseWriter, r *http.Request, rq *request) {
	if r.PostForm.Get("negative") != "" {
		// "Not this content": dismissed and added to the negative bank in
		// one transaction (quarantine.go).
		s.negativeForm(w, r, rq)
		return
	}
	s.decideForm(w, r, rq, alerts.StatusDismissed)
}

func (s *Server) decideForm(w http.ResponseWriter, r *http.Request, rq *request, to alerts.Status) {
	id, err := parseID(r.PathValue("id"))
	if err == nil {
		_, err = s.decide(r.Context(), rq, id, to, r.PostForm.Get("reason"))
	}
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/alerts/%d?done=%s", id, to), http.StatusSeeOther)
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

func (s *Server) bulkAlerts(w http.ResponseWriter, r *http.Request, rq *request) {
	ids, err := parseIDs(r.PostForm["id"])
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	res, err := s.bulk(r.Context(), rq, r.PostForm.Get("action"), ids, r.PostForm.Get("reason"))
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	var failed []string
	for _, b := range res {
		if b.Error != "" {
			failed = append(failed, b.Error)
		}
	}
	if len(failed) > 0 {
		s.failStatus(w, r, rq, http.StatusConflict, strings.Join(failed, "\n"))
		return
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
}
