package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/crawler/transport"
	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/store"
)

// Crawler runs crawl passes over watched sites and records the alerts they
// raise. Its fields are its dependencies; it holds no other state and may run
// passes of different sites concurrently (never two of the same site).
type Crawler struct {
	DB   *database.DB
	Rule hashing.Rule
	// UserAgent is sent with every request; empty means DefaultUserAgent.
	UserAgent string
	// Workers is the number of media workers per pass; zero means eight per
	// CPU. Workers spend most of their time waiting (for a response, for
	// the group commit that makes their item durable), so many are needed
	// to keep the CPUs busy; decoding itself never runs on more goroutines
	// than there are CPUs, and a waiting worker holds no media bytes.
	Workers int
	Logger  *slog.Logger
	// Progress, when set, is called after each page and media file with the
	// pass's running counts, for progress displays. It must be quick, and
	// safe to call from several of the pass's goroutines at once.
	Progress func(PassStats)
	// Metrics, when set, receives the crawl's counters.
	Metrics *Metrics
	// NewFrontier makes the frontier of a site's passes; nil means the
	// single-machine frontier in DB.
	NewFrontier func(site *Site) (Frontier, error)
	// CommitEvery is the least time between two transactions of a pass's
	// group commit (committer); zero starts one as soon as writes wait,
	// which suits a pass whose few workers each wait for their item's
	// commit. A coordinator feeding workers elsewhere, with hundreds of
	// items in flight, sets a few milliseconds (natswork.StartCluster):
	// fewer, larger transactions cost it less CPU per item.
	CommitEvery time.Duration
	// CheckpointEvery is how often a running pass stores its status: its
	// queue, what it counted outside its items, recent errors and skips
	// (its items' counts are stored with each item's done mark, so a crash
	// loses none of them); zero means 2 s.
	CheckpointEvery time.Duration
	// Video, when set, fingerprints the videos a pass finds (see
	// video.go); nil (or no ffmpeg) records them without fetching.
	Video *video.Hasher

	// Dispatch, when set, runs each item's fetching and fingerprinting on
	// a worker elsewhere (package crawler/natswork) and returns its
	// Result; nil runs it in this process. Either way the pass prepares
	// the Job and commits the Result (package crawler/work).
	Dispatch func(ctx context.Context, j *work.Job) Result
	// QueueStatus, when set, reads the shared work queue's state for the
	// site status each checkpoint stores.
	QueueStatus func(ctx context.Context) (crawlstate.QueueStatus, error)
	// Visited, when set, is told of the pages each pass has done (see
	// VisitedPages), for workers elsewhere to drop links to them.
	Visited VisitedPages

	// recordAlert, when set, stands in for DB.RecordAlert: tests use it to
	// make an alert write fail the way a full disk does.
	recordAlert func(context.Context, alerts.AlertInput) (alerts.Alert, bool, error)

	// running holds the passes in progress by site, for workers' Central
	// requests (remote.go).
	mu      sync.Mutex
	running map[string]*pass
}

// PassStats counts what one pass did.
type PassStats struct {
	Site   string
	Number uint64 // the site's pass number, from 1
	// Resumed is true when the pass continued one that a crash or shutdown
	// had interrupted; the counts include the earlier part.
	Resumed bool
	Start   time.Time
	End     time.Time
	crawlstate.Counts
	Queued int // pages, media and videos still waiting (when the pass stopped, for an interrupted one)
	Errors map[string]int
	// Bounds counts the site's bounds the pass reached: "max_pages" and
	// "max_pass_duration" (1 when the pass ended early for it, the rest of
	// its queue dropped) and "max_links_per_page" (pages whose references
	// were cut at the limit).
	Bounds map[string]int
	// Recovered counts requests that failed transiently and then
	// succeeded on a retry, by the kind of the first failure ("reset",
	// "timeout", "http_status"): they cost nothing, but a site that resets
	// half its connections is worth knowing about.
	Recovered map[string]int
	// Interrupted is true when the pass stopped before finishing.
	Interrupted bool
}

// errPassDuration is the cause of a pass's context ending at the site's
// max_pass_duration.
var errPassDuration = errors.New("max_pass_duration reached")

// maxLastErrors caps the recent error messages and skipped media kept in a
// site's status.
const maxLastErrors = 20

