package natswork

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hashwatch/hashwatch/crawler/work"
)

// Politeness across workers: before each request a worker asks the
// coordinator for a turn at the host (hw.gate.acquire, answered when the
// pass's gate grants one) and gives it back when the response body is
// closed (hw.gate.release). A lease a dead worker never gives back ends by
// itself after the site's request timeout.

const (
	gateAcquire = "hw.gate.acquire"
	gateStarted = "hw.gate.started"
	gateRelease = "hw.gate.release"
)

type gateRequest struct {
	Site         string `json:"site"`
	Pass         uint64 `json:"pass"`
	Host         string `json:"host"`
	CrawlDelayMS int64  `json:"crawl_delay_ms,omitempty"`
	HoldMS       int64  `json:"hold_ms"`
}

type gateReply struct {
	Lease uint64 `json:"lease"`
	// NoStart says the turn needs no hw.gate.started (no delay spaces the
	// host's turns): one message fewer per request. A worker that
	// predates it sends the message anyway, to no effect.
	NoStart     bool   `json:"no_start,omitempty"`
	Err         string `json:"err,omitempty"`
	Unavailable bool   `json:"unavailable,omitempty"`
}

// gateWait bounds how long a worker waits for one turn; a busy host with
// a long Crawl-delay and many workers queued can take a while.
const gateWait = 10 * time.Minute

// leases are the turns the coordinator granted and not yet got back.
type leases struct {
	mu   sync.Mutex
	next uint64
	held map[uint64]lease
}

type lease struct{ started, release func() }

func (l *leases) add(started, release func(), hold time.Duration) uint64 {
	l.mu.Lock()
	l.next++
	id := l.next
	if l.held == nil {
		l.held = map[uint64]lease{}
	}
	l.held[id] = lease{started, release}
	l.mu.Unlock()
	time.AfterFunc(hold, func() { l.release(id) })
	return id
}

func (l *leases) started(id uint64) {
	l.mu.Lock()
	le, ok := l.held[id]
	l.mu.Unlock()
	if ok {
		le.started()
	}
}

func (l *leases) release(id uint64) {
	l.mu.Lock()
	le, ok := l.held[id]
	delete(l.held, id)
	l.mu.Unlock()
	if ok {
		le.release()
	}
}

func (c *Coordinator) onGateAcquire(m *nats.Msg) {
	var req gateRequest
	var rep gateReply
	if err := json.Unmarshal(m.Data, &req); err != nil {
		rep.Err = err.Error()
		c.reply(m, rep)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), gateWait-5*time.Second)
	defer cancel()
	started, release, err := c.cfg.Crawler.GateTurn(ctx, req.Site, req.Pass, req.Host, time.Duration(req.CrawlDelayMS)*time.Millisecond)
	if err != nil {
		rep.Err, rep.Unavailable = err.Error(), true
		c.reply(m, rep)
		return
	}
	// The worker's own timeout runs from the grant; the lease outlives
	// it a little, for the body to be read and closed.
	if started == nil {
		started, rep.NoStart = func() {}, true
	}
	rep.Lease = c.gate.add(started, release, time.Duration(req.HoldMS)*time.Millisecond+30*time.Second)
	data, _ := json.Marshal(rep)
	if err := m.Respond(data); err != nil {
		c.gate.release(rep.Lease)
	}
}

func (c *Coordinator) onGateStarted(m *nats.Msg) {
	if id, err := strconv.ParseUint(string(m.Data), 10, 64); err == nil {
		c.gate.started(id)
	}
}

func (c *Coordinator) onGateRelease(m *nats.Msg) {
	if id, err := strconv.ParseUint(string(m.Data), 10, 64); err == nil {
		c.gate.release(id)
	}
}

// GateTransport returns crawler.Worker.Gate for a worker on nc: every
// request first takes a turn from the coordinator.
func GateTransport(nc *nats.Conn) func(work.GateInfo, http.RoundTripper) http.RoundTripper {
	return func(g work.GateInfo, next http.RoundTripper) http.RoundTripper {
		return &gateTransport{nc: nc, info: g, next: next}
	}
}

type gateTransport struct {
	nc   *nats.Conn
	info work.GateInfo
	next http.RoundTripper
}

func (t *gateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	greq := gateRequest{Site: t.info.Site, Pass: t.info.Pass, Host: req.URL.Host, HoldMS: t.info.Hold.Milliseconds()}
	if t.info.CrawlDelay != nil {
		greq.CrawlDelayMS = t.info.CrawlDelay(req.URL.Host).Milliseconds()
	}
	data, err := json.Marshal(greq)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(req.Context(), gateWait)
	msg, err := t.nc.RequestWithContext(ctx, gateAcquire, data)
	cancel()
	if err != nil {
		if req.Context().Err() != nil {
			return nil, req.Context().Err()
		}
		return nil, fmt.Errorf("turn at %s: %w: %w", req.URL.Host, work.ErrCentralUnavailable, err)
	}
	var rep gateReply
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return nil, fmt.Errorf("turn at %s: %w", req.URL.Host, err)
	}
	if rep.Err != "" {
		return nil, fmt.Errorf("turn at %s: %s: %w", req.URL.Host, rep.Err, work.ErrCentralUnavailable)
	}
	id := []byte(strconv.FormatUint(rep.Lease, 10))
	var startOnce, releaseOnce sync.Once
	started := func() {
		if !rep.NoStart {
			startOnce.Do(func() { _ = t.nc.Publish(gateStarted, id) })
		}
	}
	release := func() { releaseOnce.Do(func() { _ = t.nc.Publish(gateRelease, id) }) }
	// The host's next turn is spaced from when this request reached the
	// wire, as in transport.Polite: a slow dial cannot squeeze two
	// workers' requests closer together than the delay.
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{WroteHeaders: started}))
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releaseBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

type releaseBody struct {
	io.ReadCloser
	release func()
}

func (b *releaseBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}
