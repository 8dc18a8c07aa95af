package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

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
	add := func(name, contact string) {
		if c, ok, err := s.db.Takedown.SiteContact(name); err == nil && ok {
			contact = c
		}
		st, ok := byName[name]
		row := siteRow{Name: name, Contact: contact, Paused: paused[name], Status: st, HasRun: ok}
		for _, n := range st.Errors {
			row.Errors += n
		}
		if s.cfg.Scheduler != nil {
			row.Running = s.cfg.Scheduler.Running(name)
		}
		rows = append(rows, row)
		seen[name] = true
	}
	for _, site := range s.cfg.Sites {
		add(site.Name, site.Contact)
	}
	for _, st := range statuses {
		if !seen[st.Name] {
			add(st.Name, "")
		}
	}
	return rows, nil
}

type sitesData struct {
	Sites     []siteRow
	Scheduler bool
}

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
	return s.respond(w, r, rq, reply{page: "sites", title: rq.loc.T("sites.title"),
		html: sitesData{Sites: rows, Scheduler: s.cfg.Scheduler != nil}, json: convert(rows, siteRow.json)})
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
