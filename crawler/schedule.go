package crawler

import (
	"context"
	"errors"
	"sync"
	"time"
)

// RunOnce runs one pass of each site, the sites concurrently, and returns
// their stats in the order given. The error joins every pass's error.
func (c *Crawler) RunOnce(ctx context.Context, sites []*Site) ([]PassStats, error) {
	stats := make([]PassStats, len(sites))
	errs := make([]error, len(sites))
	var wg sync.WaitGroup
	for i, s := range sites {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stats[i], errs[i] = c.Pass(ctx, s)
		}()
	}
	wg.Wait()
	return stats, errors.Join(errs...)
}

// Run crawls every site on its interval until ctx ends: a pass at once, then
// one every interval measured from the start of the previous pass (a pass
// that overruns its interval is followed by the next at once). A pass in
// flight when ctx ends is interrupted and returns; Run then returns nil.
func (c *Crawler) Run(ctx context.Context, sites []*Site) error {
	var wg sync.WaitGroup
	for _, s := range sites {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := time.Now()
				if _, err := c.Pass(ctx, s); err != nil && ctx.Err() == nil && c.Logger != nil {
					c.Logger.Error("pass failed", "site", s.Name, "err", err)
				}
				wait := time.Until(start.Add(time.Duration(s.Interval)))
				timer := time.NewTimer(max(wait, 0))
				select {
				case <-ctx.Done():
					timer.Stop()
					return
				case <-timer.C:
				}
			}
		}()
	}
	wg.Wait()
	return nil
}
