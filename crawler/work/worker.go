package work

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/hashwatch/hashwatch/crawler/siteconfig"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
	"github.com/hashwatch/hashwatch/hashing/video"
)

// Central is what a worker asks the coordinator while it processes an
// item: the coordinator alone holds the index and the stored results.
type Central[H any] interface {
	// Resolve establishes the match result of one file's bytes: the
	// stored result when it is still valid for the registered
	// fingerprints, else fingerprint (called at most once, on the worker)
	// matched centrally. preview, when not nil, is called only for bytes
	// that matched and have no preview stored yet; the result carries what
	// it made. An error that is not the bytes' fault is returned as such.
	//
	// features, when not nil, computes the bytes' corner set for the
	// rule's geometric verifier (hashing.VerifyTest) under the
	// configuration the coordinator names: called on the worker, at most
	// once, and only when a candidate match needs it.
	Resolve(ctx context.Context, r ResolveRequest, fingerprint FingerprintFunc, features FeaturesFunc, preview func() []byte) (H, []byte, error)
}

// FingerprintFunc fingerprints a worker's bytes and says how long the
// hashing itself took (without waiting for a CPU slot).
type FingerprintFunc func(ctx context.Context) (hashing.Fingerprint, time.Duration, error)

// FeaturesFunc computes the corner set of a worker's bytes under cfg
// (hashing.Hasher.Features), on one of its hashing slots. An error says
// why it could not (the bytes do not decode, a limit): the match is then
// left unchecked by the verifier, never dropped.
type FeaturesFunc func(ctx context.Context, cfg features.Config) (*features.Set, error)

// ResolveRequest names the bytes a worker wants a match result for.
type ResolveRequest struct {
	Site string `json:"site"`
	Pass uint64 `json:"pass"`
	// What is "media" or "video", for logs.
	What      string         `json:"what"`
	URL       string         `json:"url"`
	SHA256    hashing.SHA256 `json:"sha256"`
	Watermark uint64         `json:"watermark"`
}

// ErrCentralUnavailable reports that a worker could not reach the
// coordinator; the item is tried again later, never failed for it.
var ErrCentralUnavailable = errors.New("coordinator unavailable")

// SiteWorker is the fetching half of a pass for one site: the polite,
// guarded transport, colly for pages, the media client, robots.txt rules,
// the picture hasher and (optionally) the video hasher. It holds no
// database; Process turns a Job into a Result.
type SiteWorker[H any] struct {
	Site    *siteconfig.Site
	Media   *Fetcher
	Pages   *Pages
	Robots  *Robots
	Hasher  *hashing.Hasher
	HashSem chan struct{} // bounds concurrent decodes to the CPUs
	Video   *video.Hasher // nil: videos are recorded, not fingerprinted
	Log     *slog.Logger
}

// Process does one job's fetching and fingerprinting.
func (w *SiteWorker[H]) Process(ctx context.Context, j *Job, c Central[H]) Result[H] {
	res := Result[H]{Site: j.Site, Pass: j.Pass, Item: j.Item}
	switch j.Item.Kind {
	case PageItem:
		w.processPage(ctx, j, &res)
	case MediaItem, VideoItem:
		w.processMedia(ctx, j, c, &res)
	default:
		res.Errors = append(res.Errors, ResultError{Kind: "fetch", URL: j.Item.URL, Message: fmt.Sprintf("%s: unknown item kind %v", j.Item.URL, j.Item.Kind)})
		res.Denied = true
	}
	if ctx.Err() != nil {
		res.Cancelled = true
	}
	if unavailable(&res) {
		// The coordinator's gate could not be asked: not the site's
		// fault, so nothing is committed and the job is tried again.
		res.Retry = true
	}
	return res
}

// unavailable reports whether any error of res is ErrCentralUnavailable's.
func unavailable[H any](res *Result[H]) bool {
	errs := res.Errors
	if res.Page != nil && res.Page.Err != nil {
		errs = append(errs, *res.Page.Err)
	}
	if res.Media != nil && res.Media.Err != nil {
		errs = append(errs, *res.Media.Err)
	}
	for _, e := range errs {
		if e.Kind == "unavailable" {
			return true
		}
	}
	return false
}

// robotsAllow checks robots.txt (unless the site opts out). false with ctx
// alive means the item is done (Denied).
func (w *SiteWorker[H]) robotsAllow(ctx context.Context, u *url.URL, res *Result[H]) bool {
	if !w.Site.Robots() {
		return true
	}
	ok, err := w.Robots.allowed(ctx, u)
	switch {
	case ctx.Err() != nil:
		return false
	case err != nil:
		res.Errors = append(res.Errors, *resultErr(res.Item.URL, err))
		res.Denied = true
		return false
	case !ok:
		res.RobotsBlocked, res.Denied = true, true
		return false
	}
	return true
}

