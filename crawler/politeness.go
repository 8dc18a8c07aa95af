package crawler

import (
	"context"
	"io"
	"net/http"
	"sync"
	"time"
)

// politeTransport holds every request of one site — pages fetched by colly,
// robots.txt, media fetched by our own client — to one budget per host:port:
// at most parallelism requests in flight and at least delay between the
// starts of two requests. colly's own LimitRule is not used: it keys on a
// glob over host:port and knows nothing of the media client, so together
// they could exceed the budget.
type politeTransport struct {
	base        http.RoundTripper
	delay       time.Duration
	parallelism int

	mu    sync.Mutex
	hosts map[string]*hostBudget
}

type hostBudget struct {
	slots chan struct{}
	next  time.Time // earliest start of the next request
}

func newPoliteTransport(base http.RoundTripper, delay time.Duration, parallelism int) *politeTransport {
	return &politeTransport{base: base, delay: delay, parallelism: max(parallelism, 1), hosts: map[string]*hostBudget{}}
}

func (t *politeTransport) budget(host string) *hostBudget {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.hosts[host]
	if !ok {
		b = &hostBudget{slots: make(chan struct{}, t.parallelism)}
		t.hosts[host] = b
	}
	return b
}

// acquire waits for a slot and for the host's delay, or for ctx.
func (t *politeTransport) acquire(ctx context.Context, host string) (release func(), err error) {
	b := t.budget(host)
	select {
	case b.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	release = func() { once.Do(func() { <-b.slots }) }
	if t.delay > 0 {
		t.mu.Lock()
		now := time.Now()
		start := b.next
		if start.Before(now) {
			start = now
		}
		b.next = start.Add(t.delay)
		t.mu.Unlock()
		if wait := time.Until(start); wait > 0 {
			timer := time.NewTimer(wait)
			defer timer.Stop()
			select {
			case <-timer.C:
			case <-ctx.Done():
				release()
				return nil, ctx.Err()
			}
		}
	}
	return release, nil
}

// RoundTrip waits for the host's budget, then holds its slot until the
// response body is closed.
func (t *politeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	release, err := t.acquire(req.Context(), req.URL.Host)
	if err != nil {
		return nil, err
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}
