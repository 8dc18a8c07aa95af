package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/crawler/transport"
	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/store"
)

// DefaultInspectMedia caps the images followed from one reported page.
const DefaultInspectMedia = 100

// DefaultInspectVideos caps the videos followed from one reported page:
// each costs a download of up to max_video_bytes and an ffmpeg run while
// the reporter waits.
const DefaultInspectVideos = 4

// Inspector checks reported URLs: where a hotline or partner saw content.
// Each URL is fetched at once under the crawler's safety limits (the
// private-address guard, byte, pixel, redirect and time limits): a URL
// that serves an image or a video is fingerprinted (a video with
// hashing/video, under max_video_bytes and its duration, frame and time
// limits); a page has the images and videos it shows followed one level
// (the same discovery as a crawl). Everything is matched against the
// index, and a match goes through the crawl's one alert step (raiseAlerts)
// as an alert marked Reported, with its blurred preview where there is
// one; nothing is kept of media that match nothing.
//
// Without Video, videos are not fetched: a URL serving one is an error
// wrapping ErrVideo, and a page's videos are only counted.
//
// A URL on a watched site is fetched under that site's limits and its
// alerts carry the site's name; any other URL under the defaults, its
// alerts named by its host. robots.txt is not consulted: a person asked
// for this one URL.
type Inspector struct {
	DB    *database.DB
	Rule  hashing.Rule
	Sites []*Site
	// Watched, when set, is called for the watched sites instead of
	// reading Sites, so a sites.yaml reloaded while serve runs is used.
	Watched func() []*Site
	// AllowPrivate lets URLs outside Sites reach private addresses (tests
	// and the demo only; a watched site's allow_private applies to its own
	// URLs).
	AllowPrivate bool
	// MaxMedia caps the images followed from one page; zero means
	// DefaultInspectMedia.
	MaxMedia int
	// Video fingerprints reported videos; nil leaves them unchecked.
	Video *video.Hasher
	// MaxVideos caps the videos followed from one page; zero means
	// DefaultInspectVideos.
	MaxVideos int
	UserAgent string
	Logger    *slog.Logger
}

// MediaOutcome is what one image or video of a reported URL gave.
type MediaOutcome struct {
	URL string `json:"url"`
	// Video is true for a video (or animation) fingerprinted frame by
	// frame.
	Video    bool           `json:"video,omitempty"`
	SHA256   hashing.SHA256 `json:"sha256,omitzero"`
	AlertIDs []uint64       `json:"alert_ids,omitempty"`
	Error    string         `json:"error,omitempty"`
	// Suppressed counts matches the negative bank kept from alerting.
	Suppressed int `json:"suppressed,omitempty"`
}

// Inspection is what checking one reported URL found.
type Inspection struct {
	URL  string `json:"url"`
	Site string `json:"site"`
	// Page is true when the URL served a page whose images and videos
	// were followed.
	Page  bool           `json:"page"`
	Media []MediaOutcome `json:"media"`
	// Videos counts the videos the page shows; those followed (with a
	// video hasher, up to MaxVideos) are in Media too.
	Videos int `json:"videos,omitempty"`
	// AlertIDs are the alerts the URL raised or added a sighting to.
	AlertIDs []uint64 `json:"alert_ids,omitempty"`
	// Err is why the URL itself could not be checked.
	Err error `json:"-"`
}

// Outcome turns the inspection into what a URL report stores.
func (in Inspection) Outcome() alerts.URLOutcome {
	o := alerts.URLOutcome{URL: in.URL, AlertIDs: in.AlertIDs}
	hashed := 0
	var firstErr string
	for _, m := range in.Media {
		if m.Error == "" {
			hashed++
		} else if firstErr == "" {
			firstErr = m.URL + ": " + m.Error
		}
	}
	o.Media = hashed
	switch {
	case in.Err != nil:
		o.State, o.Error = alerts.ReportError, in.Err.Error()
	case len(in.AlertIDs) > 0:
		o.State = alerts.ReportMatch
	case hashed == 0 && firstErr != "":
		o.State, o.Error = alerts.ReportError, firstErr
	case hashed == 0:
		o.State, o.Error = alerts.ReportError, "no image or video found at the URL"
	default:
		o.State = alerts.ReportNoMatch
	}
	return o
}

// adhocSite makes the site a URL outside the watched sites is fetched as:
// the defaults, scoped to the URL's host.
func adhocSite(name, rawURL string, allowPrivate bool) (*Site, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("URL %q has no host: %w", rawURL, ErrConfig)
	}
	if name == "" {
		name = u.Hostname()
	}
	s := &Site{Name: name, Seeds: []string{u.Scheme + "://" + u.Host + "/"}, AllowPrivate: allowPrivate}
	if err := s.Normalise("reported URL"); err != nil {
		return nil, err
	}
	return s, nil
}

// siteOf returns the watched site whose domains hold host, or an ad-hoc one.
func (in *Inspector) siteOf(u *url.URL) (*Site, error) {
	sites := in.Sites
	if in.Watched != nil {
		sites = in.Watched()
	}
	for _, s := range sites {
		if s.InDomains(u.Hostname()) {
			return s, nil
		}
	}
	return adhocSite("", u.String(), in.AllowPrivate)
}

