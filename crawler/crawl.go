package crawler

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
)

// Crawler runs crawl passes over watched sites and records the alerts they
// raise. Its fields are its dependencies; it holds no other state and may run
// passes of different sites concurrently.
type Crawler struct {
	DB   *index.DB
	Rule hashing.Rule
	// UserAgent is sent with every request; empty means DefaultUserAgent.
	UserAgent string
	// Workers is the number of media fetch-and-hash workers per pass; zero
	// means one per CPU (hashing is CPU-bound, fetching overlaps it).
	Workers int
	Logger  *slog.Logger
	// Progress, when set, is called after each page and media file with the
	// pass's running counts, for progress displays.
	Progress func(PassStats)
}

// PassStats counts what one pass did.
type PassStats struct {
	Site      string
	Start     time.Time
	End       time.Time
	Pages     int
	Media     int // media files fetched and fingerprinted
	Bytes     int64
	Matches   int // media files that matched at least one fingerprint
	NewAlerts int
	Skipped   int // media over a limit
	Errors    map[string]int
}

// mediaJob is one media URL found on a page.
type mediaJob struct {
	page, media string
}

// pass is the state of one running pass.
type pass struct {
	c      *Crawler
	site   *Site
	hasher *hashing.Hasher
	fetch  *fetcher
	log    *slog.Logger

	mu        sync.Mutex
	stats     PassStats
	seenMedia map[string]bool            // media URLs queued this pass
	bySHA     map[[32]byte][]index.Match // media bytes already matched this pass
	results   map[string]*mediaResult    // media URL → its fetch, once per pass
	referrers map[string]string          // URL → first page that linked it
	lastErrs  []string
}

// Pass crawls site once: every in-scope page within max_depth of a seed, and
// every image those pages show or link. It returns when the pass is done or
// ctx ends; the site's status is stored either way.
func (c *Crawler) Pass(ctx context.Context, site *Site) (PassStats, error) {
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("site", site.Name)
	ua := c.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	if err := c.Rule.Validate(); err != nil {
		return PassStats{}, err
	}
	transport := newPoliteTransport(newTransport(site), site.Politeness(), site.Parallelism)
	p := &pass{
		c:         c,
		site:      site,
		hasher:    hashing.NewHasher(hashing.Limits{MaxBytes: site.MaxImageBytes, MaxPixels: site.MaxPixels}),
		fetch:     newFetcher(site, transport, ua),
		log:       log,
		stats:     PassStats{Site: site.Name, Start: time.Now().UTC(), Errors: map[string]int{}},
		seenMedia: map[string]bool{},
		bySHA:     map[[32]byte][]index.Match{},
		referrers: map[string]string{},
		results:   map[string]*mediaResult{},
	}
	log.Info("pass started", "seeds", len(site.Seeds), "max_depth", site.Depth())

	workers := c.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	jobs := make(chan mediaJob, 1024)
	var wg sync.WaitGroup
	for range max(workers, site.Parallelism) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if ctx.Err() == nil {
					p.handleMedia(ctx, j)
				}
			}
		}()
	}

	col := p.collector(ctx, transport, ua, jobs)
	for _, seed := range site.Seeds {
		if err := col.Visit(seed); err != nil {
			p.fail("page", seed, err)
		}
	}
	col.Wait()
	close(jobs)
	wg.Wait()

	p.mu.Lock()
	p.stats.End = time.Now().UTC()
	stats := p.stats
	lastErrs := p.lastErrs
	p.mu.Unlock()

	if err := c.storeStatus(stats, lastErrs); err != nil {
		return stats, err
	}
	log.Info("pass finished", "pages", stats.Pages, "media", stats.Media, "new_alerts", stats.NewAlerts,
		"skipped", stats.Skipped, "errors", sum(stats.Errors), "duration", stats.End.Sub(stats.Start).Round(time.Millisecond))
	if err := ctx.Err(); err != nil {
		return stats, fmt.Errorf("pass of %s interrupted: %w", site.Name, err)
	}
	return stats, nil
}

func (c *Crawler) storeStatus(s PassStats, lastErrs []string) error {
	prev, _, err := c.DB.SiteStatus(s.Site)
	if err != nil {
		return err
	}
	return c.DB.PutSiteStatus(index.SiteStatus{
		Name: s.Site, PassStart: s.Start, PassEnd: s.End, Pages: s.Pages, Media: s.Media,
		Bytes: s.Bytes, NewAlerts: s.NewAlerts, Errors: s.Errors, TotalPass: prev.TotalPass + 1,
		LastErrors: lastErrs,
	})
}

