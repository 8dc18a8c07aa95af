package work

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/temoto/robotstxt"
)

// MaxRobotsBytes bounds a robots.txt; Google reads at most 500 KiB.
const MaxRobotsBytes = 512 << 10

// Robots answers "may this URL be fetched?" for every host a pass
// touches, pages and media alike, fetching each host's robots.txt once per
// pass. colly's own check is switched off: it fetches without the pass's
// context and without a size limit, races several fetches for the first
// pages of a host, and knows nothing of the media client.
//
// A Crawl-delay in the group that applies to us raises the host's spacing
// (transport.Polite.HonourCrawlDelay) for the rest of the pass.
//
// robots.txt answered 4xx allows everything and 5xx disallows everything
// (RFC 9309), and so does one longer than MaxRobotsBytes, since its rules
// cannot all be read; one that cannot be fetched at all (refused connection,
// timeout, a private address) fails the URLs of that host for this pass.
type Robots struct {
	client    *http.Client
	userAgent string
	// CrawlDelay, when set, is told each host's Crawl-delay (host:port, as
	// requests name it) once its robots.txt is read.
	CrawlDelay func(host string, d time.Duration)
	// Truncated, when set, is told of a robots.txt over MaxRobotsBytes.
	Truncated func(url string)

	mu    sync.Mutex
	hosts map[string]*robotsHost
}

type robotsHost struct {
	ready chan struct{} // closed when group and err are set
	group *robotstxt.Group
	err   error
}

func NewRobots(client *http.Client, userAgent string) *Robots {
	return &Robots{client: client, userAgent: userAgent, hosts: map[string]*robotsHost{}}
}

// allowed reports whether u may be fetched.
func (r *Robots) allowed(ctx context.Context, u *url.URL) (bool, error) {
	key := u.Scheme + "://" + u.Host
	r.mu.Lock()
	h, ok := r.hosts[key]
	if !ok {
		h = &robotsHost{ready: make(chan struct{})}
		r.hosts[key] = h
	}
	r.mu.Unlock()
	if !ok {
		h.group, h.err = r.fetch(ctx, key)
		if h.group != nil && h.group.CrawlDelay > 0 && r.CrawlDelay != nil {
			r.CrawlDelay(u.Host, h.group.CrawlDelay)
		}
		if h.err != nil && ctx.Err() != nil {
			// Cancelled, not failed: let a later pass (or caller) try again.
			r.mu.Lock()
			delete(r.hosts, key)
			r.mu.Unlock()
		}
		close(h.ready)
	} else {
		select {
		case <-h.ready:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	if h.err != nil {
		return false, h.err
	}
	if h.group == nil {
		return true, nil
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return h.group.Test(path), nil
}

func (r *Robots) fetch(ctx context.Context, base string) (*robotstxt.Group, error) {
	u := base + "/robots.txt"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("robots.txt %s: %w", u, err)
	}
	req.Header.Set("User-Agent", r.userAgent)
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("robots.txt %s: %w", u, err)
	}
	defer resp.Body.Close()
	var body []byte
	status := resp.StatusCode
	if status >= 200 && status < 300 {
		body, err = io.ReadAll(io.LimitReader(resp.Body, MaxRobotsBytes+1))
		if err != nil {
			return nil, fmt.Errorf("robots.txt %s: %w", u, err)
		}
		if len(body) > MaxRobotsBytes {
			// Honouring only what fits (as Google does) would silently
			// ignore a Disallow further down. A monitor cannot know what
			// the rest says, so it takes the conservative reading: the
			// whole host is disallowed, as for a 5xx.
			if r.Truncated != nil {
				r.Truncated(u)
			}
			status, body = http.StatusServiceUnavailable, nil
		}
	}
	if status >= 500 && status < 600 {
		// robotstxt's FromStatusAndBytes marks a 5xx "disallow all", but
		// FindGroup ignores that mark and answers with an empty group that
		// allows everything; spell the rule out instead.
		status, body = http.StatusOK, []byte("User-agent: *\nDisallow: /\n")
	}
	data, err := robotstxt.FromStatusAndBytes(status, body)
	if err != nil {
		return nil, fmt.Errorf("robots.txt %s: %w", u, err)
	}
	return data.FindGroup(r.userAgent), nil
}
