package console

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/centres"
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

// quarantine lists held and judged fingerprints: the staff's page, or
// JSON.
func (s *Server) quarantine(w http.ResponseWriter, r *http.Request, rq *request) error {
	qs, err := s.db.Alerts.Quarantines(r.Context())
	if err != nil {
		return err
	}
	if qs == nil {
		qs = []alerts.Quarantine{}
	}
	d := quarantineData{Limit: s.db.Alerts.FloodLimit(), CaseLabels: map[string]string{}}
	centre, err := rq.scope(r)
	if err != nil {
		return err
	}
	shown := []alerts.Quarantine{}
	for _, q := range qs {
		if !rq.sees(q.Centre) || centre != "" && q.Centre != centre {
			continue
		}
		if q.Centre != rq.user.Centre {
			q.Label = "" // a fingerprint's label is its centre's alone
		}
		shown = append(shown, q)
		if key := centres.Key(q.Centre, q.Case); q.Centre == rq.user.Centre {
			if _, ok := d.CaseLabels[key]; !ok {
				d.CaseLabels[key] = s.caseLabel(rq, q.Centre, q.Case)
			}
		}
		if q.State == alerts.QuarantineHeld {
			d.Held = append(d.Held, q)
		} else {
			d.Closed = append(d.Closed, q)
		}
	}
	return s.respond(w, r, rq, reply{page: "quarantine", title: rq.loc.T("quarantine.title"), html: d,
		json: quarantineJSON{Limit: NewFloodLimitJSON(d.Limit), Fingerprints: convert(shown, NewQuarantineJSON)}})
}

// quarantineJSON is GET /api/quarantine's answer.
type quarantineJSON struct {
	Limit        FloodLimitJSON   `json:"limit"`
	Fingerprints []QuarantineJSON `json:"fingerprints"`
}

// release sends a held fingerprint's alerts back to the queue: a form post
// that returns to the quarantine page, or an API call answered with the
// fingerprint and how many alerts it released.
func (s *Server) release(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	q, n, err := s.db.Alerts.ReleaseQuarantine(r.Context(), id, rq.actor())
	if err != nil {
		return err
	}
	return s.respond(w, r, rq, reply{redirect: "/quarantine?done=released",
		json: map[string]any{"fingerprint": NewQuarantineJSON(q), "alerts_released": n}})
}

// retire deletes a held fingerprint and dismisses its alerts, with the
// reason of the form or the JSON body.
func (s *Server) retire(w http.ResponseWriter, r *http.Request, rq *request) error {
	reason, err := reasonOf(r, rq)
	if err != nil {
		return err
	}
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return refuse(400, "err.retire_reason")
	case len(reason) > maxReason:
		return refuse(400, "err.reason_too_long", maxReason)
	}
	q, n, err := s.db.Alerts.RetireQuarantine(r.Context(), id, reason, rq.actor())
	if err != nil {
		return err
	}
	return s.respond(w, r, rq, reply{redirect: "/quarantine?done=retired",
		json: map[string]any{"fingerprint": NewQuarantineJSON(q), "alerts_dismissed": n}})
}

// addNegative dismisses an alert (if it is not yet) and adds its media to
// the negative bank, with the reason of the form or the JSON body.
func (s *Server) addNegative(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	// Another centre's alert does not exist for rq, whatever was sent.
	if _, err := s.alertFor(rq, id); err != nil {
		return err
	}
	reason, err := reasonOf(r, rq)
	if err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return refuse(400, "err.negative_reason")
	case len(reason) > maxReason:
		return refuse(400, "err.reason_too_long", maxReason)
	}
	e, a, err := s.db.Alerts.AddNegative(r.Context(), id, reason, rq.actor())
	if err != nil {
		return err
	}
	return s.respond(w, r, rq, reply{redirect: fmt.Sprintf("/alerts/%d?done=negative", a.ID),
		json: map[string]any{"entry": NewNegativeJSON(e), "alert": NewAlertJSON(a)}})
}

type negativeData struct {
	Entries []alerts.NegativeEntry
	Radius  int
}

// negatives lists the negative bank: the operators' page, or JSON.
func (s *Server) negatives(w http.ResponseWriter, r *http.Request, rq *request) error {
	all, err := s.db.Alerts.Negatives()
	if err != nil {
		return err
	}
	// An entry is the centre's whose alert it came from (its media URL
	// is that alert's); a regional operator sees their centre's.
	es := []alerts.NegativeEntry{}
	for _, e := range all {
		if _, err := s.alertFor(rq, e.AlertID); err == nil || rq.national() {
			es = append(es, e)
		}
	}
	return s.respond(w, r, rq, reply{page: "negative", title: rq.loc.T("negative.title"),
		html: negativeData{Entries: es, Radius: alerts.NegativeRadius}, json: convert(es, NewNegativeJSON)})
}

// removeNegative takes an entry out of the negative bank.
func (s *Server) removeNegative(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	e, err := s.db.Alerts.RemoveNegative(r.Context(), id, rq.actor())
	if err != nil {
		return err
	}
	return s.respond(w, r, rq, reply{redirect: "/negative?done=negative_removed", json: NewNegativeJSON(e)})
}