// pass is the state of one running pass of one site.
type pass struct {
	c        *Crawler
	site     *Site
	info     PassInfo
	frontier Frontier
	commit   *committer
	// remote counts workers' Central calls in flight on this pass (passOf),
	// so the committer is not closed under a Match storing its result.
	remote sync.WaitGroup
	// worker does the pass's fetching and fingerprinting in this process
	// (Crawler.Dispatch nil).
	worker *work.SiteWorker[crawlstate.HashResult]
	// config is the site's configuration as jobs carry it to remote
	// workers, digest its name.
	config       []byte
	configDigest string
	userAgent    string
	// gate grants remote workers their turns at the site's hosts (nil in
	// one process, where the pass's own transport is polite).
	gate *transport.Gate
	// dispatched counts the pass's jobs awaiting results from workers.
	dispatched atomic.Int64
	log        *slog.Logger
	metrics    *siteMetrics
	rule       string

	// fingerprintVideos is true when the pass fetches and fingerprints
	// videos (Crawler.Video set, ffmpeg found); otherwise videos are only
	// recorded, and no video item is queued. Set before the workers start.
	fingerprintVideos bool

	mu    sync.Mutex
	stats PassStats
	// counted is what the pass's done items counted, as the frontier last
	// said (Frontier.Counted); untallied what the pass counted outside
	// any item (its bounds, a robots.txt over its limit), stored with the
	// status. The pass's counts are their sum.
	counted, untallied crawlstate.PassTally
	lastErrs           []string
	skipped            []crawlstate.SkippedMedia
	parked             []crawlstate.ParkedItem
	byURL              map[string]*mediaResult       // media URL → its result, once per process pass
	bySHA              map[hashing.SHA256]*shaResult // bytes → their match result, once per process pass
	videosSeen         map[string]bool
	prevStatus         crawlstate.SiteStatus
	checkpoints        time.Duration
	// pagesStarted counts the page items handed to workers this pass
	// (restored on resume), queuedPages the frontier's last page count;
	// together they hold the pass to max_pages.
	pagesStarted, queuedPages int
	// stop ends the pass early with a cause (storageFailed).
	stop context.CancelCauseFunc
}

// errStorage is the cause of a pass stopped by a storage error.
var errStorage = errors.New("pass stopped: the database failed a write")

// storageFailed counts a storage error and stops the pass: an item whose
// results could not be stored is put back, never marked done, and going on
// would only repeat the failure for every item (a full disk).
func (p *pass) storageFailed(u string, err error) {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		// Not the storage: a fingerprint withdrawn meanwhile, or input
		// the database refuses. Retrying would refuse it again.
		p.fail(nil, "index", u, err)
		return
	}
	p.fail(nil, "index", u, err)
	if p.stop != nil {
		p.stop(fmt.Errorf("%w: %w", errStorage, err))
	}
}

