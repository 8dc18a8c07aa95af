package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
)

// decodeJSON reads a JSON body into v, refusing unknown fields, trailing
// data and bodies over the form limit. An empty body leaves v as it is.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return refuseWith(400, err, "err.bad_json")
	}
	if dec.More() {
		return refuse(400, "err.json_trailing")
	}
	return nil
}

// input reads a state change's parameters where the route takes them: the
// JSON body of an API call, decoded into v, or the fields of a form post,
// which fromForm copies into v.
func input(r *http.Request, rq *request, v any, fromForm func(url.Values)) error {
	if rq.api {
		return decodeJSON(r, v)
	}
	fromForm(r.PostForm)
	return nil
}

// reasonOf is a decision's reason: the "reason" of the form or of the
// JSON body (a decisionJSON).
func reasonOf(r *http.Request, rq *request) (string, error) {
	var body decisionJSON
	err := input(r, rq, &body, func(f url.Values) { body.Reason = f.Get("reason") })
	return body.Reason, err
}

type meJSON struct {
	Name     string          `json:"name"`
	Role     accounts.Role   `json:"role"`
	Roles    []accounts.Role `json:"roles"` // every role, role first
	Centre   string          `json:"centre"`
	National bool            `json:"national"` // national scope: sees every centre
	Language string          `json:"language"`
	TimeZone string          `json:"time_zone"`
	Via      string          `json:"via"` // "session" or "token"
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, rq *request) error {
	via := "session"
	if rq.token != nil {
		via = "token"
	}
	writeJSON(w, http.StatusOK, meJSON{Name: rq.user.Name, Role: rq.user.Role, Roles: rq.user.Roles(), Centre: rq.user.Centre, National: rq.national(), Language: rq.loc.Lang, TimeZone: rq.loc.Zone.String(), Via: via})
	return nil
}

type alertsJSON struct {
	Alerts  []AlertJSON           `json:"alerts"`
	Counts  map[alerts.Status]int `json:"counts"`
	Total   int                   `json:"total"`
	Page    int                   `json:"page"`
	Pages   int                   `json:"pages"`
	PerPage int                   `json:"per_page"`
}

type decisionJSON struct {
	Reason string   `json:"reason"`
	Action string   `json:"action"` // bulk only: confirm or dismiss
	IDs    []uint64 `json:"ids"`    // bulk only
}

// apiVerify runs the database check (database.DB.Verify) on the live file.
func (s *Server) apiVerify(w http.ResponseWriter, r *http.Request, rq *request) error {
	rep, err := s.db.Verify(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": rep.OK(), "report": rep})
	return nil
}

// apiBackup streams a consistent hot copy of the database. It is audited:
// a backup holds everything, accounts' hashes included.
func (s *Server) apiBackup(w http.ResponseWriter, r *http.Request, rq *request) error {
	s.audit(r.Context(), rq, "backup.download", "", "")
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="hashwatch-`+s.now().UTC().Format("20060102-150405")+`.db"`)
	if _, err := s.db.Store.Backup(r.Context(), w); err != nil {
		// Headers are gone; the client sees a truncated body.
		return &answerStarted{fmt.Errorf("backup download: %w", err)}
	}
	return nil
}
