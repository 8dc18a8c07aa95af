package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/store"
)

type usersData struct {
	Users  []accounts.User
	Tokens []accounts.Token
	Roles  []accounts.Role
	// Scopes are the narrowed scopes a new token may have (besides the
	// whole role): every one the command line's --scope takes.
	Scopes []accounts.TokenScope
	// Centres are the centres the admin may add users to: their own, or
	// for a national admin every centre.
	Centres []string
	// SelfSubmit are the centres whose self-submission by victims the
	// admin may turn on or off: their own, or for a national admin every
	// centre.
	SelfSubmit []centres.Centre
	// NewToken is a token just created, shown this once.
	NewToken     string
	NewTokenUser string
}

// usersData lists the accounts rq's admin sees: a regional admin their
// own centre's users and tokens, a national admin everyone's.
func (s *Server) usersData(rq *request) (usersData, error) {
	all, err := s.db.Accounts.Users()
	if err != nil {
		return usersData{}, err
	}
	var users []accounts.User
	mine := map[string]bool{}
	for _, u := range all {
		if rq.sees(u.Centre) {
			users = append(users, u)
			mine[u.Name] = true
		}
	}
	allTokens, err := s.db.Accounts.Tokens("")
	var tokens []accounts.Token
	for _, t := range allTokens {
		if mine[t.User] {
			tokens = append(tokens, t)
		}
	}
	d := usersData{Users: users, Tokens: tokens, Roles: accounts.Roles, Scopes: accounts.TokenScopes, Centres: []string{rq.user.Centre}}
	if err != nil {
		return d, err
	}
	cs, err := s.db.Centres.List()
	if err != nil {
		return d, err
	}
	if rq.national() {
		d.Centres = d.Centres[:0]
	}
	for _, c := range cs {
		if rq.national() {
			d.Centres = append(d.Centres, c.ID)
		}
		if rq.sees(c.ID) {
			d.SelfSubmit = append(d.SelfSubmit, c)
		}
	}
	return d, nil
}

// userIn returns user name if rq's admin may manage them (their centre,
// or any for a national admin), else store.ErrNotFound.
func (s *Server) userIn(rq *request, name string) error {
	u, err := s.db.Accounts.User(name)
	if err == nil && !rq.sees(u.Centre) {
		err = fmt.Errorf("user %q: %w", name, store.ErrNotFound)
	}
	return err
}

// users lists the accounts: the admins' page (with API tokens and the
// forms), or JSON without password hashes.
func (s *Server) users(w http.ResponseWriter, r *http.Request, rq *request) error {
	d, err := s.usersData(rq)
	if err != nil {
		return err
	}
	out := make([]userJSON, len(d.Users))
	for i, u := range d.Users {
		out[i] = userJSON{Name: u.Name, Role: u.Role, Roles: u.Roles(), Centre: u.Centre, Language: u.Language, TimeZone: u.TimeZone, Disabled: u.Disabled, CreatedAt: u.CreatedAt}
	}
	return s.respond(w, r, rq, reply{page: "users", title: rq.loc.T("users.title"), html: d, json: out})
}

// userJSON is a user without the password hash.
type userJSON struct {
	Name      string          `json:"name"`
	Role      accounts.Role   `json:"role"`
	Roles     []accounts.Role `json:"roles"` // every role, role first
	Centre    string          `json:"centre"`
	Language  string          `json:"language,omitempty"`
	TimeZone  string          `json:"time_zone,omitempty"`
	Disabled  bool            `json:"disabled"`
	CreatedAt time.Time       `json:"created_at"`
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := r.PostForm
	// A regional admin adds users to their own centre; a national admin
	// to the centre the form names (their own by default).
	centre := rq.user.Centre
	if c := f.Get("centre"); c != "" && rq.national() {
		centre = c
	}
	_, err := s.db.Accounts.AddUser(r.Context(), accounts.NewUser{Name: strings.TrimSpace(f.Get("name")), Role: accounts.Role(f.Get("role")),
		Centre: centre, Password: f.Get("password"), Language: f.Get("language"), TimeZone: f.Get("time_zone")}, rq.actor())
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/users?done=user_added", http.StatusSeeOther)
	return nil
}

// updateUser changes a user's role or enabled state, or sets a new
// password. An admin cannot disable or demote themselves, so the console
// never locks out its last administrator by accident.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := r.PathValue("name")
	if err := s.userIn(rq, name); err != nil {
		return err
	}
	f := r.PostForm
	var ch accounts.UserChange
	if v := f.Get("role"); v != "" {
		role := accounts.Role(v)
		ch.Role = &role
	}
	switch f.Get("state") {
	case "":
	case "disabled":
		ch.Disabled = ptr(true)
	case "active":
		ch.Disabled = ptr(false)
	default:
		return refuse(400, "err.bad_choice", "state", truncate(f.Get("state"), 40), "active, disabled")
	}
	if v := f.Get("password"); v != "" {
		ch.Password = &v
	}
	if name == rq.user.Name && ch.Password != nil {
		// An admin's own password needs the current one, like anyone's:
		// a hijacked admin session must not become the account for good.
		return refuse(http.StatusForbidden, "users.own_password")
	}
	if name == rq.user.Name && ((ch.Disabled != nil && *ch.Disabled) || (ch.Role != nil && *ch.Role != rq.user.Role)) {
		return refuse(http.StatusConflict, "users.not_self")
	}
	if _, err := s.db.Accounts.UpdateUser(r.Context(), name, ch, rq.actor()); err != nil {
		return err
	}
	http.Redirect(w, r, "/users?done=user_updated", http.StatusSeeOther)
	return nil
}