// Pass crawls site once: every in-scope page within max_depth of a seed,
// and every image those pages show or link. A pass interrupted earlier (a
// crash, a shutdown) is resumed instead of started anew. It returns when the
// pass is done or ctx ends; in-flight items are then put back in the
// frontier, and the site's status is stored either way.
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
	commit := newCommitter(c.DB, log, c.CommitEvery, c.visitedAfterCommit())
	defer commit.close()
	var frontier Frontier = newBoltFrontier(c.DB, site.Name, commit)
	if c.NewFrontier != nil {
		f, err := c.NewFrontier(site)
		if err != nil {
			return PassStats{}, fmt.Errorf("frontier of %s: %w", site.Name, err)
		}
		frontier = f
	}
	seeds := make([]Item, len(site.Seeds))
	for i, s := range site.Seeds {
		seeds[i] = Item{Kind: PageItem, URL: s}
	}
	info, err := frontier.Begin(ctx, time.Now().UTC(), seeds)
	if err != nil {
		return PassStats{}, fmt.Errorf("pass of %s: %w", site.Name, err)
	}

	// A pass ends at max_pass_duration from its start, resumed or not; it
	// then finishes like a pass whose frontier ran dry.
	durCtx, cancelDur := context.WithDeadlineCause(ctx, info.Start.Add(time.Duration(site.MaxPassDuration)), errPassDuration)
	defer cancelDur()
	// The first storage error stops the pass (p.storageFailed): going on
	// would fetch and hash while results cannot be kept.
	runCtx, stopRun := context.WithCancelCause(durCtx)
	defer stopRun(nil)
	base := work.NewTransport(site)
	// Connections are the pass's: a daemon running passes forever must not
	// keep every pass's idle connections until they time out.
	defer base.CloseIdleConnections()
	polite := transport.NewPolite(base, site.Politeness(), site.Parallelism, time.Duration(site.RequestTimeout))
	var p *pass
	rt := transport.NewRetry(polite, site.RetryCount(), func(kind string) { p.recovered(kind) })
	media := work.NewFetcher(site, rt, ua)
	p = &pass{
		c: c, site: site, info: info, frontier: frontier, commit: commit,
		worker: &work.SiteWorker[crawlstate.HashResult]{
			Site:    site,
			Hasher:  hashing.NewHasher(site.HashLimits()),
			HashSem: make(chan struct{}, runtime.NumCPU()),
			Media:   media,
			Pages:   work.NewPages(runCtx, site, rt, ua),
			Robots:  work.NewRobots(media.Client, ua),
			Video:   c.Video,
			Log:     log,
		},
		userAgent:  ua,
		log:        log,
		metrics:    c.Metrics.forSite(site.Name),
		rule:       c.Rule.Key(),
		byURL:      map[string]*mediaResult{},
		bySHA:      map[hashing.SHA256]*shaResult{},
		videosSeen: map[string]bool{},
		stats: PassStats{Site: site.Name, Number: info.Number, Resumed: info.Resumed, Start: info.Start,
			Errors: map[string]int{}, Bounds: map[string]int{}, Recovered: map[string]int{}},
		checkpoints: c.CheckpointEvery,
		stop:        stopRun,
	}
	if p.checkpoints <= 0 {
		p.checkpoints = 2 * time.Second
	}
	if c.Dispatch != nil {
		if p.config, err = work.JobConfig(ua, site); err != nil {
			return PassStats{}, err
		}
		p.configDigest = hashing.SumSHA256(p.config).String()
		p.gate = transport.NewGate(site.Politeness(), site.Parallelism)
	}
	if site.Robots() {
		p.worker.Robots.CrawlDelay = polite.HonourCrawlDelay
		p.worker.Robots.Truncated = func(u string) {
			p.fail(nil, "robots_truncated", u, fmt.Errorf("robots.txt %s: over %d bytes; its host is treated as disallowed for this pass", u, work.MaxRobotsBytes))
		}
	}
	if err := p.restore(); err != nil {
		return p.stats, err
	}
	if info.Resumed {
		log.Info("pass resumed", "pass", info.Number, "started", info.Start.Format(time.RFC3339), "pages", p.stats.Pages, "media", p.stats.Media)
	} else {
		log.Info("pass started", "pass", info.Number, "seeds", len(site.Seeds), "max_depth", site.Depth())
	}
	p.metrics.passStarted()
	c.register(p)
	defer c.unregister(p)

	p.fingerprintVideos = p.videosOn()
	if c.Visited != nil && info.Resumed {
		// The copy outside the database may be missing or stale (a
		// coordinator restart purges it): tell it the pages this pass has
		// done so far, beside the run; until then workers merely send
		// back some links the frontier drops.
		// It stops with the pass (the deferred calls run in reverse).
		var rebuilt sync.WaitGroup
		defer rebuilt.Wait()
		rebuildCtx, stopRebuild := context.WithCancel(runCtx)
		defer stopRebuild()
		rebuilt.Go(func() {
			err := c.DB.Crawl.FrontierPagesDone(rebuildCtx, site.Name, 1000, func(urls []string) error {
				return c.Visited.Rebuild(rebuildCtx, site.Name, info.Number, urls)
			})
			if err != nil && rebuildCtx.Err() == nil {
				log.Warn("copying the pass's visited pages for workers failed; they send back more links", "err", err)
			}
		})
	}
	runErr := p.run(runCtx)
	if cause := context.Cause(runCtx); ctx.Err() == nil && errors.Is(cause, errStorage) {
		// Interrupted, not finished: what could not be stored stays in the
		// frontier, and the next start resumes the pass.
		runErr = errors.Join(runErr, cause)
	} else if ctx.Err() == nil && errors.Is(cause, errPassDuration) {
		p.bound(nil, "max_pass_duration", fmt.Sprintf("pass ended after max_pass_duration %v; the rest of its queue is dropped", time.Duration(site.MaxPassDuration)))
		if errors.Is(runErr, context.DeadlineExceeded) {
			runErr = nil
		}
	}
	stats, err := p.finish(ctx, runErr)
	p.metrics.passEnded(stats)
	return stats, err
}

// restore continues the counts of a resumed pass from its last checkpoint.
func (p *pass) restore() error {
	st, ok, err := p.c.DB.Crawl.SiteStatus(p.site.Name)
	if err != nil {
		return err
	}
	p.prevStatus = st
	if !p.info.Resumed {
		return nil
	}
	// What done items counted is the frontier's, exact whenever the
	// process stopped.
	counted, err := p.frontier.Counted(context.Background())
	if err != nil {
		return err
	}
	p.counted = counted
	p.pagesStarted = counted.Pages
	if !ok || !st.Running || st.PassNumber != p.info.Number {
		return nil
	}
	switch {
	case st.Untallied != nil:
		p.untallied.Add(*st.Untallied)
	case counted.Zero():
		// A pass interrupted by a version that kept its counts only in
		// the status: carry them on as they were.
		p.untallied.Add(crawlstate.PassTally{Counts: st.Counts, Errors: st.Errors, Bounds: st.Bounds})
		p.pagesStarted = st.Pages
	}
	s := &p.stats
	for k, v := range st.Recovered {
		s.Recovered[k] = v
	}
	p.lastErrs = append(p.lastErrs, st.LastErrors...)
	p.skipped = append(p.skipped, st.RecentSkipped...)
	p.parked = append(p.parked, st.RecentParked...)
	return nil
}

