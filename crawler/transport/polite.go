package transport

import (
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"
)

// MaxCrawlDelay caps the Crawl-delay a robots.txt can impose: a host asking
// for more is still crawled, at one request per MaxCrawlDelay, rather than
// stalling a pass for hours on one hostile line.
const MaxCrawlDelay = 60 * time.Second

// Polite holds every request of one site — pages fetched by colly,
// robots.txt, media fetched by our own client — to one budget per host:port:
// at most parallelism requests in flight, and at least delay between the
// moments two requests reach the wire. colly's own LimitRule is not used: it
// keys on a glob over host:port, spaces requests by when they were queued
// rather than sent, and knows nothing of the media client.
//
// It also applies the site's request timeout, from the moment a request has
// its turn until its body is closed: a request waiting behind dozens of
// others for a polite turn has not timed out, and a timeout set around the
// whole wait (http.Client.Timeout, a caller's context) would fail requests
// for politeness rather than for a slow server.
type Polite struct {
	base        http.RoundTripper
	delay       time.Duration
	parallelism int
	timeout     time.Duration

	mu    sync.Mutex
	hosts map[string]*hostBudget
}

// hostBudget is one host's share. starting is a one-slot semaphore held by
// the request currently between its turn and its headers being written; next
// is guarded by it.
type hostBudget struct {
	slots    chan struct{}
	starting chan struct{}
	next     time.Time
	// delay is the host's spacing: the site's delay, raised by the host's
	// robots.txt Crawl-delay when that asks for more.
	delay atomic.Int64
	// waiting counts the asks of Gate.AcquireSlots waiting for a slot.
	waiting atomic.Int64
}

// NewPolite wraps base in one site's politeness budget: at most
// parallelism requests in flight per host, delay between two requests
// reaching the wire, and timeout per request from its turn on.
func NewPolite(base http.RoundTripper, delay time.Duration, parallelism int, timeout time.Duration) *Polite {
	return &Polite{base: base, delay: delay, parallelism: max(parallelism, 1), timeout: timeout, hosts: map[string]*hostBudget{}}
}

func (t *Polite) budget(host string) *hostBudget {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.hosts[host]
	if !ok {
		b = &hostBudget{slots: make(chan struct{}, t.parallelism), starting: make(chan struct{}, 1)}
		b.delay.Store(int64(t.delay))
		t.hosts[host] = b
	}
	return b
}

// RoundTrip waits for a slot and the host's delay, then holds the slot until
// the response body is closed.
func (t *Polite) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	b := t.budget(req.URL.Host)
	select {
	case b.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	stopTimer := func() {}
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { <-b.slots; stopTimer() }) }

	started := func() {}
	delay := time.Duration(b.delay.Load())
	if delay > 0 {
		end, err := t.awaitTurn(ctx, b, delay)
		if err != nil {
			release()
			return nil, err
		}
		started = end
	}
	if t.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.timeout)
		stopTimer = cancel // when the body is closed, or the request failed
	}
	if delay > 0 {
		// The turn ends when the headers are on the wire, so a slow dial
		// cannot squeeze two requests closer together than delay.
		ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteHeaders: started})
	}
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	started() // if the headers were never written
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// awaitTurn waits until no other request of the host is starting and delay
// has passed since the last one started. The returned func ends the turn; it
// may be called more than once.
func (t *Polite) awaitTurn(ctx context.Context, b *hostBudget, delay time.Duration) (func(), error) {
	select {
	case b.starting <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if wait := time.Until(b.next); wait > 0 {
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			<-b.starting
			return nil, ctx.Err()
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			b.next = time.Now().Add(delay)
			<-b.starting
		})
	}, nil
}

