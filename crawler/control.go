package crawler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashwatch/hashwatch/crawler/siteconfig"
	"github.com/hashwatch/hashwatch/store"
)

// ErrUnknownSite reports a site name the scheduler does not watch.
var ErrUnknownSite = errors.New("unknown site")

// Scheduler is Run with controls, for a long-running process with a
// console: it crawls every site on its interval, and lets people start a
// site's pass at once and pause or resume a site. Paused sites are stored
// in the database (crawlstate.Store.SetSitePaused), so they stay paused across
// restarts; pausing a site interrupts its running pass, which puts its
// unfinished items back in the frontier and resumes when the site does.
//
// Reload changes the watched sites while Run runs (sites.yaml edited in
// the console, or reloaded on SIGHUP).
type Scheduler struct {
	c *Crawler

	mu      sync.Mutex
	sites   map[string]*Site
	order   []*Site
	wake    map[string]chan struct{} // buffered 1: "look again now"
	now     map[string]bool          // a pass was asked for
	cancel  map[string]context.CancelFunc
	running map[string]bool
	// While Run runs: its context, each site's loop, and whether Run has
	// stopped starting loops (it is waiting for them to end).
	runCtx  context.Context
	loops   map[string]*siteLoop
	loopsWG sync.WaitGroup
	stopped bool
}

// siteLoop is one site's scheduling goroutine: cancel ends it (and its
// pass), done is closed once it has ended and stored its pass's state.
type siteLoop struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// NewScheduler returns a scheduler of sites for c. Site names must be
// unique (LoadConfig checks this).
func NewScheduler(c *Crawler, sites []*Site) *Scheduler {
	s := &Scheduler{c: c, sites: map[string]*Site{}, order: sites, loops: map[string]*siteLoop{},
		wake: map[string]chan struct{}{}, now: map[string]bool{}, cancel: map[string]context.CancelFunc{}, running: map[string]bool{}}
	for _, site := range sites {
		s.sites[site.Name] = site
		s.wake[site.Name] = make(chan struct{}, 1)
	}
	return s
}

// Sites lists the scheduled sites in configuration order.
func (s *Scheduler) Sites() []*Site {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order
}

// known reports whether site is scheduled.
func (s *Scheduler) known(site string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sites[site]
	return ok
}

// Running reports whether a pass of site is in progress in this process.
func (s *Scheduler) Running(site string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running[site]
}

// PassNow asks for a pass of site at once (after the running one, if any).
// A paused site must be resumed first.
func (s *Scheduler) PassNow(ctx context.Context, site string, by store.Actor) error {
	if !s.known(site) {
		return fmt.Errorf("site %q: %w", site, ErrUnknownSite)
	}
	paused, err := s.c.DB.Crawl.PausedSites()
	if err != nil {
		return err
	}
	if paused[site] {
		return fmt.Errorf("site %q is paused; resume it first: %w", site, store.ErrInvalid)
	}
	if err := s.c.DB.Store.Audit(ctx, store.AuditEntry{User: by.User, Remote: by.Remote, Action: "site.pass_now", Target: site}); err != nil {
		return err
	}
	s.mu.Lock()
	s.now[site] = true
	s.mu.Unlock()
	s.poke(site)
	return nil
}

// SetPaused pauses or resumes site, storing the state (with its audit
// record) before acting on it. Pausing interrupts a running pass.
func (s *Scheduler) SetPaused(ctx context.Context, site string, paused bool, by store.Actor) error {
	if !s.known(site) {
		return fmt.Errorf("site %q: %w", site, ErrUnknownSite)
	}
	if err := s.c.DB.Crawl.SetSitePaused(ctx, site, paused, by); err != nil {
		return err
	}
	s.mu.Lock()
	if cancel := s.cancel[site]; paused && cancel != nil {
		cancel()
	}
	s.mu.Unlock()
	s.poke(site)
	return nil
}

func (s *Scheduler) poke(site string) {
	s.mu.Lock()
	wake := s.wake[site]
	s.mu.Unlock()
	select {
	case wake <- struct{}{}:
	default:
	}
}

