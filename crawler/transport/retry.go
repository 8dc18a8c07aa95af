package transport

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrPrivateAddress reports a connection refused because its address is
// internal and the site does not allow it (the crawler's dialer guard
// returns it); it is final, never retried.
var ErrPrivateAddress = errors.New("refused to connect to a private address")

// Retry timing. A transient failure is tried again after retryBase, then
// twice that, and so on (±25% jitter so that many workers do not return in
// step), or after the server's Retry-After when it names one; never after
// more than maxRetryWait, so that one overloaded host cannot stall a pass.
const (
	retryBase    = 500 * time.Millisecond
	maxRetryWait = 30 * time.Second
)

// retryTransport tries idempotent requests again when they fail in a way
// that usually passes: 429 Too Many Requests, 502/503/504, a timeout or a
// connection reset by the peer. Everything else — 404, a refused private
// address, a DNS failure, the caller's cancellation — is final at once. It
// sits above the politeness budget, so every attempt waits its polite turn
// and counts against the host's delay like any request.
type retryTransport struct {
	base    http.RoundTripper
	retries int
	// recovered, when set, is told of every request that succeeded on a
	// retry, with the kind of its first failure ("reset", "timeout",
	// "http_status"): failures that cost nothing are still worth seeing.
	recovered func(kind string)
}

// NewRetry wraps base so that idempotent requests failing transiently are
// tried again up to retries times; recovered, when set, is told of each
// request that succeeded on a retry. retries ≤ 0 returns base.
func NewRetry(base http.RoundTripper, retries int, recovered func(kind string)) http.RoundTripper {
	if retries <= 0 {
		return base
	}
	return &retryTransport{base: base, retries: retries, recovered: recovered}
}

// RoundTrip sends req, and again up to t.retries times while it fails
// transiently.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead || req.Body != nil && req.Body != http.NoBody {
		return t.base.RoundTrip(req)
	}
	ctx := req.Context()
	// net/http itself resends a request whose reused keep-alive connection
	// was reset before any answer; a second connection for one attempt is
	// how that shows, and it is a recovered reset like ours.
	var conns atomic.Int32
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { conns.Add(1) },
	}))
	first := ""
	for attempt := 0; ; attempt++ {
		conns.Store(0)
		resp, err := t.base.RoundTrip(req)
		wait, again := retryable(ctx, resp, err)
		if !again && err == nil && t.recovered != nil {
			switch {
			case attempt > 0:
				t.recovered(first)
			case conns.Load() > 1:
				t.recovered("reset")
			}
		}
		if !again || attempt >= t.retries {
			return resp, err
		}
		if attempt == 0 {
			first = transientKind(err)
		}
		if resp != nil {
			// Drain a little so the connection can be reused, then drop it.
			io.CopyN(io.Discard, resp.Body, 4<<10)
			resp.Body.Close()
		}
		if wait <= 0 {
			wait = retryBase << attempt
			wait += time.Duration(rand.Int64N(int64(wait)/2)) - wait/4
		}
		timer := time.NewTimer(min(wait, maxRetryWait))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
}

// transientKind names a retryable failure for the recovered counts.
func transientKind(err error) string {
	var netErr net.Error
	switch {
	case err == nil:
		return "http_status"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	}
	return "reset"
}

// retryable reports whether a result is worth another attempt, and how long
// the server asked to wait (zero when it did not say).
func retryable(ctx context.Context, resp *http.Response, err error) (time.Duration, bool) {
	if ctx.Err() != nil {
		return 0, false
	}
	if err != nil {
		var netErr net.Error
		switch {
		case errors.Is(err, ErrPrivateAddress):
			return 0, false
		case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
			return 0, true // the request's own timeout; the caller's context is alive
		case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return 0, true
		}
		return 0, false
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return retryAfter(resp.Header.Get("Retry-After"), time.Now()), true
	}
	return 0, false
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}
