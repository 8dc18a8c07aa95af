package crawler

import (
	"context"
	"time"

	"github.com/hashwatch/hashwatch/crawler/transport"
)

// Politeness across workers: every worker keeps its own polite transport
// per site, which alone would let N workers send N times the site's
// parallelism. When a pass dispatches to workers elsewhere, each request a
// worker sends first takes a turn from the pass's gate
// (transport.Gate: the site's delay and parallelism per host, raised by a
// robots.txt Crawl-delay any worker read), through Crawler.GateTurn.

// GateTurn waits for a turn of the running pass of site at host (see
// transport.Gate.Acquire for started, nil when the turn needs no start,
// and release); crawlDelay is the
// host's robots.txt Crawl-delay as the asking worker read it (0 if none).
func (c *Crawler) GateTurn(ctx context.Context, site string, pass uint64, host string, crawlDelay time.Duration) (started, release func(), err error) {
	// The turn itself stores nothing: the pass is not held while waiting.
	p, done, err := c.passOf(site, pass)
	if err != nil {
		return nil, nil, err
	}
	done()
	if p.gate == nil {
		return nil, func() {}, nil
	}
	if crawlDelay > 0 && p.site.Robots() {
		p.gate.HonourCrawlDelay(host, crawlDelay)
	}
	return p.gate.Acquire(ctx, host)
}

// GateSlots is GateTurn for several requests: it waits for a slot of the
// running pass of site at host and takes up to want in all of those free,
// within a fair share of the host's parallelism among sharers+1 holders
// (transport.Gate.AcquireSlots), for a worker to use without asking per
// request. When a delay spaces the host's turns it is GateTurn: one slot
// whose Started is not nil.
func (c *Crawler) GateSlots(ctx context.Context, site string, pass uint64, host string, crawlDelay time.Duration, want, sharers int) (*transport.Slots, error) {
	p, done, err := c.passOf(site, pass)
	if err != nil {
		return nil, err
	}
	done()
	if p.gate == nil {
		return transport.Unlimited(max(want, 1)), nil
	}
	if crawlDelay > 0 && p.site.Robots() {
		p.gate.HonourCrawlDelay(host, crawlDelay)
	}
	return p.gate.AcquireSlots(ctx, host, want, sharers)
}
