package crawler

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/crawler/transport"
	"github.com/hashwatch/hashwatch/crawler/work"
)

// FetchForViewing fetches one image for an operator's audited viewing
// step (the console's "clearer" and "full" views) through the same guard
// and limits as the crawl: the watched site's — or, for a URL outside
// every site, an ad-hoc site's — private-address guard, request timeout,
// redirect limit and max_image_bytes. The bytes go back to the caller to
// render in memory and drop: nothing is fingerprinted, recorded or stored
// here. A URL that serves a video fails with ErrVideo.
func (in *Inspector) FetchForViewing(ctx context.Context, rawURL string) ([]byte, error) {
	return in.fetchForViewing(ctx, rawURL, false)
}

// FetchVideoForViewing is FetchForViewing for a video, under the site's
// max_video_bytes: for the blurred keyframe strip of a video alert, made
// in memory and never stored.
func (in *Inspector) FetchVideoForViewing(ctx context.Context, rawURL string) ([]byte, error) {
	return in.fetchForViewing(ctx, rawURL, true)
}

func (in *Inspector) fetchForViewing(ctx context.Context, rawURL string, isVideo bool) ([]byte, error) {
	if err := alerts.CheckReportURL(rawURL); err != nil {
		return nil, err
	}
	u, _ := url.Parse(rawURL)
	site, err := in.siteOf(u)
	if err != nil {
		return nil, err
	}
	ua := in.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	base := work.NewTransport(site)
	defer base.CloseIdleConnections()
	tr := transport.NewPolite(base, site.Politeness(), site.Parallelism, time.Duration(site.RequestTimeout))
	fetcher := work.NewFetcher(site, tr, ua)
	var f *work.Fetched
	if isVideo {
		f, err = fetcher.GetVideo(ctx, rawURL, site.MaxVideoBytes)
	} else {
		f, err = fetcher.Get(ctx, rawURL, site.MaxImageBytes, work.Validators{})
	}
	if err != nil {
		return nil, fmt.Errorf("fetch for viewing: %w", err)
	}
	return f.Body, nil
}
