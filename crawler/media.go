package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
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
	if ctx.Err() != nil {
		p.done(ctx, it, nil, false)
		return
	}
	r := p.resultFor(it.URL)
	r.once.Do(func() { p.resolveMedia(ctx, it, r) })
	if r.cancelled || ctx.Err() != nil {
		p.done(ctx, it, nil, false)
		return
	}
	if r.video {
		p.done(ctx, it, p.foundVideos(it.Page, it.URL), true)
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
			p.done(ctx, it, nil, false)
			return
		}
		p.stepDone(res, it.Page, it.URL, false)
	}
	p.done(ctx, it, nil, true)
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
// A result is valid while no fingerprint has been registered since it was
// computed (crawlstate.HashResult.Fresh); withdrawn fingerprints are dropped
// when alerts are recorded.
func (p *pass) resolveMedia(ctx context.Context, it Item, r *mediaResult) {
	u, err := url.Parse(it.URL)
	if err != nil {
		p.fail("fetch", it.URL, fmt.Errorf("media URL %q: %w", it.URL, err))
		return
	}
	rec, known, err := p.c.DB.Crawl.MediaRecord(p.site.Name, it.URL)
	if err != nil {
		p.fail("index", it.URL, err)
		known = false
	}
	wm, err := p.c.DB.Index.FingerprintWatermark()
	if err != nil {
		p.fail("index", it.URL, err)
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
	if !p.robotsAllow(ctx, u, it) {
		r.cancelled = ctx.Err() != nil
		return
	}
	var cond validators
	if known {
		v := validators{ETag: rec.ETag, LastModified: rec.LastModified}
		if rec.TooLarge > 0 {
			cond = v
		} else if haveSum {
			if _, ok := freshFor(recSum); ok {
				cond = v
			}
		}
	}
	f, err := p.media.get(ctx, it.URL, p.site.MaxImageBytes, cond)
	if ctx.Err() != nil {
		r.cancelled = true
		return
	}
	now := time.Now().UTC()
	switch {
	case errors.Is(err, ErrVideo):
		r.video = true
		return
	case errors.Is(err, hashing.ErrTooLarge):
		p.skip(it.Page, it.URL, f.Size, p.site.MaxImageBytes, err)
		p.commit.post(crawlstate.CrawlWrite{Site: p.site.Name, Media: []crawlstate.MediaRecord{{
			URL: it.URL, ETag: f.ETag, LastModified: f.LastModified, TooLarge: f.Size, Status: f.Status, Pass: p.info.Number, Checked: now}}})
		return
	case err != nil:
		p.fail(classify(err), it.URL, err)
		return
	case f.NotModified && rec.TooLarge > 0:
		p.count(func(s *PassStats) { s.NotModified++ })
		p.skip(it.Page, it.URL, rec.TooLarge, p.site.MaxImageBytes,
			fmt.Errorf("%s: unchanged since it was %d bytes, limit %d: %w", it.URL, rec.TooLarge, p.site.MaxImageBytes, hashing.ErrTooLarge))
		rec.Pass, rec.Checked = p.info.Number, now
		p.commit.post(crawlstate.CrawlWrite{Site: p.site.Name, Media: []crawlstate.MediaRecord{rec}})
		return
	case f.NotModified:
		hr, ok := freshFor(recSum)
		if !ok {
			// Registered fingerprints changed between the check and the
			// answer: fetch the bytes after all.
			f, err = p.media.get(ctx, it.URL, p.site.MaxImageBytes, validators{})
			if err != nil {
				if ctx.Err() != nil {
					r.cancelled = true
					return
				}
				p.fail(classify(err), it.URL, err)
				return
			}
			break
		}
		// The record stays as it is (see handlePage's 304 case).
		p.count(func(s *PassStats) { s.NotModified++ })
		p.metrics.media("not_modified", 0)
		p.use(it, r, rec.FinalURL, rec.Status, rec.Size, hr, false)
		return
	}

	sum := hashing.SumSHA256(f.Body)
	p.count(func(s *PassStats) { s.Bytes += int64(len(f.Body)) })
	s := p.shaFor(sum)
	s.once.Do(func() { p.match(ctx, it.URL, sum, f.Body, wm, s) })
	if s.err != nil {
		if ctx.Err() != nil {
			r.cancelled = true
			return
		}
		p.fail(classify(s.err), it.URL, s.err)
		return
	}
	p.commit.post(crawlstate.CrawlWrite{Site: p.site.Name, Media: []crawlstate.MediaRecord{{
		URL: it.URL, ETag: f.ETag, LastModified: f.LastModified, SHA256: sum,
		Size: int64(len(f.Body)), FinalURL: f.FinalURL, Status: f.Status, Pass: p.info.Number, Checked: now}}})
	p.metrics.media("fetched", len(f.Body))
	p.use(it, r, f.FinalURL, f.Status, int64(len(f.Body)), s.hr, true)
	r.preview = s.preview
}

// match looks up or computes the result for one file's bytes: a stored
// result still valid for the registered fingerprints, or decode,
// fingerprint and match. A decoding failure is a result too (the bytes will
// not decode next time either).
func (p *pass) match(ctx context.Context, u string, sum hashing.SHA256, body []byte, wm uint64, s *shaResult) {
	if p.c.Video != nil && video.Sniff(body) != "" {
		// An animated GIF or WebP shown as an image is a video: all its
		// frames, not only the first, are matched.
		p.matchVideo(ctx, u, sum, body, wm, s)
		return
	}
	defer func() {
		if s.ok && len(s.hr.Matches) > 0 {
			s.preview = p.preview(u, sum, body)
		}
	}()
	p.resolve(ctx, "media", u, sum, body, wm, s, p.hasher.Image)
}

// resolve fills s for one file's bytes, pictures and videos alike: the
// stored result when it is still valid for the registered fingerprints
// (watermark wm), else fingerprint (on one of the pass's hashing slots) and
// match, and post the result for storage. Bytes that cannot be
// fingerprinted — corrupt, unsupported, over a limit — get a failure
// result, which stays valid; other errors leave s.err for the caller.
func (p *pass) resolve(ctx context.Context, what, u string, sum hashing.SHA256, body []byte, wm uint64, s *shaResult,
	fingerprint func(context.Context, []byte, hashing.Purpose) (hashing.Fingerprint, error)) {
	if hr, ok, err := p.c.DB.Crawl.HashResult(sum); err == nil && ok && hr.Fresh(p.rule, wm) {
		s.hr, s.ok = hr, true
		return
	}
	select {
	case p.hashSem <- struct{}{}:
	case <-ctx.Done():
		s.err = ctx.Err()
		return
	}
	start := time.Now()
	fp, err := fingerprint(ctx, body, hashing.ForQuery)
	<-p.hashSem
	p.metrics.hashed(time.Since(start))
	now := time.Now().UTC()
	if err != nil {
		if ctx.Err() != nil {
			s.err = ctx.Err()
			return
		}
		kind := classify(err)
		if kind != "corrupt" && kind != "unsupported" && kind != "too_large" {
			s.err = fmt.Errorf("%s: %w", u, err)
			return
		}
		s.hr = crawlstate.HashResult{SHA256: sum, Failure: kind, Message: err.Error(), Checked: now}
	} else {
		matches, err := p.c.DB.Index.Match(ctx, fp, p.c.Rule)
		if err != nil {
			s.err = fmt.Errorf("match %s: %w", u, err)
			return
		}
		s.hr = crawlstate.HashResult{SHA256: sum, Rule: p.rule, Watermark: wm, Matches: matches, Checked: now}
		p.count(func(st *PassStats) { st.Hashed++ })
		p.log.Debug(what+" hashed", "url", u, "sha256", sum.String(), "frames", len(fp.Frames),
			"matches", len(matches), "hash_ms", time.Since(start).Milliseconds())
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
		p.skip(it.Page, it.URL, size, p.site.MaxPixels, fmt.Errorf("%s: %s", it.URL, hr.Message))
		return
	default:
		p.fail(hr.Failure, it.URL, fmt.Errorf("%s: %s", it.URL, hr.Message))
		return
	}
	r.ok, r.sum, r.final, r.status, r.matches = true, hr.SHA256, final, status, hr.Matches
	p.count(func(s *PassStats) {
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
func (p *pass) stepDone(res stepResult, page, u string, isVideo bool) {
	for _, err := range res.Refused {
		p.fail("index", u, err)
	}
	if res.Suppressed > 0 {
		p.count(func(s *PassStats) { s.Suppressed += res.Suppressed })
		p.log.Debug("match suppressed by the negative bank", "url", u, "matches", res.Suppressed)
	}
	for _, ra := range res.Raised {
		if !ra.Created {
			continue
		}
		a := ra.Alert
		p.count(func(s *PassStats) {
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

// preview makes the blurred thumbnail stored with the alerts of bytes that
// matched (hashing.Preview), unless one is stored already. Failing to make
// one costs the operator a picture, not the alert: it is logged and nil.
func (p *pass) preview(u string, sum hashing.SHA256, body []byte) []byte {
	if have, err := p.c.DB.Alerts.HasPreview(sum); err == nil && have {
		return nil
	}
	pv, err := p.hasher.Preview(body)
	if err != nil {
		p.log.Warn("no preview for matched media", "url", u, "err", err)
		return nil
	}
	return pv
}