// finish ends the pass: a pass whose frontier ran dry is finished in the
// frontier; either way the status is stored.
func (p *pass) finish(ctx context.Context, runErr error) (PassStats, error) {
	bg := context.WithoutCancel(ctx)
	queued, qerr := p.frontier.Queued(bg)
	counted, cerr := p.frontier.Counted(bg)
	if cerr != nil {
		qerr = errors.Join(qerr, cerr)
	}
	p.mu.Lock()
	if cerr == nil {
		p.counted = counted
	}
	p.stats.End = time.Now().UTC()
	p.stats.Queued = queued.Total()
	p.stats.Interrupted = runErr != nil || ctx.Err() != nil || qerr != nil
	end := p.stats.End
	interrupted := p.stats.Interrupted
	p.mu.Unlock()
	if !interrupted {
		if err := p.frontier.Finish(bg, end); err != nil {
			runErr = err
			interrupted = true
			p.mu.Lock()
			p.stats.Interrupted = true
			p.mu.Unlock()
		}
	}
	if err := p.storeStatus(!interrupted); err != nil {
		runErr = errors.Join(runErr, err)
	}
	stats := p.snapshot()
	if interrupted {
		p.log.Info("pass interrupted; it resumes on the next start", "pass", stats.Number, "pages", stats.Pages,
			"media", stats.Media, "queued", stats.Queued, "err", runErr)
	} else {
		p.log.Info("pass finished", "pass", stats.Number, "pages", stats.Pages, "media", stats.Media, "hashed", stats.Hashed,
			"not_modified", stats.NotModified, "new_alerts", stats.NewAlerts, "quarantined", stats.Quarantined, "suppressed", stats.Suppressed, "skipped", stats.Skipped, "videos", stats.Videos,
			"errors", sum(stats.Errors), "duration", stats.End.Sub(stats.Start).Round(time.Millisecond))
	}
	if err := ctx.Err(); err != nil {
		return stats, fmt.Errorf("pass of %s interrupted: %w", p.site.Name, err)
	}
	if runErr != nil {
		return stats, fmt.Errorf("pass of %s: %w", p.site.Name, runErr)
	}
	return stats, nil
}

func (p *pass) snapshot() PassStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	var all crawlstate.PassTally
	all.Add(p.counted)
	all.Add(p.untallied)
	s.Counts = all.Counts
	s.Errors = make(map[string]int, len(all.Errors))
	for k, v := range all.Errors {
		s.Errors[k] = v
	}
	s.Bounds = make(map[string]int, len(all.Bounds))
	for k, v := range all.Bounds {
		s.Bounds[k] = v
	}
	s.Recovered = make(map[string]int, len(p.stats.Recovered))
	for k, v := range p.stats.Recovered {
		s.Recovered[k] = v
	}
	return s
}

// storeStatus writes the site's status: a checkpoint of the running pass, or
// (finished) its final counts.
func (p *pass) storeStatus(finished bool) error {
	s := p.snapshot()
	p.mu.Lock()
	lastErrs := append([]string(nil), p.lastErrs...)
	skipped := append([]crawlstate.SkippedMedia(nil), p.skipped...)
	parked := append([]crawlstate.ParkedItem(nil), p.parked...)
	var untallied crawlstate.PassTally
	untallied.Add(p.untallied)
	p.mu.Unlock()
	total := p.prevStatus.TotalPass
	if finished {
		total++
	}
	st := crawlstate.SiteStatus{
		Name: s.Site, PassStart: s.Start, Running: !finished, PassNumber: s.Number, Counts: s.Counts,
		Queued: s.Queued, Errors: s.Errors, TotalPass: total, LastErrors: lastErrs, RecentSkipped: skipped,
		Bounds: s.Bounds, Recovered: s.Recovered, RecentParked: parked,
	}
	if !finished && !untallied.Zero() {
		st.Untallied = &untallied
	}
	if finished || s.Interrupted {
		st.PassEnd = s.End
	}
	if p.c.QueueStatus != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if q, err := p.c.QueueStatus(ctx); err == nil {
			q.Dispatched = int(p.dispatched.Load())
			st.Queue = &q
		}
		cancel()
	}
	return p.c.DB.Crawl.PutSiteStatus(st)
}