// Inspect checks one URL and records alerts for what matches. Errors
// reaching or reading the URL are reported in Inspection.Err (and per image
// in Media), never as a panic or a partial alert.
func (in *Inspector) Inspect(ctx context.Context, rawURL string) Inspection {
	res := Inspection{URL: rawURL, Media: []MediaOutcome{}}
	if err := in.Rule.Validate(); err != nil {
		res.Err = err
		return res
	}
	if err := alerts.CheckReportURL(rawURL); err != nil {
		res.Err = err
		return res
	}
	u, _ := url.Parse(rawURL)
	site, err := in.siteOf(u)
	if err != nil {
		res.Err = err
		return res
	}
	res.Site = site.Name
	ua := in.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	base := work.NewTransport(site)
	defer base.CloseIdleConnections()
	transport := transport.NewPolite(base, site.Politeness(), site.Parallelism, time.Duration(site.RequestTimeout))
	media := work.NewFetcher(site, transport, ua)
	hasher := hashing.NewHasher(site.HashLimits())

	page := rawURL
	var mediaURLs, videoURLs []string
	switch {
	case work.IsMediaURL(u):
		mediaURLs = []string{rawURL}
	case work.IsVideoURL(u) && in.Video != nil:
		videoURLs = []string{rawURL}
	default:
		pf := work.NewPages(ctx, site, transport, ua).Fetch(rawURL, work.Validators{})
		switch {
		case ctx.Err() != nil:
			res.Err = ctx.Err()
			return res
		case pf.Err != nil:
			res.Err = pf.Err
			return res
		case pf.Serves == "media":
			mediaURLs = []string{rawURL}
		case pf.Serves == "video" && in.Video == nil:
			res.Err = fmt.Errorf("%s serves a video, and videos are not fingerprinted without ffmpeg: %w", rawURL, ErrVideo)
			return res
		case pf.Serves == "video":
			videoURLs = []string{rawURL}
		default:
			res.Page = true
			if pf.Final != nil {
				page = pf.Final.String()
			}
			mediaURLs, videoURLs = in.follow(pf)
			res.Videos = len(pf.Videos)
		}
	}
	alerted := map[uint64]bool{}
	add := func(mo MediaOutcome) {
		for _, id := range mo.AlertIDs {
			if !alerted[id] {
				alerted[id] = true
				res.AlertIDs = append(res.AlertIDs, id)
			}
		}
		res.Media = append(res.Media, mo)
	}
	for _, m := range mediaURLs {
		if ctx.Err() != nil {
			res.Err = ctx.Err()
			return res
		}
		add(in.inspectMedia(ctx, site, media, hasher, page, m))
	}
	for _, v := range videoURLs {
		if ctx.Err() != nil {
			res.Err = ctx.Err()
			return res
		}
		add(in.inspectVideo(ctx, site, media, hasher, page, v))
	}
	return res
}

// follow picks the images (shown, or linked as image files: "full size")
// and, with a video hasher, the videos (shown, or linked as video files)
// of a reported page, each list deduplicated and capped.
func (in *Inspector) follow(pf *work.PageFetch) (images, videos []string) {
	maxImages, maxVideos := in.MaxMedia, in.MaxVideos
	if maxImages <= 0 {
		maxImages = DefaultInspectMedia
	}
	if maxVideos <= 0 {
		maxVideos = DefaultInspectVideos
	}
	if in.Video == nil {
		maxVideos = 0
	}
	seen := map[string]bool{}
	add := func(to *[]string, limit int, m string) {
		if !seen[m] && len(*to) < limit {
			seen[m] = true
			*to = append(*to, m)
		}
	}
	for _, m := range pf.Media {
		if mu, err := url.Parse(m); err == nil && work.IsVideoURL(mu) && in.Video != nil {
			add(&videos, maxVideos, m)
		} else {
			add(&images, maxImages, m)
		}
	}
	for _, v := range pf.Videos {
		add(&videos, maxVideos, v)
	}
	for _, l := range pf.Links {
		lu, err := url.Parse(l)
		switch {
		case err != nil:
		case work.IsMediaURL(lu):
			add(&images, maxImages, l)
		case work.IsVideoURL(lu) && in.Video != nil:
			add(&videos, maxVideos, l)
		}
	}
	return images, videos
}

// inspectMedia fetches, fingerprints and matches one image, recording an
// alert for each match. An image URL that serves a video is inspected as
// one (inspectVideo).
func (in *Inspector) inspectMedia(ctx context.Context, site *Site, media *work.Fetcher, hasher *hashing.Hasher, page, u string) MediaOutcome {
	mo := MediaOutcome{URL: u}
	f, err := media.Get(ctx, u, site.MaxImageBytes, work.Validators{})
	if errors.Is(err, ErrVideo) && in.Video != nil {
		return in.inspectVideo(ctx, site, media, hasher, page, u)
	}
	if err != nil {
		mo.Error = err.Error()
		return mo
	}
	fingerprint := hasher.Image
	if in.Video != nil && video.Sniff(f.Body) != "" {
		// An animated GIF or WebP: every frame, as a crawl matches it.
		fingerprint, mo.Video = in.Video.Fingerprint, true
	}
	return in.match(ctx, site, hasher, page, u, f, fingerprint, mo)
}

