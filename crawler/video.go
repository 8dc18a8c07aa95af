package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/hashing"
)

// Videos a pass finds (video and source elements, og:video, links to video
// files, URLs answering with a video Content-Type) are recorded as they are
// found and, when Crawler.Video is set, fetched and fingerprinted by the
// pass's video workers after the pages that showed them: up to the site's
// max_video_bytes, then package video's limits (duration, frames, wall
// time), each crossing a per-URL skip; the pass goes on. Cancelling the
// pass kills ffmpeg and removes its temporary files (package video's
// guarantee). A video left unfetched when a pass stops is found again by
// the next pass, whose pages still show it.

// videoQueueSize bounds the videos waiting for a worker; beyond it a video
// waits for the next pass.
const videoQueueSize = 4096

// videoJob is one video URL and the page that showed it.
type videoJob struct{ page, url string }

// videoWorkers fetch and fingerprint the videos of one pass.
type videoWorkers struct {
	jobs chan videoJob
	stop chan struct{} // closed when no more videos will be queued
	wg   sync.WaitGroup
}

// startVideos starts the pass's video workers when the crawler hashes
// videos, and returns the function that waits for them: after the pages
// are done they finish the queue, unless ctx has ended.
func (p *pass) startVideos(ctx context.Context) (wait func()) {
	if p.c.Video == nil {
		return func() {}
	}
	if _, err := p.c.Video.FFmpeg(); err != nil {
		p.log.Warn("videos are recorded, not fingerprinted", "err", err)
		return func() {}
	}
	w := &videoWorkers{jobs: make(chan videoJob, videoQueueSize), stop: make(chan struct{})}
	p.mu.Lock()
	p.videos = w
	p.mu.Unlock()
	for range max(1, p.site.Parallelism/2) {
		w.wg.Go(func() {
			for {
				select {
				case j := <-w.jobs:
					p.handleVideo(ctx, j)
				case <-ctx.Done():
					return
				case <-w.stop:
					for {
						select {
						case j := <-w.jobs:
							p.handleVideo(ctx, j)
						default:
							return
						}
					}
				}
			}
		})
	}
	return func() {
		close(w.stop)
		w.wg.Wait()
	}
}

// queueVideos hands newly found videos to the workers.
func (p *pass) queueVideos(recs []crawlstate.VideoRecord) {
	p.mu.Lock()
	w := p.videos
	p.mu.Unlock()
	if w == nil {
		return
	}
	for _, r := range recs {
		select {
		case w.jobs <- videoJob{page: r.Page, url: r.URL}:
		default:
			p.log.Warn("video queue full; the video waits for the next pass", "url", r.URL, "page", r.Page)
		}
	}
}

// handleVideo fetches one video, fingerprints it and records alerts for
// the registered videos it shows.
func (p *pass) handleVideo(ctx context.Context, j videoJob) {
	if ctx.Err() != nil {
		return
	}
	u, err := url.Parse(j.url)
	if err != nil {
		p.fail("fetch", j.url, fmt.Errorf("video URL %q: %w", j.url, err))
		return
	}
	if !p.robotsAllow(ctx, u, Item{Kind: MediaItem, URL: j.url, Page: j.page}) {
		return
	}
	limit := p.site.MaxVideoBytes
	f, err := p.media.getVideo(ctx, j.url, limit)
	switch {
	case ctx.Err() != nil:
		return
	case errors.Is(err, hashing.ErrTooLarge):
		p.skip(j.page, j.url, f.Size, limit, err)
		return
	case err != nil:
		p.fail(classify(err), j.url, err)
		return
	}
	sum := hashing.SumSHA256(f.Body)
	p.count(func(s *PassStats) { s.Bytes += int64(len(f.Body)) })
	wm, err := p.c.DB.Index.FingerprintWatermark()
	if err != nil {
		p.fail("index", j.url, err)
		return
	}
	s := p.shaFor(sum)
	s.once.Do(func() { p.matchVideo(ctx, j.url, sum, f.Body, wm, s) })
	var preview []byte
	if s.err == nil && len(s.hr.Matches) > 0 {
		preview = p.videoPreview(sum, f.Body)
	}
	f.Body = nil
	if s.err != nil {
		if ctx.Err() == nil {
			p.fail(classify(s.err), j.url, s.err)
		}
		return
	}
	switch s.hr.Failure {
	case "":
	case "too_large":
		p.skip(j.page, j.url, f.Size, limit, fmt.Errorf("%s: %s", j.url, s.hr.Message))
		return
	default:
		p.fail(s.hr.Failure, j.url, fmt.Errorf("%s: %s", j.url, s.hr.Message))
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
		Sighting: alerts.Sighting{PageURL: j.page, MediaURL: j.url, FinalURL: f.FinalURL, HTTPStatus: f.Status},
		Preview:  func() []byte { return preview },
	})
	if res.Err != nil {
		if ctx.Err() == nil {
			p.storageFailed(j.url, res.Err)
		}
		return
	}
	p.stepDone(res, j.page, j.url, true)
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