// run hands frontier items to page, media and video workers until the
// frontier is empty and nothing is in flight, or ctx ends. Items popped but
// not started when it stops are released back to the frontier, and so are
// items whose work a cancellation cut short.
func (p *pass) run(ctx context.Context) error {
	// Page workers beyond the site's parallelism wait for the commit of
	// their page while others fetch.
	pageWorkers := 4*p.site.Parallelism + 4
	mediaWorkers := p.c.Workers
	if mediaWorkers <= 0 {
		mediaWorkers = 32 * runtime.NumCPU()
	}
	mediaWorkers = max(mediaWorkers, p.site.Parallelism)
	// A video holds its bytes and an ffmpeg run for seconds: few at a time.
	videoWorkers := max(1, p.site.Parallelism/2)

	pageCh := make(chan Item)
	mediaCh := make(chan Item)
	videoCh := make(chan Item)
	doneCh := make(chan struct{}, pageWorkers+mediaWorkers+videoWorkers)
	var wg sync.WaitGroup
	for range pageWorkers {
		wg.Go(func() {
			for it := range pageCh {
				p.handlePage(ctx, it)
				doneCh <- struct{}{}
			}
		})
	}
	for range mediaWorkers {
		wg.Go(func() {
			for it := range mediaCh {
				p.handleMedia(ctx, it)
				doneCh <- struct{}{}
			}
		})
	}
	for range videoWorkers {
		wg.Go(func() {
			for it := range videoCh {
				p.handleVideo(ctx, it)
				doneCh <- struct{}{}
			}
		})
	}

	ticker := time.NewTicker(p.checkpoints)
	defer ticker.Stop()
	var pendingPages, pendingMedia, pendingVideos []Item
	inflight := 0
	var queueRead time.Time
	var runErr error
	for ctx.Err() == nil {
		var err error
		if len(pendingPages) == 0 && !p.pagesFull() {
			if pendingPages, err = p.frontier.Pop(ctx, PageItem, 2*pageWorkers); err != nil {
				runErr = err
				break
			}
		}
		if len(pendingMedia) == 0 {
			if pendingMedia, err = p.frontier.Pop(ctx, MediaItem, 2*mediaWorkers); err != nil {
				runErr = err
				break
			}
		}
		if len(pendingVideos) == 0 {
			if pendingVideos, err = p.frontier.Pop(ctx, VideoItem, 2*videoWorkers); err != nil {
				runErr = err
				break
			}
		}
		if len(pendingPages) == 0 && len(pendingMedia) == 0 && len(pendingVideos) == 0 && inflight == 0 {
			break // the frontier is empty and nothing can add to it
		}
		if time.Since(queueRead) > queueReadEvery {
			p.refreshQueued(ctx)
			queueRead = time.Now()
		}
		var toPages, toMedia, toVideos chan Item
		var nextPage, nextMedia, nextVideo Item
		if len(pendingPages) > 0 {
			toPages, nextPage = pageCh, pendingPages[0]
		}
		if len(pendingMedia) > 0 {
			toMedia, nextMedia = mediaCh, pendingMedia[0]
		}
		if len(pendingVideos) > 0 {
			toVideos, nextVideo = videoCh, pendingVideos[0]
		}
		if toPages != nil && p.pagesFull() {
			// max_pages: the pages waiting are dropped with the rest of
			// the queue when the pass finishes; media and videos still run.
			toPages, pendingPages = nil, nil
			if len(pendingMedia) == 0 && len(pendingVideos) == 0 && inflight == 0 {
				continue
			}
		}
		select {
		case toPages <- nextPage:
			pendingPages = pendingPages[1:]
			p.mu.Lock()
			p.pagesStarted++
			p.mu.Unlock()
			inflight++
		case toMedia <- nextMedia:
			pendingMedia = pendingMedia[1:]
			inflight++
		case toVideos <- nextVideo:
			pendingVideos = pendingVideos[1:]
			inflight++
		case <-doneCh:
			inflight--
		case <-ticker.C:
			p.checkpoint(ctx)
		case <-ctx.Done():
		}
	}
	close(pageCh)
	close(mediaCh)
	close(videoCh)
	wg.Wait()
	bg := context.WithoutCancel(ctx)
	left := append(append(pendingPages, pendingMedia...), pendingVideos...)
	if err := p.frontier.Release(bg, left); err != nil {
		runErr = errors.Join(runErr, err)
	}
	return runErr
}

// queueReadEvery is how often the dispatcher reads the frontier's size for
// progress displays and the queue-depth metric.
const queueReadEvery = 250 * time.Millisecond

func (p *pass) refreshQueued(ctx context.Context) {
	q, err := p.frontier.Queued(ctx)
	if err != nil {
		return
	}
	counted, err := p.frontier.Counted(ctx)
	p.mu.Lock()
	if err == nil {
		p.counted = counted
	}
	p.stats.Queued = q.Total()
	p.queuedPages = q.Pages
	p.mu.Unlock()
	p.metrics.queue(q)
}

// checkpoint stores the running pass's status: its queue, the counts of
// its items as the frontier has them, what it counted outside items and
// the recent errors, skips and parked items (the item counts themselves
// are stored with each item's Done, so a crash loses none of them).
func (p *pass) checkpoint(ctx context.Context) {
	p.refreshQueued(ctx)
	if err := p.storeStatus(false); err != nil {
		p.log.Warn("storing pass checkpoint failed", "err", err)
	}
	p.progress()
}

// done marks an item done with what it counted (t), or puts it back when
// ctx was cancelled before its work was complete; t is then dropped, as
// the item will be handled and counted again.
func (p *pass) done(ctx context.Context, it Item, t *tally, found []Item, complete bool) {
	bg := context.WithoutCancel(ctx)
	if !complete {
		if err := p.frontier.Release(bg, []Item{it}); err != nil {
			p.log.Error("putting an item back failed", "url", it.URL, "err", err)
		}
		return
	}
	if err := p.frontier.Done(bg, it, found, t); err != nil {
		p.storageFailed(it.URL, fmt.Errorf("mark %s done: %w", it.URL, err))
	}
	p.progress()
}

