package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/console/messages"
	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/store"
)

// How a request is answered. A handler writes its successful answer — with
// respond, a download, or a redirect of its own — and returns any failure.
// The adapter (serve) is the one place a failure becomes an answer: it logs
// it, and writes it as JSON on a route that answers JSON (the API) and as
// an error page on a route that answers HTML (pages and form posts). So no
// handler decides between the two, and no handler logs what it returns.

// handler serves one route for an authenticated (or, on public routes,
// possibly anonymous) request.
type handler func(w http.ResponseWriter, r *http.Request, rq *request) error

// output is how a route answers, its errors included.
type output int

const (
	// asHTML routes answer browsers: pages, form posts that redirect with
	// a flash message (?done=…), downloads; errors as an error page.
	asHTML output = iota
	// asJSON routes answer scripts, errors included ({"error": "…"}), and
	// are the only routes that accept an API token.
	asJSON
)

func (o output) String() string {
	if o == asJSON {
		return "json"
	}
	return "html"
}

// serve adapts a route to net/http: the guard, then the handler, and the
// one answer to whatever error either returned.
func (s *Server) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := &request{remote: s.remote(r), api: rt.Out == asJSON}
		ok, err := s.guard(w, r, rq, rt)
		if ok && err == nil {
			err = s.run(w, r, rq, rt)
		}
		if err != nil {
			s.answerError(w, r, rq, err)
		}
	})
}

// run runs rt's handler once the gate lets a request of its load in
// (load.go, console/admission), or answers 503 with Retry-After. A cached
// route's handler enters the gate itself.
func (s *Server) run(w http.ResponseWriter, r *http.Request, rq *request, rt route) error {
	leave, err := s.admit(w, r, rt.Load.gateLoad())
	if err != nil {
		return err
	}
	defer leave()
	return rt.h(w, r, rq)
}

// reply is a handler's answer on a route pair that differs only in output:
// the same data, shown as a page (or, after a form post, a redirect) on
// the HTML route and sent as a JSON body on the API route.
type reply struct {
	status int // zero means 200

	// The HTML answer: a redirect, else page (a template) with its title
	// and data.
	redirect string
	page     string
	title    string
	html     any

	// The JSON answer.
	json any
}

// respond writes rp as the route answers: JSON, a redirect or a page.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, rq *request, rp reply) error {
	status := rp.status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case rq.api:
		writeJSON(w, status, rp.json)
		return nil
	case rp.redirect != "":
		http.Redirect(w, r, rp.redirect, http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, rq, status, rp.page, rp.title, rp.html)
}

// writeJSON answers an API call.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := encodeJSON(v)
	if err != nil {
		b = []byte(`{"error":"internal error; it was logged","code":"internal"}` + "\n")
		status = http.StatusInternalServerError
	}
	writeJSONBody(w, status, b)
}

// writeJSONBody answers an API call with JSON already encoded.
func writeJSONBody(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// httpError is an error with the status and message a person should get,
// in the reader's language: its message is the catalog's key with its
// arguments, and msg the English text of it, for the log and for callers
// that read Error(). Detail is technical text a person may need to fix
// the request (a sites.yaml check with its line numbers, a parse error):
// it is kept apart, in the words of the code that found it.
type httpError struct {
	status int
	msg    string
	key    string
	args   []any
	detail string
}

func (e *httpError) Error() string {
	if e.detail != "" {
		return e.msg + ": " + e.detail
	}
	return e.msg
}

// refuse is an error for the user with the catalog's message key, shown
// in each reader's language.
func refuse(status int, key string, args ...any) error {
	en := &locale{msgs: messages.For("en")}
	return &httpError{status: status, msg: en.T(key, args...), key: key, args: args}
}

// refuseWith is refuse with detail: the lower-level cause, shown apart
// from the message (a JSON error's "detail", a line under an error page's
// message).
func refuseWith(status int, detail error, key string, args ...any) error {
	e := refuse(status, key, args...).(*httpError)
	if detail != nil {
		e.detail = detail.Error()
	}
	return e
}

// badRequest is a 400 for err — or a 413 when err is a body over its limit.
func badRequest(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return refuse(http.StatusRequestEntityTooLarge, "err.body_too_large", mbe.Limit)
	}
	return refuseWith(http.StatusBadRequest, err, "err.bad_request")
}

// answerStarted wraps an error met after the answer began (its status and
// headers are gone): it can only be logged.
type answerStarted struct{ err error }

func (e *answerStarted) Error() string { return e.err.Error() }
func (e *answerStarted) Unwrap() error { return e.err }

// errorAnswer is how a failure is shown: its status, a stable
// machine-readable code (a JSON error's "code"; scripts match on it, never
// on the words), the message in the reader's language and, apart, the
// technical detail of a lower-level cause.
type errorAnswer struct {
	Status  int
	Code    string
	Message string
	Detail  string
}

// Text is the message with the detail after it, for a form that shows
// a refusal in one line.
func (ea errorAnswer) Text() string {
	if ea.Detail != "" {
		return ea.Message + " (" + ea.Detail + ")"
	}
	return ea.Message
}

// errorJSON is a JSON error's body. "error" is the message in the
// caller's language (as it always was); "code" says the same for
// scripts and stays when the words change; "detail", when present, is
// the technical cause (a parse error with its line, a store's words).
type errorJSON struct {
	Error  string `json:"error"`
	Code   string `json:"code"`
	Detail string `json:"detail,omitempty"`
}

