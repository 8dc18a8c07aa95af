package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/hashing"
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
	// Thumbs marks the rows whose media has a stored preview, shown as a
	// small grey thumbnail (hashing.Thumbnail).
	Thumbs map[uint64]bool
	// Claims are the claims in force on the page's alerts (claims.go).
	Claims map[uint64]alerts.Claim
	// The bulk form as the operator left it, when it comes back refused:
	// the alerts ticked, the reason typed, what was wrong as a whole and
	// per alert. SelectAll ticks every row (?select=all, the no-script
	// select-all).
	Selected  map[uint64]bool
	SelectAll bool
	Reason    string
	FormError string
	Problems  map[uint64]string
	Reasons   []string // the short list of dismissal reasons
	// Review starts the review mode at the page's first alert.
	Review string
}

var allStatuses = []alerts.Status{alerts.StatusNew, alerts.StatusConfirmed, alerts.StatusNoticeSent, alerts.StatusRemoved, alerts.StatusDismissed, alerts.StatusWithdrawn, alerts.StatusQuarantined}

// alertQueue is the queue, as a page or as JSON, with the same query
// parameters either way: status, site, case, from, to, sort, page,
// per_page. The page opened without filters shows new alerts, oldest
// first; the API's default stays every status, newest first.
func (s *Server) alertQueue(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.queuePage(r.Context(), rq, r.URL.Query())
	if err != nil {
		return err
	}
	d.SelectAll = r.URL.Query().Get("select") == "all"
	return s.respond(w, r, rq, reply{page: "alerts", title: rq.loc.T("alerts.title"), html: d,
		json: alertsJSON{Alerts: alertsJSONOf(d.R.Alerts), Counts: d.R.Counts, Total: d.R.Total, Page: d.Q.Page, Pages: d.R.Pages, PerPage: d.Q.PerPage}})
}

// queuePage builds the queue page for query q.
func (s *Server) queuePage(ctx context.Context, rq *request, q url.Values) (*alertsData, error) {
	qq, err := parseQueue(q, rq.loc.Zone, !rq.api)
	if err != nil {
		return nil, err
	}
	if qq.Centre, err = rq.scopeOf(q); err != nil {
		return nil, err
	}
	res, err := qq.run(ctx, s.db)
	if err != nil {
		return nil, err
	}
	d := &alertsData{Q: qq, R: res, Statuses: allStatuses, Thumbs: map[uint64]bool{}, Reasons: dismissReasons(rq.loc)}
	if rq.api {
		return d, nil
	}
	for _, st := range s.watched() {
		d.Sites = append(d.Sites, st.Name)
	}
	if qq.Page > 1 {
		d.Prev = qq.Link(qq.Page - 1)
	}
	if qq.Page < res.Pages {
		d.Next = qq.Link(qq.Page + 1)
	}
	ids := make([]uint64, len(res.Alerts))
	for i, a := range res.Alerts {
		ids[i] = a.ID
		if sha, err := store.ParseSHA256(a.MediaSHA256); err == nil {
			if ok, err := s.db.Alerts.HasPreview(sha); err == nil && ok {
				d.Thumbs[a.ID] = true
			}
		}
	}
	if d.Claims, err = s.db.Alerts.Claims(ids); err != nil {
		return nil, err
	}
	if len(ids) > 0 {
		d.Review = qq.Review(ids[0])
	}
	return d, nil
}

// dismissReasonKeys are the short list of reasons an operator picks from
// when dismissing (keys 1–5 in the review mode); any other reason may be
// typed.
var dismissReasonKeys = []string{"reason.not_same", "reason.layout", "reason.logo", "reason.duplicate", "reason.remit"}

func dismissReasons(l *locale) []string {
	out := make([]string, len(dismissReasonKeys))
	for i, k := range dismissReasonKeys {
		out[i] = l.T(k)
	}
	return out
}