// handlePage fetches one page (conditionally when it was seen before) and
// queues what it refers to: the pass prepares the job from the page's
// record, a worker checks robots.txt and fetches, and the pass commits
// what it found.
func (p *pass) handlePage(ctx context.Context, it Item) {
	t := &tally{}
	if ctx.Err() != nil {
		p.done(ctx, it, t, nil, false)
		return
	}
	u, err := url.Parse(it.URL)
	if err != nil || !p.site.InScope(u) {
		// A seed or a queued URL the (possibly changed) config no longer
		// allows.
		p.done(ctx, it, t, nil, true)
		return
	}
	rec, known, err := p.c.DB.Crawl.PageRecord(p.site.Name, it.URL)
	if err != nil {
		p.fail(&t.own, "index", it.URL, err)
	}
	job := p.job(it)
	// A link that served media before, or a page fetched earlier in this
	// very pass by a process that died before marking it done, needs no
	// request: its record says what it leads to.
	job.Fetch = !(known && (rec.Serves == "media" || rec.Serves == "video" || rec.Pass == p.info.Number))
	if known && rec.Serves == "page" {
		job.ETag, job.LastModified = rec.ETag, rec.LastModified
	}
	res, ok := p.execItem(ctx, it, t, &job)
	if !ok {
		return
	}
	switch {
	case known && rec.Serves == "media":
		// A link that served an image before: straight to the media path.
		p.done(ctx, it, t, []Item{{Kind: MediaItem, URL: it.URL, Page: p.referrer(it)}}, true)
		return
	case known && rec.Serves == "video":
		p.done(ctx, it, t, p.foundVideos(t, p.referrer(it), it.URL), true)
		return
	case known && rec.Pass == p.info.Number:
		// The page was fetched and recorded by this pass, but its item
		// was not marked done (and so not counted) before the process
		// died: count it now, with its Done, as an uninterrupted pass
		// counts it once. Its bytes were the dead process's work.
		p.count(&t.own, func(s *crawlstate.Counts) { s.Pages++ })
		p.done(ctx, it, t, p.found(t, it, rec.Links, rec.Media, rec.Videos, nil), true)
		return
	}
	pf := res.Page
	if pf == nil {
		p.fail(&t.own, "fetch", it.URL, fmt.Errorf("page %s: the worker returned no page result", it.URL))
		p.done(ctx, it, t, nil, true)
		return
	}
	now := time.Now().UTC()
	switch {
	case pf.Serves == "media":
		p.commit.post(crawlstate.CrawlWrite{Site: p.site.Name, Pages: []crawlstate.PageRecord{{URL: it.URL, Serves: "media", Pass: p.info.Number, Checked: now}}})
		p.done(ctx, it, t, []Item{{Kind: MediaItem, URL: it.URL, Page: p.referrer(it)}}, true)
		return
	case pf.Serves == "video":
		p.commit.post(crawlstate.CrawlWrite{Site: p.site.Name, Pages: []crawlstate.PageRecord{{URL: it.URL, Serves: "video", Pass: p.info.Number, Checked: now}}})
		p.done(ctx, it, t, p.foundVideos(t, p.referrer(it), it.URL), true)
		return
	case pf.NotModified:
		// The record stays as it is: rewriting it only to note this pass
		// would cost a scattered page write per page, and a resumed pass
		// asks again with a cheap conditional request instead.
		p.count(&t.own, func(s *crawlstate.Counts) { s.Pages++; s.NotModified++ })
		p.metrics.page("not_modified", 0)
		p.done(ctx, it, t, p.found(t, it, rec.Links, rec.Media, rec.Videos, nil), true)
		return
	case pf.Err != nil:
		p.fail(&t.own, pf.Err.Kind, it.URL, pf.Err)
		p.metrics.page("error", 0)
		p.done(ctx, it, t, nil, true)
		return
	}
	if pf.Dropped > 0 {
		p.bound(&t.own, "max_links_per_page", fmt.Sprintf("page %s: %d references beyond max_links_per_page %d dropped", it.URL, pf.Dropped, p.site.MaxLinksPerPage))
	}
	links := pf.Links
	if len(pf.VisitedLinks) > 0 {
		// Pages the pass has done: in the record, not queued again.
		links = append(slices.Clip(pf.Links), pf.VisitedLinks...)
	}
	rec = crawlstate.PageRecord{URL: it.URL, ETag: pf.ETag, LastModified: pf.LastModified, Serves: "page",
		Links: links, Media: pf.Media, Videos: pf.Videos, Pass: p.info.Number, Checked: now}
	var final *url.URL
	if pf.Final != "" && pf.Final != it.URL {
		if fu, err := url.Parse(pf.Final); err == nil {
			final = fu
			rec.Final = pf.Final
		}
	}
	p.commit.post(crawlstate.CrawlWrite{Site: p.site.Name, Pages: []crawlstate.PageRecord{rec}})
	p.count(&t.own, func(s *crawlstate.Counts) { s.Pages++; s.Bytes += int64(pf.Bytes) })
	p.metrics.page("fetched", pf.Bytes)
	p.done(ctx, it, t, p.found(t, it, pf.Links, pf.Media, pf.Videos, final), true)
}

// job is the Job for one of the pass's items, before the item's own
// fields (validators, fetch or not) are filled in.
func (p *pass) job(it Item) work.Job {
	return work.Job{Site: p.site.Name, Pass: p.info.Number, Config: p.config, ConfigDigest: p.configDigest, UserAgent: p.userAgent, Item: it}
}

