package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/store"
)

// siteRow is one watched site on the sites page (and, as SiteJSON, in
// /api/sites).
type siteRow struct {
	Name    string
	Contact string
	Paused  bool
	Running bool // a pass runs in this process now
	Status  crawlstate.SiteStatus
	HasRun  bool
	Errors  int
	// Configured is false for a site with stored status that sites.yaml
	// no longer has.
	Configured bool
	// Interval is the configured time between passes' starts; Next when
	// the next pass is due (zero: paused or not configured; before now:
	// due at once); Took the last finished pass's wall time.
	Interval time.Duration
	Next     time.Time
	Took     time.Duration
	// Kinds counts the last pass's errors by kind, most first.
	Kinds []errorKind
}

// errorKind is a kind of crawl error and how many the last pass had.
type errorKind struct {
	Kind string
	N    int
}

// siteRows joins the configured sites with their stored crawl status and
// paused state. Sites with stored status but no longer configured are
// listed too, so nothing the database knows is hidden.
func (s *Server) siteRows() ([]siteRow, error) {
	statuses, err := s.db.Crawl.SiteStatuses()
	if err != nil {
		return nil, err
	}
	paused, err := s.db.Crawl.PausedSites()
	if err != nil {
		return nil, err
	}
	byName := map[string]crawlstate.SiteStatus{}
	for _, st := range statuses {
		byName[st.Name] = st
	}
	var rows []siteRow
	seen := map[string]bool{}
	add := func(name, contact string, site *crawler.Site) {
		if c, ok, err := s.db.Takedown.SiteContact(name); err == nil && ok {
			contact = c
		}
		st, ok := byName[name]
		row := siteRow{Name: name, Contact: contact, Paused: paused[name], Status: st, HasRun: ok}
		for k, n := range st.Errors {
			row.Errors += n
			if n > 0 {
				row.Kinds = append(row.Kinds, errorKind{k, n})
			}
		}
		sort.Slice(row.Kinds, func(i, j int) bool {
			a, b := row.Kinds[i], row.Kinds[j]
			return a.N > b.N || a.N == b.N && a.Kind < b.Kind
		})
		if ok && !st.Running && !st.PassEnd.IsZero() && st.PassEnd.After(st.PassStart) {
			row.Took = st.PassEnd.Sub(st.PassStart)
		}
		if site != nil {
			row.Configured = true
			row.Interval = time.Duration(site.Interval)
			if !row.Paused {
				// As the scheduler decides (crawler's nextPass): at
				// once if it never ran or its pass is unfinished.
				row.Next = s.now()
				if ok && !st.Running && !st.PassStart.IsZero() {
					row.Next = st.PassStart.Add(row.Interval)
				}
			}
		}
		if s.cfg.Scheduler != nil {
			row.Running = s.cfg.Scheduler.Running(name)
		}
		rows = append(rows, row)
		seen[name] = true
	}
	for _, site := range s.watched() {
		add(site.Name, site.Contact, site)
	}
	for _, st := range statuses {
		if !seen[st.Name] {
			add(st.Name, "", nil)
		}
	}
	return rows, nil
}

type sitesData struct {
	Sites     []siteRow
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
	rows, err := s.siteRows()
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []siteRow{}
	}
	editable := s.cfg.SitesFile != "" && rq.national() && s.mayGet("/sites/new", rq.user.Roles(), true)
	return s.respond(w, r, rq, reply{page: "sites", title: rq.loc.T("sites.title"),
		html: sitesData{Sites: rows, Scheduler: s.cfg.Scheduler != nil, Editable: editable, File: s.cfg.SitesFile, Now: s.now(), Refresh: sitesRefresh},
		json: convert(rows, siteRow.json)})
}

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
		return refuse(http.StatusConflict, "err.no_scheduler")
	}
	switch action {
	case "pass":
		return s.cfg.Scheduler.PassNow(ctx, name, rq.actor())
	case "pause":
		return s.cfg.Scheduler.SetPaused(ctx, name, true, rq.actor())
	case "resume":
		return s.cfg.Scheduler.SetPaused(ctx, name, false, rq.actor())
	}
	return refuse(404, "err.bad_choice", "action", truncate(action, 40), "pass, pause, resume")
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request, rq *request) error {
	if s.cfg.Metrics == nil {
		return fmt.Errorf("metrics are not served by this console: %w", store.ErrNotFound)
	}
	s.cfg.Metrics.ServeHTTP(w, r)
	return nil
}