// HonourCrawlDelay raises host's spacing to d (capped at MaxCrawlDelay) when
// that is more than the site's own delay; a robots.txt can slow a crawl
// down, never speed it up.
func (t *Polite) HonourCrawlDelay(host string, d time.Duration) {
	d = min(d, MaxCrawlDelay)
	b := t.budget(host)
	for {
		cur := b.delay.Load()
		if int64(d) <= cur || b.delay.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
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

// Gate is a Polite budget without a transport: it grants turns, for a
// coordinator whose workers on other machines send the requests. A turn
// holds one of the host's parallelism slots until its release, and, as in
// Polite, the host's next turn starts at least delay (raised by
// HonourCrawlDelay) after this one's request reached the wire (started),
// so the budget holds across every worker together.
type Gate struct{ p *Polite }

// NewGate returns a budget of parallelism requests in flight per host and
// delay between two requests reaching the wire.
func NewGate(delay time.Duration, parallelism int) *Gate {
	return &Gate{p: NewPolite(nil, delay, parallelism, 0)}
}

// Acquire waits for a turn at host (host:port, as requests name it).
// started is to be called when the turn's request has been written (its
// headers on the wire), release when its response is done; release implies
// started, and both may be called more than once. started is nil when no
// delay spaces the host's turns: then there is nothing to start, and a
// coordinator spares its workers the message saying so.
func (g *Gate) Acquire(ctx context.Context, host string) (started, release func(), err error) {
	b := g.p.budget(host)
	select {
	case b.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	if delay := time.Duration(b.delay.Load()); delay > 0 {
		end, err := g.p.awaitTurn(ctx, b, delay)
		if err != nil {
			<-b.slots
			return nil, nil, err
		}
		started = end
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if started != nil {
				started()
			}
			<-b.slots
		})
	}
	return started, release, nil
}

// Slots are slots at a host taken together (Gate.AcquireSlots).
type Slots struct {
	// N is how many are held.
	N int
	// Started is nil, except for a spaced host's turn (N is 1), where it
	// is Acquire's started.
	Started func()
	// Contended says another ask was waiting for a slot at the host when
	// these were taken: their holder should give each back as soon as it
	// is idle.
	Contended bool

	mu   sync.Mutex
	give func(k int)
}

// Give gives back k of the slots (the rest, when k is N or more); it may
// be called with more than are held.
func (s *Slots) Give(k int) {
	s.mu.Lock()
	k = min(k, s.N)
	s.N -= k
	s.mu.Unlock()
	if k > 0 {
		s.give(k)
	}
}

// Unlimited is n slots of no budget, for a pass without one.
func Unlimited(n int) *Slots { return &Slots{N: n, give: func(int) {}} }

// AcquireSlots waits for a slot at host as Acquire does and, when no delay
// spaces the host's turns, takes at once as many more of the host's free
// slots as make want in all, within a fair share: at most
// parallelism / (sharers+1), rounded up, where sharers counts the others
// (workers) holding or waiting for slots at host. Slots taken so serve
// several requests each, one after another, without a turn per request (a
// coordinator leases them to a worker); with nothing to space, the budget
// only counts requests in flight, and holding n slots keeps the holder's
// requests in flight at or below n. With a delay it is Acquire: one slot,
// and Started is not nil (each request must be spaced).
func (g *Gate) AcquireSlots(ctx context.Context, host string, want, sharers int) (*Slots, error) {
	b := g.p.budget(host)
	if time.Duration(b.delay.Load()) > 0 {
		started, release, err := g.Acquire(ctx, host)
		if err != nil {
			return nil, err
		}
		return &Slots{N: 1, Started: started, give: func(int) { release() }}, nil
	}
	select {
	case b.slots <- struct{}{}:
	default:
		b.waiting.Add(1)
		select {
		case b.slots <- struct{}{}:
			b.waiting.Add(-1)
		case <-ctx.Done():
			b.waiting.Add(-1)
			return nil, ctx.Err()
		}
	}
	n := 1
	share := (g.p.parallelism + sharers) / (sharers + 1)
	for n < min(want, share) {
		select {
		case b.slots <- struct{}{}:
			n++
			continue
		default:
		}
		break
	}
	give := func(k int) {
		for range k {
			<-b.slots
		}
	}
	return &Slots{N: n, Contended: b.waiting.Load() > 0, give: give}, nil
}

// HonourCrawlDelay raises host's spacing as Polite.HonourCrawlDelay does.
func (g *Gate) HonourCrawlDelay(host string, d time.Duration) { g.p.HonourCrawlDelay(host, d) }
