package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/hashwatch/hashwatch/console/messages"
	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/store"
)

// SiteSource is what the list of watched sites is built from: the
// database's stored crawl status, paused sites and contacts, the sites
// sites.yaml configures, and which sites a pass runs for in this process.
type SiteSource struct {
	DB *database.DB
	// Watched are the configured sites; a site with stored status that
	// is not among them is listed as not configured.
	Watched []*crawler.Site
	// Running says whether a pass of the site runs in this process now;
	// nil means none does.
	Running func(site string) bool
	// Now is when the list is built, for the next pass due.
	Now time.Time
}

// Sites lists the watched sites in lang's words ("ko" or "en"; another
// means the console's default): the one list the console's sites page,
// GET /api/sites and `hashwatch sites --json` all show, built here only.
func Sites(src SiteSource, lang string) ([]SiteJSON, error) {
	return siteList(src, langLocale(lang))
}

// langLocale is lang's locale in the default time zone.
func langLocale(lang string) *locale {
	if messages.For(lang) == nil {
		lang = languages[0]
	}
	return &locale{Lang: lang, Zone: loadZone(""), msgs: messages.For(lang)}
}

// siteList joins the configured sites with their stored crawl status and
// paused state. Sites with stored status but no longer configured are
// listed too, so nothing the database knows is hidden.
func siteList(src SiteSource, l *locale) ([]SiteJSON, error) {
	statuses, err := src.DB.Crawl.SiteStatuses()
	if err != nil {
		return nil, err
	}
	paused, err := src.DB.Crawl.PausedSites()
	if err != nil {
		return nil, err
	}
	byName := map[string]crawlstate.SiteStatus{}
	for _, st := range statuses {
		byName[st.Name] = st
	}
	rows := []SiteJSON{}
	seen := map[string]bool{}
	add := func(name, contact string, site *crawler.Site) {
		if c, ok, err := src.DB.Takedown.SiteContact(name); err == nil && ok {
			contact = c
		}
		st, ok := byName[name]
		var took, interval time.Duration
		var next time.Time
		if ok && !st.Running && !st.PassEnd.IsZero() && st.PassEnd.After(st.PassStart) {
			took = st.PassEnd.Sub(st.PassStart)
		}
		if site != nil {
			interval = time.Duration(site.Interval)
			if !paused[name] {
				// As the scheduler decides (crawler's nextPass): at
				// once if it never ran or its pass is unfinished.
				next = src.Now
				if ok && !st.Running && !st.PassStart.IsZero() {
					next = st.PassStart.Add(interval)
				}
			}
		}
		running := src.Running != nil && src.Running(name)
		rows = append(rows, newSiteJSON(siteFacts{Name: name, Contact: contact, Paused: paused[name], Running: running, Status: st, HasRun: ok,
			Configured: site != nil, Interval: interval, Next: next, Took: took}, l))
		seen[name] = true
	}
	for _, site := range src.Watched {
		add(site.Name, site.Contact, site)
	}
	for _, st := range statuses {
		if !seen[st.Name] {
			add(st.Name, "", nil)
		}
	}
	return rows, nil
}

func (s *Server) siteSource() SiteSource {
	src := SiteSource{DB: s.db, Watched: s.watched(), Now: s.now()}
	if s.cfg.Scheduler != nil {
		src.Running = s.cfg.Scheduler.Running
	}
	return src
}

type sitesData struct {
	Sites     []SiteJSON
	Scheduler bool
	// Editable: sites.yaml can be edited and reloaded here (the console
	// has its path and the user is a national analyst or admin).
	Editable bool
	File     string
	Now      time.Time
	// Refresh is how often the page reloads itself, in seconds: by
	// static/sites.js, which waits while a form is being typed in, or
	// without JavaScript by a <noscript> meta refresh.
	Refresh int
}

// sitesRefresh is how often the sites page reloads itself: often enough
// to follow a pass, rarely enough to cost nothing.
const sitesRefresh = 30

// sites lists the watched sites with their crawl status: the analysts'
// page, or JSON.
func (s *Server) sites(w http.ResponseWriter, r *http.Request, rq *request) error {
	rows, err := siteList(s.siteSource(), rq.loc)
	if err != nil {
		return err
	}
	editable := s.cfg.SitesFile != "" && rq.national() && s.mayGet("/sites/new", rq.user.Roles(), true)
	return s.respond(w, r, rq, reply{page: "sites", title: rq.loc.T("sites.title"),
		html: sitesData{Sites: rows, Scheduler: s.cfg.Scheduler != nil, Editable: editable, File: s.cfg.SitesFile, Now: s.now(), Refresh: sitesRefresh},
		json: rows})
}

// errNoScheduler reports a crawl control asked of a console that runs no
// crawler.
var errNoScheduler = errors.New("this console runs no crawler (start it with `hashwatch serve --sites FILE`)")

// siteAction runs pass, pause or resume on a site (each audited by the
// scheduler in the same transaction as the change, or just before the
// pass is queued): a form post that returns to the sites page with a
// flash message, or an API call answered with what was done.
func (s *Server) siteAction(action string) handler {
	return func(w http.ResponseWriter, r *http.Request, rq *request) error {
		name := r.PathValue("name")
		if err := s.runSiteAction(r.Context(), rq, name, action); err != nil {
			return err
		}
		return s.respond(w, r, rq, reply{redirect: "/sites?done=" + url.QueryEscape("site_"+action),
			json: map[string]string{"site": name, "done": action}})
	}
}

func (s *Server) runSiteAction(ctx context.Context, rq *request, name, action string) error {
	if s.cfg.Scheduler == nil {
		return errorf(http.StatusConflict, "%s", errNoScheduler)
	}
	switch action {
	case "pass":
		return s.cfg.Scheduler.PassNow(ctx, name, rq.actor())
	case "pause":
		return s.cfg.Scheduler.SetPaused(ctx, name, true, rq.actor())
	case "resume":
		return s.cfg.Scheduler.SetPaused(ctx, name, false, rq.actor())
	}
	return errorf(404, "unknown site action %q", action)
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.cfg.Metrics == nil {
		return fmt.Errorf("metrics are not served by this console: %w", store.ErrNotFound)
	}
	s.cfg.Metrics.ServeHTTP(w, r)
	return nil
}