// codeOf is the code of a catalog key: the key itself, stable while its
// words change, without the "err." of general errors and with "_" for
// ".": "err.csrf" → "csrf", "alerts.need_reason" → "alerts_need_reason".
func codeOf(key string) string {
	return strings.ReplaceAll(strings.TrimPrefix(key, "err."), ".", "_")
}

// sentinelCodes are the codes of the errors the stores return, which
// statusOf maps to a status.
var sentinelCodes = []struct {
	err  error
	code string
}{
	{store.ErrNotFound, "not_found"}, {crawler.ErrUnknownSite, "not_found"}, {store.ErrConflict, "conflict"},
	{store.ErrInvalid, "invalid"}, {hashing.ErrTooLarge, "too_large"}, {video.ErrTimeout, "too_costly"},
	{video.ErrTooLong, "too_costly"}, {video.ErrTooManyFrames, "too_costly"}, {hashing.ErrUnsupported, "unsupported"},
	{hashing.ErrCorrupt, "corrupt"}, {accounts.ErrExpired, "expired"}, {accounts.ErrBadCredentials, "bad_credentials"},
	{context.Canceled, "cancelled"}, {context.DeadlineExceeded, "cancelled"}, {store.ErrReadOnly, "read_only"},
	{store.ErrDamaged, "damaged"},
}

// explain is how err is shown to a reader of l: a refusal from the
// catalog in the reader's language; an alert claimed by another operator
// or in the wrong state, in words; a store's own error as a sentence for
// its status in the reader's language with the store's words as detail
// (errorWords); anything else a 500 whose details go to the log only.
func explain(l *locale, err error) errorAnswer {
	var he *httpError
	var ce *alerts.ClaimedError
	var se *alerts.StateError
	switch {
	case errors.As(err, &he) && he.key != "":
		return errorAnswer{he.status, codeOf(he.key), l.T(he.key, he.args...), he.detail}
	case errors.As(err, &ce):
		return errorAnswer{http.StatusConflict, "alert_claimed", l.T("refused.claimed", ce.ID, ce.Claim.User, l.Time(ce.Claim.Until)), ""}
	case errors.As(err, &se):
		return errorAnswer{http.StatusConflict, "alert_state", l.T("refused.status", se.ID, l.T("status."+string(se.Status)), l.T("status."+string(se.To))), ""}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return explain(l, badRequest(mbe))
	}
	status, msg := statusOf(err)
	if status == http.StatusInternalServerError {
		return errorAnswer{status, "internal", l.T("err.internal"), ""}
	}
	code := "bad_request"
	for _, sc := range sentinelCodes {
		if errors.Is(err, sc.err) {
			code = sc.code
			break
		}
	}
	if code == "cancelled" {
		return errorAnswer{status, code, l.T("err.cancelled"), ""}
	}
	_, sentence, detail := errorWords(l, status, msg, false)
	return errorAnswer{status, code, sentence, detail}
}

// statusOf maps an error to the status and (English) message it gets.
// Errors the caller caused are 4xx with their message; anything else is a
// 500 whose details go to the log only.
func statusOf(err error) (int, string) {
	var he *httpError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return he.status, he.Error()
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over the limit of %d bytes", mbe.Limit)
	case errors.Is(err, store.ErrNotFound), errors.Is(err, crawler.ErrUnknownSite):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, err.Error()
	case errors.Is(err, store.ErrInvalid):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, hashing.ErrTooLarge):
		return http.StatusRequestEntityTooLarge, err.Error()
	case errors.Is(err, video.ErrTimeout), errors.Is(err, video.ErrTooLong), errors.Is(err, video.ErrTooManyFrames):
		// A file too costly to fingerprint is the file's fault, not the
		// server's: an upload reports it per file and goes on.
		return http.StatusRequestEntityTooLarge, err.Error()
	case errors.Is(err, hashing.ErrUnsupported), errors.Is(err, hashing.ErrCorrupt):
		return http.StatusUnprocessableEntity, err.Error()
	case errors.Is(err, accounts.ErrExpired), errors.Is(err, accounts.ErrBadCredentials):
		return http.StatusUnauthorized, err.Error()
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "the request was cancelled"
	case errors.Is(err, store.ErrReadOnly), errors.Is(err, store.ErrDamaged):
		return http.StatusServiceUnavailable, err.Error()
	}
	return http.StatusInternalServerError, ""
}

// errorPage is the error template's data.
type errorPage struct {
	Status  int
	Message string
	// Detail is the technical cause, apart from Message: a lower-level
	// error's own (English) words.
	Detail string
}

// answerError logs err and answers it: JSON on an API route, the error
// page otherwise, both in the reader's language (explain). This is the
// only place a handler's failure is logged.
func (s *Server) answerError(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	var started *answerStarted
	if errors.As(err, &started) {
		s.log.Error("request failed after its answer began", "method", r.Method, "path", r.URL.Path, "err", started.err)
		return
	}
	loc := rq.loc
	if loc == nil {
		loc = s.locale(r, rq.user)
	}
	ea := explain(loc, err)
	if ea.Status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		s.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "status", ea.Status, "code", ea.Code, "err", err)
	}
	if rq.api {
		writeJSON(w, ea.Status, errorJSON{Error: ea.Message, Code: ea.Code, Detail: ea.Detail})
		return
	}
	rq.loc = loc
	if err := s.render(w, r, rq, ea.Status, "error", statusTitle(loc, ea.Status), errorPage{ea.Status, ea.Message, ea.Detail}); err != nil {
		s.log.Error("render error page", "status", ea.Status, "err", err)
		http.Error(w, loc.T("err.internal"), http.StatusInternalServerError)
	}
}
