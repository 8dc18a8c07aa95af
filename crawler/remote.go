package crawler

import (
	"context"
	"fmt"
	"time"

	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/hashing"
)

// The coordinator's side of Central for workers elsewhere: a transport
// (package crawler/natswork) turns their requests into calls of
// Crawler.Lookup and Crawler.Match, which answer from the running pass of
// the site, exactly as the pass answers its own worker (Pass.Resolve).

// ErrNoPass reports a Central request for a pass that is not running in
// this process (it finished, or the coordinator restarted): the worker's
// item is stale or must wait.
var ErrNoPass = fmt.Errorf("no such pass running: %w", ErrCentralUnavailable)

func (c *Crawler) register(p *pass) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running == nil {
		c.running = map[string]*pass{}
	}
	c.running[p.site.Name] = p
}

// unregister takes p off the running passes and waits for the workers'
// calls that found it before (Lookup, Match) to return: a Match may still be
// storing its result through the pass's committer, which closes after this.
func (c *Crawler) unregister(p *pass) {
	c.mu.Lock()
	if c.running[p.site.Name] == p {
		delete(c.running, p.site.Name)
	}
	c.mu.Unlock()
	p.remote.Wait()
}

// passOf returns the running pass of site numbered number, held until
// done is called: the pass does not finish (unregister) while a worker's
// call holds it.
func (c *Crawler) passOf(site string, number uint64) (p *pass, done func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p = c.running[site]
	if p == nil || p.info.Number != number {
		return nil, nil, fmt.Errorf("site %s pass %d: %w", site, number, ErrNoPass)
	}
	p.remote.Add(1)
	return p, p.remote.Done, nil
}

// Lookup answers a worker's question whether bytes need fingerprinting:
// the pass's own result for them, or a stored result still valid for the
// registered fingerprints.
func (c *Crawler) Lookup(ctx context.Context, r work.ResolveRequest) (crawlstate.HashResult, bool, error) {
	p, done, err := c.passOf(r.Site, r.Pass)
	if err != nil {
		return crawlstate.HashResult{}, false, err
	}
	defer done()
	p.mu.Lock()
	s := p.bySHA[r.SHA256]
	p.mu.Unlock()
	if s != nil && s.settled.Load() && s.ok {
		return s.hr, true, nil
	}
	hr, ok, err := c.DB.Crawl.HashResult(r.SHA256)
	if err != nil {
		return hr, false, err
	}
	return hr, ok && hr.Fresh(p.rule, r.Watermark), nil
}

// Match matches a worker's fingerprint of bytes (or records why they could
// not be fingerprinted, failure) once per pass, stores the result, and
// says whether the worker should send the matched bytes' preview. corners
// stands for the worker's corner-set maker (see pass.resolve): the
// transport's answer when the rule's verifier needs the query's set and
// fp carries none — index.ErrNeedFeatures, which Match returns for the
// worker to compute the set and ask again with it, or an error saying why
// the worker cannot (the match is then left unchecked); nil for a worker
// that cannot send one.
func (c *Crawler) Match(ctx context.Context, r work.ResolveRequest, fp hashing.Fingerprint, failure *work.ResultError, took time.Duration, corners work.FeaturesFunc) (crawlstate.HashResult, bool, error) {
	p, done, err := c.passOf(r.Site, r.Pass)
	if err != nil {
		return crawlstate.HashResult{}, false, err
	}
	defer done()
	s := p.shaFor(r.SHA256)
	ran := false
	s.once.Do(func() {
		ran = true
		p.resolve(ctx, r.What, r.URL, r.SHA256, r.Watermark, s, func(context.Context) (hashing.Fingerprint, time.Duration, error) {
			if failure != nil {
				return hashing.Fingerprint{}, took, failure
			}
			return fp, took, nil
		}, corners)
		s.settled.Store(true)
	})
	if s.err != nil {
		if ran {
			// Not the bytes' fault (cancelled, the index): let a later
			// worker try again rather than keep the error for the pass.
			p.mu.Lock()
			if p.bySHA[r.SHA256] == s {
				delete(p.bySHA, r.SHA256)
			}
			p.mu.Unlock()
		}
		return crawlstate.HashResult{}, false, s.err
	}
	want := false
	if s.ok && len(s.hr.Matches) > 0 {
		if have, err := c.DB.Alerts.HasPreview(r.SHA256); err != nil || !have {
			want = true
		}
	}
	return s.hr, want, nil
}
