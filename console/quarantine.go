package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashwatch/hashwatch/index"
)

// Flood quarantine and the negative bank (issue 17). Staff own the
// quarantine: a fingerprint held for matching too many distinct media is
// theirs to judge from its match history, released back to the
// operators' queue or retired (index.DB.ReleaseQuarantine,
// RetireQuarantine). Operators own the negative bank: they add the media of
// an alert they dismiss as not this content (a checkbox on the dismiss form,
// or a separate action on a dismissed alert) and may remove an entry. Every
// change commits with its audit record in one transaction.

// quarantineRoutes are the routes of the quarantine and the negative bank.
func (s *Server) quarantineRoutes() []route {
	return []route{
		{Method: "GET", Path: "/quarantine", Roles: staff, h: s.quarantinePage},
		{Method: "POST", Path: "/quarantine/{id}/release", Roles: staff, h: s.releaseForm},
		{Method: "POST", Path: "/quarantine/{id}/retire", Roles: staff, h: s.retireForm},
		{Method: "GET", Path: "/api/quarantine", Roles: staff, h: s.apiQuarantine},
		{Method: "POST", Path: "/api/quarantine/{id}/release", Roles: staff, h: s.apiRelease},
		{Method: "POST", Path: "/api/quarantine/{id}/retire", Roles: staff, h: s.apiRetire},

		{Method: "GET", Path: "/negative", Roles: operator, h: s.negativePage},
		{Method: "POST", Path: "/alerts/{id}/negative", Roles: operator, h: s.negativeForm},
		{Method: "POST", Path: "/negative/{id}/remove", Roles: operator, h: s.removeNegativeForm},
		{Method: "GET", Path: "/api/negative", Roles: operator, h: s.apiNegatives},
		{Method: "POST", Path: "/api/alerts/{id}/negative", Roles: operator, h: s.apiAddNegative},
		{Method: "POST", Path: "/api/negative/{id}/remove", Roles: operator, h: s.apiRemoveNegative},
	}
}

type quarantineData struct {
	Held, Closed []index.Quarantine
	Limit        index.FloodLimit
	// CaseLabels are the labels staff gave the cases (never content).
	CaseLabels map[string]string
}

func (s *Server) quarantinePage(w http.ResponseWriter, r *http.Request, rq *request) {
	qs, err := s.db.Quarantines(r.Context())
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	d := quarantineData{Limit: s.db.FloodLimit(), CaseLabels: map[string]string{}}
	for _, q := range qs {
		if _, ok := d.CaseLabels[q.Case]; !ok {
			d.CaseLabels[q.Case] = s.caseLabel(q.Case)
		}
		if q.State == index.QuarantineHeld {
			d.Held = append(d.Held, q)
		} else {
			d.Closed = append(d.Closed, q)
		}
	}
	s.render(w, r, rq, http.StatusOK, "quarantine", rq.loc.T("quarantine.title"), d)
}

func (s *Server) release(ctx context.Context, rq *request, raw string) (index.Quarantine, int, error) {
	id, err := parseID(raw)
	if err != nil {
		return index.Quarantine{}, 0, err
	}
	return s.db.ReleaseQuarantine(ctx, id, index.Actor{User: rq.user.Name, Remote: rq.remote})
}

func (s *Server) retire(ctx context.Context, rq *request, raw, reason string) (index.Quarantine, int, error) {
	id, err := parseID(raw)
	if err != nil {
		return index.Quarantine{}, 0, err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return index.Quarantine{}, 0, errorf(400, "retiring a fingerprint needs a reason")
	case len(reason) > maxReason:
		return index.Quarantine{}, 0, errorf(400, "reason longer than %d bytes", maxReason)
	}
	return s.db.RetireQuarantine(ctx, id, reason, index.Actor{User: rq.user.Name, Remote: rq.remote})
}

