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

// handleVideo has one video fetched and fingerprinted by a worker and
// records alerts for the registered videos it shows.
func (p *pass) handleVideo(ctx context.Context, j videoJob) {
	if ctx.Err() != nil {
		return
	}
	if _, err := url.Parse(j.url); err != nil {
		p.fail("fetch", j.url, fmt.Errorf("video URL %q: %w", j.url, err))
		return
	}
	wm, err := p.c.DB.Index.FingerprintWatermark()
	if err != nil {
		p.fail("index", j.url, err)
		return
	}
	job := p.job(Item{Kind: VideoItem, URL: j.url, Page: j.page})
	job.Watermark = wm
	res := p.exec(ctx, &job)
	if res.Cancelled || ctx.Err() != nil {
		return
	}
	p.applyCommon(res)
	if res.Parked {
		p.park(res)
		return
	}
	if res.Denied {
		return
	}
	mr := res.Media
	if mr == nil {
		p.fail("fetch", j.url, fmt.Errorf("video %s: the worker returned no media result", j.url))
		return
	}
	if mr.Bytes > 0 {
		p.count(func(s *PassStats) { s.Bytes += mr.Bytes })
	}
	limit := p.site.MaxVideoBytes
	switch mr.Outcome {
	case mediaTooLarge:
		p.skip(j.page, j.url, mr.Size, limit, mr.Err)
		return
	case mediaError:
		p.fail(mr.Err.Kind, j.url, mr.Err)
		return
	}
	hr := mr.Hash
	switch hr.Failure {
	case "":
	case "too_large":
		p.skip(j.page, j.url, mr.Size, limit, fmt.Errorf("%s: %s", j.url, hr.Message))
		return
	default:
		p.fail(hr.Failure, j.url, fmt.Errorf("%s: %s", j.url, hr.Message))
		return
	}
	p.count(func(st *PassStats) {
		st.Media++
		if len(hr.Matches) > 0 {
			st.Matches++
		}
	})
	preview := mr.Preview
	res2 := raiseAlerts(ctx, p.c.DB, p.c.recordAlert, found{
		Site: p.site.Name, SHA256: mr.SHA256, Matches: hr.Matches,
		Sighting: alerts.Sighting{PageURL: j.page, MediaURL: j.url, FinalURL: mr.FinalURL, HTTPStatus: mr.Status},
		Preview:  func() []byte { return preview },
	})
	if res2.Err != nil {
		if ctx.Err() == nil {
			p.storageFailed(j.url, res2.Err)
		}
		return
	}
	p.stepDone(res2, j.page, j.url, true)
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