// exec runs a job's fetching and fingerprinting: on a remote worker when
// the crawler dispatches, else in this process with the pass itself as
// the Central.
// execItem runs the job of a page or video item and settles the outcomes
// every item kind ends alike: a cancelled job puts the item back, a parked
// (poison) or robots-denied one is done with nothing found. ok is false
// when the item is settled; otherwise the caller commits res.
func (p *pass) execItem(ctx context.Context, it Item, t *tally, job *work.Job) (res Result, ok bool) {
	res = p.exec(ctx, job)
	if res.Cancelled || ctx.Err() != nil {
		p.done(ctx, it, t, nil, false)
		return res, false
	}
	p.applyCommon(&t.own, res)
	if res.Parked {
		p.park(&t.own, res)
		p.done(ctx, it, t, nil, true)
		return res, false
	}
	if res.Denied {
		p.done(ctx, it, t, nil, true)
		return res, false
	}
	return res, true
}

func (p *pass) exec(ctx context.Context, j *work.Job) Result {
	if p.c.Dispatch != nil {
		p.dispatched.Add(1)
		defer p.dispatched.Add(-1)
		return p.c.Dispatch(ctx, j)
	}
	return p.worker.Process(ctx, j, p)
}

// park records an item given up on: delivered to workers again and again
// without a result (each delivery killed or stalled its worker). It is
// done for this pass, shown with its URL in the site's status, and never
// retried until the next pass.
func (p *pass) park(t *crawlstate.PassTally, res Result) {
	it := res.Item
	p.count(t, func(s *crawlstate.Counts) { s.Parked++ })
	p.mu.Lock()
	if len(p.parked) >= maxLastErrors {
		p.parked = p.parked[1:]
	}
	p.parked = append(p.parked, crawlstate.ParkedItem{Kind: it.Kind.String(), URL: it.URL, Page: it.Page, Reason: res.ParkReason, At: time.Now().UTC()})
	p.mu.Unlock()
	p.metrics.error("parked")
	p.log.Error("item parked: it killed or stalled crawl workers on every delivery", "url", it.URL, "kind", it.Kind.String(), "page", it.Page, "reason", res.ParkReason)
}

// applyCommon counts what any result says besides its item's own outcome:
// errors met (robots.txt that could not be read), a robots.txt refusal,
// requests recovered on a retry.
func (p *pass) applyCommon(t *crawlstate.PassTally, res Result) {
	for _, e := range res.Errors {
		p.fail(t, e.Kind, e.URL, e)
	}
	if res.RobotsBlocked {
		p.count(t, func(s *crawlstate.Counts) { s.Robots++ })
		p.metrics.robots()
		p.log.Debug("robots.txt disallows", "url", res.Item.URL)
	}
	if len(res.Recovered) > 0 {
		p.mu.Lock()
		for k, n := range res.Recovered {
			p.stats.Recovered[k] += n
		}
		p.mu.Unlock()
	}
}

// found turns what a page refers to into frontier items: media and videos
// of any host (sites serve them from CDNs), pages in scope within
// max_depth. Videos are recorded, and queued when the pass fingerprints
// them (foundVideos).
func (p *pass) found(t *tally, it Item, links, media, videos []string, final *url.URL) []Item {
	var out []Item
	if final != nil && p.site.InScope(final) {
		out = append(out, Item{Kind: PageItem, URL: final.String(), Visited: true})
	}
	var vids []string
	for _, m := range media {
		u, err := url.Parse(m)
		if err != nil {
			continue
		}
		if work.IsVideoURL(u) {
			vids = append(vids, m)
			continue
		}
		out = append(out, Item{Kind: MediaItem, URL: m, Page: it.URL})
	}
	vids = append(vids, videos...)
	for _, l := range links {
		u, err := url.Parse(l)
		if err != nil {
			continue
		}
		switch {
		case work.IsMediaURL(u):
			out = append(out, Item{Kind: MediaItem, URL: l, Page: it.URL})
		case work.IsVideoURL(u):
			vids = append(vids, l)
		case it.Depth < p.site.Depth() && p.site.InScope(u):
			out = append(out, Item{Kind: PageItem, URL: l, Page: it.URL, Depth: it.Depth + 1})
		}
	}
	if len(vids) > 0 {
		out = append(out, p.foundVideos(t, it.URL, vids...)...)
	}
	return p.holdToMaxPages(out)
}

// pagesFull reports whether the pass has started max_pages pages, and
// records the bound the first time.
func (p *pass) pagesFull() bool {
	p.mu.Lock()
	full := p.pagesStarted >= p.site.MaxPages
	first := full && p.untallied.Bounds["max_pages"] == 0
	p.mu.Unlock()
	if first {
		p.bound(nil, "max_pages", fmt.Sprintf("pass reached max_pages %d; the rest of its queue is dropped", p.site.MaxPages))
	}
	return full
}

