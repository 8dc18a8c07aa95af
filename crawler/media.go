package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
	"github.com/hashwatch/hashwatch/index"
)

// mediaResult is what one media URL gave in this pass. Each URL is
// resolved once per pass however many pages show it; every page's item then
// records its own sighting.
type mediaResult struct {
	once      sync.Once
	ok        bool // matches is the URL's answer
	cancelled bool // the pass stopped before the answer was known
	video     bool // the URL serves a video: the video path takes it
	sum       hashing.SHA256
	final     string
	status    int
	matches   []index.Match
	preview   []byte // blurred thumbnail of matched bytes fetched in this pass
	// tally is what resolving the URL counted; each of its items carries
	// it to its Done, and the frontier adds it for the first one done.
	tally crawlstate.PassTally
}

// shaResult is the match result of one file's bytes in this pass, so that
// the same bytes at several URLs are looked up or decoded once.
type shaResult struct {
	once sync.Once
	hr   crawlstate.HashResult
	ok   bool
	err  error // a failure that is not the bytes' fault (cancelled, index)
	// preview is the blurred thumbnail of bytes that matched, for the
	// alert; never made for bytes that matched nothing.
	preview []byte
	// settled is set once hr/err are final, for workers' lookups
	// (remote.go).
	settled atomic.Bool
	// hashed is set when this pass fingerprinted the bytes (not a stored
	// result); credited says the Hashed count went to an item already.
	hashed, credited atomic.Bool
}

func (p *pass) resultFor(u string) *mediaResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.byURL[u]
	if !ok {
		r = &mediaResult{}
		p.byURL[u] = r
	}
	return r
}

func (p *pass) shaFor(sum hashing.SHA256) *shaResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.bySHA[sum]
	if !ok {
		s = &shaResult{}
		p.bySHA[sum] = s
	}
	return s
}

// handleMedia establishes what one media URL matches (from earlier results
// where they are still valid, else by fetching and fingerprinting it) and
// records an alert sighting on this item's page for each match. Alerts are
// stored before the item is marked done, so a crash between the two repeats
// a sighting (which is idempotent) rather than losing an alert; an alert
// that fails to be stored leaves the item queued and stops the pass.
func (p *pass) handleMedia(ctx context.Context, it Item) {
	t := &tally{}
	if ctx.Err() != nil {
		p.done(ctx, it, t, nil, false)
		return
	}
	r := p.resultFor(it.URL)
	r.once.Do(func() { p.resolveMedia(ctx, it, r) })
	if r.cancelled || ctx.Err() != nil {
		p.done(ctx, it, t, nil, false)
		return
	}
	t.url = r.tally
	if r.video {
		p.done(ctx, it, t, p.foundVideos(t, it.Page, it.URL), true)
		return
	}
	if r.ok && len(r.matches) > 0 {
		res := raiseAlerts(ctx, p.c.DB, p.c.recordAlert, found{
			Site: p.site.Name, SHA256: r.sum, Matches: r.matches,
			Sighting: alerts.Sighting{PageURL: it.Page, MediaURL: it.URL, FinalURL: r.final, HTTPStatus: r.status},
			Preview:  func() []byte { return r.preview },
		})
		if res.Err != nil {
			if ctx.Err() == nil {
				// An alert that could not be stored: the item stays
				// queued for the resumed pass, never marked done.
				p.storageFailed(it.URL, res.Err)
			}
			p.done(ctx, it, t, nil, false)
			return
		}
		p.stepDone(&t.own, res, it.Page, it.URL, false)
	}
	p.done(ctx, it, t, nil, true)
}