// collector builds the colly collector for one pass.
func (p *pass) collector(ctx context.Context, transport http.RoundTripper, ua string, jobs chan<- mediaJob) *colly.Collector {
	site := p.site
	col := colly.NewCollector(
		colly.Async(true),
		colly.MaxDepth(site.Depth()+1), // colly counts the seed as depth 1
		colly.UserAgent(ua),
		colly.StdlibContext(ctx),
		colly.MaxBodySize(int(site.MaxPageBytes)),
	)
	col.IgnoreRobotsTxt = !site.Robots()
	col.WithTransport(transport)
	col.SetRequestTimeout(time.Duration(site.RequestTimeout))
	col.SetRedirectHandler(func(req *http.Request, via []*http.Request) error {
		if len(via) > site.MaxRedirects {
			return fmt.Errorf("%d redirects: %w", len(via), errTooManyRedirects)
		}
		if !site.InScope(req.URL) {
			return fmt.Errorf("redirect to out-of-scope %s refused", req.URL)
		}
		return nil
	})
	col.OnRequest(func(r *colly.Request) {
		if !site.InScope(r.URL) {
			r.Abort()
		}
	})
	col.OnResponseHeaders(func(r *colly.Response) {
		ct := strings.ToLower(r.Headers.Get("Content-Type"))
		if strings.HasPrefix(ct, "image/") {
			// A link without an image extension that serves an image: hand it
			// to the media path, which has the right limits.
			r.Request.Abort()
			p.enqueue(jobs, p.referrer(r.Request), r.Request.URL.String())
			return
		}
		if cl := r.Headers.Get("Content-Length"); cl != "" {
			var n int64
			if _, err := fmt.Sscan(cl, &n); err == nil && n > site.MaxPageBytes {
				r.Request.Abort()
				p.fail("too_large", r.Request.URL.String(), fmt.Errorf("page declares %d bytes, limit %d: %w", n, site.MaxPageBytes, hashing.ErrTooLarge))
			}
		}
	})
	col.OnResponse(func(r *colly.Response) {
		p.mu.Lock()
		p.stats.Pages++
		p.stats.Bytes += int64(len(r.Body))
		s := p.stats
		p.mu.Unlock()
		p.progress(s)
	})
	col.OnHTML("html", func(e *colly.HTMLElement) {
		page := e.Request.URL.String()
		d := discover(e.DOM)
		for _, ref := range d.media {
			if abs := resolve(e.Request, ref); abs != nil {
				p.enqueue(jobs, page, abs.String())
			}
		}
		for _, ref := range d.links {
			abs := resolve(e.Request, ref)
			switch {
			case abs == nil:
			case isMediaURL(abs):
				p.enqueue(jobs, page, abs.String())
			case site.InScope(abs):
				p.noteReferrer(abs.String(), page)
				if err := e.Request.Visit(abs.String()); err != nil && !benignVisitError(err) {
					p.fail("page", abs.String(), err)
				}
			}
		}
	})
	col.OnError(func(r *colly.Response, err error) {
		u := r.Request.URL.String()
		var visited *colly.AlreadyVisitedError
		switch {
		case errors.As(err, &visited):
			// colly refuses to follow a redirect to a URL it has seen,
			// which is how a redirect loop ends.
			err = fmt.Errorf("page %s: redirect loop through %s: %w", u, visited.Destination, errTooManyRedirects)
		case r.StatusCode >= 300:
			err = fmt.Errorf("page %s: %d %s: %w", u, r.StatusCode, http.StatusText(r.StatusCode), ErrHTTPStatus)
		}
		p.fail(classify(err), u, err)
	})
	return col
}

// noteReferrer remembers which page linked to a URL that turned out to be
// media, so the alert can name the page.
func (p *pass) noteReferrer(u, page string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.referrers[u]; !ok {
		p.referrers[u] = page
	}
}

func (p *pass) referrer(r *colly.Request) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if page, ok := p.referrers[r.URL.String()]; ok {
		return page
	}
	return r.URL.String()
}

// resolve makes ref absolute against the page (honouring <base href>) and
// returns nil for references that are not http(s) URLs.
func resolve(r *colly.Request, ref string) *url.URL {
	if strings.HasPrefix(ref, "data:") {
		return nil
	}
	abs := r.AbsoluteURL(ref)
	if abs == "" {
		return nil
	}
	u, err := url.Parse(abs)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil
	}
	u.Fragment = ""
	return u
}

// benignVisitError reports colly refusals that are scope decisions, not
// failures: already visited, too deep, or filtered.
func benignVisitError(err error) bool {
	var av *colly.AlreadyVisitedError
	return errors.As(err, &av) || errors.Is(err, colly.ErrMaxDepth) || errors.Is(err, colly.ErrForbiddenDomain) ||
		errors.Is(err, colly.ErrNoURLFiltersMatch) || errors.Is(err, colly.ErrForbiddenURL) || errors.Is(err, colly.ErrRobotsTxtBlocked)
}

