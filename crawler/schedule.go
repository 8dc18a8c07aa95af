package crawler

import (
	"context"
	"errors"
	"sync"
	"time"
)

// RunOnce runs one pass of each site, the sites concurrently, and returns
// their stats in the order given. A site whose last pass was interrupted
// resumes it. The error joins every pass's error.
func (c *Crawler) RunOnce(ctx context.Context, sites []*Site) ([]PassStats, error) {
	stats := make([]PassStats, len(sites))
	errs := make([]error, len(sites))
	var wg sync.WaitGroup
	for i, s := range sites {
		wg.Go(func() {
			stats[i], errs[i] = c.Pass(ctx, s)
		})
	}
	wg.Wait()
	return stats, errors.Join(errs...)
}

// Run crawls every site on its interval until ctx ends. Each site's next
// pass starts interval after the start of its previous one (at once if that
// is past, or if the previous pass was interrupted and has to resume), so
// restarting the process neither skips nor repeats a pass. When ctx ends,
// passes in flight put their unfinished items back in the frontier and
// store their status, and Run returns nil once they have.
func (c *Crawler) Run(ctx context.Context, sites []*Site) error {
	var wg sync.WaitGroup
	for _, s := range sites {
		wg.Go(func() {
			for {
				next := c.nextPass(s)
				if wait := time.Until(next); wait > 0 {
					if c.Logger != nil {
						c.Logger.Info("next pass scheduled", "site", s.Name, "at", next.Local().Format(time.DateTime))
					}
					timer := time.NewTimer(wait)
					select {
					case <-ctx.Done():
						timer.Stop()
						return
					case <-timer.C:
					}
				}
				if ctx.Err() != nil {
					return
				}
				if _, err := c.Pass(ctx, s); err != nil && ctx.Err() == nil && c.Logger != nil {
					c.Logger.Error("pass failed", "site", s.Name, "err", err)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// nextPass is when the site's next pass is due: now if it never ran or its
// last pass is unfinished, else interval after that pass started.
func (c *Crawler) nextPass(s *Site) time.Time {
	st, ok, err := c.DB.Crawl.SiteStatus(s.Name)
	if err != nil || !ok || st.Running || st.PassStart.IsZero() {
		return time.Now()
	}
	return st.PassStart.Add(time.Duration(s.Interval))
}
