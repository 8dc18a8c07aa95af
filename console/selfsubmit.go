package console

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/console/loginlimit"
	"github.com/hashwatch/hashwatch/console/messages"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// Self-submission by victims (issue 16), for centres that turn it on
// (centres.Centre.SelfSubmit; `hashwatch centre self-submit`). Staff
// issue a case a PIN (POST /cases/{id}/pin, `hashwatch case pin`), shown
// once; the victim opens /submit, with no account, enters the case
// number, the centre and the PIN, and picks pictures and videos that the
// page hashes in their browser with the registration page's own code
// (register.js, hashworker.js, the wasm module). Only fingerprints are
// posted (POST /api/submit), re-checked as a staff browser registration's
// are (receivedFiles) and registered through the same call, audited as
// "self:<case>". A file the browser cannot hash is refused on the device:
// this page has no upload. With the same case number and PIN the victim
// may withdraw the case (POST /api/submit/withdraw): the whole case, as a
// staff withdrawal does, since a victim's withdrawal is of their case,
// whoever registered its fingerprints.
//
// There is no session: a form token double-submitted in a SameSite
// cookie guards the posts against other sites. Wrong PINs are limited
// per address and per case as wrong passwords are, and lock the PIN for
// good after index.MaxPINFailures; fingerprints are limited per address
// and per case (Limits.SelfSubmitPerHour).

// Routes of the self-submission page.
const (
	selfSubmitPath   = "/api/submit"
	selfWithdrawPath = "/api/submit/withdraw"
	submitCookie     = "hw_submit"
)

// selfActor is who a victim's submission or withdrawal is audited as.
func selfActor(centre, caseID, remote string) store.Actor {
	return store.Actor{User: "self:" + caseID, Remote: remote, Centre: centre}
}

// submitData is the /submit page.
type submitData struct {
	Centres []centres.Centre
	Centre  string // preselected (?centre=)
	Case    string // prefilled (?case=)
	// Form is the form token, also set in the submitCookie.
	Form       string
	InBrowser  bool
	MaxPixels  int64
	FrameSize  int
	IntervalMS int64
	MaxFiles   int
	Lang       string
}

// submitPage is the public page of victims' self-submission, listing the
// centres that have turned it on; 404 when none has.
func (s *Server) submitPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	if lang := q.Get("lang"); messages.For(lang) != nil {
		rq.loc = &locale{Lang: lang, Zone: rq.loc.Zone, msgs: messages.For(lang)}
	}
	all, err := s.db.Centres.List()
	if err != nil {
		return err
	}
	d := submitData{Centre: q.Get("centre"), Case: truncate(q.Get("case"), 128), InBrowser: s.hashingInBrowser(),
		MaxPixels: s.hasher.Limits().MaxPixels, FrameSize: video.FrameSize, IntervalMS: video.RegistrationInterval.Milliseconds(),
		MaxFiles: s.limits.UploadFiles, Lang: rq.loc.Lang}
	for _, c := range all {
		if c.SelfSubmit {
			d.Centres = append(d.Centres, c)
		}
	}
	if len(d.Centres) == 0 {
		return refuse(http.StatusNotFound, "submit.off")
	}
	d.Form = randomToken()
	s.setCookie(w, r, submitCookie, d.Form, int((4 * time.Hour).Seconds()))
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, rq, http.StatusOK, "submit", rq.loc.T("submit.title"), d)
}

// submitFormOK checks the double-submitted form token: the cookie the
// page set and the X-CSRF-Token header its script sends.
func submitFormOK(r *http.Request) bool {
	c, err := r.Cookie(submitCookie)
	got := r.Header.Get("X-CSRF-Token")
	return err == nil && c.Value != "" && got != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(got)) == 1
}

// selfJSON is the body of a self-submission or a withdrawal by PIN.
type selfJSON struct {
	Centre string           `json:"centre"`
	Case   string           `json:"case"`
	PIN    string           `json:"pin"`
	Files  []hashedFileJSON `json:"files,omitempty"`
}

