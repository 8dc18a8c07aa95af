package console

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/store"
)

// Cookie names. The login cookie carries the double-submitted CSRF token of
// the login form, before there is a session to hold one.
const (
	sessionCookie = "hw_session"
	loginCookie   = "hw_login"
)

// request is what the guard learned about a request before its handler
// runs.
type request struct {
	user    accounts.User     // zero when anonymous
	session *accounts.Session // nil for API tokens and anonymous requests
	token   *accounts.Token   // the API token used, if any
	remote  string
	api     bool // JSON answers
	loc     *locale
}

func (rq *request) actor() store.Actor {
	a := store.Actor{User: rq.user.Name, Remote: rq.remote, Centre: rq.user.Centre}
	if rq.token != nil {
		a.Token = rq.token.ID
	}
	return a
}

// guard checks a request before its route's handler runs: it
// authenticates it, reads a form or JSON body within its limits, and
// checks the role, the API token's scope and the CSRF token. It returns
// true when the handler may run, false when it answered itself (a
// redirect to the login page), or the refusal.
func (s *Server) guard(w http.ResponseWriter, r *http.Request, rq *request, rt route) (bool, error) {
	authErr := s.authenticate(r, rq)
	rq.loc = s.locale(r, rq.user)
	if rt.CSRF != csrfUpload {
		// A form or JSON body is small: read it whole now, within
		// FormReadTime, so a client trickling it cannot hold the
		// connection; then lift the deadline again, since net/http
		// cancels a request whose connection read times out, and a
		// handler may run longer than that (a reported URL checked).
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(s.limits.FormReadTime)) // unsupported by a test recorder: the server's timeouts bound it
		limit := s.limits.FormBytes
		switch {
		case rt.Path == hashedPath || rt.Path == selfSubmitPath:
			limit = s.limits.HashedBytes
		case isLookupRoute(rt.Path):
			limit = s.limits.LookupBytes
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err == nil {
			// Kept when the read failed: net/http then answers at
			// once instead of waiting for the rest of the body.
			_ = rc.SetReadDeadline(time.Time{})
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if !errors.As(err, &mbe) {
				err = badRequest(err)
			}
			return false, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if rt.public() {
		return true, nil
	}
	if rq.user.Name == "" {
		if authErr != nil && !errors.Is(authErr, store.ErrNotFound) && !errors.Is(authErr, accounts.ErrExpired) {
			return false, authErr
		}
		if rq.api || r.Method != http.MethodGet {
			return false, refuse(http.StatusUnauthorized, "err.login_required")
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return false, nil
	}
	if !rt.allowsAny(rq.user.Roles()) {
		return false, refuse(http.StatusForbidden, "err.forbidden")
	}
	if rt.Centres == nationalOnly && !rq.national() {
		return false, refuse(http.StatusForbidden, "err.national_only", rt.Method, rt.Path, nationalReason(rt.Path, rq.user.Centre))
	}
	if rq.token != nil && !tokenAllows(rq.token.Scope, rt) {
		return false, refuse(http.StatusForbidden, "err.token_scope", rq.token.Scope, rt.Method, rt.Path)
	}
	if r.Method == http.MethodPost && rt.CSRF != csrfUpload && !rq.api {
		if err := r.ParseForm(); err != nil {
			return false, badRequest(err)
		}
	}
	if rt.CSRF == csrfSession && rq.session != nil && !s.csrfOK(r, rq) {
		return false, refuse(http.StatusForbidden, "err.csrf")
	}
	return true, nil
}

// authenticate finds the request's user: an API token (Authorization:
// Bearer, API routes only) or a session cookie.
func (s *Server) authenticate(r *http.Request, rq *request) error {
	ctx := r.Context()
	if auth := r.Header.Get("Authorization"); auth != "" && rq.api {
		secret, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return fmt.Errorf("authorization: want a Bearer token: %w", store.ErrNotFound)
		}
		t, u, err := s.db.Accounts.TokenBySecret(ctx, strings.TrimSpace(secret))
		if err != nil {
			return err
		}
		rq.user, rq.token = u, &t
		return nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return store.ErrNotFound
	}
	sess, u, err := s.db.Accounts.SessionByToken(ctx, c.Value)
	if err != nil {
		return err
	}
	rq.user, rq.session = u, &sess
	return nil
}

// csrfOK checks the session's CSRF token in the form field "csrf" or, for
// API calls from a page, the X-CSRF-Token header.
func (s *Server) csrfOK(r *http.Request, rq *request) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" && !rq.api {
		if err := r.ParseForm(); err != nil {
			return false
		}
		got = r.PostForm.Get("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(rq.session.CSRF)) == 1
}

// secure reports whether cookies must be marked Secure.
func (s *Server) secure(r *http.Request) bool { return s.cfg.SecureCookies || r.TLS != nil }

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails on supported platforms (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

type loginData struct {
	Next, Name, Error, LoginCSRF string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.user.Name != "" {
		http.Redirect(w, r, s.homeOf(rq.user.Role), http.StatusSeeOther)
		return nil
	}
	return s.renderLogin(w, r, rq, http.StatusOK, loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

// renderLogin shows the login form, with a fresh form token (and d.Error,
// the reason a login was refused: the login form answers its own
// failures, so the person can try again at once).
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, rq *request, status int, d loginData) error {
	d.LoginCSRF = randomToken()
	s.setCookie(w, r, loginCookie, d.LoginCSRF, 3600)
	return s.render(w, r, rq, status, "login", rq.loc.T("login.title"), d)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := r.ParseForm(); err != nil {
		return badRequest(err)
	}
	name, password := strings.TrimSpace(r.PostForm.Get("name")), r.PostForm.Get("password")
	d := loginData{Next: safeNext(r.PostForm.Get("next")), Name: name}
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get("csrf"))) != 1 {
		d.Error = rq.loc.T("err.csrf")
		return s.renderLogin(w, r, rq, http.StatusForbidden, d)
	}
	if len(name) > 64 || len(password) > accounts.MaxPasswordLen*4 {
		d.Error = rq.loc.T("login.failed")
		return s.renderLogin(w, r, rq, http.StatusBadRequest, d)
	}
	settle, admitted, until := s.passwordAttempt(rq.remote, name)
	if !admitted {
		w.Header().Set("Retry-After", fmt.Sprint(int(until.Sub(s.now()).Seconds())+1))
		d.Error = rq.loc.T("login.too_many", rq.loc.Time(until))
		return s.renderLogin(w, r, rq, http.StatusTooManyRequests, d)
	}
	u, err := s.db.Accounts.Authenticate(r.Context(), name, password)
	settle(err == nil)
	if err != nil {
		if !errors.Is(err, accounts.ErrBadCredentials) {
			return err
		}
		s.log.Warn("login failed", "user", name, "remote", rq.remote)
		if aerr := s.db.Store.Audit(r.Context(), store.AuditEntry{User: "", Remote: rq.remote, Action: "login.failed", Target: name}); aerr != nil {
			s.log.Error("audit record failed", "err", aerr)
		}
		d.Error = rq.loc.T("login.failed")
		return s.renderLogin(w, r, rq, http.StatusUnauthorized, d)
	}
	if rq.session != nil {
		// A browser that was logged in (perhaps as someone else) gets a
		// new session; the old one ends server-side, not only in its
		// cookie.
		if c, err := r.Cookie(sessionCookie); err == nil {
			if err := s.db.Accounts.DeleteSession(r.Context(), c.Value, rq.actor()); err != nil {
				return err
			}
		}
	}
	token, _, err := s.db.Accounts.CreateSession(r.Context(), u.Name, s.cfg.Session, store.Actor{User: u.Name, Remote: rq.remote})
	if err != nil {
		return err
	}
	s.setCookie(w, r, loginCookie, "", -1)
	ttl := s.cfg.Session.TTL
	if ttl <= 0 {
		ttl = accounts.DefaultSessionTTL
	}
	s.setCookie(w, r, sessionCookie, token, int(ttl.Seconds()))
	next := d.Next
	if next == "" {
		next = s.homeOf(u.Role)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, rq *request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.db.Accounts.DeleteSession(r.Context(), c.Value, rq.actor()); err != nil {
			return err
		}
	}
	s.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// safeNext keeps a post-login redirect on this site: a local path, never
// "//host" or a scheme. Browsers drop tabs and line breaks from a URL and
// read a backslash as a slash, so "/\t/evil.example" or "/\\evil.example"
// would become "//evil.example" on their side: any control character,
// space or backslash makes next unsafe.
func safeNext(next string) string {
	if len(next) > 2000 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return ""
	}
	if strings.ContainsFunc(next, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" {
		return ""
	}
	return next
}

// homeOf is where a role lands after login.
func (s *Server) homeOf(role accounts.Role) string {
	switch role {
	case accounts.RoleOperator:
		return "/alerts"
	case accounts.RoleStaff:
		return "/cases"
	case accounts.RoleAnalyst:
		return "/sites"
	default:
		return "/users"
	}
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, rq *request) error {
	http.Redirect(w, r, s.homeOf(rq.user.Role), http.StatusSeeOther)
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, rq *request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
	return nil
}
