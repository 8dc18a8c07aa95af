package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/hashing"
)

// Videos a pass finds (video and source elements, og:video, links to video
// files, URLs answering with a video Content-Type) are recorded as they are
// found (crawlstate.VideoRecord) and, when Crawler.Video is set and ffmpeg
// is found, queued in the frontier as video items, together with the page
// item that found them. The pass's video workers pop them like any other
// item and fetch and fingerprint each: up to the site's max_video_bytes,
// then package video's limits (duration, frames, wall time), each crossing
// a per-URL skip; the pass goes on. A video item is done only once its
// alerts are stored, so a pass stopped in any way (kill -9 included)
// resumes its unfinished videos on the next start. Cancelling the pass
// kills ffmpeg and removes its temporary files (package video's guarantee).
//
// Without a video hasher videos are only recorded, and no video item is
// queued: nothing would ever fetch it. Video items left by a process that
// did fingerprint videos are marked done as recorded.

// videosOn reports whether the pass fetches and fingerprints videos, and
// says once why not when a video hasher is set but cannot run.
func (p *pass) videosOn() bool {
	if p.c.Video == nil {
		return false
	}
	if _, err := p.c.Video.FFmpeg(); err != nil {
		p.log.Warn("videos are recorded, not fingerprinted", "err", err)
		return false
	}
	return true
}

// handleVideo fetches one video, fingerprints it and records alerts for
// the registered videos it shows, then marks the item done; an item whose
// work a cancellation cut short, or whose alerts could not be stored, is
// put back for the resumed pass.
func (p *pass) handleVideo(ctx context.Context, it Item) {
	if ctx.Err() != nil {
		p.done(ctx, it, nil, false)
		return
	}
	if !p.fingerprintVideos {
		p.done(ctx, it, nil, true) // recorded when found
		return
	}
	u, err := url.Parse(it.URL)
	if err != nil {
		p.fail("fetch", it.URL, fmt.Errorf("video URL %q: %w", it.URL, err))
		p.done(ctx, it, nil, true)
		return
	}
	if !p.robotsAllow(ctx, u, it) {
		p.done(ctx, it, nil, ctx.Err() == nil)
		return
	}
	limit := p.site.MaxVideoBytes
	f, err := p.media.getVideo(ctx, it.URL, limit)
	switch {
	case ctx.Err() != nil:
		p.done(ctx, it, nil, false)
		return
	case errors.Is(err, hashing.ErrTooLarge):
		p.skip(it.Page, it.URL, f.Size, limit, err)
		p.done(ctx, it, nil, true)
		return
	case err != nil:
		p.fail(classify(err), it.URL, err)
		p.done(ctx, it, nil, true)
		return
	}
	sum := hashing.SumSHA256(f.Body)
	p.count(func(s *PassStats) { s.Bytes += int64(len(f.Body)) })
	wm, err := p.c.DB.Index.FingerprintWatermark()
	if err != nil {
		p.fail("index", it.URL, err)
		p.done(ctx, it, nil, true)
		return
	}
	s := p.shaFor(sum)
	s.once.Do(func() { p.matchVideo(ctx, it.URL, sum, f.Body, wm, s) })
	var preview []byte
	if s.err == nil && len(s.hr.Matches) > 0 {
		preview = p.videoPreview(sum, f.Body)
	}
	f.Body = nil
	if s.err != nil {
		if ctx.Err() != nil {
			p.done(ctx, it, nil, false)
			return
		}
		p.fail(classify(s.err), it.URL, s.err)
		p.done(ctx, it, nil, true)
		return
	}
	switch s.hr.Failure {
	case "":
	case "too_large":
		p.skip(it.Page, it.URL, f.Size, limit, fmt.Errorf("%s: %s", it.URL, s.hr.Message))
		p.done(ctx, it, nil, true)
		return
	default:
		p.fail(s.hr.Failure, it.URL, fmt.Errorf("%s: %s", it.URL, s.hr.Message))
		p.done(ctx, it, nil, true)
		return
	}
	p.count(func(st *PassStats) {
		st.Media++
		if len(s.hr.Matches) > 0 {
			st.Matches++
		}
	})
	res := raiseAlerts(ctx, p.c.DB, p.c.recordAlert, found{
		Site: p.site.Name, SHA256: sum, Matches: s.hr.Matches,
		Sighting: alerts.Sighting{PageURL: it.Page, MediaURL: it.URL, FinalURL: f.FinalURL, HTTPStatus: f.Status},
		Preview:  func() []byte { return preview },
	})
	if res.Err != nil {
		if ctx.Err() == nil {
			// An alert that could not be stored: the item stays queued
			// for the resumed pass, never marked done.
			p.storageFailed(it.URL, res.Err)
		}
		p.done(ctx, it, nil, false)
		return
	}
	p.stepDone(res, it.Page, it.URL, true)
	p.done(ctx, it, nil, true)
}

// matchVideo looks up or computes the result for one video's bytes, as
// match does for pictures. A video over a limit of package video is a
// too_large result (classify); a corrupt or unsupported one a failure
// result.
func (p *pass) matchVideo(ctx context.Context, u string, sum hashing.SHA256, body []byte, wm uint64, s *shaResult) {
	p.resolve(ctx, "video", u, sum, body, wm, s, p.c.Video.Fingerprint)
}

// getVideo fetches a video's bytes, at most maxBytes of them (declared or
// read), for fingerprinting; they are dropped after.
func (f *fetcher) getVideo(ctx context.Context, url string, maxBytes int64) (*fetched, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return &fetched{}, fmt.Errorf("request %s: %w", url, err)
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", "video/*,image/gif,*/*;q=0.5")
	resp, err := f.client.Do(req)
	if err != nil {
		return &fetched{}, fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	out := &fetched{FinalURL: resp.Request.URL.String(), Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
		Size: max(resp.ContentLength, 0)}
	switch {
	case resp.StatusCode != http.StatusOK:
		return out, fmt.Errorf("get %s: %d %s: %w", url, resp.StatusCode, http.StatusText(resp.StatusCode), ErrHTTPStatus)
	case resp.ContentLength > maxBytes:
		return out, fmt.Errorf("get %s: declared %d bytes, video limit %d: %w", url, resp.ContentLength, maxBytes, hashing.ErrTooLarge)
	}
	body, err := hashing.ReadLimited(resp.Body, maxBytes)
	if err != nil {
		if errors.Is(err, hashing.ErrTooLarge) {
			out.Size = maxBytes + 1
		}
		return out, fmt.Errorf("get %s: video: %w", url, err)
	}
	out.Body, out.Size = body, int64(len(body))
	return out, nil
}

// videoPreview is the blurred thumbnail of a matched video whose bytes are
// a picture format (an animated GIF or WebP: its first frame), unless one
// is stored already. Other videos have none: their frames come from ffmpeg
// and are not kept.
func (p *pass) videoPreview(sum hashing.SHA256, body []byte) []byte {
	if have, err := p.c.DB.Alerts.HasPreview(sum); err == nil && have {
		return nil
	}
	pv, err := p.hasher.Preview(body)
	if err != nil {
		return nil
	}
	return pv
}