func (w *SiteWorker[H]) processPage(ctx context.Context, j *Job, res *Result[H]) {
	u, err := url.Parse(j.Item.URL)
	if err != nil {
		res.Denied = true
		return
	}
	if !w.robotsAllow(ctx, u, res) || !j.Fetch {
		return
	}
	pf := w.Pages.Fetch(j.Item.URL, j.cond())
	if ctx.Err() != nil {
		return
	}
	pr := &PageResult{Serves: pf.Serves, NotModified: pf.NotModified, ETag: pf.ETag, LastModified: pf.LastModified,
		Bytes: pf.Bytes, Links: pf.Links, Media: pf.Media, Videos: pf.Videos, Dropped: pf.Dropped}
	if pf.Final != nil {
		pr.Final = pf.Final.String()
	}
	if pf.Err != nil {
		pr.Err = resultErr(j.Item.URL, pf.Err)
	}
	res.Page = pr
}

// processMedia fetches a picture (conditionally when the job has
// validators) or a video, sums it and has its match result established
// through c.
func (w *SiteWorker[H]) processMedia(ctx context.Context, j *Job, c Central[H], res *Result[H]) {
	it := j.Item
	u, err := url.Parse(it.URL)
	if err != nil {
		res.Media = &MediaResult[H]{Outcome: MediaError, Err: &ResultError{Kind: "fetch", URL: it.URL, Message: fmt.Sprintf("media URL %q: %v", it.URL, err)}}
		return
	}
	if !w.robotsAllow(ctx, u, res) {
		return
	}
	isVideo := it.Kind == VideoItem
	var f *Fetched
	if isVideo {
		f, err = w.Media.GetVideo(ctx, it.URL, w.Site.MaxVideoBytes)
	} else {
		f, err = w.Media.Get(ctx, it.URL, w.Site.MaxImageBytes, j.cond())
	}
	if ctx.Err() != nil {
		return
	}
	mr := &MediaResult[H]{}
	res.Media = mr
	if f != nil {
		mr.ETag, mr.LastModified, mr.FinalURL, mr.Status, mr.Size = f.ETag, f.LastModified, f.FinalURL, f.Status, f.Size
	}
	switch {
	case !isVideo && errors.Is(err, ErrVideo):
		mr.Outcome = MediaVideo
		return
	case errors.Is(err, hashing.ErrTooLarge):
		mr.Outcome, mr.Err = MediaTooLarge, resultErr(it.URL, err)
		return
	case err != nil:
		mr.Outcome, mr.Err = MediaError, resultErr(it.URL, err)
		return
	case f.NotModified:
		mr.Outcome = MediaNotModified
		return
	}
	body := f.Body
	f.Body = nil
	sum := hashing.SumSHA256(body)
	mr.SHA256, mr.Bytes = sum, int64(len(body))
	what := "media"
	hash := w.Hasher.Image
	preview := func() []byte {
		pv, err := w.Hasher.Preview(body)
		if err != nil {
			w.Log.Warn("no preview for matched media", "url", it.URL, "err", err)
			return nil
		}
		return pv
	}
	switch {
	case isVideo:
		what, preview = "video", func() []byte {
			// A picture-format video (animated GIF or WebP) previews its
			// first frame; other videos have none.
			pv, _ := w.Hasher.Preview(body)
			return pv
		}
		if w.Video == nil {
			mr.Outcome = MediaError
			mr.Err = &ResultError{Kind: "video", URL: it.URL, Message: fmt.Sprintf("%s: this worker fingerprints no videos (no ffmpeg)", it.URL)}
			return
		}
		hash = w.Video.Fingerprint
	case w.Video != nil && video.Sniff(body) != "":
		// An animated GIF or WebP shown as an image is a video: all its
		// frames, not only the first, are matched.
		what, hash, preview = "video", w.Video.Fingerprint, nil
	}
	fingerprint := func(ctx context.Context) (hashing.Fingerprint, time.Duration, error) {
		select {
		case w.HashSem <- struct{}{}:
		case <-ctx.Done():
			return hashing.Fingerprint{}, 0, ctx.Err()
		}
		defer func() { <-w.HashSem }()
		start := time.Now()
		fp, err := hash(ctx, body, hashing.ForQuery)
		return fp, time.Since(start), err
	}
	var corners FeaturesFunc
	if what == "media" {
		corners = func(ctx context.Context, cfg features.Config) (*features.Set, error) {
			select {
			case w.HashSem <- struct{}{}:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			defer func() { <-w.HashSem }()
			set, err := w.Hasher.LazyFeatures(body)(ctx, cfg)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", it.URL, err)
			}
			return set, nil
		}
	}
	hr, pv, err := c.Resolve(ctx, ResolveRequest{Site: j.Site, Pass: j.Pass, What: what, URL: it.URL, SHA256: sum, Watermark: j.Watermark},
		fingerprint, corners, preview)
	switch {
	case ctx.Err() != nil:
		return
	case errors.Is(err, ErrCentralUnavailable):
		res.Retry = true
		return
	case err != nil:
		mr.Outcome, mr.Err = MediaError, resultErr(it.URL, err)
		return
	}
	mr.Outcome, mr.Hash, mr.Preview = MediaFetched, hr, pv
}