func ptr[T any](v T) *T { return &v }

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := r.PathValue("name")
	if err := s.userIn(rq, name); err != nil {
		return err
	}
	scope, err := accounts.ParseTokenScope(r.PostForm.Get("scope"))
	if err != nil {
		return err
	}
	var ttl time.Duration
	if v := strings.TrimSpace(r.PostForm.Get("expires_days")); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 0 || days > 3650 {
			return refuse(400, "err.bad_number", "expires_days", truncate(v, 20), 0, 3650)
		}
		ttl = time.Duration(days) * 24 * time.Hour
	}
	secret, _, err := s.db.Accounts.CreateTokenWith(r.Context(), name, strings.TrimSpace(r.PostForm.Get("label")), accounts.TokenOptions{Scope: scope, TTL: ttl}, rq.actor())
	if err != nil {
		return err
	}
	d, err := s.usersData(rq)
	if err != nil {
		return err
	}
	d.NewToken, d.NewTokenUser = secret, name
	return s.render(w, r, rq, http.StatusOK, "users", rq.loc.T("users.title"), d)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.db.Accounts.RevokeToken(r.Context(), r.PathValue("id"), rq.actor()); err != nil {
		return err
	}
	http.Redirect(w, r, "/users?done=token_revoked", http.StatusSeeOther)
	return nil
}

// auditQuery reads the audit log filter from a URL query.
func auditQuery(q url.Values, zone *time.Location) (store.AuditFilter, error) {
	f := store.AuditFilter{User: q.Get("user"), Action: q.Get("action"), Target: q.Get("target"), Limit: 100}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return f, refuse(400, "err.bad_seq", "before", truncate(v, 40))
		}
		f.Before = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return f, refuse(400, "err.bad_number", "limit", truncate(v, 40), 1, 1000)
		}
		f.Limit = n
	}
	for _, d := range []struct {
		s   string
		t   *time.Time
		add int
	}{{q.Get("from"), &f.Since, 0}, {q.Get("to"), &f.Until, 1}} {
		if d.s == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", d.s, zone)
		if err != nil {
			return f, refuse(400, "err.bad_date", "date", truncate(d.s, 40))
		}
		*d.t = t.AddDate(0, 0, d.add)
	}
	return f, nil
}

type auditData struct {
	Entries []store.AuditEntry
	Q       url.Values
	Older   string
}

// auditLog is the audit log, filtered and paged the same way as a page or
// as JSON.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request, rq *request) error {
	f, err := auditQuery(r.URL.Query(), rq.loc.Zone)
	if err != nil {
		return err
	}
	// A regional admin reads their centre's entries; a national admin
	// every centre's, or one centre's with ?centre=.
	if f.Centre, err = rq.scope(r); err != nil {
		return err
	}
	entries, err := s.db.Store.AuditLog(f)
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []store.AuditEntry{}
	}
	d := auditData{Entries: entries, Q: r.URL.Query()}
	if len(entries) == f.Limit {
		q := r.URL.Query()
		q.Set("before", strconv.FormatUint(entries[len(entries)-1].Seq, 10))
		d.Older = "/audit?" + q.Encode()
	}
	return s.respond(w, r, rq, reply{page: "audit", title: rq.loc.T("audit.title"), html: d, json: convert(entries, NewAuditEntryJSON)})
}

type settingsData struct {
	Zones []string
}

// commonZones are offered in the settings form; any IANA name is accepted.
var commonZones = []string{"Asia/Seoul", "UTC", "Asia/Tokyo", "Europe/London", "America/New_York", "America/Los_Angeles"}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.render(w, r, rq, http.StatusOK, "settings", rq.loc.T("settings.title"), settingsData{Zones: commonZones})
}

// saveSettings sets the user's own language, time zone and, given the
// current password, a new password.
func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := r.PostForm
	lang, tz := f.Get("language"), f.Get("time_zone")
	ch := accounts.UserChange{Language: &lang, TimeZone: &tz}
	if f.Get("view_prefs") != "" {
		// The settings page's own form says it carries the checkbox: an
		// unticked box is then a choice, not a field another form lacks.
		colour := f.Get("view_colour") != ""
		ch.ViewColour = &colour
	}
	if np := f.Get("new_password"); np != "" {
		// The current password is checked under the login limits: a stolen
		// session must not become a way to guess the password itself.
		settle, admitted, until := s.passwordAttempt(rq.remote, rq.user.Name)
		if !admitted {
			w.Header().Set("Retry-After", fmt.Sprint(int(until.Sub(s.now()).Seconds())+1))
			return refuse(http.StatusTooManyRequests, "login.too_many", rq.loc.Time(until))
		}
		_, err := s.db.Accounts.Authenticate(r.Context(), rq.user.Name, f.Get("password"))
		settle(err == nil)
		if err != nil {
			if !errors.Is(err, accounts.ErrBadCredentials) {
				return err
			}
			s.audit(r.Context(), rq, "password.check_failed", rq.user.Name, "settings: wrong current password")
			return refuse(http.StatusForbidden, "settings.wrong_password")
		}
		ch.Password = &np
		// The other sessions end with the old password; this one goes on.
		if rq.session != nil {
			ch.KeepSession = rq.session.ID
		}
	}
	if _, err := s.db.Accounts.UpdateUser(r.Context(), rq.user.Name, ch, rq.actor()); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings?done=saved", http.StatusSeeOther)
	return nil
}
