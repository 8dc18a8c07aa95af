package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/hashwatch/hashwatch/accounts"
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
		b = []byte(`{"error":"internal error; it was logged"}` + "\n")
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

// httpError is an error with the status and message a person should get.
// A message from the catalog keeps its key and arguments and is shown in
// the reader's language; msg is then its English text, for the log and
// for callers that read Error() (a bulk action's per-alert result).
type httpError struct {
	status int
	msg    string
	key    string
	args   []any
}

func (e *httpError) Error() string { return e.msg }

// errorf is an error for the user with a message made on the spot.
func errorf(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

// refuse is an error for the user with the catalog's message key, shown
// in each reader's language.
func refuse(status int, key string, args ...any) error {
	en := &locale{msgs: messages.For("en")}
	return &httpError{status: status, msg: en.T(key, args...), key: key, args: args}
}

// badRequest is a 400 for err — or a 413 when err is a body over its limit.
func badRequest(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &httpError{status: http.StatusRequestEntityTooLarge, msg: fmt.Sprintf("request body over the limit of %d bytes", mbe.Limit)}
	}
	return &httpError{status: http.StatusBadRequest, msg: err.Error()}
}

// answerStarted wraps an error met after the answer began (its status and
// headers are gone): it can only be logged.
type answerStarted struct{ err error }

func (e *answerStarted) Error() string { return e.err.Error() }
func (e *answerStarted) Unwrap() error { return e.err }

// statusOf maps an error to the status and message to show. Errors the
// caller caused are 4xx with their message; anything else is a 500 whose
// details go to the log only.
func statusOf(err error) (int, string) {
	var he *httpError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return he.status, he.msg
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
	// Detail is the error's own (English) words when Message is a
	// sentence in the reader's language for it.
	Detail string
}

// answerError logs err and answers it: JSON on an API route, the error
// page otherwise. This is the only place a handler's failure is logged.
func (s *Server) answerError(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	var started *answerStarted
	if errors.As(err, &started) {
		s.log.Error("request failed after its answer began", "method", r.Method, "path", r.URL.Path, "err", started.err)
		return
	}
	status, msg := statusOf(err)
	var he *httpError
	keyed := errors.As(err, &he) && he.key != ""
	if keyed {
		msg = rq.loc.T(he.key, he.args...)
	}
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg, keyed = rq.loc.T("err.internal"), true
	} else {
		s.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	if rq.api {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	title, sentence, detail := errorWords(rq.loc, status, msg, keyed)
	if err := s.render(w, r, rq, status, "error", title, errorPage{status, sentence, detail}); err != nil {
		s.log.Error("render error page", "status", status, "err", err)
		http.Error(w, "internal error; it was logged", http.StatusInternalServerError)
	}
}