// inspectVideo fetches, fingerprints and matches one video, recording an
// alert for each registered video (or picture) it shows.
func (in *Inspector) inspectVideo(ctx context.Context, site *Site, media *work.Fetcher, hasher *hashing.Hasher, page, u string) MediaOutcome {
	mo := MediaOutcome{URL: u, Video: true}
	if in.Video == nil {
		mo.Error = fmt.Sprintf("%s serves a video, and videos are not fingerprinted without ffmpeg: %v", u, ErrVideo)
		return mo
	}
	f, err := media.GetVideo(ctx, u, site.MaxVideoBytes)
	if err != nil {
		mo.Error = err.Error()
		return mo
	}
	return in.match(ctx, site, hasher, page, u, f, in.Video.Fingerprint, mo)
}

// match fingerprints the fetched bytes f of u, matches them and hands the
// matches to the alert step; what happened is added to mo. The preview is
// made from the bytes when they are a picture format (an image, an
// animated GIF or WebP's first frame); other videos have none.
func (in *Inspector) match(ctx context.Context, site *Site, hasher *hashing.Hasher, page, u string, f *work.Fetched,
	fingerprint func(context.Context, []byte, hashing.Purpose) (hashing.Fingerprint, error), mo MediaOutcome) MediaOutcome {
	sum := hashing.SumSHA256(f.Body)
	mo.SHA256 = sum
	fp, err := fingerprint(ctx, f.Body, hashing.ForQuery)
	if err != nil {
		mo.Error = err.Error()
		return mo
	}
	ms, err := in.DB.Index.MatchVerified(ctx, fp, in.Rule, queryFeatures(hasher.LazyFeatures(f.Body), in.logger(), u))
	if err != nil {
		mo.Error = err.Error()
		return mo
	}
	if len(ms) == 0 {
		return mo
	}
	res := raiseAlerts(ctx, in.DB, nil, found{
		Site: site.Name, SHA256: sum, Matches: ms, Reported: true,
		Sighting: alerts.Sighting{PageURL: page, MediaURL: u, FinalURL: f.FinalURL, HTTPStatus: f.Status},
		Preview: func() []byte {
			pv, err := hasher.Preview(f.Body)
			if err != nil {
				return nil // the alert matters more than its picture
			}
			return pv
		},
	})
	mo.Suppressed = res.Suppressed
	for _, ra := range res.Raised {
		mo.AlertIDs = append(mo.AlertIDs, ra.Alert.ID)
		if ra.Created && in.Logger != nil {
			in.Logger.Info("new alert from a reported URL", "alert", ra.Alert.ID, "case", ra.Alert.Case, "url", u, "page", page,
				"algorithm", ra.Alert.Algorithm, "distance", ra.Alert.Distance, "video", mo.Video)
		}
	}
	switch {
	case res.Err != nil:
		mo.Error = res.Err.Error()
	case len(res.Refused) > 0:
		mo.Error = res.Refused[0].Error()
	}
	return mo
}

// abandon records the URLs of rep from i on as failed because the check
// was cancelled (the client hung up, or serve is stopping), so none stays
// "pending" for ever; the submitter sees why and can submit them again.
// Finishing the checks detached from the request instead would let work
// outlive the request that asked for it, and serve's shutdown with it.
func (in *Inspector) abandon(ctx context.Context, rep alerts.URLReport, i int) (alerts.URLReport, error) {
	cause := ctx.Err()
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := time.Now().UTC()
	for ; i < len(rep.URLs); i++ {
		o := alerts.URLOutcome{URL: rep.URLs[i].URL, State: alerts.ReportError, CheckedAt: now,
			Error: "check interrupted before it finished (the request was cancelled); submit the URL again"}
		r, err := in.DB.Alerts.SetURLOutcome(bg, rep.ID, i, o)
		if err != nil {
			return rep, errors.Join(cause, err)
		}
		rep = r
	}
	return rep, cause
}

// Submit stores a URL report of urls by the submitter (alerts.Store.CreateURLReport,
// which refuses malformed lists), inspects each URL at once and records its
// outcome, and returns the report as finally stored. When ctx ends
// first, the URLs not yet checked are recorded as interrupted (abandon).
func (in *Inspector) Submit(ctx context.Context, urls []string, note string, by store.Actor) (alerts.URLReport, error) {
	rep, err := in.DB.Alerts.CreateURLReport(ctx, urls, note, by)
	if err != nil {
		return alerts.URLReport{}, err
	}
	for i, u := range rep.URLs {
		res := in.Inspect(ctx, u.URL)
		if ctx.Err() != nil {
			return in.abandon(ctx, rep, i)
		}
		if rep, err = in.DB.Alerts.SetURLOutcome(ctx, rep.ID, i, res.Outcome()); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// logger is the inspector's logger, or one that discards.
func (in *Inspector) logger() *slog.Logger {
	if in.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return in.Logger
}