// readSelf reads and checks a self-submission request up to its PIN:
// the form token, the centre and case, and the PIN within the limits on
// guessing. It returns the actor to audit the rest as.
func (s *Server) readSelf(w http.ResponseWriter, r *http.Request, rq *request, body *selfJSON) (store.Actor, error) {
	if err := decodeJSON(r, body); err != nil {
		return store.Actor{}, err
	}
	if !submitFormOK(r) {
		return store.Actor{}, refuse(http.StatusForbidden, "err.csrf")
	}
	body.Centre = strings.TrimSpace(body.Centre)
	if centres.Valid(body.Centre) != nil {
		return store.Actor{}, refuse(http.StatusNotFound, "submit.off")
	}
	caseID, err := registrationCase(body.Case)
	if err != nil {
		return store.Actor{}, err
	}
	if len(caseID) > 128 || len(body.PIN) > 64 {
		return store.Actor{}, refuse(http.StatusUnauthorized, "submit.wrong")
	}
	body.Case = caseID
	by := selfActor(body.Centre, caseID, rq.remote)
	settle, admitted, until := secretAttempt(s.selfIPLimit, s.selfCaseLimit, loginlimit.Key(rq.remote), centres.Key(body.Centre, caseID))
	if !admitted {
		w.Header().Set("Retry-After", fmt.Sprint(int(until.Sub(s.now()).Seconds())+1))
		return by, refuse(http.StatusTooManyRequests, "submit.too_many", rq.loc.Time(until))
	}
	err = s.db.Index.CheckPIN(r.Context(), body.Centre, caseID, body.PIN, by)
	// A centre that is off is not a guess: it does not count.
	settle(err == nil || errors.Is(err, index.ErrSelfSubmitOff))
	switch {
	case err == nil:
		return by, nil
	case errors.Is(err, index.ErrSelfSubmitOff):
		return by, refuse(http.StatusNotFound, "submit.off")
	case errors.Is(err, index.ErrPINWrong):
		s.log.Warn("self-submission: wrong PIN", "centre", body.Centre, "case", caseID, "remote", rq.remote)
		return by, refuse(http.StatusUnauthorized, "submit.wrong")
	case errors.Is(err, index.ErrPINExpired):
		return by, refuse(http.StatusUnauthorized, "submit.expired")
	case errors.Is(err, index.ErrPINLocked):
		return by, refuse(http.StatusLocked, "submit.locked")
	}
	return by, err
}

// selfSubmit adds fingerprints a victim's browser computed to their case.
func (s *Server) selfSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body selfJSON
	by, err := s.readSelf(w, r, rq, &body)
	if err != nil {
		return err
	}
	regs, files, err := s.receivedFiles("", body.Files)
	if err != nil {
		return err
	}
	for _, key := range []string{"ip:" + loginlimit.Key(rq.remote), "case:" + centres.Key(body.Centre, body.Case)} {
		if ok, wait := s.selfRate.take(key, len(regs)); !ok {
			w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
			return refuse(http.StatusTooManyRequests, "submit.too_many", rq.loc.Time(s.now().Add(wait)))
		}
	}
	added, err := s.db.Index.RegisterIn(r.Context(), body.Centre, body.Case, "", regs, by)
	if err != nil {
		return err
	}
	res := hashedResultJSON{Case: body.Case, Registered: len(added), Files: files}
	for k, f := range added {
		res.Files[k].Fingerprint = f.ID
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// selfWithdraw withdraws a victim's case with its number and PIN: the
// whole case, as a staff withdrawal does (index.WithdrawIn).
func (s *Server) selfWithdraw(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body selfJSON
	by, err := s.readSelf(w, r, rq, &body)
	if err != nil {
		return err
	}
	if len(body.Files) > 0 {
		return refuse(http.StatusBadRequest, "err.withdraw_files")
	}
	fps, alerts, err := s.db.Index.WithdrawIn(r.Context(), body.Centre, body.Case, by)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"case": body.Case, "fingerprints_deleted": fps, "alerts_closed": alerts})
	return nil
}

