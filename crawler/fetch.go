package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
)

// ErrHTTPStatus reports a response whose status is not 200 OK.
var ErrHTTPStatus = errors.New("unexpected HTTP status")

// errTooManyRedirects reports a redirect chain longer than the site allows.
var errTooManyRedirects = errors.New("too many redirects")

// fetched is a media body read into memory under the site's limits.
type fetched struct {
	Body        []byte
	FinalURL    string
	Status      int
	ContentType string
}

// fetcher downloads media with hard limits. Media may live on other hosts
// than the pages that show it (CDNs), so media URLs are not held to
// allowed_domains; the private-address guard still applies to them. It streams the body through a
// byte cap instead of buffering like colly, so an oversized file is detected
// and reported as skipped rather than silently truncated.
type fetcher struct {
	client    *http.Client
	userAgent string
	timeout   time.Duration
}

func newFetcher(site *Site, transport http.RoundTripper, userAgent string) *fetcher {
	maxRedirects := site.MaxRedirects
	return &fetcher{
		userAgent: userAgent,
		timeout:   time.Duration(site.RequestTimeout),
		client: &http.Client{
			Transport: transport,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > maxRedirects {
					return fmt.Errorf("%d redirects: %w", len(via), errTooManyRedirects)
				}
				return nil
			},
		},
	}
}

// get fetches url with at most maxBytes of body within the site's request
// timeout. A declared or actual size over maxBytes fails with
// hashing.ErrTooLarge; the size is in the message.
func (f *fetcher) get(ctx context.Context, url string, maxBytes int64) (*fetched, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", url, err)
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", "image/*,*/*;q=0.5")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	out := &fetched{FinalURL: resp.Request.URL.String(), Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type")}
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("get %s: %d %s: %w", url, resp.StatusCode, http.StatusText(resp.StatusCode), ErrHTTPStatus)
	}
	if resp.ContentLength > maxBytes {
		return out, fmt.Errorf("get %s: declared %d bytes, limit %d: %w", url, resp.ContentLength, maxBytes, hashing.ErrTooLarge)
	}
	body, err := hashing.ReadLimited(resp.Body, maxBytes)
	if err != nil {
		return out, fmt.Errorf("get %s: %w", url, err)
	}
	out.Body = body
	return out, nil
}
