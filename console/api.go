package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
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
		return badRequest(fmt.Errorf("JSON body: %w", err))
	}
	if dec.More() {
		return errorf(400, "JSON body: more than one value")
	}
	return nil
}

type meJSON struct {
	Name     string        `json:"name"`
	Role     accounts.Role `json:"role"`
	Language string        `json:"language"`
	TimeZone string        `json:"time_zone"`
	Via      string        `json:"via"` // "session" or "token"
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, rq *request) {
	via := "session"
	if rq.token != nil {
		via = "token"
	}
	writeJSON(w, http.StatusOK, meJSON{Name: rq.user.Name, Role: rq.user.Role, Language: rq.loc.Lang, TimeZone: rq.loc.Zone.String(), Via: via})
}

type alertsJSON struct {
	Alerts  []AlertJSON           `json:"alerts"`
	Counts  map[alerts.Status]int `json:"counts"`
	Total   int                   `json:"total"`
	Page    int                   `json:"page"`
	Pages   int                   `json:"pages"`
	PerPage int                   `json:"per_page"`
}

// apiAlerts is the queue as JSON, with the same query parameters as the
// page: status, site, case, from, to, sort, page, per_page.
func (s *Server) apiAlerts(w http.ResponseWriter, r *http.Request, rq *request) {
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
	writeJSON(w, http.StatusOK, alertsJSON{Alerts: alertsJSONOf(res.Alerts), Counts: res.Counts, Total: res.Total, Page: qq.Page, Pages: res.Pages, PerPage: qq.PerPage})
}

func (s *Server) apiAlert(w http.ResponseWriter, r *http.Request, rq *request) {
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
	writeJSON(w, http.StatusOK, NewAlertJSON(a))
}

type decisionJSON struct {
	Reason string   `json:"reason"`
	Action string   `json:"action"` // bulk only: confirm or dismiss
	IDs    []uint64 `json:"ids"`    // bulk only
}

func (s *Server) apiConfirm(w http.ResponseWriter, r *http.Request, rq *request) {
	s.apiDecide(w, r, rq, alerts.StatusConfirmed)
}

func (s *Server) apiDismiss(w http.ResponseWriter, r *http.Request, rq *request) {
	s.apiDecide(w, r, rq, alerts.StatusDismissed)
}

func (s *Server) apiDecide(w http.ResponseWriter, r *http.Request, rq *request, to alerts.Status) {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	var body decisionJSON
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, rq, err)
		return
	}
	a, err := s.decide(r.Context(), rq, id, to, body.Reason)
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	writeJSON(w, http.StatusOK, NewAlertJSON(a))
}

func (s *Server) apiBulk(w http.ResponseWriter, r *http.Request, rq *request) {
	var body decisionJSON
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, rq, err)
		return
	}
	if len(body.IDs) == 0 || len(body.IDs) > maxBulk {
		s.fail(w, r, rq, errorf(400, "ids: want 1–%d alert IDs", maxBulk))
		return
	}
	res, err := s.bulk(r.Context(), rq, body.Action, body.IDs, body.Reason)
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": res})
}

func (s *Server) apiCases(w http.ResponseWriter, r *http.Request, rq *request) {
	cases, err := s.db.Index.Cases()
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	if cases == nil {
		cases = []index.Case{}
	}
	writeJSON(w, http.StatusOK, cases)
}

func (s *Server) apiWithdraw(w http.ResponseWriter, r *http.Request, rq *request) {
	var body struct {
		Confirm string `json:"confirm"`
	}
	if err := decodeJSON(r, &body); err != nil {
		s.fail(w, r, rq, err)
		return
	}
	id := r.PathValue("id")
	fps, alerts, err := s.withdraw(r.Context(), rq, id, body.Confirm)
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"case": id, "fingerprints_deleted": fps, "alerts_closed": alerts})
}

// userJSON is a user without the password hash.
type userJSON struct {
	Name      string        `json:"name"`
	Role      accounts.Role `json:"role"`
	Language  string        `json:"language,omitempty"`
	TimeZone  string        `json:"time_zone,omitempty"`
	Disabled  bool          `json:"disabled"`
	CreatedAt time.Time     `json:"created_at"`
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request, rq *request) {
	users, err := s.db.Accounts.Users()
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = userJSON{Name: u.Name, Role: u.Role, Language: u.Language, TimeZone: u.TimeZone, Disabled: u.Disabled, CreatedAt: u.CreatedAt}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request, rq *request) {
	f, err := auditQuery(r.URL.Query(), rq.loc.Zone)
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	entries, err := s.db.Store.AuditLog(f)
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	if entries == nil {
		entries = []store.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, entries)
}

// apiVerify runs the database check (database.DB.Verify) on the live file.
func (s *Server) apiVerify(w http.ResponseWriter, r *http.Request, rq *request) {
	rep, err := s.db.Verify(r.Context())
	if err != nil {
		s.fail(w, r, rq, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": rep.OK(), "report": rep})
}

// apiBackup streams a consistent hot copy of the database. It is audited:
// a backup holds everything, accounts' hashes included.
func (s *Server) apiBackup(w http.ResponseWriter, r *http.Request, rq *request) {
	s.audit(r.Context(), rq, "backup.download", "", "")
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="hashwatch-`+s.now().UTC().Format("20060102-150405")+`.db"`)
	if _, err := s.db.Store.Backup(r.Context(), w); err != nil {
		// Headers are gone; the client sees a truncated body.
		s.log.Error("backup download failed", "err", err)
	}
}
