package crawler

import (
	"context"
	"fmt"
	"net/url"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/crawler/work"
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

// handleVideo has one video fetched and fingerprinted by a worker, records
// alerts for the registered videos it shows, then marks the item done; an
// item whose work a cancellation cut short, or whose alerts could not be
// stored, is put back for the resumed pass.
func (p *pass) handleVideo(ctx context.Context, it Item) {
	t := &tally{}
	if ctx.Err() != nil {
		p.done(ctx, it, t, nil, false)
		return
	}
	if !p.fingerprintVideos {
		p.done(ctx, it, t, nil, true) // recorded when found
		return
	}
	if _, err := url.Parse(it.URL); err != nil {
		p.fail(&t.own, "fetch", it.URL, fmt.Errorf("video URL %q: %w", it.URL, err))
		p.done(ctx, it, t, nil, true)
		return
	}
	wm, err := p.c.DB.Index.FingerprintWatermark()
	if err != nil {
		p.fail(&t.own, "index", it.URL, err)
		p.done(ctx, it, t, nil, true)
		return
	}
	job := p.job(it)
	job.Watermark = wm
	res, ok := p.execItem(ctx, it, t, &job)
	if !ok {
		return
	}
	mr := res.Media
	if mr == nil {
		p.fail(&t.own, "fetch", it.URL, fmt.Errorf("video %s: the worker returned no media result", it.URL))
		p.done(ctx, it, t, nil, true)
		return
	}
	if mr.Bytes > 0 {
		p.count(&t.own, func(s *crawlstate.Counts) { s.Bytes += mr.Bytes })
	}
	limit := p.site.MaxVideoBytes
	switch mr.Outcome {
	case work.MediaTooLarge:
		p.skip(&t.own, it.Page, it.URL, mr.Size, limit, mr.Err)
		p.done(ctx, it, t, nil, true)
		return
	case work.MediaError:
		p.fail(&t.own, mr.Err.Kind, it.URL, mr.Err)
		p.done(ctx, it, t, nil, true)
		return
	}
	hr := mr.Hash
	p.creditHashed(&t.own, mr.SHA256)
	switch hr.Failure {
	case "":
	case "too_large":
		p.skip(&t.own, it.Page, it.URL, mr.Size, limit, fmt.Errorf("%s: %s", it.URL, hr.Message))
		p.done(ctx, it, t, nil, true)
		return
	default:
		p.fail(&t.own, hr.Failure, it.URL, fmt.Errorf("%s: %s", it.URL, hr.Message))
		p.done(ctx, it, t, nil, true)
		return
	}
	p.count(&t.own, func(st *crawlstate.Counts) {
		st.Media++
		if len(hr.Matches) > 0 {
			st.Matches++
		}
	})
	preview := mr.Preview
	step := raiseAlerts(ctx, p.c.DB, p.c.recordAlert, found{
		Site: p.site.Name, SHA256: mr.SHA256, Matches: hr.Matches,
		Sighting: alerts.Sighting{PageURL: it.Page, MediaURL: it.URL, FinalURL: mr.FinalURL, HTTPStatus: mr.Status},
		Preview:  func() []byte { return preview },
	})
	if step.Err != nil {
		if ctx.Err() == nil {
			// An alert that could not be stored: the item stays queued
			// for the resumed pass, never marked done.
			p.storageFailed(it.URL, step.Err)
		}
		p.done(ctx, it, t, nil, false)
		return
	}
	p.stepDone(&t.own, step, it.Page, it.URL, true)
	p.done(ctx, it, t, nil, true)
}
