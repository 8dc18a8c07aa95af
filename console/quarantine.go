package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/store"
)

// Flood quarantine and the negative bank (issue 17). Staff own the
// quarantine: a fingerprint held for matching too many distinct media is
// theirs to judge from its match history, released back to the
// operators' queue or retired (alerts.Store.ReleaseQuarantine,
// RetireQuarantine). Operators own the negative bank: they add the media of
// an alert they dismiss as not this content (a checkbox on the dismiss form,
// or a separate action on a dismissed alert) and may remove an entry. Every
// change commits with its audit record in one transaction.

type quarantineData struct {
	Held, Closed []alerts.Quarantine
	Limit        alerts.FloodLimit
	// CaseLabels are the labels staff gave the cases (never content).
	CaseLabels map[string]string
}

func (s *Server) quarantinePage(w http.ResponseWriter, r *http.Request, rq *request) {
	qs, err := s.db.Alerts.Quarantines(r.Context())
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	d := quarantineData{Limit: s.db.Alerts.FloodLimit(), CaseLabels: map[string]string{}}
	for _, q := range qs {
		if _, ok := d.CaseLabels[q.Case]; !ok {
			d.CaseLabels[q.Case] = s.caseLabel(q.Case)
		}
		if q.State == alerts.QuarantineHeld {
			d.Held = append(d.Held, q)
		} else {
			d.Closed = append(d.Closed, q)
		}
	}
	s.render(w, r, rq, http.StatusOK, "quarantine", rq.loc.T("quarantine.title"), d)
}

func (s *Server) release(ctx context.Context, rq *request, raw string) (alerts.Quarantine, int, error) {
	id, err := parseID(raw)
	if err != nil {
		return alerts.Quarantine{}, 0, err
	}
	return s.db.Alerts.ReleaseQuarantine(ctx, id, store.Actor{User: rq.user.Name, Remote: rq.remote})
}

func (s *Server) retire(ctx context.Context, rq *request, raw, reason string) (alerts.Quarantine, int, error) {
	id, err := parseID(raw)
	if err != nil {
		return alerts.Quarantine{}, 0, err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return alerts.Quarantine{}, 0, errorf(400, "retiring a fingerprint needs a reason")
	case len(reason) > maxReason:
		return alerts.Quarantine{}, 0, errorf(400, "reason longer than %d bytes", maxReason)
	}
	return s.db.Alerts.RetireQuarantine(ctx, id, reason, store.Actor{User: rq.user.Name, Remote: rq.remote})
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
	Limit        alerts.FloodLimit   `json:"limit"`
	Fingerprints []alerts.Quarantine `json:"fingerprints"`
}

func (s *Server) apiQuarantine(w http.ResponseWriter, r *http.Request, rq *request) {
	qs, err := s.db.Alerts.Quarantines(r.Context())
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	if qs == nil {
		qs = []alerts.Quarantine{}
	}
	writeJSON(w, http.StatusOK, quarantineJSON{Limit: s.db.Alerts.FloodLimit(), Fingerprints: qs})
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
func (s *Server) addNegative(ctx context.Context, rq *request, raw, reason string) (alerts.NegativeEntry, alerts.Alert, error) {
	id, err := parseID(raw)
	if err != nil {
		return alerts.NegativeEntry{}, alerts.Alert{}, err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return alerts.NegativeEntry{}, alerts.Alert{}, errorf(400, "adding to the negative bank needs a reason")
	case len(reason) > maxReason:
		return alerts.NegativeEntry{}, alerts.Alert{}, errorf(400, "reason longer than %d bytes", maxReason)
	}
	return s.db.Alerts.AddNegative(ctx, id, reason, store.Actor{User: rq.user.Name, Remote: rq.remote})
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
	Entries []alerts.NegativeEntry
	Radius  int
}

func (s *Server) negativePage(w http.ResponseWriter, r *http.Request, rq *request) {
	es, err := s.db.Alerts.Negatives()
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	s.render(w, r, rq, http.StatusOK, "negative", rq.loc.T("negative.title"), negativeData{Entries: es, Radius: alerts.NegativeRadius})
}

func (s *Server) removeNegative(ctx context.Context, rq *request, raw string) (alerts.NegativeEntry, error) {
	id, err := parseID(raw)
	if err != nil {
		return alerts.NegativeEntry{}, err
	}
	return s.db.Alerts.RemoveNegative(ctx, id, store.Actor{User: rq.user.Name, Remote: rq.remote})
}

func (s *Server) removeNegativeForm(w http.ResponseWriter, r *http.Request, rq *request) {
	if _, err := s.removeNegative(r.Context(), rq, r.PathValue("id")); err != nil {
		s.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/negative?done=negative_removed", http.StatusSeeOther)
}

func (s *Server) apiNegatives(w http.ResponseWriter, r *http.Request, rq *request) {
	es, err := s.db.Alerts.Negatives()
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
	writeJSON(w, http.StatusOK, map[string]any{"entry": e, "alert": NewAlertJSON(a)})
}

func (s *Server) apiRemoveNegative(w http.ResponseWriter, r *http.Request, rq *request) {
	e, err := s.removeNegative(r.Context(), rq, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}
