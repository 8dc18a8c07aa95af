package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"syscall"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/crawler/transport"
	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
)

// Re-check defaults.
const (
	// DefaultRecheckInterval is how often an alert's URLs are re-fetched
	// while it is confirmed, notice-sent or removed.
	DefaultRecheckInterval = time.Hour
	// DefaultRecheckBatch is how many due alerts one CheckDue handles.
	DefaultRecheckBatch = 200
	// recheckPoll is how often Run looks for due alerts.
	recheckPoll = time.Minute
	// maxRecheckURLs bounds the URLs re-fetched per alert (its sightings'
	// media and final URLs), so an alert seen at a hundred URLs costs at
	// most this many requests per check.
	maxRecheckURLs = 20
	// recheckJitter spreads checks by up to ±10% of the interval, so alerts
	// confirmed together are not re-fetched in one burst for ever after.
	recheckJitter = 0.1
)

// Rechecker verifies removal: it re-fetches the URLs of confirmed,
// notice-sent and removed alerts when they are due (alerts.Store.DueForCheck)
// and records what it found (alerts.Store.RecordCheck), which moves an alert to
// removed when its content is gone and back to confirmed when it reappears.
//
// Content counts as gone from a URL that answers 404, 410 or 451, whose
// host no longer resolves or refuses connections, or that serves bytes that
// no longer match the alert's fingerprint under Rule (a placeholder image,
// an HTML page); it counts as present while any URL serves the same bytes
// or bytes that still match. Videos follow the same rule: other bytes
// served where a video was are fingerprinted again with Video (under
// max_video_bytes and hashing/video's limits) and count as present only if
// they still match. Anything else (5xx, a timeout, a limit crossed, other
// 4xx such as 403, a changed video without Video or ffmpeg to fingerprint
// it) is a failed check that changes nothing and is tried again at the
// next interval.
//
// Requests go through the same guarded transport as the crawl (private
// addresses refused unless the site allows them, size and time limits)
// with the site's per-host politeness. robots.txt is not consulted: the
// URLs are ones the crawl was allowed to fetch, or that a person reported.
// A Rechecker is safe for concurrent use; Close releases its connections.
type Rechecker struct {
	DB   *database.DB
	Rule hashing.Rule
	// Sites are the watched sites. An alert's URLs are fetched under the
	// limits of the site named by Alert.Site; an alert of a site not listed
	// (a reported URL's host) under the defaults, with AllowPrivate.
	Sites []*Site
	// Watched, when set, is called for the watched sites instead of
	// reading Sites, so a sites.yaml reloaded while serve runs is used
	// for sites not checked before the reload (a site's client is made
	// on its first check and kept).
	Watched func() []*Site
	// AllowPrivate lets the requests for alerts of unlisted sites reach
	// private addresses (tests and the demo only).
	AllowPrivate bool
	// Interval is the time between checks of one alert (jittered by
	// ±10%); zero means DefaultRecheckInterval.
	Interval time.Duration
	// Batch caps the alerts one CheckDue handles; zero means
	// DefaultRecheckBatch.
	Batch int
	// Video fingerprints videos (and animated GIF and WebP) served where a
	// matched one was; nil leaves only their SHA-256 to compare.
	Video     *video.Hasher
	UserAgent string
	Logger    *slog.Logger

	mu      sync.Mutex
	clients map[string]*recheckClient // by site name
}

// recheckClient is one site's HTTP client and hasher, kept across checks so
// its politeness budget spans them.
type recheckClient struct {
	site   *Site
	base   *http.Transport
	media  *work.Fetcher
	hasher *hashing.Hasher
}

func (r *Rechecker) log() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}

func (r *Rechecker) interval() time.Duration {
	if r.Interval <= 0 {
		return DefaultRecheckInterval
	}
	return r.Interval
}

// next is when an alert checked at now is due again.
func (r *Rechecker) next(now time.Time) time.Time {
	iv := r.interval()
	j := time.Duration((rand.Float64()*2 - 1) * recheckJitter * float64(iv))
	return now.Add(iv + j)
}

// client returns the client for an alert's site, made on first use.
func (r *Rechecker) client(a alerts.Alert) (*recheckClient, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clients[a.Site]; ok {
		return c, nil
	}
	var site *Site
	sites := r.Sites
	if r.Watched != nil {
		sites = r.Watched()
	}
	for _, s := range sites {
		if s.Name == a.Site {
			site = s
			break
		}
	}
	if site == nil {
		var err error
		if site, err = adhocSite(a.Site, a.MediaURL, r.AllowPrivate); err != nil {
			return nil, err
		}
	}
	ua := r.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	base := work.NewTransport(site)
	transport := transport.NewPolite(base, site.Politeness(), site.Parallelism, time.Duration(site.RequestTimeout))
	c := &recheckClient{site: site, base: base, media: work.NewFetcher(site, transport, ua),
		hasher: hashing.NewHasher(site.HashLimits())}
	if r.clients == nil {
		r.clients = map[string]*recheckClient{}
	}
	r.clients[a.Site] = c
	return c, nil
}