type alertData struct {
	A         alerts.Alert
	CaseLabel string
	Revealed  bool
	Preview   bool // a preview is stored
	// Negative is the media's negative bank entry (quarantine.go), if any.
	Negative *alerts.NegativeEntry
	// Graduated viewing (viewing.go): whether this session may take the
	// next live step, has taken it, and whether live viewing is possible
	// here at all.
	Live              bool
	CanClearer, Clear bool
	CanFull, Full     bool
	// A video alert's keyframe strip: possible here, and granted.
	CanKeyframes, Keyframes bool
	// Why says in words why the alert was raised (why.go).
	Why *why
	// Claim is the claim in force: the viewer's own (Mine) or another
	// operator's, whose decisions then wait.
	Claim *alerts.Claim
	Mine  bool
	// Review mode: the queue the operator is working through, this
	// alert's neighbours in it (review URLs, "" at an end) and its place.
	Review   bool
	Q        queueQuery
	PrevURL  string
	NextURL  string
	Position int // from 1; 0 when the alert has left the queue
	Total    int
	// Here is this page's own URL, where a reveal comes back to; After is
	// where a decision goes: the next alert in review mode, else here.
	Here  string
	After string
	// The dismissal form as the operator left it, when it comes back
	// refused.
	FormError string
	Reason    string
	Negative1 bool
	Reasons   []string
}

// alert is one alert: the review page with its evidence, or its JSON.
func (s *Server) alert(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	if rq.api {
		a, err := s.alertFor(rq, id)
		if err != nil {
			return err
		}
		return s.respond(w, r, rq, reply{json: NewAlertJSON(a)})
	}
	return s.alertPage(w, r, rq, id, http.StatusOK, nil)
}

// alertPage renders alert id's page with status: the evidence, why it
// matched, the preview, the actions; in review mode (?review=1 with the
// queue's filters) the way to the previous and next alert of the queue.
// Opening an open alert claims it for the viewer. form, when set, is a
// refused decision's form to show again as the operator left it.
func (s *Server) alertPage(w http.ResponseWriter, r *http.Request, rq *request, id uint64, status int, form *alertData) error {
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		// A refused post comes back to the page it was sent from.
		if u, err := url.Parse(safeNext(r.PostForm.Get("back"))); err == nil && u.Path == fmt.Sprintf("/alerts/%d", id) {
			q = u.Query()
		}
	}
	a, err := s.alertFor(rq, id)
	if err != nil {
		return err
	}
	d := alertData{A: a, CaseLabel: s.caseLabel(rq, a.Centre, a.Case), Reasons: dismissReasons(rq.loc)}
	if form != nil {
		d.FormError, d.Reason, d.Negative1 = form.FormError, form.Reason, form.Negative1
	}
	if _, err := s.db.Alerts.Preview(a.MediaSHA256); err == nil {
		d.Preview = true
	}
	d.Revealed = d.Preview && rq.session != nil && s.isRevealed(rq.session.ID, id)
	if e, ok, err := s.db.Alerts.NegativeOf(a.MediaSHA256); err == nil && ok {
		d.Negative = &e
	}
	d.Why = s.why(rq, a)
	if s.keyframesReady(rq, a) == nil {
		d.Keyframes = s.isRevealedStep(rq.session.ID, id, keyframesStep)
		d.CanKeyframes = !d.Keyframes
	}
	if rq.session != nil && s.cfg.Inspector != nil && a.Video == nil {
		d.Live = true
		d.Clear = s.isRevealedStep(rq.session.ID, id, int(hashing.ViewClearer))
		d.Full = s.isRevealedStep(rq.session.ID, id, int(hashing.ViewFull))
		d.CanClearer = !d.Clear && s.viewAllowed(rq, a, hashing.ViewClearer, d.Preview)
		d.CanFull = !d.Full && s.viewAllowed(rq, a, hashing.ViewFull, d.Preview)
	}
	if rq.session != nil {
		c, ok, err := s.db.Alerts.ClaimAlert(r.Context(), id, 0, rq.actor())
		var ce *alerts.ClaimedError
		switch {
		case errors.As(err, &ce):
			d.Claim = &ce.Claim
		case err != nil:
			// A claim is a courtesy between operators: a file that cannot
			// take it (read-only, damaged) still shows the alert.
			s.log.Warn("claim alert", "alert", id, "user", rq.user.Name, "err", err)
		case ok:
			d.Claim, d.Mine = &c, true
		}
	}
	d.Here = fmt.Sprintf("/alerts/%d", id)
	if q.Get("review") == "1" {
		if err := s.reviewNeighbours(r.Context(), rq, q, &d); err != nil {
			return err
		}
		d.Here = d.Q.Review(id)
	}
	d.After = d.Here
	if d.NextURL != "" {
		d.After = d.NextURL
	}
	return s.render(w, r, rq, status, "alert", rq.loc.T("alert.title", id), d)
}