// pinIssued is a PIN just issued, shown once on the cases page.
type pinIssued struct {
	Case    string    `json:"case"`
	PIN     string    `json:"pin"`
	Expires time.Time `json:"expires"`
}

// issuePIN gives one of the staff member's centre's existing cases a new
// self-submission PIN, shown once (never stored in the clear). Days sets
// its validity (default index.DefaultPINTTL).
func (s *Server) issuePIN(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body struct {
		Days int `json:"days"`
	}
	if err := input(r, rq, &body, func(f url.Values) { body.Days, _ = strconv.Atoi(f.Get("days")) }); err != nil {
		return err
	}
	if body.Days < 0 || body.Days > int(index.MaxPINTTL/(24*time.Hour)) {
		return refuse(http.StatusBadRequest, "err.bad_number", "days", strconv.Itoa(body.Days), 1, int(index.MaxPINTTL/(24*time.Hour)))
	}
	id := r.PathValue("id")
	// From the console, only a case that exists (and is the user's
	// centre's: another centre's is not there for them); the command line
	// may open a new one with its PIN.
	if _, err := s.db.Index.CaseOf(rq.user.Centre, id); err != nil {
		return err
	}
	pin, exp, err := s.db.Index.IssuePIN(r.Context(), rq.user.Centre, id, time.Duration(body.Days)*24*time.Hour, rq.actor())
	if errors.Is(err, index.ErrSelfSubmitOff) {
		// 409, not 403: the role may, the centre's setting is in the way.
		return refuse(http.StatusConflict, "submit.off_staff")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	issued := &pinIssued{Case: id, PIN: pin, Expires: exp}
	if rq.api {
		writeJSON(w, http.StatusOK, issued)
		return nil
	}
	d, err := s.casesData(rq, rq.user.Centre)
	if err != nil {
		return err
	}
	d.PIN = issued
	return s.render(w, r, rq, http.StatusOK, "cases", rq.loc.T("cases.title"), d)
}

// revokePIN ends the PIN of one of the staff member's centre's cases at
// once (index RevokePIN, audited as "case.pin_revoke", as `hashwatch case
// pin --revoke` is), whether or not the centre's self-submission is on:
// a PIN given out by mistake, or no longer wanted, stops working now
// rather than when it expires. Another centre's case is not there (404).
func (s *Server) revokePIN(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	if _, err := s.db.Index.CaseOf(rq.user.Centre, id); err != nil {
		return err
	}
	if err := s.db.Index.RevokePIN(r.Context(), rq.user.Centre, id, rq.actor()); err != nil {
		return err
	}
	return s.respond(w, r, rq, reply{redirect: "/cases?done=pin_revoked", json: map[string]any{"case": id, "pin_revoked": true}})
}

// setSelfSubmit turns a centre's self-submission by victims on or off
// (form field state, "on" or "off") from the users page: the admins of
// that centre, or national admins for any centre; another centre is not
// there for a regional admin (404). It is the store call `hashwatch
// centre self-submit` makes (centres.Store.SetSelfSubmit), audited there
// as "centre.self_submit".
func (s *Server) setSelfSubmit(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := r.PathValue("id")
	if !rq.sees(id) {
		return fmt.Errorf("centre %q: %w", id, store.ErrNotFound)
	}
	state := r.PostForm.Get("state")
	if state != "on" && state != "off" {
		return refuse(http.StatusBadRequest, "err.bad_choice", "state", truncate(state, 16), "on, off")
	}
	if err := s.db.Centres.SetSelfSubmit(r.Context(), id, state == "on", rq.actor()); err != nil {
		return err
	}
	http.Redirect(w, r, "/users?done=self_submit_"+state, http.StatusSeeOther)
	return nil
}
