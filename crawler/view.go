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
	f, err := work.NewFetcher(site, tr, ua).Get(ctx, rawURL, site.MaxImageBytes, work.Validators{})
	if err != nil {
		return nil, fmt.Errorf("fetch for viewing: %w", err)
	}
	return f.Body, nil
}