// reviewWindow is how many alerts of a queue the review mode reads (keys
// only) to find an alert's neighbours: a day's work and then some.
const reviewWindow = alerts.MaxAlertPage

// reviewNeighbours finds d.A's previous and next alert in the queue q
// selects, skipping alerts another operator has claimed, so two operators
// reviewing one queue take turns rather than collide. An alert that has
// left the queue (just decided) has no previous one; its next is the
// queue's first.
func (s *Server) reviewNeighbours(ctx context.Context, rq *request, q url.Values, d *alertData) error {
	qq, err := parseQueue(q, rq.loc.Zone, true)
	if err != nil {
		return err
	}
	if qq.Centre, err = rq.scopeOf(q); err != nil {
		return err
	}
	aq := qq.query()
	aq.Offset, aq.Limit = 0, reviewWindow
	ids, err := s.db.Alerts.QueryAlertIDs(ctx, aq)
	if err != nil {
		return err
	}
	claims, err := s.db.Alerts.Claims(ids)
	if err != nil {
		return err
	}
	free := func(id uint64) bool {
		c, held := claims[id]
		return id != d.A.ID && (!held || c.User == rq.user.Name)
	}
	d.Review, d.Q, d.Total = true, qq, len(ids)
	i := slices.Index(ids, d.A.ID)
	if i >= 0 {
		d.Position = i + 1
		for j := i - 1; j >= 0; j-- {
			if free(ids[j]) {
				d.PrevURL = qq.Review(ids[j])
				break
			}
		}
	}
	for j := i + 1; j < len(ids); j++ {
		if free(ids[j]) {
			d.NextURL = qq.Review(ids[j])
			break
		}
	}
	return nil
}

// caseLabel is the label staff gave centre's case ("" when none or
// unknown): operators see what a match is about, never the registered
// content. A label is its centre's alone: other centres' users, national
// ones included, see the case ID only.
func (s *Server) caseLabel(rq *request, centre, id string) string {
	if rq.user.Centre != centre {
		return ""
	}
	c, err := s.db.Index.CaseOf(centre, id)
	if err != nil {
		return ""
	}
	return c.Label
}

// backTo is the local page a form asked to return to when it is alert
// id's page (in or out of review mode), else alert id's plain page.
func backTo(r *http.Request, id uint64) string {
	here := fmt.Sprintf("/alerts/%d", id)
	back := safeNext(r.PostForm.Get("back"))
	if u, err := url.Parse(back); err == nil && back != "" && u.Path == here {
		return back
	}
	return here
}

// revealPreview is the explicit, audited step before an operator sees the
// blurred preview of a match.
func (s *Server) revealPreview(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	a, err := s.alertFor(rq, id)
	if err != nil {
		return err
	}
	if _, err := s.db.Alerts.Preview(a.MediaSHA256); err != nil {
		return fmt.Errorf("alert %d has no stored preview: %w", id, err)
	}
	if rq.session == nil {
		return errorf(400, "previews are revealed in a browser session")
	}
	if err := s.db.Store.Audit(r.Context(), store.AuditEntry{User: rq.user.Name, Remote: rq.remote, Token: rq.actor().Token, Centre: a.Centre, Action: "alert.reveal", Target: fmt.Sprint(id)}); err != nil {
		return err // no record, no reveal
	}
	s.reveal(rq.session.ID, id)
	http.Redirect(w, r, backTo(r, id)+"#preview", http.StatusSeeOther)
	return nil
}