// enqueue queues a media URL once per pass.
func (p *pass) enqueue(jobs chan<- mediaJob, page, media string) {
	p.mu.Lock()
	key := page + "\x00" + media
	if p.seenMedia[key] {
		p.mu.Unlock()
		return
	}
	p.seenMedia[key] = true
	p.mu.Unlock()
	jobs <- mediaJob{page: page, media: media}
}

// mediaResult is what fetching and matching one media URL gave; each URL is
// fetched once per pass however many pages show it.
type mediaResult struct {
	once    sync.Once
	ok      bool
	sum     [32]byte
	final   string
	status  int
	matches []index.Match
}

// handleMedia fetches, fingerprints and matches one media URL (once per pass)
// and records an alert sighting for each match on this page.
func (p *pass) handleMedia(ctx context.Context, j mediaJob) {
	p.mu.Lock()
	r, ok := p.results[j.media]
	if !ok {
		r = &mediaResult{}
		p.results[j.media] = r
	}
	p.mu.Unlock()
	r.once.Do(func() { p.fetchAndMatch(ctx, j.media, r) })
	if !r.ok {
		return
	}
	for _, m := range r.matches {
		a, created, err := p.c.DB.RecordAlert(ctx, index.AlertInput{
			Site: p.site.Name, MediaSHA256: r.sum, Match: m,
			Sighting: index.Sighting{PageURL: j.page, MediaURL: j.media, FinalURL: r.final, HTTPStatus: r.status},
		})
		if err != nil {
			p.fail("index", j.media, err)
			continue
		}
		if created {
			p.mu.Lock()
			p.stats.NewAlerts++
			p.mu.Unlock()
			p.log.Info("new alert", "alert", a.ID, "case", a.Case, "page", j.page, "url", j.media,
				"algorithm", a.Algorithm, "distance", a.Distance)
		}
	}
	p.mu.Lock()
	s := p.stats
	p.mu.Unlock()
	p.progress(s)
}

// fetchAndMatch fills r for one media URL. Identical bytes seen at another
// URL in the same pass are not hashed again.
func (p *pass) fetchAndMatch(ctx context.Context, media string, r *mediaResult) {
	f, err := p.fetch.get(ctx, media, p.site.MaxImageBytes)
	if err != nil {
		p.fail(classify(err), media, err)
		return
	}
	r.sum, r.final, r.status = sha256.Sum256(f.Body), f.FinalURL, f.Status
	p.mu.Lock()
	matches, known := p.bySHA[r.sum]
	p.stats.Bytes += int64(len(f.Body))
	p.mu.Unlock()
	if !known {
		start := time.Now()
		fp, err := p.hasher.Image(ctx, f.Body, hashing.ForQuery)
		if err != nil {
			p.fail(classify(err), media, fmt.Errorf("%s: %w", media, err))
			return
		}
		if matches, err = p.c.DB.Match(ctx, fp, p.c.Rule); err != nil {
			p.fail("index", media, err)
			return
		}
		p.mu.Lock()
		p.bySHA[r.sum] = matches
		p.stats.Media++
		if len(matches) > 0 {
			p.stats.Matches++
		}
		p.mu.Unlock()
		p.log.Debug("media hashed", "url", media, "sha256", fmt.Sprintf("%x", r.sum), "matches", len(matches),
			"hash_ms", time.Since(start).Milliseconds())
	}
	r.matches, r.ok = matches, true
}

func (p *pass) progress(s PassStats) {
	if p.c.Progress != nil {
		p.c.Progress(s)
	}
}

// maxLastErrors caps the recent error messages kept in a site's status.
const maxLastErrors = 20

// fail counts and logs one error of a kind; the pass carries on.
func (p *pass) fail(kind, u string, err error) {
	p.mu.Lock()
	p.stats.Errors[kind]++
	if kind == "too_large" {
		p.stats.Skipped++
	}
	if len(p.lastErrs) >= maxLastErrors {
		p.lastErrs = p.lastErrs[1:]
	}
	p.lastErrs = append(p.lastErrs, err.Error())
	p.mu.Unlock()
	if kind == "too_large" {
		p.log.Warn("media skipped: over the size limit", "url", u, "err", err)
		return
	}
	p.log.Warn("fetch failed", "kind", kind, "url", u, "err", err)
}

// classify names the kind of an error for per-site error counts.
func classify(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, ErrPrivateAddress):
		return "private_address"
	case errors.Is(err, hashing.ErrTooLarge):
		return "too_large"
	case errors.Is(err, hashing.ErrUnsupported):
		return "unsupported"
	case errors.Is(err, hashing.ErrCorrupt):
		return "corrupt"
	case errors.Is(err, ErrHTTPStatus):
		return "http_status"
	case errors.Is(err, errTooManyRedirects):
		return "redirects"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return "fetch"
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