// resolveMedia fills r for one media URL:
//
//   - fetched earlier in this pass (by a process that died before marking
//     its items done): the stored SHA-256's result, no request;
//   - known from an earlier pass with a result still valid: a conditional
//     request, and on 304 the stored result, no body;
//   - otherwise the body (within limits), its SHA-256, and the result
//     stored for those bytes if still valid, else decode, fingerprint and
//     match.
//
// The pass decides from its records and prepares the job; a worker checks
// robots.txt, fetches and fingerprints (package crawler/work), asking the pass
// (Central) for stored results and matches; the pass commits the result.
// A result is valid while no fingerprint has been registered since it was
// computed (crawlstate.HashResult.Fresh); withdrawn fingerprints are dropped
// when alerts are recorded.
func (p *pass) resolveMedia(ctx context.Context, it Item, r *mediaResult) {
	if _, err := url.Parse(it.URL); err != nil {
		p.fail(&r.tally, "fetch", it.URL, fmt.Errorf("media URL %q: %w", it.URL, err))
		return
	}
	rec, known, err := p.c.DB.Crawl.MediaRecord(p.site.Name, it.URL)
	if err != nil {
		p.fail(&r.tally, "index", it.URL, err)
		known = false
	}
	wm, err := p.c.DB.Index.FingerprintWatermark()
	if err != nil {
		p.fail(&r.tally, "index", it.URL, err)
		return
	}
	recSum, haveSum := rec.SHA256, !rec.SHA256.IsZero()
	freshFor := func(sum hashing.SHA256) (crawlstate.HashResult, bool) {
		hr, ok, err := p.c.DB.Crawl.HashResult(sum)
		return hr, err == nil && ok && hr.Fresh(p.rule, wm)
	}
	if known && haveSum && rec.Pass == p.info.Number {
		if hr, ok := freshFor(recSum); ok {
			p.use(it, r, rec.FinalURL, rec.Status, rec.Size, hr, false)
			return
		}
	}
	job := p.job(it)
	job.Watermark = wm
	if known {
		v := work.Validators{ETag: rec.ETag, LastModified: rec.LastModified}
		if rec.TooLarge > 0 {
			job.ETag, job.LastModified = v.ETag, v.LastModified
		} else if haveSum {
			if _, ok := freshFor(recSum); ok {
				job.ETag, job.LastModified = v.ETag, v.LastModified
			}
		}
	}
	res := p.exec(ctx, &job)
	for {
		if res.Cancelled || ctx.Err() != nil {
			r.cancelled = true
			return
		}
		p.applyCommon(&r.tally, res)
		if res.Parked {
			p.park(&r.tally, res)
			return
		}
		if res.Denied {
			return
		}
		mr := res.Media
		if mr == nil {
			p.fail(&r.tally, "fetch", it.URL, fmt.Errorf("media %s: the worker returned no media result", it.URL))
			return
		}
		if mr.Outcome == work.MediaNotModified && rec.TooLarge == 0 {
			if _, ok := freshFor(recSum); !ok {
				// Registered fingerprints changed between the check and
				// the answer: fetch the bytes after all.
				job.ETag, job.LastModified = "", ""
				res = p.exec(ctx, &job)
				continue
			}
		}
		p.commitMedia(it, r, rec, mr, freshFor)
		return
	}
}

// commitMedia stores and counts what a worker found at one media URL.
func (p *pass) commitMedia(it Item, r *mediaResult, rec crawlstate.MediaRecord, mr *MediaResult,
	freshFor func(hashing.SHA256) (crawlstate.HashResult, bool)) {
	now := time.Now().UTC()
	if mr.Bytes > 0 {
		p.count(&r.tally, func(s *crawlstate.Counts) { s.Bytes += mr.Bytes })
	}
	switch mr.Outcome {
	case work.MediaVideo:
		r.video = true
		return
	case work.MediaTooLarge:
		p.skip(&r.tally, it.Page, it.URL, mr.Size, p.site.MaxImageBytes, mr.Err)
		p.commit.post(crawlstate.CrawlWrite{Site: p.site.Name, Media: []crawlstate.MediaRecord{{
			URL: it.URL, ETag: mr.ETag, LastModified: mr.LastModified, TooLarge: mr.Size, Status: mr.Status, Pass: p.info.Number, Checked: now}}})
		return
	case work.MediaError:
		p.fail(&r.tally, mr.Err.Kind, it.URL, mr.Err)
		return
	case work.MediaNotModified:
		if rec.TooLarge > 0 {
			p.count(&r.tally, func(s *crawlstate.Counts) { s.NotModified++ })
			p.skip(&r.tally, it.Page, it.URL, rec.TooLarge, p.site.MaxImageBytes,
				fmt.Errorf("%s: unchanged since it was %d bytes, limit %d: %w", it.URL, rec.TooLarge, p.site.MaxImageBytes, hashing.ErrTooLarge))
			rec.Pass, rec.Checked = p.info.Number, now
			p.commit.post(crawlstate.CrawlWrite{Site: p.site.Name, Media: []crawlstate.MediaRecord{rec}})
			return
		}
		hr, _ := freshFor(rec.SHA256)
		// The record stays as it is (see handlePage's 304 case).
		p.count(&r.tally, func(s *crawlstate.Counts) { s.NotModified++ })
		p.metrics.media("not_modified", 0)
		p.use(it, r, rec.FinalURL, rec.Status, rec.Size, hr, false)
		return
	}
	p.commit.post(crawlstate.CrawlWrite{Site: p.site.Name, Media: []crawlstate.MediaRecord{{
		URL: it.URL, ETag: mr.ETag, LastModified: mr.LastModified, SHA256: mr.SHA256,
		Size: mr.Bytes, FinalURL: mr.FinalURL, Status: mr.Status, Pass: p.info.Number, Checked: now}}})
	p.metrics.media("fetched", int(mr.Bytes))
	hr := mr.Hash
	hr.SHA256 = mr.SHA256 // HashResult keeps its sum out of its JSON
	p.creditHashed(&r.tally, mr.SHA256)
	p.use(it, r, mr.FinalURL, mr.Status, mr.Bytes, hr, true)
	r.preview = mr.Preview
}

