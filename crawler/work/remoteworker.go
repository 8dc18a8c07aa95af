package work

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/hashwatch/hashwatch/crawler/siteconfig"
	"github.com/hashwatch/hashwatch/crawler/transport"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
)

// Worker processes Jobs for a coordinator on another machine (hashwatch
// worker): the fetching half of a pass, without a database. It keeps, per
// site, the pass's transport (SSRF guard at dial time, politeness,
// retries), robots.txt rules and colly, built from the configuration the
// job carries and replaced when a new pass or configuration arrives.
// Matching is asked of the coordinator through the Central given with
// each job. It is safe for concurrent use.
type Worker[H any] struct {
	// Video, when set, fingerprints videos; a worker without it fails
	// video jobs (kind "video") and fingerprints animations as pictures.
	Video  *video.Hasher
	Logger *slog.Logger
	// Gate, when set, wraps each site's polite transport: every request
	// (each retry too) first takes a turn from the coordinator's per-host
	// gate, or a slot of a lease of several the gate granted the worker
	// at a host no delay spaces, so that delay and parallelism hold
	// across all workers together. The wait for a turn does not count against the request
	// timeout.
	Gate func(g GateInfo, next http.RoundTripper) http.RoundTripper

	once    sync.Once
	hashSem chan struct{}
	mu      sync.Mutex
	sites   map[string]*workerSite[H]
}

// GateInfo is what a gate transport needs to ask the coordinator for a
// turn.
type GateInfo struct {
	Site string
	Pass uint64
	// Hold bounds how long a turn may be held (the site's request
	// timeout), so a worker that dies holding one does not hold it for
	// ever.
	Hold time.Duration
	// CrawlDelay is the host's robots.txt Crawl-delay as this worker read
	// it (0 if none).
	CrawlDelay func(host string) time.Duration
}

// workerSite is one site's fetching state on a worker, for one pass and
// configuration.
type workerSite[H any] struct {
	digest string
	pass   uint64
	sw     *SiteWorker[H]
	base   *http.Transport
	cancel context.CancelFunc

	mu          sync.Mutex
	recovered   map[string]int
	errs        []ResultError
	crawlDelays map[string]time.Duration
}

func (ws *workerSite[H]) crawlDelay(host string) time.Duration {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.crawlDelays[host]
}

// Process fetches, discovers and fingerprints one job's item and returns
// what it found, asking c for stored results and matches.
func (w *Worker[H]) Process(ctx context.Context, j *Job, c Central[H]) Result[H] {
	ws, err := w.site(j)
	if err != nil {
		return Result[H]{Site: j.Site, Pass: j.Pass, Item: j.Item, Denied: true,
			Errors: []ResultError{{Kind: "config", URL: j.Item.URL, Message: err.Error()}}}
	}
	res := ws.sw.Process(ctx, j, c)
	ws.mu.Lock()
	if len(ws.recovered) > 0 {
		res.Recovered = ws.recovered
		ws.recovered = nil
	}
	res.Errors = append(res.Errors, ws.errs...)
	ws.errs = nil
	ws.mu.Unlock()
	return res
}

// Close drops every site's connections.
func (w *Worker[H]) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for name, ws := range w.sites {
		ws.close()
		delete(w.sites, name)
	}
}

func (ws *workerSite[H]) close() {
	ws.cancel()
	ws.base.CloseIdleConnections()
}

func (w *Worker[H]) site(j *Job) (*workerSite[H], error) {
	w.once.Do(func() { w.hashSem = make(chan struct{}, runtime.NumCPU()) })
	w.mu.Lock()
	defer w.mu.Unlock()
	if ws := w.sites[j.Site]; ws != nil && ws.digest == j.ConfigDigest && ws.pass == j.Pass {
		return ws, nil
	}
	cfg, err := siteconfig.Parse("site configuration from the coordinator", j.Config)
	if err != nil {
		return nil, err
	}
	if len(cfg.Sites) != 1 || cfg.Sites[0].Name != j.Site {
		return nil, fmt.Errorf("job of site %s carries a configuration of %d sites: %w", j.Site, len(cfg.Sites), siteconfig.ErrConfig)
	}
	site := &cfg.Sites[0]
	log := w.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("site", site.Name)
	ua := j.UserAgent
	if ua == "" {
		ua = siteconfig.DefaultUserAgent
	}
	ctx, cancel := context.WithCancel(context.Background())
	ws := &workerSite[H]{digest: j.ConfigDigest, pass: j.Pass, cancel: cancel}
	ws.base = NewTransport(site)
	delay := site.Politeness()
	if w.Gate != nil {
		// The coordinator's gate spaces the requests of all workers; a
		// local delay on top would only push a granted turn later, closer
		// to the next worker's.
		delay = 0
	}
	polite := transport.NewPolite(ws.base, delay, site.Parallelism, time.Duration(site.RequestTimeout))
	var rt http.RoundTripper = polite
	if w.Gate != nil {
		rt = w.Gate(GateInfo{Site: site.Name, Pass: j.Pass, Hold: time.Duration(site.RequestTimeout), CrawlDelay: ws.crawlDelay}, polite)
	}
	retry := transport.NewRetry(rt, site.RetryCount(), func(kind string) {
		ws.mu.Lock()
		if ws.recovered == nil {
			ws.recovered = map[string]int{}
		}
		ws.recovered[kind]++
		ws.mu.Unlock()
	})
	media := NewFetcher(site, retry, ua)
	ws.sw = &SiteWorker[H]{
		Site:    site,
		Media:   media,
		Pages:   NewPages(ctx, site, retry, ua),
		Robots:  NewRobots(media.Client, ua),
		Hasher:  hashing.NewHasher(site.HashLimits()),
		HashSem: w.hashSem,
		Video:   w.Video,
		Log:     log,
	}
	if site.Robots() {
		ws.sw.Robots.CrawlDelay = func(host string, d time.Duration) {
			if w.Gate == nil {
				polite.HonourCrawlDelay(host, d)
			}
			ws.mu.Lock()
			if ws.crawlDelays == nil {
				ws.crawlDelays = map[string]time.Duration{}
			}
			ws.crawlDelays[host] = d
			ws.mu.Unlock()
		}
		ws.sw.Robots.Truncated = func(u string) {
			ws.mu.Lock()
			ws.errs = append(ws.errs, ResultError{Kind: "robots_truncated", URL: u,
				Message: fmt.Sprintf("robots.txt %s: over %d bytes; its host is treated as disallowed for this pass", u, MaxRobotsBytes)})
			ws.mu.Unlock()
		}
	}
	if w.sites == nil {
		w.sites = map[string]*workerSite[H]{}
	}
	if old := w.sites[j.Site]; old != nil {
		old.close()
	}
	w.sites[j.Site] = ws
	return ws, nil
}
