package admission

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Load is how much one request may cost the machine; the caller's route
// table says which load each route has.
type Load int

const (
	// Light requests read or write one record and answer a small page.
	Light Load = iota
	// Heavy requests read or write in bulk: lists, figures over all
	// records, exports, uploads, verification. They have slots of their
	// own, so a burst of them cannot shut out light requests.
	Heavy
	// Free requests bypass the gate: a health check must answer while the
	// server is saturated, and work bounded otherwise (a login limiter)
	// must not wait in line.
	Free
	// Billed requests never wait either, but their CPU time is owed like
	// any handler's: work too quick to queue (an answer the server kept)
	// still takes its part of the share from the requests after it, so
	// many clients asking for it cannot take the crawl's CPU unbilled.
	Billed
	// HeavyNow requests take a heavy slot but do not wait for the time
	// handlers owe, and are billed like any: rare heavy work someone is
	// waiting on — recomputing a kept answer after a change — which the
	// share would otherwise hold behind every list.
	HeavyNow
)

// String names the load as route tables and their JSON show it.
func (l Load) String() string { return [...]string{"light", "heavy", "free", "billed", "heavy-now"}[l] }

// Config sizes a Gate. Callers apply their defaults; New raises slot and
// queue counts below 1 to 1, since a gate with no slot would refuse all.
type Config struct {
	// Light and Heavy are the requests of each load that run at once.
	Light, Heavy int
	// Share is the part of the process's CPU time handlers may take
	// together while Metered reports true; zero or negative: no bound.
	Share float64
	// QueueWait bounds how long a request waits for its turn, and
	// QueueLength how many may wait at once.
	QueueWait   time.Duration
	QueueLength int
	// Metered reports whether handler time is metered now (while the
	// crawl runs, so that time spent when nothing else needed the cores
	// is never billed to later requests); nil means never.
	Metered func() bool
}

// Gate bounds a server's concurrent work; see the package documentation.
// Its methods may be called from any goroutine.
type Gate struct {
	light, heavy chan struct{}
	queue        chan struct{} // one token per request waiting or running
	wait         time.Duration
	// share is the part of the process's CPU time handlers may take;
	// floor the cores' worth paid back however little the process gets
	// (a least rate, not added to the share: added, it raised the share
	// of a process that gets a fraction of its cores);
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

// New builds a gate sized by c.
func New(c Config) *Gate {
	light, heavy, queue := max(1, c.Light), max(1, c.Heavy), max(0, c.QueueLength)
	share := max(0, c.Share)
	return &Gate{
		light:    make(chan struct{}, light),
		heavy:    make(chan struct{}, heavy),
		queue:    make(chan struct{}, light+heavy+queue),
		wait:     c.QueueWait,
		share:    share,
		floor:    share * float64(runtime.GOMAXPROCS(0)) / 10,
		burst:    200 * time.Millisecond,
		cpu:      processCPU,
		recent:   float64(runtime.GOMAXPROCS(0)),
		crawling: c.Metered,
	}
}

// Busy is the refusal of a request the gate turned away: the caller
// answers it (503 with Retry-After) instead of holding the client.
type Busy struct {
	// RetryAfter is when to come back.
	RetryAfter time.Duration
}

func (e *Busy) Error() string {
	return fmt.Sprintf("the console is busy; try again in %d s", e.RetrySeconds())
}

// RetrySeconds is RetryAfter in whole seconds, rounded up and at least
// one, as a Retry-After header carries it.
func (e *Busy) RetrySeconds() int { return int(e.RetryAfter/time.Second) + 1 }

// Enter waits for the right to run a request of load l, at most
// Config.QueueWait; it returns the function that ends the request's turn
// (and bills its CPU time), or a *Busy, or ctx's error.
func (g *Gate) Enter(ctx context.Context, l Load) (leave func(), err error) {
	switch l {
	case Free:
		return func() {}, nil
	case Billed:
		cpu := handlerCPU()
		return func() { g.charge(cpu()) }, nil
	}
	select {
	case g.queue <- struct{}{}:
	default:
		return nil, &Busy{RetryAfter: g.wait}
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
			return &Busy{RetryAfter: g.wait}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	slot := g.light
	if l == Heavy || l == HeavyNow {
		slot = g.heavy
	}
	// The time owed is waited for outside the slots, so that a slot is
	// only ever held by a request that runs: a request waiting for the
	// share once held the heavy slot meanwhile, and a HeavyNow request
	// (the dashboard's) waited behind it for seconds. Whoever takes a
	// slot checks the debt again, since others may have run meanwhile.
	for {
		if d := g.owed(); d > 0 && l != HeavyNow {
			select {
			case <-time.After(d):
			case <-deadline.C:
				release()
				return nil, &Busy{RetryAfter: d}
			case <-ctx.Done():
				release()
				return nil, ctx.Err()
			}
		}
		if err := take(slot); err != nil {
			release()
			return nil, err
		}
		if l == HeavyNow || g.owed() <= 0 {
			break
		}
		<-slot
		held = held[:len(held)-1]
	}
	cpu := handlerCPU()
	return func() {
		g.charge(cpu())
		release()
	}, nil
}

// Part names one of the gate's bounds, for Fill.
type Part int

const (
	// LightSlots are the slots light requests run in.
	LightSlots Part = iota
	// HeavySlots are the slots heavy requests run in.
	HeavySlots
	// WaitingLine is every place for a request waiting or running.
	WaitingLine
)

// Fill takes every place of p, as requests of a saturated server would
// hold them, and returns the function that gives them back. It lets a
// test or a drill see what clients of a busy server get without racing
// real requests for the slots.
func (g *Gate) Fill(p Part) (release func()) {
	c := [...]chan struct{}{g.light, g.heavy, g.queue}[p]
	for range cap(c) {
		c <- struct{}{}
	}
	return func() {
		for range cap(c) {
			<-c
		}
	}
}

// owed is how long the next handler must wait for the debt to fall to the
// burst allowed.
func (g *Gate) owed() time.Duration {
	if !g.metered() {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.settle(time.Now())
	if g.debt <= g.burst {
		return 0
	}
	return time.Duration(float64(g.debt-g.burst) / max(g.share*g.recent, g.floor))
}

// maxCharge bounds what one request adds to the debt.
const maxCharge = time.Second

// metered reports whether handler time is metered now: only while the
// crawl runs, so that time spent when nothing else needed the cores is
// never billed to later requests.
func (g *Gate) metered() bool {
	return g.share > 0 && g.crawling != nil && g.crawling()
}

// charge adds a handler's time to the debt.
func (g *Gate) charge(d time.Duration) {
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
// share of the CPU time the process got meanwhile, or the floor when that
// is less.
func (g *Gate) settle(now time.Time) {
	cpu := g.cpu()
	if !g.at.IsZero() {
		wall, used := now.Sub(g.at), cpu-g.cpuAt
		g.debt -= time.Duration(max(g.share*float64(used), g.floor*float64(wall)))
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