func (s *Server) releaseForm(w http.ResponseWriter, r *http.Request, rq *request) {
	if _, _, err := s.release(r.Context(), rq, r.PathValue("id")); err != nil {
		s.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/quarantine?done=released", http.StatusSeeOther)
}

func (s *Server) retireForm(w http.ResponseWriter, r *http.Request, rq *request) {
	if _, _, err := s.retire(r.Context(), rq, r.PathValue("id"), r.PostForm.Get("reason")); err != nil {
		s.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/quarantine?done=retired", http.StatusSeeOther)
}

// quarantineJSON is GET /api/quarantine's answer.
type quarantineJSON struct {
	Limit        index.FloodLimit   `json:"limit"`
	Fingerprints []index.Quarantine `json:"fingerprints"`
}

func (s *Server) apiQuarantine(w http.ResponseWriter, r *http.Request, rq *request) {
	qs, err := s.db.Quarantines(r.Context())
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	if qs == nil {
		qs = []index.Quarantine{}
	}
	writeJSON(w, http.StatusOK, quarantineJSON{Limit: s.db.FloodLimit(), Fingerprints: qs})
}

func (s *Server) apiRelease(w http.ResponseWriter, r *http.Request, rq *request) {
	q, n, err := s.release(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"fingerprint": q, "alerts_released": n})
}

func (s *Server) apiRetire(w http.ResponseWriter, r *http.Request, rq *request) {
	var body decisionJSON
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, rq, err)
		return
	}
	q, n, err := s.retire(r.Context(), rq, r.PathValue("id"), body.Reason)
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"fingerprint": q, "alerts_dismissed": n})
}

// addNegative dismisses alert raw (if it is not yet) and adds its media to
// the negative bank, with the reason.
func (s *Server) addNegative(ctx context.Context, rq *request, raw, reason string) (index.NegativeEntry, index.Alert, error) {
	id, err := parseID(raw)
	if err != nil {
		return index.NegativeEntry{}, index.Alert{}, err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return index.NegativeEntry{}, index.Alert{}, errorf(400, "adding to the negative bank needs a reason")
	case len(reason) > maxReason:
		return index.NegativeEntry{}, index.Alert{}, errorf(400, "reason longer than %d bytes", maxReason)
	}
	return s.db.AddNegative(ctx, id, reason, index.Actor{User: rq.user.Name, Remote: rq.remote})
}

func (s *Server) negativeForm(w http.ResponseWriter, r *http.Request, rq *request) {
	_, a, err := s.addNegative(r.Context(), rq, r.PathValue("id"), r.PostForm.Get("reason"))
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/alerts/%d?done=negative", a.ID), http.StatusSeeOther)
}

type negativeData struct {
	Entries []index.NegativeEntry
	Radius  int
}

func (s *Server) negativePage(w http.ResponseWriter, r *http.Request, rq *request) {
	es, err := s.db.Negatives()
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	s.render(w, r, rq, http.StatusOK, "negative", rq.loc.T("negative.title"), negativeData{Entries: es, Radius: index.NegativeRadius})
}

func (s *Server) removeNegative(ctx context.Context, rq *request, raw string) (index.NegativeEntry, error) {
	id, err := parseID(raw)
	if err != nil {
		return index.NegativeEntry{}, err
	}
	return s.db.RemoveNegative(ctx, id, index.Actor{User: rq.user.Name, Remote: rq.remote})
}

func (s *Server) removeNegativeForm(w http.ResponseWriter, r *http.Request, rq *request) {
	if _, err := s.removeNegative(r.Context(), rq, r.PathValue("id")); err != nil {
		s.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/negative?done=negative_removed", http.StatusSeeOther)
}

func (s *Server) apiNegatives(w http.ResponseWriter, r *http.Request, rq *request) {
	es, err := s.db.Negatives()
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	writeJSON(w, http.StatusOK, es)
}

func (s *Server) apiAddNegative(w http.ResponseWriter, r *http.Request, rq *request) {
	var body decisionJSON
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, rq, err)
		return
	}
	e, a, err := s.addNegative(r.Context(), rq, r.PathValue("id"), body.Reason)
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entry": e, "alert": a})
}

func (s *Server) apiRemoveNegative(w http.ResponseWriter, r *http.Request, rq *request) {
	e, err := s.removeNegative(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}
