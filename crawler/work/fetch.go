package work

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/hashwatch/hashwatch/crawler/siteconfig"
	"github.com/hashwatch/hashwatch/hashing"
)

// ErrHTTPStatus reports a response whose status is not 200 OK (or 304 to a
// conditional request).
var ErrHTTPStatus = errors.New("unexpected HTTP status")

// ErrVideo reports a URL fetched as an image that answers with a video
// Content-Type, before its body is read: the caller hands it to the video
// path (fetched under max_video_bytes and fingerprinted with
// hashing/video), or, without a video hasher, records it unfetched.
var ErrVideo = errors.New("serves a video, not an image")

// errTooManyRedirects reports a redirect chain longer than the site allows.
var errTooManyRedirects = errors.New("too many redirects")

// Fetched is a media response read into memory under the site's limits.
type Fetched struct {
	Body        []byte
	FinalURL    string
	Status      int
	ContentType string
	// ETag and LastModified are the response's validators, for the next
	// pass's conditional request.
	ETag, LastModified string
	// NotModified is true when a conditional request was answered 304: the
	// file is what it was, and Body is empty.
	NotModified bool
	// Size is the declared (Content-Length) or counted size, set also when
	// the body was refused for being over the limit.
	Size int64
}

// Validators are what a conditional request sends.
type Validators struct {
	ETag, LastModified string
}

func (v Validators) set(h http.Header) {
	if v.ETag != "" {
		h.Set("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		h.Set("If-Modified-Since", v.LastModified)
	}
}

func (v Validators) any() bool { return v.ETag != "" || v.LastModified != "" }

// Fetcher downloads media with hard limits. Media may live on other hosts
// than the pages that show it (CDNs), so media URLs are not held to
// allowed_domains; the private-address guard still applies to them. It
// streams the body through a byte cap instead of buffering like colly, so
// an oversized file is detected and reported as skipped rather than
// silently truncated, and it looks at the headers before the body, so a
// video is never downloaded into memory.
type Fetcher struct {
	Client    *http.Client
	userAgent string
}

func NewFetcher(site *siteconfig.Site, transport http.RoundTripper, userAgent string) *Fetcher {
	maxRedirects := site.MaxRedirects
	return &Fetcher{
		userAgent: userAgent,
		Client: &http.Client{
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

// Get fetches url with at most maxBytes of body, conditionally when cond
// has validators; the transport applies the site's request timeout. A
// declared or actual size over maxBytes fails with hashing.ErrTooLarge and
// a video with ErrVideo, in both cases without reading the body.
func (f *Fetcher) Get(ctx context.Context, url string, maxBytes int64, cond Validators) (*Fetched, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", url, err)
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", "image/*,*/*;q=0.5")
	cond.set(req.Header)
	resp, err := f.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	out := &Fetched{
		FinalURL: resp.Request.URL.String(), Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"), Size: max(resp.ContentLength, 0),
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && cond.any():
		out.NotModified = true
		return out, nil
	case resp.StatusCode != http.StatusOK:
		return out, fmt.Errorf("get %s: %d %s: %w", url, resp.StatusCode, http.StatusText(resp.StatusCode), ErrHTTPStatus)
	case isVideoType(out.ContentType):
		return out, fmt.Errorf("get %s: %s: %w", url, out.ContentType, ErrVideo)
	case resp.ContentLength > maxBytes:
		return out, fmt.Errorf("get %s: declared %d bytes, limit %d: %w", url, resp.ContentLength, maxBytes, hashing.ErrTooLarge)
	}
	body, err := hashing.ReadLimited(resp.Body, maxBytes)
	if err != nil {
		if errors.Is(err, hashing.ErrTooLarge) {
			out.Size = maxBytes + 1
		}
		return out, fmt.Errorf("get %s: %w", url, err)
	}
	out.Body, out.Size = body, int64(len(body))
	return out, nil
}

// GetVideo fetches a video's bytes, at most maxBytes of them (declared or
// read), for fingerprinting; they are dropped after.
func (f *Fetcher) GetVideo(ctx context.Context, url string, maxBytes int64) (*Fetched, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return &Fetched{}, fmt.Errorf("request %s: %w", url, err)
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", "video/*,image/gif,*/*;q=0.5")
	resp, err := f.Client.Do(req)
	if err != nil {
		return &Fetched{}, fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	out := &Fetched{FinalURL: resp.Request.URL.String(), Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
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