// Resolve is the pass's Central for its own worker: each file's bytes are
// looked up or fingerprinted and matched once per pass however many URLs
// serve them, and the preview is made once, for bytes that matched.
func (p *pass) Resolve(ctx context.Context, r work.ResolveRequest, fingerprint work.FingerprintFunc, corners work.FeaturesFunc, preview func() []byte) (crawlstate.HashResult, []byte, error) {
	s := p.shaFor(r.SHA256)
	s.once.Do(func() {
		p.resolve(ctx, r.What, r.URL, r.SHA256, r.Watermark, s, fingerprint, corners)
		if s.ok && len(s.hr.Matches) > 0 && preview != nil {
			if have, err := p.c.DB.Alerts.HasPreview(r.SHA256); err != nil || !have {
				s.preview = preview()
			}
		}
		s.settled.Store(true)
	})
	if s.err != nil {
		return crawlstate.HashResult{}, nil, s.err
	}
	return s.hr, s.preview, nil
}

// resolve fills s for one file's bytes, pictures and videos alike: the
// stored result when it is still valid for the registered fingerprints
// (watermark wm), else fingerprint (the worker's, on one of its hashing
// slots) and match, and post the result for storage. Bytes that cannot be
// fingerprinted — corrupt, unsupported, over a limit — get a failure
// result, which stays valid; other errors leave s.err for the caller.
// corners (nil: none) makes the bytes' corner set when the rule's
// geometric verifier needs it (index.Index.MatchVerified); a set that
// cannot be made is logged and leaves the match unchecked.
func (p *pass) resolve(ctx context.Context, what, u string, sum hashing.SHA256, wm uint64, s *shaResult, fingerprint work.FingerprintFunc, corners work.FeaturesFunc) {
	if hr, ok, err := p.c.DB.Crawl.HashResult(sum); err == nil && ok && hr.Fresh(p.rule, wm) {
		s.hr, s.ok = hr, true
		return
	}
	fp, took, err := fingerprint(ctx)
	p.metrics.hashed(took)
	now := time.Now().UTC()
	if err != nil {
		if ctx.Err() != nil {
			s.err = ctx.Err()
			return
		}
		kind := work.ErrorKind(err)
		if kind != "corrupt" && kind != "unsupported" && kind != "too_large" {
			s.err = fmt.Errorf("%s: %w", u, err)
			return
		}
		s.hr = crawlstate.HashResult{SHA256: sum, Failure: kind, Message: err.Error(), Checked: now}
	} else {
		matches, err := p.c.DB.Index.MatchVerified(ctx, fp, p.c.Rule, queryFeatures(corners, p.log, u))
		if err != nil {
			s.err = fmt.Errorf("match %s: %w", u, err)
			return
		}
		s.hr = crawlstate.HashResult{SHA256: sum, Rule: p.rule, Watermark: wm, Matches: matches, Checked: now}
		s.hashed.Store(true)
		p.log.Debug(what+" hashed", "url", u, "sha256", sum.String(), "frames", len(fp.Frames),
			"matches", len(matches), "hash_ms", took.Milliseconds())
	}
	s.ok = true
	p.commit.post(crawlstate.CrawlWrite{Site: p.site.Name, Hashes: []crawlstate.HashResult{s.hr}})
}

