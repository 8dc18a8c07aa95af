package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
)

// Undo of a decision (alerts/undo.go). After a decision the success
// message carries an Undo button (a plain form posting the decided alerts'
// IDs; `u` presses it in review mode, static/alerts.js); the store decides
// whether it may still be undone: the deciding user or an admin, within
// Config.UndoWindow, while nothing irreversible followed.

// undoButton is the Undo form of a success message: the alerts decided
// and where to go once they are undone.
type undoButton struct {
	IDs  []uint64
	Back string
}

// undoFor is the Undo button for a page reached after a decision — a
// single one (?done=confirmed|dismissed&n=ID) or a bulk one
// (?done=bulk&undo=ID,ID…) — or nil. A single decision's undo goes back
// to the alert (in review mode, with the review's place kept), a bulk
// one's to the page it came from.
func undoFor(r *http.Request, u accounts.User) *undoButton {
	if !u.Has(accounts.RoleOperator) && !u.Has(accounts.RoleAdmin) {
		return nil
	}
	q := r.URL.Query()
	var ids []uint64
	single := false
	switch q.Get("done") {
	case "confirmed", "dismissed":
		single = true
		if id, err := strconv.ParseUint(q.Get("n"), 10, 64); err == nil {
			ids = []uint64{id}
		}
	case "bulk":
		for _, f := range strings.Split(q.Get("undo"), ",") {
			if id, err := strconv.ParseUint(f, 10, 64); err == nil && len(ids) < maxBulk {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	for _, k := range []string{"done", "n", "undo"} {
		q.Del(k)
	}
	back := r.URL.Path
	if single && strings.HasPrefix(r.URL.Path, "/alerts/") {
		back = fmt.Sprintf("/alerts/%d", ids[0])
	}
	if enc := q.Encode(); enc != "" {
		back += "?" + enc
	}
	return &undoButton{IDs: ids, Back: back}
}

// undoAlerts undoes the last decision on each alert named, all or nothing:
// a form (ids as "id", "back" where to return) that returns with the count
// undone, or an error page saying why not; or an API call ({"ids":[…]})
// answered like a bulk decision — 200 with each alert's status restored,
// or 409 with each refused alert and why.
func (s *Server) undoAlerts(w http.ResponseWriter, r *http.Request, rq *request) error {
	var ids []uint64
	back := ""
	if rq.api {
		var body decisionJSON
		if err := decodeJSON(r, &body); err != nil {
			return err
		}
		ids = body.IDs
	} else {
		var err error
		if ids, err = parseIDs(r.PostForm["id"]); err != nil {
			return err
		}
		back = safeNext(r.PostForm.Get("back"))
	}
	if len(ids) == 0 || len(ids) > maxBulk {
		return refuse(400, "err.bulk_ids", maxBulk)
	}
	done, err := s.db.Alerts.UndoDecisions(r.Context(), ids, rq.actor(), alerts.Undo{Window: s.cfg.UndoWindow, Admin: rq.user.Has(accounts.RoleAdmin)})
	var re *alerts.BulkRefusedError
	if errors.As(err, &re) {
		if rq.api {
			res := make([]bulkResult, len(re.Refusals))
			for i, rf := range re.Refusals {
				ea := s.refusal(rq, s.undoRefusal(rf.Err))
				res[i] = bulkResult{ID: rf.ID, Error: ea.Message, Code: ea.Code}
			}
			writeJSON(w, http.StatusConflict, map[string]any{"error": rq.loc.T("undo.refused_api", len(re.Refusals), re.Of),
				"code": codeOf("undo.refused"), "results": res})
			return nil
		}
		if len(re.Refusals) == 1 && re.Of == 1 {
			return s.undoRefusal(re.Refusals[0].Err)
		}
		return UndoRefusedMany(len(re.Refusals), re.Of)
	}
	if err != nil {
		return err
	}
	res := make([]bulkResult, len(done))
	for i, a := range done {
		res[i] = bulkResult{ID: a.ID, Status: string(a.Status)}
	}
	if back == "" || !strings.HasPrefix(back, "/alerts") {
		back = "/alerts"
		if len(done) == 1 {
			back = fmt.Sprintf("/alerts/%d", done[0].ID)
		}
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	return s.respond(w, r, rq, reply{redirect: back + sep + "done=undone&n=" + strconv.Itoa(len(done)), json: map[string]any{"results": res}})
}

// undoRefusal is a refused undo of one alert as an error for its reader.
func (s *Server) undoRefusal(err error) error { return UndoRefusal(err, s.undoWindow()) }

// UndoRefusal is why the undo of one alert was refused (a refusal of
// alerts.UndoDecisions) in the console's words, its Error() the English
// text, window the undo window in force; a refusal that is no
// *alerts.UndoError (a claim, a missing alert) is returned as it is. The
// command line's `alerts undo` says its refusals with it, so both say the
// same.
func UndoRefusal(err error, window time.Duration) error {
	var ue *alerts.UndoError
	if !errors.As(err, &ue) {
		return err // a claim or a missing alert: said as for a decision
	}
	if window <= 0 {
		window = alerts.DefaultUndoWindow
	}
	switch ue.Why {
	case alerts.UndoExpired:
		return refuse(http.StatusConflict, "undo.refused_expired", ue.ID, int(window.Minutes()))
	case alerts.UndoFollowed:
		return refuse(http.StatusConflict, "undo.refused_followed", ue.ID)
	case alerts.UndoOtherUser:
		return refuse(http.StatusConflict, "undo.refused_other_user", ue.ID, ue.By)
	}
	return refuse(http.StatusConflict, "undo.refused_nothing", ue.ID)
}

// UndoRefusedMany is the console's words for an undo of of alerts that n
// of them refused, so none was undone.
func UndoRefusedMany(n, of int) error {
	return refuse(http.StatusConflict, "undo.refused_many", n, of)
}

// undoWindow is how long a decision can be undone here.
func (s *Server) undoWindow() time.Duration {
	if s.cfg.UndoWindow > 0 {
		return s.cfg.UndoWindow
	}
	return alerts.DefaultUndoWindow
}

// joinIDs lists the alerts' IDs for an Undo button's ?undo=.
func joinIDs(as []alerts.Alert) string {
	var b strings.Builder
	for i, a := range as {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(a.ID, 10))
	}
	return b.String()
}
