package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/siteconfig"
	"github.com/hashwatch/hashwatch/store"
)

// watched returns the watched sites as last loaded (Config.Sites, then
// each edit or reload of sites.yaml).
func (s *Server) watched() []*crawler.Site { return *s.siteList.Load() }

// WatchedSites returns the watched sites as last loaded, for the parts of
// serve that look sites up (crawler.Inspector.Watched,
// crawler.Rechecker.Watched), so they follow an edit or reload too. The
// slice is never changed: a reload replaces it.
func (s *Server) WatchedSites() []*crawler.Site { return s.watched() }

// errNoSitesFile reports an edit asked of a console started without a
// sites.yaml to write to.
var errNoSitesFile = errors.New("this console has no sites.yaml to edit (start it with `hashwatch serve --sites FILE`)")

// ReloadSites reads sites.yaml again and makes it the watched site list:
// the crawler starts new sites, stops removed ones and restarts changed
// ones (crawler.Scheduler.Reload). The reload is audited as by; a file
// that does not validate changes nothing and its error names the line.
// serve calls it on SIGHUP; national analysts and admins press a button.
func (s *Server) ReloadSites(ctx context.Context, by store.Actor) error {
	if s.cfg.SitesFile == "" {
		return errNoSitesFile
	}
	s.sitesMu.Lock()
	defer s.sitesMu.Unlock()
	cfg, err := siteconfig.Load(s.cfg.SitesFile)
	if err != nil {
		return err
	}
	return s.useSites(ctx, cfg, by, "sites.reload", s.cfg.SitesFile)
}

// useSites makes cfg's sites the watched ones and audits the change with
// what it added, changed and removed. s.sitesMu is held.
func (s *Server) useSites(ctx context.Context, cfg *siteconfig.Config, by store.Actor, action, target string) error {
	sites := make([]*crawler.Site, len(cfg.Sites))
	for i := range cfg.Sites {
		sites[i] = &cfg.Sites[i]
	}
	var added, changed, removed []string
	if s.cfg.Scheduler != nil {
		added, changed, removed = s.cfg.Scheduler.Reload(sites)
		// The scheduler keeps the pointers of unchanged sites.
		sites = s.cfg.Scheduler.Sites()
	} else {
		added, changed, removed = diffSites(s.watched(), sites)
	}
	s.siteList.Store(&sites)
	detail := fmt.Sprintf("added %v, changed %v, removed %v", orNone(added), orNone(changed), orNone(removed))
	if err := s.db.Store.Audit(ctx, store.AuditEntry{User: by.User, Remote: by.Remote, Token: by.Token, Centre: by.Centre,
		Action: action, Target: target, Detail: detail}); err != nil {
		return err
	}
	if s.log != nil {
		s.log.Info("watched sites changed", "by", by.User, "action", action, "added", added, "changed", changed, "removed", removed)
	}
	return nil
}

// diffSites names the sites added, changed and removed between old and
// next when no scheduler does it.
func diffSites(old, next []*crawler.Site) (added, changed, removed []string) {
	before := map[string]*crawler.Site{}
	for _, o := range old {
		before[o.Name] = o
	}
	for _, n := range next {
		o, ok := before[n.Name]
		switch {
		case !ok:
			added = append(added, n.Name)
		case !siteconfig.Same(o, n):
			changed = append(changed, n.Name)
		}
		delete(before, n.Name)
	}
	for _, o := range old {
		if _, gone := before[o.Name]; gone {
			removed = append(removed, o.Name)
		}
	}
	return added, changed, removed
}

func orNone(names []string) []string {
	if names == nil {
		return []string{}
	}
	return names
}

// siteForm is the add/edit form of one site, as typed, so a refused form
// comes back filled in with the problem shown.
type siteForm struct {
	Old     string // the site edited; empty adds one
	Name    string
	Seeds   string // one URL a line
	Domains string // one domain a line
	Include string // one pattern a line
	Exclude string
	// Interval, Delay, MaxDepth and Parallelism as typed ("6h", "1s", "3").
	Interval, Delay, MaxDepth, Parallelism string
	Contact                                string
	Error                                  string
	File                                   string
}

// formOf is the form showing site as written in sites.yaml.
func formOf(site siteconfig.Site, file string) siteForm {
	f := siteForm{Old: site.Name, Name: site.Name, Seeds: strings.Join(site.Seeds, "\n"), Domains: strings.Join(site.AllowedDomains, "\n"),
		Include: strings.Join(site.Include, "\n"), Exclude: strings.Join(site.Exclude, "\n"), Contact: site.Contact, File: file}
	if site.Interval != 0 {
		f.Interval = fmtDuration(site.Interval)
	}
	if site.Delay != nil {
		f.Delay = fmtDuration(*site.Delay)
	}
	if site.MaxDepth != nil {
		f.MaxDepth = fmt.Sprint(*site.MaxDepth)
	}
	if site.Parallelism != 0 {
		f.Parallelism = fmt.Sprint(site.Parallelism)
	}
	return f
}

func fmtDuration(d siteconfig.Duration) string {
	v, _ := d.MarshalYAML()
	return fmt.Sprint(v)
}

