package console

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"time"
)

// The console shares the machine with the crawl, whose hashing is what
// the service is for: 16 API clients once took 88% of the crawl's images
// per second. Go cannot lower a goroutine's priority, so the console
// bounds itself instead (gate):
//
//   - at most Limits.Handlers light requests (one alert, one decision)
//     and Limits.HeavyRequests requests on routes marked heavy in the
//     route table (bulk reads or writes: the dashboard, list queries,
//     exports, uploads, verification) run at once, each default a quarter
//     of GOMAXPROCS and at least one: console work never holds more than
//     that many cores, and a burst of heavy requests cannot shut out a
//     single alert's page;
//   - while the crawl runs (Config.Crawling), handlers together take at
//     most Limits.HandlerShare of the CPU time the process gets: each
//     handler's CPU time (handlerCPU: its thread's, so that waiting for a
//     core on a busy machine or for the network is not billed) is owed,
//     and paid back by HandlerShare of the process's CPU time as it is
//     used (processCPU) plus a floor of a tenth of that share of the
//     cores, so the console never stops; a request waits while more than
//     a burst is owed. Measured against what the process gets rather than
//     against GOMAXPROCS, the share holds on a machine shared with other
//     work, and even slots kept busy by many clients leave the crawl its
//     part. One request is charged at most maxCharge, so a long backup
//     or verify is bounded by its slot, not billed to everyone after it.
//     What the runtime does for handlers outside them (the HTTP
//     connection, authentication, garbage collection of their
//     allocations) is not metered;
//   - a request that cannot start within Limits.QueueWait, or finds
//     Limits.QueueLength requests already waiting, is answered 503 with
//     Retry-After rather than queued without bound.
//
// The gate is taken after the guard (authentication, body read, role
// check), so a client trickling a body holds no slot, and is not taken on
// routes marked free (the health check, the login form's post).

// load is how much one request of a route may cost the machine.
type load int

const (
	// light routes read or write one record and answer a small page.
	light load = iota
	// heavy routes read or write in bulk: lists, figures over all
	// alerts, exports, uploads, verification.
	heavy
	// free routes bypass the gate: the health check must answer while
	// the console is saturated, and a login's password check is bounded
	// by the login limiter, whose refusals must not wait in line.
	free
)

func (l load) String() string { return [...]string{"light", "heavy", "free"}[l] }

// gate bounds the console's concurrent work; see above.
type gate struct {
	light, heavy chan struct{}
	queue        chan struct{} // one token per request waiting or running
	wait         time.Duration
	// share is the part of the process's CPU time handlers may take;
	// floor the cores' worth paid back however little the process gets;
	// burst the debt allowed before a request must wait for it.
	share float64
	floor float64
	burst time.Duration
	// crawling reports whether handlers are metered now; nil means never.
	crawling func() bool
	// cpu reads the process's CPU time (processCPU; tests set it).
	cpu func() time.Duration

	mu    sync.Mutex
	debt  time.Duration
	at    time.Time     // when debt was last brought up to date
	cpuAt time.Duration // the process's CPU time then
	// recent is the process's CPU use lately, in cores, to tell a
	// waiting request how fast its debt is paid back.
	recent float64
}

func newGate(l Limits, crawling func() bool) *gate {
	g := &gate{
		light:    make(chan struct{}, l.Handlers),
		heavy:    make(chan struct{}, l.HeavyRequests),
		queue:    make(chan struct{}, l.Handlers+l.HeavyRequests+l.QueueLength),
		wait:     l.QueueWait,
		share:    l.HandlerShare,
		floor:    l.HandlerShare * float64(runtime.GOMAXPROCS(0)) / 10,
		burst:    200 * time.Millisecond,
		cpu:      processCPU,
		recent:   float64(runtime.GOMAXPROCS(0)),
		crawling: crawling,
	}
	return g
}

// errBusy is the answer to a request the gate turned away; retry says
// when to come back.
type errBusy struct{ retry time.Duration }

func (e *errBusy) Error() string {
	return fmt.Sprintf("the console is busy; try again in %d s", retrySeconds(e.retry))
}

func retrySeconds(d time.Duration) int { return int(d/time.Second) + 1 }

// enter waits for the right to run a request of load l, at most g.wait; it
// returns the function that ends the request's turn, or an *errBusy.
func (g *gate) enter(ctx context.Context, l load) (leave func(), err error) {
	if l == free {
		return func() {}, nil
	}
	select {
	case g.queue <- struct{}{}:
	default:
		return nil, &errBusy{retry: g.wait}
	}
	held := []chan struct{}{g.queue}
	release := func() {
		for i := len(held) - 1; i >= 0; i-- {
			<-held[i]
		}
	}
	deadline := time.NewTimer(g.wait)
	defer deadline.Stop()
	take := func(c chan struct{}) error {
		select {
		case c <- struct{}{}:
			held = append(held, c)
			return nil
		case <-deadline.C:
			return &errBusy{retry: g.wait}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	slot := g.light
	if l == heavy {
		slot = g.heavy
	}
	if err := take(slot); err != nil {
		release()
		return nil, err
	}
	if d := g.owed(); d > 0 {
		select {
		case <-time.After(d):
		case <-deadline.C:
			release()
			return nil, &errBusy{retry: d}
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
	}
	cpu := handlerCPU()
	return func() {
		g.charge(cpu())
		release()
	}, nil
}

// owed is how long the next handler must wait for the debt to fall to the
// burst allowed.
func (g *gate) owed() time.Duration {
	if !g.metered() {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.settle(time.Now())
	if g.debt <= g.burst {
		return 0
	}
	return time.Duration(float64(g.debt-g.burst) / (g.share*g.recent + g.floor))
}

// maxCharge bounds what one request adds to the debt.
const maxCharge = time.Second

// metered reports whether handler time is metered now: only while the
// crawl runs, so that time spent when nothing else needed the cores is
// never billed to later requests.
func (g *gate) metered() bool {
	return g.share > 0 && g.crawling != nil && g.crawling()
}

// charge adds a handler's time to the debt.
func (g *gate) charge(d time.Duration) {
	if !g.metered() {
		return
	}
	d = min(d, maxCharge)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.settle(time.Now())
	g.debt += d
}

// settle pays back the debt for the time since it was last settled:
// share of the CPU time the process got meanwhile, and the floor.
func (g *gate) settle(now time.Time) {
	cpu := g.cpu()
	if !g.at.IsZero() {
		wall, used := now.Sub(g.at), cpu-g.cpuAt
		g.debt -= time.Duration(g.share*float64(used) + g.floor*float64(wall))
		g.debt = max(g.debt, 0)
		if wall > 0 {
			// A moving average over about a second.
			w := min(1, wall.Seconds())
			cores := min(float64(used)/float64(wall), float64(runtime.GOMAXPROCS(0)))
			g.recent = (1-w)*g.recent + w*cores
		}
	}
	g.at, g.cpuAt = now, cpu
}

// busy answers a request the gate turned away: 503 with Retry-After.
func busy(w http.ResponseWriter, err *errBusy) error {
	w.Header().Set("Retry-After", fmt.Sprint(retrySeconds(err.retry)))
	return &httpError{status: http.StatusServiceUnavailable, msg: err.Error()}
}
