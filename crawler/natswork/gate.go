package natswork

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
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
//
// A worker killed with turns asked for (up to --parallel of them) would
// otherwise be served them one after another, each held to its timeout
// by nobody: with parallelism 1 and a 5-s request timeout, 16 asked-for
// turns stopped the host — every worker — for 16 × 35 s. So the
// coordinator checks that the asker is still there (requesterGone) every
// gateProbeEvery while it waits, and once gateProbeAfter into a turn it
// still holds; a gone asker's wait ends and its turn goes back at once.

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

const (
	// gateProbeEvery is how often the coordinator checks that a worker
	// waiting for a turn is still there.
	gateProbeEvery = 5 * time.Second
	// gateProbeAfter is how long a granted turn runs before the
	// coordinator checks that its worker is still there; most turns end
	// before.
	gateProbeAfter = 2 * time.Second
	// gateProbeWait is how long a check waits: a worker that is there
	// never answers it; one that is gone is told of at once by the
	// server (no responders).
	gateProbeWait = time.Second
)

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

// holds reports whether turn id is still out.
func (l *leases) holds(id uint64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.held[id]
	return ok
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
	watched := make(chan struct{})
	c.wg.Go(func() { c.watchAsker(ctx, cancel, m.Reply, watched) })
	started, release, err := c.cfg.Crawler.GateTurn(ctx, req.Site, req.Pass, req.Host, time.Duration(req.CrawlDelayMS)*time.Millisecond)
	close(watched)
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
		return
	}
	id := rep.Lease
	time.AfterFunc(gateProbeAfter, func() {
		if c.gate.holds(id) && c.requesterGone(m.Reply) {
			c.log.Debug("turn of a gone worker given back", "host", req.Host, "site", req.Site)
			c.gate.release(id)
		}
	})
}

// watchAsker ends a wait for a turn (cancel) when the worker that asked
// is gone, checking every gateProbeEvery until done is closed or ctx ends.
func (c *Coordinator) watchAsker(ctx context.Context, cancel context.CancelFunc, reply string, done <-chan struct{}) {
	t := time.NewTicker(gateProbeEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			if c.requesterGone(reply) {
				cancel()
				return
			}
		}
	}
}

// requesterGone reports whether the connection that sent a request with
// reply subject reply has gone. nats.go answers requests through one
// subscription per connection, _INBOX.<id>.*, and drops a message for a
// token it is not waiting on; so a message to _INBOX.<id>.probe reaches a
// live worker, which ignores it (the check waits gateProbeWait for
// nothing), while for a closed connection the server answers at once that
// nobody listens.
func (c *Coordinator) requesterGone(reply string) bool {
	i := strings.LastIndexByte(reply, '.')
	if i < 0 || !strings.HasPrefix(reply, nats.InboxPrefix) {
		return false
	}
	ctx, cancel := context.WithTimeout(c.runCtx, gateProbeWait)
	defer cancel()
	_, err := c.cfg.Conn.RequestWithContext(ctx, reply[:i+1]+"probe", nil)
	return errors.Is(err, nats.ErrNoResponders)
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