// readSiteForm reads the posted form.
func readSiteForm(r *http.Request, old, file string) siteForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return siteForm{Old: old, Name: v("name"), Seeds: v("seeds"), Domains: v("allowed_domains"), Include: v("include"), Exclude: v("exclude"),
		Interval: v("interval"), Delay: v("delay"), MaxDepth: v("max_depth"), Parallelism: v("parallelism"), Contact: v("contact"), File: file}
}

// change is the form as a sites.yaml edit: the keys the form shows, each
// set to what was typed (empty removes the key, so its default applies).
func (f siteForm) change() siteconfig.Change {
	lines := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	}
	return siteconfig.Change{Site: f.Old, Set: map[string]any{
		"name": f.Name, "seeds": lines(f.Seeds), "allowed_domains": lines(f.Domains), "include": lines(f.Include), "exclude": lines(f.Exclude),
		"interval": f.Interval, "delay": f.Delay, "max_depth": f.MaxDepth, "parallelism": f.Parallelism, "contact": f.Contact,
	}}
}

// siteEditPage shows the form adding a site (no name in the path) or
// editing one, filled from sites.yaml as written.
func (s *Server) siteEditPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.cfg.SitesFile == "" {
		return refuse(http.StatusConflict, "err.no_sites_file")
	}
	name := r.PathValue("name")
	f := siteForm{File: s.cfg.SitesFile}
	if name != "" {
		raw, err := siteconfig.Raw(s.cfg.SitesFile)
		if err != nil {
			return refuseWith(http.StatusConflict, err, "err.sites_file")
		}
		found := false
		for _, site := range raw {
			if site.Name == name {
				f, found = formOf(site, s.cfg.SitesFile), true
			}
		}
		if !found {
			return fmt.Errorf("site %q is not in %s: %w", name, s.cfg.SitesFile, store.ErrNotFound)
		}
	}
	return s.respond(w, r, rq, reply{page: "siteedit", title: rq.loc.T("siteedit.title"), html: f})
}

// saveSite adds a site or saves an edited one: sites.yaml is changed,
// validated as a hand-edited file is, written atomically and reloaded. A
// refused form comes back filled in with the file's message.
func (s *Server) saveSite(w http.ResponseWriter, r *http.Request, rq *request) error {
	old := r.PathValue("name")
	f := readSiteForm(r, old, s.cfg.SitesFile)
	action, done := "site.add", "site_added"
	if old != "" {
		action, done = "site.edit", "site_saved"
	}
	err := s.changeSites(r.Context(), rq, f.change(), action, f.Name)
	var he *httpError
	switch {
	case err == nil:
		return s.respond(w, r, rq, reply{redirect: "/sites?done=" + done, json: map[string]string{"site": f.Name, "done": action}})
	case errors.As(err, &he) && he.status == http.StatusBadRequest && !rq.api:
		// The form's heading says it was not saved; under it, the
		// checks' own words (with what and where).
		f.Error = he.detail
		if f.Error == "" {
			f.Error = explain(rq.loc, err).Message
		}
		return s.respond(w, r, rq, reply{status: http.StatusBadRequest, page: "siteedit", title: rq.loc.T("siteedit.title"), html: f})
	}
	return err
}

// removeSite removes a site from sites.yaml; its stored crawl status
// stays, so the sites page still lists what was found there.
func (s *Server) removeSite(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := r.PathValue("name")
	if err := s.changeSites(r.Context(), rq, siteconfig.Change{Site: name, Remove: true}, "site.remove", name); err != nil {
		return err
	}
	return s.respond(w, r, rq, reply{redirect: "/sites?done=site_removed", json: map[string]string{"site": name, "done": "site.remove"}})
}

// reloadSites is the button: ReloadSites as the pressing user.
func (s *Server) reloadSites(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.ReloadSites(r.Context(), rq.actor()); err != nil {
		if errors.Is(err, siteconfig.ErrConfig) {
			return refuseWith(http.StatusConflict, err, "err.sites_file")
		}
		if errors.Is(err, errNoSitesFile) {
			return refuse(http.StatusConflict, "err.no_sites_file")
		}
		return err
	}
	return s.respond(w, r, rq, reply{redirect: "/sites?done=sites_reloaded", json: map[string]string{"done": "sites.reload"}})
}

// changeSites applies change to sites.yaml and reloads it, audited as
// action on target. A change the file's rules refuse is a 400 with the
// rules' message; an unknown site a 404.
func (s *Server) changeSites(ctx context.Context, rq *request, change siteconfig.Change, action, target string) error {
	if s.cfg.SitesFile == "" {
		return refuse(http.StatusConflict, "err.no_sites_file")
	}
	s.sitesMu.Lock()
	defer s.sitesMu.Unlock()
	cfg, err := siteconfig.Apply(s.cfg.SitesFile, change)
	switch {
	case errors.Is(err, siteconfig.ErrNoSite):
		return fmt.Errorf("%w: %w", err, store.ErrNotFound)
	case errors.Is(err, siteconfig.ErrConfig):
		return refuseWith(http.StatusBadRequest, err, "err.sites_rules")
	case err != nil:
		return err
	}
	return s.useSites(ctx, cfg, rq.actor(), action, target)
}