// preview serves a blurred preview, only to a session that revealed it.
func (s *Server) preview(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	a, err := s.alertFor(rq, id)
	if err != nil {
		return err
	}
	if rq.session == nil || !s.isRevealed(rq.session.ID, id) {
		return errorf(http.StatusConflict, "reveal the preview of alert %d first (the reveal is recorded)", id)
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

// thumb serves the queue row's small grey thumbnail, made from the stored
// preview on the fly (hashing.Thumbnail) and never stored.
func (s *Server) thumb(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	a, err := s.alertFor(rq, id)
	if err != nil {
		return err
	}
	p, err := s.db.Alerts.Preview(a.MediaSHA256)
	if err != nil {
		return err
	}
	th, err := hashing.Thumbnail(p)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Disposition", "inline")
	_, _ = w.Write(th)
	return nil
}

// decideAlert confirms or dismisses one alert: a form post that goes on
// to the form's next page (the next alert in review mode) with a flash
// message, or an API call answered with the alert. A dismissal's reason
// is the form's or the JSON body's "reason". A refused form comes back as
// the alert's page with the operator's reason kept and the problem said.
func (s *Server) decideAlert(to alerts.Status) handler {
	return func(w http.ResponseWriter, r *http.Request, rq *request) error {
		id, err := parseID(r.PathValue("id"))
		if err != nil {
			return err
		}
		// Another centre's alert does not exist for rq, whatever was sent
		// (DecideAlert checks again in its transaction).
		if _, err := s.alertFor(rq, id); err != nil {
			return err
		}
		reason, err := reasonOf(r, rq)
		if err != nil {
			return err
		}
		if !rq.api && to == alerts.StatusDismissed && strings.TrimSpace(reason) == "" {
			return s.alertPage(w, r, rq, id, http.StatusBadRequest, &alertData{FormError: rq.loc.T("alert.need_reason")})
		}
		a, err := s.decide(r.Context(), rq, id, to, reason)
		if err != nil {
			if st, _ := statusOf(err); !rq.api && st >= 400 && st < 500 && st != http.StatusNotFound {
				return s.alertPage(w, r, rq, id, st, &alertData{FormError: s.refusalText(rq, err), Reason: reason})
			}
			return err
		}
		return s.respond(w, r, rq, reply{redirect: afterDecision(r, id, to), json: NewAlertJSON(a)})
	}
}

// afterDecision is where a decided alert's form goes: the form's "next"
// (the next alert of the review mode) when it is an alert page, else back
// to the alert; the flash message names the alert decided.
func afterDecision(r *http.Request, id uint64, to alerts.Status) string {
	next := safeNext(r.PostForm.Get("next"))
	if u, err := url.Parse(next); next == "" || err != nil || !strings.HasPrefix(u.Path, "/alerts/") {
		next = fmt.Sprintf("/alerts/%d", id)
	}
	sep := "?"
	if strings.Contains(next, "?") {
		sep = "&"
	}
	return next + sep + "done=" + string(to) + "&n=" + strconv.FormatUint(id, 10)
}

// refusalText says in the reader's language why a decision on one alert
// was refused.
func (s *Server) refusalText(rq *request, err error) string {
	var ce *alerts.ClaimedError
	var se *alerts.StateError
	switch {
	case errors.As(err, &ce):
		return rq.loc.T("refused.claimed", ce.ID, ce.Claim.User, rq.loc.Time(ce.Claim.Until))
	case errors.As(err, &se):
		return rq.loc.T("refused.status", se.ID, rq.loc.T("status."+string(se.Status)), rq.loc.T("status."+string(se.To)))
	case errors.Is(err, store.ErrNotFound):
		return rq.loc.T("refused.missing")
	}
	var he *httpError
	if errors.As(err, &he) && he.key != "" {
		return rq.loc.T(he.key, he.args...)
	}
	_, msg := statusOf(err)
	return msg
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

// releaseAlert gives up the viewer's claim on an alert, so another
// operator may take it at once, and goes back to the queue.
func (s *Server) releaseAlert(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	if _, err := s.alertFor(rq, id); err != nil {
		return err
	}
	if _, err := s.db.Alerts.ReleaseAlert(r.Context(), id, rq.actor()); err != nil {
		return err
	}
	http.Redirect(w, r, "/alerts?done=claim_released", http.StatusSeeOther)
	return nil
}

// bulkResult is the outcome of a bulk action per alert.
type bulkResult struct {
	ID     uint64 `json:"id"`
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// bulk applies one decision to several alerts, all or nothing
// (alerts.Store.DecideAlerts): either every alert is decided, each with
// its audit record, or none is and the refusal lists why per alert.
func (s *Server) bulk(ctx context.Context, rq *request, action string, ids []uint64, reason string) ([]alerts.Alert, error) {
	var to alerts.Status
	reason = strings.TrimSpace(reason)
	switch action {
	case "confirm":
		to = alerts.StatusConfirmed
	case "dismiss":
		to = alerts.StatusDismissed
		if reason == "" {
			return nil, refuse(400, "alerts.need_reason")
		}
	default:
		return nil, errorf(400, "unknown action %q (confirm or dismiss)", truncate(action, 40))
	}
	if len(reason) > maxReason {
		return nil, errorf(400, "reason longer than %d bytes", maxReason)
	}
	return s.db.Alerts.DecideAlerts(ctx, ids, to, reason, rq.actor())
}

// bulkAlerts is the queue page's bulk action. Done, it returns to the
// queue saying how many alerts changed. Refused — no reason for a
// dismissal, or any alert that cannot be decided — nothing changes and
// the queue comes back with the operator's selection and reason kept and
// each refused alert marked with why.
func (s *Server) bulkAlerts(w http.ResponseWriter, r *http.Request, rq *request) error {
	back := safeNext(r.PostForm.Get("back"))
	if back == "" || !strings.HasPrefix(back, "/alerts") {
		back = "/alerts"
	}
	reason := firstNonEmpty(r.PostForm["reason"])
	ids, err := parseIDs(r.PostForm["id"])
	if err == nil {
		var done []alerts.Alert
		if done, err = s.bulk(r.Context(), rq, r.PostForm.Get("action"), ids, reason); err == nil {
			sep := "?"
			if strings.Contains(back, "?") {
				sep = "&"
			}
			http.Redirect(w, r, back+sep+"done=bulk&n="+strconv.Itoa(len(done))+"&undo="+joinIDs(done), http.StatusSeeOther)
			return nil
		}
	}
	status, _ := statusOf(err)
	if status >= 500 {
		return err
	}
	u, perr := url.Parse(back)
	if perr != nil {
		return err
	}
	d, qerr := s.queuePage(r.Context(), rq, u.Query())
	if qerr != nil {
		return err
	}
	d.Selected, d.Reason, d.Problems = map[uint64]bool{}, reason, map[uint64]string{}
	for _, id := range ids {
		d.Selected[id] = true
	}
	var re *alerts.BulkRefusedError
	if errors.As(err, &re) {
		d.FormError = rq.loc.T("alerts.bulk_refused", len(re.Refusals), re.Of)
		for _, rf := range re.Refusals {
			d.Problems[rf.ID] = s.refusalText(rq, rf.Err)
		}
	} else {
		d.FormError = s.refusalText(rq, err)
	}
	return s.render(w, r, rq, status, "alerts", rq.loc.T("alerts.title"), d)
}

func firstNonEmpty(ss []string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// apiBulk is the API's bulk action, all or nothing: every alert decided
// (200, each alert's new status), or none and a 409 whose results say
// which alerts were refused and why.
func (s *Server) apiBulk(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body decisionJSON
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if len(body.IDs) == 0 || len(body.IDs) > maxBulk {
		return errorf(400, "ids: want 1–%d alert IDs", maxBulk)
	}
	done, err := s.bulk(r.Context(), rq, body.Action, body.IDs, body.Reason)
	var re *alerts.BulkRefusedError
	if errors.As(err, &re) {
		res := make([]bulkResult, len(re.Refusals))
		for i, rf := range re.Refusals {
			res[i] = bulkResult{ID: rf.ID, Error: s.refusalText(rq, rf.Err)}
		}
		writeJSON(w, http.StatusConflict, map[string]any{"error": rq.loc.T("alerts.bulk_refused_api", len(re.Refusals), re.Of), "results": res})
		return nil
	}
	if err != nil {
		return err
	}
	res := make([]bulkResult, len(done))
	for i, a := range done {
		res[i] = bulkResult{ID: a.ID, Status: string(a.Status)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": res})
	return nil
}
