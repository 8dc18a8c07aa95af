package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
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
var templateFuncs = template.FuncMap{"seg": url.PathEscape,
	// seconds turns an API body's seconds back into a duration to show.
	"seconds": func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }}

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
	// Undo is the Undo button of a decision's "done" message (undo.go).
	Undo *undoButton
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
	{"/cases/move", "nav.case_move"},
	{"/quarantine", "nav.quarantine"},
	{"/negative", "nav.negative"},
	{"/sites", "nav.sites"},
	{"/users", "nav.users"},
	{"/audit", "nav.audit"},
	{"/settings", "nav.settings"},
}

// renderContent renders only the content of page name with data d, in
// rq's language, for a page kept and sent again in each reader's frame
// (the dashboard, dashcache.go): the content must not depend on who reads
// it beyond the language and zone it was rendered in.
func (s *Server) renderContent(rq *request, name string, d any) ([]byte, error) {
	pt := s.pages[name]
	if pt == nil {
		return nil, fmt.Errorf("no page template %q", name)
	}
	var buf bytes.Buffer
	if err := pt.t.ExecuteTemplate(&buf, "content", view{L: rq.loc, D: d}); err != nil {
		return nil, fmt.Errorf("render page %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// render writes page name with data d. The page is rendered into memory
// first, so a template failure is a clean error (a 500), never half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, rq *request, status int, name, title string, d any) error {
	pt := s.pages[name]
	if pt == nil {
		return fmt.Errorf("no page template %q", name)
	}
	v := view{Title: title, L: rq.loc, User: rq.user, D: d}
	if rq.session != nil {
		v.CSRF = rq.session.CSRF
	}
	if rq.user.Name != "" {
		for _, p := range navPages {
			if s.mayGet(p.path, rq.user.Roles(), rq.national()) {
				v.Nav = append(v.Nav, navItem{Path: p.path, Label: rq.loc.T(p.key), Current: strings.HasPrefix(r.URL.Path, p.path)})
			}
		}
	}
	if err := s.db.Store.Damaged(); err != nil {
		v.Damaged = err.Error()
	}
	if done := r.URL.Query().Get("done"); done != "" && rq.loc.Has("done."+done) {
		v.Done = rq.loc.T("done." + done)
		// A count or an alert number makes the message precise: "3
		// alerts updated", "Alert #12 confirmed".
		if n, err := strconv.ParseUint(r.URL.Query().Get("n"), 10, 64); err == nil && rq.loc.Has("done."+done+"_n") {
			v.Done = rq.loc.T("done."+done+"_n", n)
		}
		v.Undo = undoFor(r, rq.user)
	}
	var buf bytes.Buffer
	if err := pt.t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		return fmt.Errorf("render page %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}
