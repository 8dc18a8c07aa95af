package console

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/store"
)

// pageTemplate is one page parsed together with the shared layout.
type pageTemplate struct{ t *template.Template }

// parsePages parses every page under templates/ with layout.html.
func parsePages() (map[string]*pageTemplate, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*pageTemplate{}
	for _, n := range names {
		base := path.Base(n)
		if base == "layout.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("console: parse %s: %w", n, err)
		}
		pages[strings.TrimSuffix(base, ".html")] = &pageTemplate{t}
	}
	return pages, nil
}

// templateFuncs are the pages' helpers. seg escapes a name (a case ID, a
// site, a user) as one path segment of a form's action: html/template
// leaves "/", "?", "#" and "%" of a URL path as they are, so a case ID
// "2026/11" would otherwise post to another path.
var templateFuncs = template.FuncMap{"seg": url.PathEscape}

// navItem is one link of the navigation bar.
type navItem struct {
	Path, Label string
	Current     bool
}

// view is what every page template gets: the page's own data in D, and the
// frame (user, language, CSRF token, navigation).
type view struct {
	Title string
	L     *locale
	User  accounts.User
	CSRF  string
	Nav   []navItem
	Done  string // a localised "done" message after a redirect
	// Damaged is set while the database is damaged (store.ErrDamaged):
	// every page says so, since every change is refused until a restore.
	Damaged string
	D       any
}

// navPages are the pages of the navigation bar, shown to the roles the
// route table allows on them.
var navPages = []struct{ path, key string }{
	{"/dashboard", "nav.dashboard"},
	{"/alerts", "nav.alerts"},
	{"/notices", "nav.notices"},
	{"/reports", "nav.reports"},
	{"/cases", "nav.cases"},
	{"/quarantine", "nav.quarantine"},
	{"/negative", "nav.negative"},
	{"/sites", "nav.sites"},
	{"/users", "nav.users"},
	{"/audit", "nav.audit"},
	{"/settings", "nav.settings"},
}

// render writes page name with data d. The page is rendered into memory
// first, so a template failure is a clean 500, never half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, rq *request, status int, name, title string, d any) {
	pt := s.pages[name]
	if pt == nil {
		s.log.Error("no such page template", "page", name)
		http.Error(w, "internal error; it was logged", http.StatusInternalServerError)
		return
	}
	v := view{Title: title, L: rq.loc, User: rq.user, D: d}
	if rq.session != nil {
		v.CSRF = rq.session.CSRF
	}
	if rq.user.Name != "" {
		for _, p := range navPages {
			if s.mayGet(p.path, rq.user.Role) {
				v.Nav = append(v.Nav, navItem{Path: p.path, Label: rq.loc.T(p.key), Current: strings.HasPrefix(r.URL.Path, p.path)})
			}
		}
	}
	if err := s.db.Store.Damaged(); err != nil {
		v.Damaged = err.Error()
	}
	if done := r.URL.Query().Get("done"); done != "" && rq.loc.Has("done."+done) {
		v.Done = rq.loc.T("done." + done)
	}
	var buf bytes.Buffer
	if err := pt.t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error; it was logged", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeJSON answers an API call.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// httpError is an error with the status and message a person should get.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over the limit of %d bytes", mbe.Limit)}
	}
	return &httpError{http.StatusBadRequest, err.Error()}
}

func errorf(status int, format string, args ...any) error {
	return &httpError{status, fmt.Sprintf(format, args...)}
}

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

// fail answers with the error's status: JSON for API calls, a page
// otherwise.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	status, msg := statusOf(err)
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = rq.loc.T("err.internal")
	}
	s.failStatus(w, r, rq, status, msg)
}

func (s *Server) failStatus(w http.ResponseWriter, r *http.Request, rq *request, status int, msg string) {
	if rq.api {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	s.render(w, r, rq, status, "error", http.StatusText(status), struct {
		Status  int
		Message string
	}{status, msg})
}