// Close releases idle connections. The Rechecker may be used again.
func (r *Rechecker) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, c := range r.clients {
		c.base.CloseIdleConnections()
		delete(r.clients, name)
	}
}

// Run checks due alerts every minute until ctx is done, then returns nil.
// Errors of one round are logged and the next round tries again.
func (r *Rechecker) Run(ctx context.Context) error {
	if err := r.Rule.Validate(); err != nil {
		return err
	}
	defer r.Close()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := r.CheckDue(ctx, time.Now()); err != nil && ctx.Err() == nil {
			r.log().Error("removal re-check round failed", "err", err)
		}
		t.Reset(recheckPoll)
	}
}

// CheckDue checks the alerts due at now (up to Batch of them, most overdue
// first), sites in parallel and each site's alerts one after another, and
// returns the alerts as recorded after their checks. An alert that stopped
// being checked meanwhile (dismissed, withdrawn) is skipped.
func (r *Rechecker) CheckDue(ctx context.Context, now time.Time) ([]alerts.Alert, error) {
	if err := r.Rule.Validate(); err != nil {
		return nil, err
	}
	batch := r.Batch
	if batch <= 0 {
		batch = DefaultRecheckBatch
	}
	due, err := r.DB.Alerts.DueForCheck(now, batch)
	if err != nil {
		return nil, fmt.Errorf("removal re-check: %w", err)
	}
	bySite := map[string][]alerts.Alert{}
	var order []string
	for _, a := range due {
		if _, ok := bySite[a.Site]; !ok {
			order = append(order, a.Site)
		}
		bySite[a.Site] = append(bySite[a.Site], a)
	}
	var (
		mu   sync.Mutex
		out  []alerts.Alert
		errs []error
		wg   sync.WaitGroup
	)
	for _, site := range order {
		wg.Go(func() {
			for _, a := range bySite[site] {
				if ctx.Err() != nil {
					return
				}
				got, err := r.Check(ctx, a, now)
				mu.Lock()
				switch {
				case err == nil:
					out = append(out, got)
				case errors.Is(err, alerts.ErrNotChecked), ctx.Err() != nil:
				default:
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return out, err
	}
	return out, errors.Join(errs...)
}

// Check re-fetches one alert's URLs now, records the check (scheduling the
// next one Interval later) and returns the alert as recorded. at is the
// time the check counts as made; zero means now. The console calls it for
// "check now".
func (r *Rechecker) Check(ctx context.Context, a alerts.Alert, at time.Time) (alerts.Alert, error) {
	if at.IsZero() {
		at = time.Now()
	}
	c := r.check(ctx, a)
	if err := ctx.Err(); err != nil {
		return alerts.Alert{}, err
	}
	c.At = at
	got, err := r.DB.Alerts.RecordCheck(ctx, a.ID, c, r.next(at))
	if err != nil {
		return alerts.Alert{}, err
	}
	level := slog.LevelDebug
	if last := got.Checks[len(got.Checks)-1]; last.Transition != "" {
		level = slog.LevelInfo
	}
	r.log().Log(ctx, level, "removal re-check", "alert", a.ID, "site", a.Site, "outcome", c.Outcome,
		"status", got.Status, "detail", c.Detail)
	return got, nil
}

// check fetches every URL of a and combines what they show: present if any
// serves the content, else failed if any could not tell, else gone.
func (r *Rechecker) check(ctx context.Context, a alerts.Alert) alerts.Check {
	cl, err := r.client(a)
	if err != nil {
		return alerts.Check{Outcome: alerts.CheckFailed, Detail: err.Error()}
	}
	var urls []string
	seen := map[string]bool{}
	add := func(u string) {
		if u != "" && !seen[u] && len(urls) < maxRecheckURLs {
			seen[u] = true
			urls = append(urls, u)
		}
	}
	add(a.MediaURL)
	for _, s := range a.Sightings {
		add(s.MediaURL)
		add(s.FinalURL)
	}
	var failed, gone []string
	for _, u := range urls {
		outcome, detail := r.checkURL(ctx, cl, a, u)
		if ctx.Err() != nil {
			return alerts.Check{Outcome: alerts.CheckFailed, Detail: "cancelled"}
		}
		switch outcome {
		case alerts.CheckPresent:
			return alerts.Check{Outcome: alerts.CheckPresent, Detail: u + ": " + detail}
		case alerts.CheckFailed:
			failed = append(failed, u+": "+detail)
		default:
			gone = append(gone, u+": "+detail)
		}
	}
	if len(failed) > 0 {
		return alerts.Check{Outcome: alerts.CheckFailed, Detail: joinDetails(failed)}
	}
	if len(gone) == 0 {
		return alerts.Check{Outcome: alerts.CheckFailed, Detail: "the alert has no URL to check"}
	}
	return alerts.Check{Outcome: alerts.CheckGone, Detail: joinDetails(gone)}
}

func joinDetails(ds []string) string {
	if len(ds) == 1 {
		return ds[0]
	}
	return fmt.Sprintf("%s (and %d more)", ds[0], len(ds)-1)
}

// checkURL fetches one URL and says whether it still serves a's content.
// The URL of a video alert is fetched under the video byte limit, as is an
// image alert's URL that now answers with a video Content-Type.
func (r *Rechecker) checkURL(ctx context.Context, cl *recheckClient, a alerts.Alert, u string) (alerts.CheckOutcome, string) {
	if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") {
		return alerts.CheckFailed, "not an http(s) URL"
	}
	var f *work.Fetched
	var err error
	if a.Video != nil {
		f, err = cl.media.GetVideo(ctx, u, cl.site.MaxVideoBytes)
	} else {
		f, err = cl.media.Get(ctx, u, cl.site.MaxImageBytes, work.Validators{})
		if errors.Is(err, ErrVideo) {
			f, err = cl.media.GetVideo(ctx, u, cl.site.MaxVideoBytes)
		}
	}
	if err != nil {
		return fetchOutcome(f, err)
	}
	sum := hashing.SumSHA256(f.Body)
	if sum.String() == a.MediaSHA256 {
		return alerts.CheckPresent, fmt.Sprintf("%d, the same bytes", f.Status)
	}
	what, fingerprint := "an image", cl.hasher.Image
	if video.Sniff(f.Body) != "" {
		what = "a video"
		switch {
		case r.Video != nil:
			fingerprint = r.Video.Fingerprint
		case hashing.Sniff(f.Body) == "":
			return alerts.CheckFailed, fmt.Sprintf("%d, other video bytes, which cannot be fingerprinted without a video hasher", f.Status)
		}
	}
	fp, err := fingerprint(ctx, f.Body, hashing.ForQuery)
	switch {
	case ctx.Err() != nil:
		return alerts.CheckFailed, "cancelled"
	case errors.Is(err, hashing.ErrTooLarge), errors.Is(err, video.ErrTooLong), errors.Is(err, video.ErrTooManyFrames),
		errors.Is(err, video.ErrTimeout), errors.Is(err, video.ErrNoFFmpeg):
		// A limit crossed (bytes fetched under the video limit that are
		// no video meet the image limit here) or no ffmpeg: cannot tell.
		return alerts.CheckFailed, err.Error()
	case err != nil:
		// A placeholder page or broken file where the content was.
		return alerts.CheckGone, fmt.Sprintf("%d, no longer %s of it (%v)", f.Status, what, err)
	}
	ms, err := r.DB.Index.MatchVerified(ctx, fp, r.Rule, queryFeatures(cl.hasher.LazyFeatures(f.Body), r.log(), u))
	if err != nil {
		return alerts.CheckFailed, err.Error()
	}
	for _, m := range ms {
		if m.Fingerprint == a.Fingerprint {
			return alerts.CheckPresent, fmt.Sprintf("%d, other bytes that still match (%s distance %d)", f.Status, m.Evidence.Algorithm, m.Evidence.Distance)
		}
	}
	return alerts.CheckGone, fmt.Sprintf("%d, other bytes that no longer match", f.Status)
}

// fetchOutcome classifies a failed fetch: the URL is gone, or the check
// cannot tell.
func fetchOutcome(f *work.Fetched, err error) (alerts.CheckOutcome, string) {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, ErrHTTPStatus) && f != nil:
		switch f.Status {
		case http.StatusNotFound, http.StatusGone, http.StatusUnavailableForLegalReasons:
			return alerts.CheckGone, fmt.Sprintf("%d %s", f.Status, http.StatusText(f.Status))
		}
		return alerts.CheckFailed, fmt.Sprintf("%d %s", f.Status, http.StatusText(f.Status))
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return alerts.CheckGone, "the host no longer resolves"
	case errors.Is(err, syscall.ECONNREFUSED):
		return alerts.CheckGone, "the connection was refused"
	}
	return alerts.CheckFailed, err.Error()
}
