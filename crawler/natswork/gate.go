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
// One sweep (leases.sweep, every gateSweepEvery) does these checks for
// every waiting ask and turn, one probe per worker connection, and ends
// turns held past their hold: a turn costs the coordinator no goroutine,
// ticker or timer of its own.

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
	// gateSweepEvery is how often the sweep runs: the checks above and
	// the end of a turn's hold happen up to this much later than due.
	gateSweepEvery = time.Second
)

// leases are the turns the coordinator granted and not yet got back, and
// the asks for turns still waiting, both watched by sweep.
type leases struct {
	mu      sync.Mutex
	next    uint64
	held    map[uint64]*lease
	waiting map[*ask]struct{}
}

type lease struct {
	started, release func()
	// inbox is the asking connection's reply prefix (probePrefix); due
	// when the turn's check is due (zero once done), until when its hold
	// ends.
	inbox      string
	due, until time.Time
}

// ask is a request for a turn still waiting for it.
type ask struct {
	inbox string
	// due is when its asker is next checked; deadline when the wait
	// ends regardless.
	due, deadline time.Time
	cancel        context.CancelFunc
}

func (l *leases) add(started, release func(), inbox string, hold time.Duration) uint64 {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	id := l.next
	if l.held == nil {
		l.held = map[uint64]*lease{}
	}
	le := &lease{started: started, release: release, inbox: inbox, until: now.Add(hold)}
	if inbox != "" {
		le.due = now.Add(gateProbeAfter)
	}
	l.held[id] = le
	return id
}

// wait records an ask until the returned func is called; cancel ends its
// wait (its asker is gone, or it waited its longest).
func (l *leases) wait(inbox string, cancel context.CancelFunc, longest time.Duration) func() {
	now := time.Now()
	a := &ask{inbox: inbox, due: now.Add(gateProbeEvery), deadline: now.Add(longest), cancel: cancel}
	l.mu.Lock()
	if l.waiting == nil {
		l.waiting = map[*ask]struct{}{}
	}
	l.waiting[a] = struct{}{}
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		delete(l.waiting, a)
		l.mu.Unlock()
	}
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

// sweep runs every gateSweepEvery until ctx ends: turns past their hold
// go back, asks past their longest wait end, and the connections of asks
// and turns whose check is due are probed (gone, one probe per
// connection however many of its asks and turns are due): a gone
// connection's asks end and its turns go back.
func (l *leases) sweep(ctx context.Context, gone func(inbox string) bool) {
	t := time.NewTicker(gateSweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.sweepOnce(ctx, time.Now(), gone)
	}
}

func (l *leases) sweepOnce(ctx context.Context, now time.Time, gone func(inbox string) bool) {
	var expired []uint64
	probe := map[string]bool{}
	l.mu.Lock()
	for id, le := range l.held {
		switch {
		case now.After(le.until):
			expired = append(expired, id)
		case !le.due.IsZero() && !now.Before(le.due):
			le.due = time.Time{}
			probe[le.inbox] = true
		}
	}
	for a := range l.waiting {
		switch {
		case now.After(a.deadline):
			a.cancel()
		case a.inbox != "" && !now.Before(a.due):
			a.due = now.Add(gateProbeEvery)
			probe[a.inbox] = true
		}
	}
	l.mu.Unlock()
	for _, id := range expired {
		l.release(id)
	}
	if len(probe) == 0 {
		return
	}
	// Probes of live workers each wait gateProbeWait: run them together.
	var wg sync.WaitGroup
	var goneMu sync.Mutex
	goneInboxes := map[string]bool{}
	for inbox := range probe {
		wg.Go(func() {
			if gone(inbox) {
				goneMu.Lock()
				goneInboxes[inbox] = true
				goneMu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(goneInboxes) == 0 || ctx.Err() != nil {
		return
	}
	var back []uint64
	l.mu.Lock()
	for id, le := range l.held {
		// Only turns granted before the probe was sent: a turn granted
		// since may be a reconnected worker's.
		if goneInboxes[le.inbox] && le.due.IsZero() {
			back = append(back, id)
		}
	}
	for a := range l.waiting {
		if goneInboxes[a.inbox] {
			a.cancel()
		}
	}
	l.mu.Unlock()
	for _, id := range back {
		l.release(id)
	}
}

// probePrefix is the reply-subject prefix that names the connection that
// sent a request with reply subject reply (see requesterGone), "" when
// reply is not of that form.
func probePrefix(reply string) string {
	i := strings.LastIndexByte(reply, '.')
	if i < 0 || !strings.HasPrefix(reply, nats.InboxPrefix) {
		return ""
	}
	return reply[:i+1]
}

func (c *Coordinator) onGateAcquire(m *nats.Msg) {
	var req gateRequest
	var rep gateReply
	if err := json.Unmarshal(m.Data, &req); err != nil {
		rep.Err = err.Error()
		c.reply(m, rep)
		return
	}
	inbox := probePrefix(m.Reply)
	ctx, cancel := context.WithCancel(c.runCtx)
	defer cancel()
	unwait := c.gate.wait(inbox, cancel, gateWait-5*time.Second)
	started, release, err := c.cfg.Crawler.GateTurn(ctx, req.Site, req.Pass, req.Host, time.Duration(req.CrawlDelayMS)*time.Millisecond)
	unwait()
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
	rep.Lease = c.gate.add(started, release, inbox, time.Duration(req.HoldMS)*time.Millisecond+30*time.Second)
	data, _ := json.Marshal(rep)
	if err := m.Respond(data); err != nil {
		c.gate.release(rep.Lease)
	}
}

// requesterGone reports whether the connection whose requests have reply
// subjects starting with inbox (probePrefix) has gone. nats.go answers
// requests through one subscription per connection, _INBOX.<id>.*, and
// drops a message for a token it is not waiting on; so a message to
// _INBOX.<id>.probe reaches a live worker, which ignores it (the check
// waits gateProbeWait for nothing), while for a closed connection the
// server answers at once that nobody listens.
func (c *Coordinator) requesterGone(inbox string) bool {
	if inbox == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(c.runCtx, gateProbeWait)
	defer cancel()
	_, err := c.cfg.Conn.RequestWithContext(ctx, inbox+"probe", nil)
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
