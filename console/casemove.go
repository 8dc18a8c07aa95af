package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// Moving a case to another centre (issue 13) hands over its fingerprints,
// its alerts (which leave one centre's queue for the other's) and the
// alerts it raises from then on. It is an administrator's decision across
// centres, so only national admins make it, as the command line's `case
// move` (which runs with national scope): a regional admin sees no other
// centre to hand a case to. The rules are index.MoveCase's, the CLI's: the
// target centre exists and has no case of that ID; the move and its audit
// record ("case.move", the new centre's) commit together. The form asks
// for the case ID to be typed again, as a withdrawal does. The page shows
// case IDs and centres, never labels: a label is its centre's alone.

// caseMoveData is the case move page's data.
type caseMoveData struct {
	Cases   []index.Case
	Centres []centres.Centre
}

// caseMovePage lists every centre's cases with a form to move each.
func (s *Server) caseMovePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	cases, err := s.db.Index.CasesOf("")
	if err != nil {
		return err
	}
	for i := range cases {
		cases[i].Label = ""
	}
	cs, err := s.db.Centres.List()
	if err != nil {
		return err
	}
	return s.render(w, r, rq, http.StatusOK, "casemove", rq.loc.T("casemove.title"), caseMoveData{Cases: cases, Centres: cs})
}

// caseMoveJSON is the body of POST /api/cases/{id}/move.
type caseMoveJSON struct {
	// Centre is the case's centre now; it may be left out when only one
	// centre has a case of that ID.
	Centre  string `json:"centre"`
	To      string `json:"to"`
	Confirm string `json:"confirm"` // the case ID again
}

// moveCase moves a case to another centre: a form post that returns to the
// case move page, or an API call answered with what moved.
func (s *Server) moveCase(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body caseMoveJSON
	if err := input(r, rq, &body, func(f url.Values) {
		body.Centre, body.To, body.Confirm = f.Get("centre"), f.Get("to"), f.Get("confirm")
	}); err != nil {
		return err
	}
	id := r.PathValue("id")
	from, err := s.centreOfCase(id, body.Centre)
	if err != nil {
		return err
	}
	if body.To == "" {
		return refuse(http.StatusBadRequest, "casemove.need_to")
	}
	if body.Confirm != id {
		return refuse(http.StatusBadRequest, "cases.confirm_mismatch")
	}
	fps, alerts, err := s.db.Index.MoveCase(r.Context(), from, id, body.To, rq.actor())
	if err != nil {
		return err
	}
	return s.respond(w, r, rq, reply{redirect: "/cases/move?done=case_moved",
		json: map[string]any{"case": id, "from": from, "to": body.To, "fingerprints": fps, "alerts": alerts}})
}

// centreOfCase is the centre of case id: centre when given, else the one
// centre that has a case of that ID (case IDs are unique per centre only).
func (s *Server) centreOfCase(id, centre string) (string, error) {
	if centre != "" {
		if err := centres.Valid(centre); err != nil {
			return "", refuse(http.StatusBadRequest, "err.bad_centre", truncate(centre, 40))
		}
		_, err := s.db.Index.CaseOf(centre, id)
		return centre, err
	}
	cs, err := s.db.Centres.List()
	if err != nil {
		return "", err
	}
	var have []string
	for _, c := range cs {
		if _, err := s.db.Index.CaseOf(c.ID, id); err == nil {
			have = append(have, c.ID)
		}
	}
	switch len(have) {
	case 0:
		return "", fmt.Errorf("case %q: %w", id, store.ErrNotFound)
	case 1:
		return have[0], nil
	}
	return "", refuse(http.StatusBadRequest, "err.case_ambiguous", strings.Join(have, ", "), truncate(id, 128))
}