// holdToMaxPages drops the new page items of found once the pages started
// and queued reach max_pages: the pass could never fetch them, and a link
// trap would otherwise fill the database with its queue.
func (p *pass) holdToMaxPages(found []Item) []Item {
	p.mu.Lock()
	room := p.site.MaxPages - p.pagesStarted - p.queuedPages
	p.mu.Unlock()
	out := found[:0]
	for _, it := range found {
		if it.Kind == PageItem && !it.Visited {
			if room <= 0 {
				continue
			}
			room--
		}
		out = append(out, it)
	}
	return out
}

// recovered counts a request that succeeded on a retry.
func (p *pass) recovered(kind string) {
	p.mu.Lock()
	p.stats.Recovered[kind]++
	p.mu.Unlock()
}

// bound counts a site bound an item (t) or the pass (t nil) reached and
// logs why.
func (p *pass) bound(t *crawlstate.PassTally, name, why string) {
	p.mu.Lock()
	if t == nil {
		t = &p.untallied
	}
	if t.Bounds == nil {
		t.Bounds = map[string]int{}
	}
	t.Bounds[name]++
	p.mu.Unlock()
	p.log.Warn("site bound reached", "bound", name, "detail", why)
}

// foundVideos records video URLs found on a page (recordVideos) and returns
// them as frontier items when the pass fingerprints videos; when it does
// not, they are only recorded, as no worker would ever fetch them. Every
// URL gets an item, not only those new to this process: the frontier
// skips what the pass already queued or visited.
func (p *pass) foundVideos(t *tally, page string, urls ...string) []Item {
	p.recordVideos(t, page, urls...)
	if !p.fingerprintVideos {
		return nil
	}
	items := make([]Item, len(urls))
	for i, u := range urls {
		items[i] = Item{Kind: VideoItem, URL: u, Page: page}
	}
	return items
}

// recordVideos records video URLs found on a page with the item t that
// found them: they are stored with its Done, and the frontier counts each
// once per pass. Within a process, each URL is recorded by its first item.
func (p *pass) recordVideos(t *tally, page string, urls ...string) {
	now := time.Now().UTC()
	var recs []crawlstate.VideoRecord
	p.mu.Lock()
	for _, v := range urls {
		if p.videosSeen[v] {
			continue
		}
		p.videosSeen[v] = true
		recs = append(recs, crawlstate.VideoRecord{URL: v, Page: page, FirstSeen: now, LastSeen: now})
	}
	p.mu.Unlock()
	if len(recs) == 0 {
		return
	}
	p.metrics.videos(len(recs))
	p.log.Debug("videos found", "count", len(recs), "url", recs[0].URL)
	t.videos = append(t.videos, recs...)
}

// referrer is the page to name for media reached through a page item: the
// page that linked it, or itself for a seed.
func (p *pass) referrer(it Item) string {
	if it.Page != "" {
		return it.Page
	}
	return it.URL
}

// count applies f to the counts of an item or a media URL (t), or of the
// pass outside any item (t nil). An item's counts are its handler's alone
// (a media URL's are written once, before its items read them), so only
// the pass's need the lock.
func (p *pass) count(t *crawlstate.PassTally, f func(*crawlstate.Counts)) {
	if t != nil {
		f(&t.Counts)
		return
	}
	p.mu.Lock()
	f(&p.untallied.Counts)
	p.mu.Unlock()
}

func (p *pass) progress() {
	if p.c.Progress != nil {
		p.c.Progress(p.snapshot())
	}
}

// LogFetchFailed is the message of the log record of each failed fetch
// (with "kind", "url" and "err"), so a terminal showing progress bars can
// summarise them instead of printing one line each.
const LogFetchFailed = "fetch failed"

// fail counts and logs one error of a kind; the pass carries on.
func (p *pass) fail(t *crawlstate.PassTally, kind, u string, err error) {
	p.mu.Lock()
	if t == nil {
		t = &p.untallied
	}
	addError(t, kind)
	if len(p.lastErrs) >= maxLastErrors {
		p.lastErrs = p.lastErrs[1:]
	}
	p.lastErrs = append(p.lastErrs, err.Error())
	p.mu.Unlock()
	p.metrics.error(kind)
	p.log.Warn(LogFetchFailed, "kind", kind, "url", u, "err", err)
}

// skip records media not fingerprinted because it is over a limit, with its
// URL and size, in the counts and in the site's bounded list of recent
// skips.
func (p *pass) skip(t *crawlstate.PassTally, page, u string, size, limit int64, err error) {
	p.mu.Lock()
	t.Skipped++
	addError(t, "too_large")
	if len(p.skipped) >= maxLastErrors {
		p.skipped = p.skipped[1:]
	}
	p.skipped = append(p.skipped, crawlstate.SkippedMedia{URL: u, Page: page, Size: size, Limit: limit, Reason: err.Error(), At: time.Now().UTC()})
	p.mu.Unlock()
	p.metrics.skipped()
	p.metrics.error("too_large")
	p.log.Warn("media skipped: over a limit", "url", u, "page", page, "size", size, "limit", limit, "err", err)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