// Run crawls until ctx ends, each site on its interval (see Crawler.Run)
// unless paused, and at once when PassNow asks. It returns nil once every
// pass in flight has stored its state.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	s.runCtx = ctx
	for _, site := range s.order {
		s.startLoop(site)
	}
	s.mu.Unlock()
	<-ctx.Done()
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	s.loopsWG.Wait()
	return nil
}

// startLoop starts site's loop under Run's context, after the loop it
// replaces (if any) has ended, so one site never has two passes at once.
// s.mu is held.
func (s *Scheduler) startLoop(site *Site) {
	prev := s.loops[site.Name]
	ctx, cancel := context.WithCancel(s.runCtx)
	l := &siteLoop{cancel: cancel, done: make(chan struct{})}
	s.loops[site.Name] = l
	s.loopsWG.Go(func() {
		defer close(l.done)
		defer cancel()
		if prev != nil {
			<-prev.done
		}
		s.loop(ctx, site)
	})
}

// Reload makes sites the scheduled sites (a sites.yaml read again): new
// sites start their schedule, removed sites stop (a running pass is
// interrupted and keeps its frontier, as a pause does), and a changed
// site's pass is interrupted and resumes under its new configuration.
// Unchanged sites go on undisturbed. Site names must be unique. It
// returns the names added, changed and removed.
func (s *Scheduler) Reload(sites []*Site) (added, changed, removed []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := map[string]*Site{}
	order := make([]*Site, 0, len(sites))
	for _, site := range sites {
		old, ok := s.sites[site.Name]
		switch {
		case !ok:
			added = append(added, site.Name)
		case !siteconfig.Same(old, site):
			changed = append(changed, site.Name)
		default:
			site = old // keep the pointer others hold
		}
		next[site.Name] = site
		order = append(order, site)
	}
	for _, old := range s.order {
		if _, ok := next[old.Name]; !ok {
			removed = append(removed, old.Name)
		}
	}
	s.sites, s.order = next, order
	running := s.runCtx != nil && !s.stopped
	for _, name := range removed {
		if l := s.loops[name]; l != nil {
			l.cancel()
		}
		delete(s.loops, name)
		delete(s.now, name)
	}
	for _, name := range append(append([]string(nil), added...), changed...) {
		if _, ok := s.wake[name]; !ok {
			s.wake[name] = make(chan struct{}, 1)
		}
		if l := s.loops[name]; l != nil {
			l.cancel()
		}
		if running {
			s.startLoop(next[name])
		}
	}
	return added, changed, removed
}

func (s *Scheduler) loop(ctx context.Context, site *Site) {
	for ctx.Err() == nil {
		paused, err := s.c.DB.Crawl.PausedSites()
		if err != nil {
			s.logError("read paused sites", site, err)
		}
		s.mu.Lock()
		asked := s.now[site.Name]
		s.mu.Unlock()
		wait := time.Duration(-1) // a paused site sleeps until poked
		if !paused[site.Name] {
			wait = max(0, time.Until(s.c.nextPass(site)))
			if asked {
				wait = 0
			}
		}
		if wait != 0 && !s.sleep(ctx, site, wait) {
			continue
		}
		if ctx.Err() == nil {
			s.pass(ctx, site)
		}
	}
}

// sleep waits wait (forever when negative) and reports whether it ran out;
// false means ctx ended or the site was poked, and the loop looks again.
func (s *Scheduler) sleep(ctx context.Context, site *Site, wait time.Duration) bool {
	var timer <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-s.wakeOf(site.Name):
		return false
	case <-timer:
		return true
	}
}

func (s *Scheduler) wakeOf(site string) chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wake[site]
}

// pass runs one pass of site under a context that SetPaused can cancel.
func (s *Scheduler) pass(ctx context.Context, site *Site) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	s.now[site.Name] = false
	s.cancel[site.Name] = cancel
	s.running[site.Name] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.cancel, site.Name)
		s.running[site.Name] = false
		s.mu.Unlock()
	}()
	if _, err := s.c.Pass(pctx, site); err != nil && pctx.Err() == nil {
		s.logError("pass failed", site, err)
	}
}

func (s *Scheduler) logError(msg string, site *Site, err error) {
	if s.c.Logger != nil {
		s.c.Logger.Error(msg, "site", site.Name, "err", err)
	}
}
