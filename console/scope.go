package console

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/store"
	"github.com/hashwatch/hashwatch/takedown"
)

// Centres (issue 13): every user belongs to one centre. A regional user
// sees and acts on their own centre's alerts, cases, notices, reported
// URLs, quarantined fingerprints, users and audit entries only; to them
// another centre's do not exist (404, never 403, so IDs reveal nothing). A
// national user sees every centre's, each marked with its centre, and may
// narrow a list with ?centre=ID. The rooms check the same rule for every
// change inside its transaction (centres.Sees against store.Actor.Centre),
// so the console's checks below are about what is shown.

// sees reports whether rq's user may see what belongs to centre.
func (rq *request) sees(centre string) bool { return centres.Sees(rq.user.Centre, centre) }

// national reports whether rq's user has national scope.
func (rq *request) national() bool { return rq.user.Centre == centres.National }

// scope is the centre a list shows: a regional user's own; for a national
// user every centre's (""), or the one ?centre= names.
func (rq *request) scope(r *http.Request) (string, error) {
	return rq.scopeOf(r.URL.Query())
}

// scopeOf is scope for a query read elsewhere (a form's "back" URL).
func (rq *request) scopeOf(q url.Values) (string, error) {
	if !rq.national() {
		return rq.user.Centre, nil
	}
	c := q.Get("centre")
	if c == "" {
		return "", nil
	}
	if err := centres.Valid(c); err != nil {
		return "", refuse(400, "err.bad_centre", truncate(c, 40))
	}
	return c, nil
}

// alertFor returns alert id if rq's user may see it, else store.ErrNotFound.
func (s *Server) alertFor(rq *request, id uint64) (alerts.Alert, error) {
	a, err := s.db.Alerts.Alert(id)
	if err == nil && !rq.sees(a.Centre) {
		return alerts.Alert{}, fmt.Errorf("alert %d: %w", id, store.ErrNotFound)
	}
	return a, err
}

// noticeFor returns notice id if rq's user may see it, else
// store.ErrNotFound.
func (s *Server) noticeFor(rq *request, id uint64) (takedown.Notice, error) {
	n, err := s.db.Takedown.Notice(id)
	if err == nil && !rq.sees(n.Centre) {
		return takedown.Notice{}, fmt.Errorf("notice %d: %w", id, store.ErrNotFound)
	}
	return n, err
}