// use records a URL's result in r and the pass's counts. A stored decoding
// failure counts as that error again (the site still serves the broken
// file), without decoding it again.
func (p *pass) use(it Item, r *mediaResult, final string, status int, size int64, hr crawlstate.HashResult, fetched bool) {
	switch hr.Failure {
	case "":
	case "too_large":
		p.skip(&r.tally, it.Page, it.URL, size, p.site.MaxPixels, fmt.Errorf("%s: %s", it.URL, hr.Message))
		return
	default:
		p.fail(&r.tally, hr.Failure, it.URL, fmt.Errorf("%s: %s", it.URL, hr.Message))
		return
	}
	r.ok, r.sum, r.final, r.status, r.matches = true, hr.SHA256, final, status, hr.Matches
	p.count(&r.tally, func(s *crawlstate.Counts) {
		s.Media++
		if len(hr.Matches) > 0 {
			s.Matches++
		}
	})
	if !fetched {
		p.metrics.media("cached", 0)
	}
}

// stepDone counts, measures and logs what the alert step did with the
// matches of the media at u on page.
func (p *pass) stepDone(t *crawlstate.PassTally, res stepResult, page, u string, isVideo bool) {
	for _, err := range res.Refused {
		p.fail(t, "index", u, err)
	}
	if res.Suppressed > 0 {
		p.count(t, func(s *crawlstate.Counts) { s.Suppressed += res.Suppressed })
		p.log.Debug("match suppressed by the negative bank", "url", u, "matches", res.Suppressed)
	}
	for _, ra := range res.Raised {
		if !ra.Created && !p.createdBy(ra.Alert, page, u) {
			continue
		}
		a := ra.Alert
		p.count(t, func(s *crawlstate.Counts) {
			s.NewAlerts++
			if a.Status == alerts.StatusQuarantined {
				s.Quarantined++
			}
		})
		p.metrics.alert()
		args := []any{"alert", a.ID, "case", a.Case, "page", page, "url", u, "algorithm", a.Algorithm, "distance", a.Distance}
		if isVideo {
			args = append(args, "video", true)
		}
		p.log.Info("new alert", append(args, "status", a.Status)...)
	}
}

// createdBy reports whether a is the alert that this pass's item for the
// media at u on page created, found again because the process that
// created it died before marking the item done. The alert's transaction
// and the item's Done (which carries the item's counts) are two commits,
// so the repeated item finds the alert already there; its first sighting
// (site, page and media URL) and its creation time within this pass say
// that this item made it. Frontier items are unique per (page, URL) in a
// pass, and an item's counts are stored once, with its Done, so this
// counts each new alert once however often the pass is killed.
func (p *pass) createdBy(a alerts.Alert, page, u string) bool {
	return a.Site == p.site.Name && a.PageURL == page && a.MediaURL == u &&
		!a.CreatedAt.Before(p.info.Start)
}

// creditHashed counts in t that this pass fingerprinted the bytes sum,
// once per bytes however many URLs serve them.
func (p *pass) creditHashed(t *crawlstate.PassTally, sum hashing.SHA256) {
	p.mu.Lock()
	s := p.bySHA[sum]
	p.mu.Unlock()
	if s != nil && s.hashed.Load() && s.credited.CompareAndSwap(false, true) {
		t.Hashed++
	}
}

// queryFeatures adapts a worker's corner-set maker to the index's
// (index.QueryFeatures), logging why a set could not be made: the match
// is then left to the rest of the rule, and the log says which bytes went
// unchecked. index.ErrNeedFeatures passes through unlogged.
func queryFeatures(corners work.FeaturesFunc, log *slog.Logger, u string) index.QueryFeatures {
	if corners == nil {
		return nil
	}
	return func(ctx context.Context, cfg features.Config) (*features.Set, error) {
		set, err := corners(ctx, cfg)
		if err != nil && ctx.Err() == nil && !errors.Is(err, index.ErrNeedFeatures) {
			log.Warn("no corner set for the geometric verifier; the match is left unchecked", "url", u, "err", err)
		}
		return set, err
	}
}
