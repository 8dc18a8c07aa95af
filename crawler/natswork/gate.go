package natswork

import (
	"context"
	"crypto/rand"
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

	"github.com/hashwatch/hashwatch/crawler/transport"
	"github.com/hashwatch/hashwatch/crawler/work"
)

// Politeness across workers: before each request a worker asks the
// coordinator for a turn at the host (hw.gate.acquire, answered when the
// pass's gate grants one) and gives it back when the response body is
// closed (hw.gate.release). A lease a dead worker never gives back ends by
// itself after the site's request timeout.
//
// Slot leases (protocol 6): at a host whose turns no delay spaces (no
// site delay, no robots.txt Crawl-delay), a worker asks instead for up to
// as many of the host's parallelism slots as it can use (gateRequest.Want,
// its --parallel), and the coordinator grants those free, within a fair
// share among the workers holding or waiting for slots there
// (transport.Gate.AcquireSlots), for leaseTTL. The worker then starts
// requests at the host under the lease, as many at once as it has slots,
// without asking per request, and gives the slots back in one release
// when all of them have been idle for leaseIdle, or at once when they are
// idle and its leaseTTL is over (it then asks for a new lease if it still
// needs slots). A lease granted while another ask waited for the host
// (Contended) is given back slot by slot, each as soon as it is idle
// ("id k", a partial release), so that a host short of slots serves its
// waiters as promptly as turns would. A turn per request costs the
// coordinator three messages (the ask, its answer and the release); an
// uncontended lease costs as many for all the requests it serves. The
// parallelism holds across all workers at every moment, because a slot
// leased to one is taken from the gate as a turn is. Fairness: a lease
// lasts seconds, so a worker waiting for a host another holds waits about
// that long (and for the requests in flight under it); it is then served
// first (the gate's waiters are served in order), and the holder's next
// lease is only its share, and contended. A host with a delay keeps a turn
// per request; a coordinator of protocol 5 answers a lease's ask with a
// turn, and the worker then asks turns per request (leased).
//
// A worker killed with turns asked for (up to --parallel of them) would
// otherwise be served them one after another, each held to its timeout
// by nobody: with parallelism 1 and a 5-s request timeout, 16 asked-for
// turns stopped the host — every worker — for 16 × 35 s. So the
// coordinator checks that the asker is still there (requesterGone) every
// gateProbeEvery while it waits, and once gateProbeAfter into a turn or
// lease it still holds; a gone asker's wait ends and its turn or lease
// goes back at once. One sweep (leases.sweep, every gateSweepEvery) does
// these checks for every waiting ask and turn, one probe per worker
// connection, and ends turns and leases held past their hold: a turn
// costs the coordinator no goroutine, ticker or timer of its own.
//
// Asks that are always answered: a request the NATS server delivered to a
// coordinator that then died (SIGKILL, a crash) is answered by nobody, and
// nothing tells the asker so. The NATS client fails a request in flight
// only on Close or ForceReconnect, not when its server goes away and comes
// back (an embedded server dies with serve), and on a NATS cluster of one's
// own the worker's connection does not even drop. An ask for a lease may
// rightly wait in the gate a while, so a worker could not tell a lost ask
// from a waiting one, and waited out the ask's deadline with every request
// of it at the host (TestAnAskOutlivesACoordinatorRestart). And a lease
// the gate granted to an ask its worker had given up on (its client drops
// the late reply) was held by nobody until its hold ended, the request
// timeout and 30 s later. So a worker asks for a lease on hw.gate.ask, in
// attempts that each carry the ask's ID (gateRequest.Ask, random): the
// coordinator answers every attempt within askPoll — the lease, an error,
// or Pending (not yet; the ask keeps its place in the gate's line, its
// wait is the coordinator's and outlives the attempt) — and the worker
// sends the next attempt at once. An attempt unanswered after
// askPoll+askSlack was lost, with the coordinator or on the way, and the
// worker sends it again: a restarted coordinator takes it as a new ask
// and answers it. An attempt of an ask already granted gets the same lease
// again (the answer may have been lost), never a second one. An ask no
// attempt of which has come for askGrace was given up, and what the gate
// granted it goes back at once (the sweep); a worker that gives up an ask
// (its deadline, the site's request timeout and a lease's lifetime) also
// says so ("ask ID" on hw.gate.release), which returns a lease whose
// answer it never got. So every lease held is one its worker has or gets
// by asking again, and a lost message costs a retry or askGrace of idle
// slots, not a hold. Waiting asks are asked after, rather than each grant
// acknowledged: an acknowledgement would cost a message for every lease
// and could itself be lost (then either the worker's slots are taken back
// under it, or the lease is held after all), while an attempt per askPoll
// costs messages only while an ask waits, and a lost ask or answer is
// mended by the same retry.
//
// A coordinator that predates hw.gate.ask has no responder there (the
// server answers so at once), and the worker asks on hw.gate.acquire
// instead, in one request as before; a coordinator answers asks on
// hw.gate.acquire (workers that predate hw.gate.ask) as before. Lease IDs
// start from the coordinator's start time in nanoseconds, so that a
// release a worker sends a restarted coordinator for a lease of the dead
// one names none of the new one's.

const (
	gateAcquire = "hw.gate.acquire"
	gateStarted = "hw.gate.started"
	gateRelease = "hw.gate.release"
	// gateAsk takes asks for leases that carry an ID (gateRequest.Ask)
	// and are answered within askPoll (see "Asks that are always
	// answered" above).
	gateAsk = "hw.gate.ask"
)

type gateRequest struct {
	Site         string `json:"site"`
	Pass         uint64 `json:"pass"`
	Host         string `json:"host"`
	CrawlDelayMS int64  `json:"crawl_delay_ms,omitempty"`
	HoldMS       int64  `json:"hold_ms"`
	// Want (protocol 6) asks for a lease of up to this many slots rather
	// than one turn; 0 asks for a turn.
	Want int `json:"want,omitempty"`
	// Ask names an ask for a lease on hw.gate.ask: the worker picks it
	// at random and sends it again with every attempt of the ask.
	Ask string `json:"ask,omitempty"`
}

type gateReply struct {
	Lease uint64 `json:"lease"`
	// NoStart says the turn needs no hw.gate.started (no delay spaces the
	// host's turns): one message fewer per request. A worker that
	// predates it sends the message anyway, to no effect.
	NoStart bool `json:"no_start,omitempty"`
	// Slots (protocol 6) is the number of slots leased, for TTLMS from
	// the grant; 0 when the reply grants a turn (the host is spaced, or
	// the coordinator predates leases). Contended says another ask was
	// waiting for a slot at the host when the lease was granted: each of
	// its slots goes back as soon as it is idle (a partial release).
	Slots       int    `json:"slots,omitempty"`
	TTLMS       int64  `json:"ttl_ms,omitempty"`
	Contended   bool   `json:"contended,omitempty"`
	Err         string `json:"err,omitempty"`
	Unavailable bool   `json:"unavailable,omitempty"`
	// Pending answers an attempt of an ask on hw.gate.ask that the gate
	// has not granted within askPoll: the ask still waits, in its place,
	// and the worker sends the next attempt at once.
	Pending bool `json:"pending,omitempty"`
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

const (
	// leaseTTL is how long a worker may start requests under a lease of
	// slots: short, so that another worker asking for the host waits at
	// most about this long, and each lease is a new share.
	leaseTTL = 3 * time.Second
	// leaseIdle is how long a worker keeps a lease whose slots are all
	// idle before giving it back, so that a request a moment after
	// another needs no new ask; a contended lease goes back at once.
	leaseIdle = 10 * time.Millisecond
	// turnsFor is how long a worker asks turns per request at a host
	// after its ask for a lease was answered with a turn (the host is
	// spaced, or the coordinator grants no leases) before asking for a
	// lease again.
	turnsFor = time.Minute
)

const (
	// askPoll is the longest the coordinator keeps an attempt of an ask
	// on hw.gate.ask before answering it Pending.
	askPoll = 2 * time.Second
	// askSlack is how much longer than askPoll a worker waits for an
	// attempt's answer before it takes the attempt for lost and sends it
	// again: room for a busy coordinator or network.
	askSlack = 2 * time.Second
	// askGrace is how long an ask waits in the gate with no attempt of it
	// at the coordinator before it counts as given up. A worker sends the
	// next attempt as soon as one is answered.
	askGrace = 3 * time.Second
	// askRetryPause spaces a worker's attempts that failed at once (its
	// connection down, say).
	askRetryPause = 250 * time.Millisecond
	// askForget is how long the coordinator remembers an ask that ended
	// (leases.ended): far longer than an attempt takes.
	askForget = time.Minute
)

// leases are the turns the coordinator granted and not yet got back, and
// the asks for turns still waiting, both watched by sweep.
type leases struct {
	mu      sync.Mutex
	next    uint64
	held    map[uint64]*lease
	waiting map[*ask]struct{}
	// interest counts, per host of a pass (leaseKey) and asking
	// connection (probePrefix), the leases of slots held and asked for:
	// the others' count sets an ask's fair share.
	interest map[string]map[string]int
	// asks are the asks on hw.gate.ask by ID, from their first attempt
	// until they are given up, answered with an error, or their lease
	// ends.
	asks map[string]*leaseAsk
	// ended are the asks given up or whose lease ended, by ID, for
	// askForget: an attempt of one that comes late (delayed on the way,
	// or handled after a later one) is answered that the ask ended,
	// rather than taken for a new ask, whose grant nobody would take.
	ended map[string]time.Time
}

// leaseKey names a host of a site's pass in leases.interest.
func leaseKey(r *gateRequest) string {
	return r.Site + "\x00" + strconv.FormatUint(r.Pass, 10) + "\x00" + r.Host
}

// join counts one lease held or asked for by inbox at key and returns how
// many other connections hold or ask for slots there.
func (l *leases) join(key, inbox string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.interest == nil {
		l.interest = map[string]map[string]int{}
	}
	m := l.interest[key]
	if m == nil {
		m = map[string]int{}
		l.interest[key] = m
	}
	m[inbox]++
	return len(m) - 1
}

// others is how many connections other than inbox hold or ask for slots
// at key.
func (l *leases) others(key, inbox string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.interest[key]
	if m[inbox] > 0 {
		return len(m) - 1
	}
	return len(m)
}

// leave undoes one join.
func (l *leases) leave(key, inbox string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.interest[key]
	if m[inbox]--; m[inbox] <= 0 {
		delete(m, inbox)
	}
	if len(m) == 0 {
		delete(l.interest, key)
	}
}

type lease struct {
	started, release func()
	// slots are a lease's slots (nil for a turn), given back in part by
	// give.
	slots *transport.Slots
	// inbox is the asking connection's reply prefix (probePrefix); due
	// when the turn's check is due (zero once done), until when its hold
	// ends.
	inbox      string
	due, until time.Time
	// ask is the ask on hw.gate.ask it was granted to, if any.
	ask *leaseAsk
}

// leaseAsk is an ask for a lease on hw.gate.ask. leases.mu guards its
// fields; rep may be read without it once done is closed.
type leaseAsk struct {
	id string
	// done is closed once the gate has answered the ask, rep then set: a
	// lease, a turn (Slots 0) or an error.
	done chan struct{}
	rep  gateReply
	// attempts counts its attempts waiting for an answer; last is when
	// one last came or was answered.
	attempts int
	last     time.Time
	// answered: rep, a grant, went to an attempt. The worker has it, or
	// gets it again by asking again; it ends as any lease does.
	answered bool
	// gone: the ask was given up; a grant that comes goes back at once.
	gone bool
	// cancel ends its wait in the gate.
	cancel context.CancelFunc
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

// addSlots records a lease of slots; release is called once all are
// given back.
func (l *leases) addSlots(s *transport.Slots, release func(), inbox string, hold time.Duration) uint64 {
	id := l.add(func() {}, release, inbox, hold)
	l.mu.Lock()
	l.held[id].slots = s
	l.mu.Unlock()
	return id
}

// give gives back k of lease id's slots, and ends the lease once none is
// left; a turn, or k 0, ends at once.
func (l *leases) give(id uint64, k int) {
	l.mu.Lock()
	le, ok := l.held[id]
	if ok && le.slots != nil && k > 0 && k < le.slots.N {
		le.slots.Give(k)
		l.mu.Unlock()
		return
	}
	delete(l.held, id)
	if ok && le.ask != nil {
		l.forget(le.ask, true)
	}
	l.mu.Unlock()
	if ok {
		le.release()
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
	if ok && le.ask != nil {
		l.forget(le.ask, true)
	}
	l.mu.Unlock()
	if ok {
		le.release()
	}
}

// attempt records an attempt of the ask id; the first (fresh) makes the
// ask, whose wait in the gate ctx bounds (a child of parent, ended when
// the ask is given up). a is nil for an ask that ended.
func (l *leases) attempt(parent context.Context, id string) (a *leaseAsk, ctx context.Context, fresh bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.ended[id]; ok {
		return nil, nil, false
	}
	if l.asks == nil {
		l.asks = map[string]*leaseAsk{}
	}
	if a = l.asks[id]; a == nil {
		a, fresh = &leaseAsk{id: id, done: make(chan struct{})}, true
		ctx, a.cancel = context.WithCancel(parent)
		l.asks[id] = a
	}
	a.attempts++
	a.last = time.Now()
	return a, ctx, fresh
}

// attempted records that an attempt of a was answered rep. An ask
// answered with an error ends: a later attempt of it is a new ask.
func (l *leases) attempted(a *leaseAsk, rep *gateReply) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a.attempts--
	a.last = time.Now()
	switch {
	case rep.Pending:
	case rep.Err == "":
		a.answered = true
	default:
		l.forget(a, false)
	}
}

// granted records the gate's answer to a. What the gate granted an ask
// given up meanwhile goes back at once.
func (l *leases) granted(a *leaseAsk, rep gateReply) {
	l.mu.Lock()
	a.rep = rep
	close(a.done)
	back := a.gone && rep.Err == ""
	l.mu.Unlock()
	a.cancel()
	if back {
		l.release(rep.Lease)
	}
}

// owned records that lease id was granted to the ask a (nil: none).
func (l *leases) owned(id uint64, a *leaseAsk) {
	if a == nil {
		return
	}
	l.mu.Lock()
	if le := l.held[id]; le != nil {
		le.ask = a
	}
	l.mu.Unlock()
}

// giveUp gives up the ask id (its worker says it did, "ask ID" on
// hw.gate.release): its wait ends, and what the gate granted it goes
// back — its worker never got the answer.
func (l *leases) giveUp(id string) {
	var back uint64
	l.mu.Lock()
	if a := l.asks[id]; a != nil {
		back = l.giveUpLocked(a)
	}
	l.mu.Unlock()
	if back != 0 {
		l.release(back)
	}
}

// giveUpLocked gives up a: its wait in the gate ends, and it returns the
// turn or lease the gate granted it, if any, for the caller to release
// once l.mu is unlocked. l.mu is held.
func (l *leases) giveUpLocked(a *leaseAsk) (lease uint64) {
	a.gone = true
	l.forget(a, true)
	select {
	case <-a.done:
		if a.rep.Err == "" {
			return a.rep.Lease
		}
	default:
		a.cancel()
	}
	return 0
}

// forget takes a off the asks, and remembers that it ended (for
// askForget) unless another attempt of it may make it anew (it was
// answered with an error). l.mu is held.
func (l *leases) forget(a *leaseAsk, ended bool) {
	if l.asks[a.id] != a {
		return
	}
	delete(l.asks, a.id)
	if ended {
		if l.ended == nil {
			l.ended = map[string]time.Time{}
		}
		l.ended[a.id] = time.Now()
	}
}

// sweep runs every gateSweepEvery until ctx ends: turns past their hold
// go back, asks past their longest wait end, asks on hw.gate.ask with no
// attempt for askGrace are given up, and the connections of asks
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
	for _, a := range l.asks {
		if !a.answered && a.attempts == 0 && now.Sub(a.last) > askGrace {
			if id := l.giveUpLocked(a); id != 0 {
				expired = append(expired, id)
			}
		}
	}
	for id, at := range l.ended {
		if now.Sub(at) > askForget {
			delete(l.ended, id)
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
	if err := json.Unmarshal(m.Data, &req); err != nil {
		c.reply(m, gateReply{Err: err.Error()})
		return
	}
	inbox := probePrefix(m.Reply)
	rep := c.grant(c.runCtx, &req, inbox, inbox, nil)
	data, _ := json.Marshal(rep)
	if err := m.Respond(data); err != nil && rep.Err == "" {
		c.gate.release(rep.Lease)
	}
}

// onGateAsk answers an attempt of an ask for a lease on hw.gate.ask
// within askPoll: with what the gate granted the ask, or the error it
// failed with, or Pending while it still waits. The first attempt of an
// ask starts its wait in the gate, which later attempts find by the ask's
// ID; an attempt of an ask already granted gets the same grant again.
func (c *Coordinator) onGateAsk(m *nats.Msg) {
	var req gateRequest
	if err := json.Unmarshal(m.Data, &req); err != nil || req.Ask == "" {
		if err == nil {
			err = errors.New("an ask for a lease without its ID")
		}
		c.reply(m, gateReply{Err: err.Error()})
		return
	}
	a, ctx, fresh := c.gate.attempt(c.runCtx, req.Ask)
	if a == nil {
		c.reply(m, gateReply{Err: "this ask for a lease has ended", Unavailable: true})
		return
	}
	if fresh {
		inbox := probePrefix(m.Reply)
		c.wg.Go(func() { c.gate.granted(a, c.grant(ctx, &req, inbox, "", a)) })
	}
	poll := time.NewTimer(askPoll)
	var rep gateReply
	select {
	case <-a.done:
		rep = a.rep
	case <-poll.C:
		rep.Pending = true
	case <-c.runCtx.Done():
		rep.Err, rep.Unavailable = "the coordinator is stopping", true
	}
	poll.Stop()
	c.gate.attempted(a, &rep)
	data, _ := json.Marshal(rep)
	if err := m.Respond(data); err != nil && !rep.Pending && rep.Err == "" {
		c.gate.giveUp(req.Ask)
	}
}

// grant waits until ctx ends for a turn at req's host, or a lease of
// slots when req.Want > 0, for the connection inbox (probePrefix), and
// records it, for ask when it is one on hw.gate.ask (nil: on
// hw.gate.acquire). While it waits, probe's connection is checked (""
// for none: an ask on hw.gate.ask is given up when no attempt comes).
func (c *Coordinator) grant(ctx context.Context, req *gateRequest, inbox, probe string, ask *leaseAsk) gateReply {
	var rep gateReply
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	unwait := c.gate.wait(probe, cancel, gateWait-5*time.Second)
	crawlDelay := time.Duration(req.CrawlDelayMS) * time.Millisecond
	var (
		slots            *transport.Slots
		started, release func()
		err              error
	)
	key := leaseKey(req)
	if req.Want > 0 && !c.cfg.noLeases {
		others := c.gate.join(key, inbox)
		slots, err = c.cfg.Crawler.GateSlots(ctx, req.Site, req.Pass, req.Host, crawlDelay, req.Want, others)
		if err != nil || slots.Started != nil {
			// Failed, or the host is spaced: a turn, not a lease.
			c.gate.leave(key, inbox)
			if err == nil {
				s := slots
				started, release, slots = s.Started, func() { s.Give(s.N) }, nil
			}
		}
	} else {
		started, release, err = c.cfg.Crawler.GateTurn(ctx, req.Site, req.Pass, req.Host, crawlDelay)
	}
	unwait()
	if err != nil {
		rep.Err, rep.Unavailable = err.Error(), true
		return rep
	}
	// The worker's own timeout runs from the grant; the turn or lease
	// outlives it a little, for the body to be read and closed.
	hold := time.Duration(req.HoldMS)*time.Millisecond + 30*time.Second
	if slots != nil {
		rep.Slots, rep.TTLMS, rep.Contended = slots.N, leaseTTL.Milliseconds(), slots.Contended
		c.leasesGranted.Add(1)
		c.slotsLeased.Add(int64(slots.N))
		s := slots
		rep.Lease = c.gate.addSlots(s, func() {
			s.Give(s.N)
			c.gate.leave(key, inbox)
		}, inbox, hold+leaseTTL)
	} else {
		c.turnsGranted.Add(1)
		if started == nil {
			started, rep.NoStart = func() {}, true
		}
		rep.Lease = c.gate.add(started, release, inbox, hold)
	}
	c.gate.owned(rep.Lease, ask)
	return rep
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

// onGateRelease ends a turn or lease ("id"), or gives back some of a
// lease's slots ("id k", protocol 6), or gives up an ask on hw.gate.ask
// ("ask ID", which a coordinator that predates it ignores).
func (c *Coordinator) onGateRelease(m *nats.Msg) {
	idText, kText, part := strings.Cut(string(m.Data), " ")
	if idText == "ask" {
		c.gate.giveUp(kText)
		return
	}
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil {
		return
	}
	k := 0
	if part {
		if k, err = strconv.Atoi(kText); err != nil || k <= 0 {
			return
		}
	}
	c.gate.give(id, k)
}

// GateTransport returns crawler.Worker.Gate for a worker on nc that has
// up to parallel requests in flight (its --parallel): every request first
// takes a turn from the coordinator, or a slot of a lease the worker holds
// at the host (protocol 6), asked for up to parallel slots at a time.
// parallel 0 asks a turn per request, as a worker of protocol 5 does.
func GateTransport(nc *nats.Conn, parallel int) func(work.GateInfo, http.RoundTripper) http.RoundTripper {
	return func(g work.GateInfo, next http.RoundTripper) http.RoundTripper {
		return &gateTransport{nc: nc, info: g, next: next, want: max(parallel, 0), hosts: map[string]*hostSlots{}}
	}
}

type gateTransport struct {
	nc   *nats.Conn
	info work.GateInfo
	next http.RoundTripper
	// want is the most slots the worker holds at a host; 0: no leases.
	want int

	mu    sync.Mutex
	hosts map[string]*hostSlots
}

// hostSlots is what a worker holds at one host: its leases of slots, its
// ask for one still unanswered, and until when it asks turns instead.
type hostSlots struct {
	mu         sync.Mutex
	leases     []*slotLease
	ask        *slotAsk
	turnsUntil time.Time
}

// slotLease is a lease of slots at a host; busy of them are in use.
type slotLease struct {
	id          []byte
	slots, busy int
	// until is when requests stop starting under the lease.
	until time.Time
	// contended: another worker waited for the host when it was
	// granted; each slot goes back as soon as it is idle.
	contended bool
	idle      *time.Timer
	returned  bool
}

// slotAsk is an ask for a lease still unanswered; err is set before done
// is closed.
type slotAsk struct {
	done chan struct{}
	err  error
}

func (t *gateTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.URL.Host
	if t.want > 0 && (t.info.CrawlDelay == nil || t.info.CrawlDelay(host) <= 0) {
		if resp, err, ok := t.leased(req); ok {
			return resp, err
		}
	}
	return t.turn(req)
}

// turn sends req under a turn of its own.
func (t *gateTransport) turn(req *http.Request) (*http.Response, error) {
	rep, err := t.acquire(req.Context(), req.URL.Host, 0)
	if err != nil {
		if req.Context().Err() != nil {
			return nil, req.Context().Err()
		}
		return nil, err
	}
	return t.underTurn(req, rep)
}

// request is the ask for a turn at host, or a lease of up to want slots
// (want > 0).
func (t *gateTransport) request(host string, want int) gateRequest {
	greq := gateRequest{Site: t.info.Site, Pass: t.info.Pass, Host: host, HoldMS: t.info.Hold.Milliseconds(), Want: want}
	if t.info.CrawlDelay != nil {
		greq.CrawlDelayMS = t.info.CrawlDelay(host).Milliseconds()
	}
	return greq
}

// acquire asks the coordinator for a turn at host, or a lease of up to
// want slots (want > 0), in one request on hw.gate.acquire.
func (t *gateTransport) acquire(ctx context.Context, host string, want int) (gateReply, error) {
	var rep gateReply
	data, err := json.Marshal(t.request(host, want))
	if err != nil {
		return rep, err
	}
	ctx, cancel := context.WithTimeout(ctx, gateWait)
	msg, err := t.nc.RequestWithContext(ctx, gateAcquire, data)
	cancel()
	if err != nil {
		return rep, fmt.Errorf("turn at %s: %w: %w", host, work.ErrCentralUnavailable, err)
	}
	if err := json.Unmarshal(msg.Data, &rep); err != nil {
		return rep, fmt.Errorf("turn at %s: %w", host, err)
	}
	if rep.Err != "" {
		return rep, fmt.Errorf("turn at %s: %s: %w", host, rep.Err, work.ErrCentralUnavailable)
	}
	return rep, nil
}

// underTurn sends req under the turn rep granted.
func (t *gateTransport) underTurn(req *http.Request, rep gateReply) (*http.Response, error) {
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
	return t.send(req, release)
}

// send sends req and calls done once its response body is closed, or at
// once when it fails.
func (t *gateTransport) send(req *http.Request, done func()) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		done()
		return nil, err
	}
	resp.Body = &releaseBody{ReadCloser: resp.Body, release: done}
	return resp, nil
}

// leased sends req under a slot of a lease at its host, asking for one
// when the worker holds no free slot there; ok is false when the worker
// asks turns at the host instead (the coordinator answered its ask with a
// turn a while ago).
func (t *gateTransport) leased(req *http.Request) (resp *http.Response, err error, ok bool) {
	ctx := req.Context()
	hs := t.hostSlots(req.URL.Host)
	for {
		hs.mu.Lock()
		now := time.Now()
		if now.Before(hs.turnsUntil) {
			hs.mu.Unlock()
			return nil, nil, false
		}
		if l := hs.free(now); l != nil {
			l.busy++
			if l.idle != nil {
				l.idle.Stop()
				l.idle = nil
			}
			hs.mu.Unlock()
			resp, err := t.send(req, sync.OnceFunc(func() { t.done(hs, l) }))
			return resp, err, true
		}
		a := hs.ask
		if a == nil {
			a = &slotAsk{done: make(chan struct{})}
			hs.ask = a
			go t.askSlots(req.URL.Host, hs, a, max(t.want-hs.held(now), 1))
		}
		hs.mu.Unlock()
		select {
		case <-a.done:
			if a.err != nil {
				return nil, a.err, true
			}
		case <-ctx.Done():
			return nil, ctx.Err(), true
		}
	}
}

func (t *gateTransport) hostSlots(host string) *hostSlots {
	t.mu.Lock()
	defer t.mu.Unlock()
	hs := t.hosts[host]
	if hs == nil {
		hs = &hostSlots{}
		t.hosts[host] = hs
	}
	return hs
}

// free is a lease with a slot free that may still start requests, nil if
// none. hs.mu is held.
func (hs *hostSlots) free(now time.Time) *slotLease {
	for _, l := range hs.leases {
		if l.busy < l.slots && now.Before(l.until) {
			return l
		}
	}
	return nil
}

// held counts the slots of leases that may still start requests. hs.mu
// is held.
func (hs *hostSlots) held(now time.Time) int {
	n := 0
	for _, l := range hs.leases {
		if now.Before(l.until) {
			n += l.slots
		}
	}
	return n
}

// askSlots asks for a lease of up to want slots at host, on behalf of
// every request of the worker waiting for a slot there: it is not tied to
// any one of them, so a lease granted after they gave up is still
// recorded, and given back once idle, rather than held by nobody.
func (t *gateTransport) askSlots(host string, hs *hostSlots, a *slotAsk, want int) {
	// No request's deadline ends the ask, so it gets one of its own: the
	// longest a request would have waited for its turn (the site's request
	// timeout) and a lease's lifetime. An ask on hw.gate.ask is answered
	// within askPoll, or sent again, so this bounds only a wait the
	// coordinator keeps answering Pending, or one it cannot be reached
	// for; an ask on hw.gate.acquire (an older coordinator) that is never
	// answered (one restarted under it) would otherwise hold every request
	// of the worker at the host for gateWait.
	ctx, cancel := context.WithTimeout(context.Background(), t.info.Hold+leaseTTL)
	rep, err := t.askLease(ctx, host, want)
	cancel()
	now := time.Now()
	var turn []byte
	hs.mu.Lock()
	switch {
	case err != nil:
		a.err = err
	case rep.Slots == 0:
		// A turn: the host is spaced, or the coordinator grants no
		// leases. Its requests ask turns for a while; this turn goes
		// back unused.
		hs.turnsUntil = now.Add(turnsFor)
		turn = []byte(strconv.FormatUint(rep.Lease, 10))
	default:
		l := &slotLease{id: []byte(strconv.FormatUint(rep.Lease, 10)), slots: rep.Slots,
			until: now.Add(time.Duration(rep.TTLMS) * time.Millisecond), contended: rep.Contended}
		hs.leases = append(hs.leases, l)
		// Given back after leaseIdle if no request takes a slot.
		t.idleFor(hs, l)
	}
	hs.ask = nil
	close(a.done)
	hs.mu.Unlock()
	if turn != nil {
		_ = t.nc.Publish(gateRelease, turn)
	}
}

// askLease asks for a lease of up to want slots at host on hw.gate.ask,
// attempt after attempt of one ask, until an attempt is answered with
// the lease (or a turn) or an error, or ctx ends; an attempt answered
// Pending is followed by the next at once, and one unanswered after
// askPoll+askSlack (lost, with a coordinator that died or on the way) is
// sent again. A worker that gives the ask up says so, for the coordinator
// to take back a lease whose answer it never got. A coordinator that
// predates hw.gate.ask, which has no responder there, is asked on
// hw.gate.acquire.
func (t *gateTransport) askLease(ctx context.Context, host string, want int) (gateReply, error) {
	greq := t.request(host, want)
	greq.Ask = rand.Text()
	data, err := json.Marshal(greq)
	if err != nil {
		return gateReply{}, err
	}
	for {
		attempt, cancel := context.WithTimeout(ctx, askPoll+askSlack)
		msg, err := t.nc.RequestWithContext(attempt, gateAsk, data)
		cancel()
		if errors.Is(err, nats.ErrNoResponders) {
			// An older coordinator, or none this moment (restarting),
			// which hw.gate.acquire tells at once too.
			return t.acquire(ctx, host, want)
		}
		if err == nil {
			var rep gateReply
			if err := json.Unmarshal(msg.Data, &rep); err != nil {
				return rep, fmt.Errorf("lease at %s: %w", host, err)
			}
			switch {
			case rep.Pending:
				continue
			case rep.Err != "":
				return rep, fmt.Errorf("lease at %s: %s: %w", host, rep.Err, work.ErrCentralUnavailable)
			}
			return rep, nil
		}
		if ctx.Err() != nil {
			_ = t.nc.Publish(gateRelease, []byte("ask "+greq.Ask))
			return gateReply{}, fmt.Errorf("lease at %s: %w: %w", host, work.ErrCentralUnavailable, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(askRetryPause):
		}
	}
}

// done ends a request's use of a slot of l. The slots of a contended
// lease that are idle go back at once (a partial release, or the whole
// lease when none is busy).
func (t *gateTransport) done(hs *hostSlots, l *slotLease) {
	hs.mu.Lock()
	l.busy--
	var msg []byte
	switch {
	case l.busy == 0:
		if t.idle(hs, l) {
			msg = l.id
		}
	case l.contended:
		k := l.slots - l.busy
		l.slots = l.busy
		msg = fmt.Appendf(nil, "%s %d", l.id, k)
	}
	hs.mu.Unlock()
	if msg != nil {
		_ = t.nc.Publish(gateRelease, msg)
	}
}

// idle deals with l, whose slots are all idle: it is given back now (idle
// reports true: the caller publishes its release once hs.mu is unlocked)
// when it is contended or may start no more requests, otherwise once it
// has been idle for leaseIdle. hs.mu is held.
func (t *gateTransport) idle(hs *hostSlots, l *slotLease) bool {
	if l.contended || !time.Now().Before(l.until) {
		hs.drop(l)
		return true
	}
	t.idleFor(hs, l)
	return false
}

// idleFor gives l back once it has been idle for leaseIdle. hs.mu is
// held.
func (t *gateTransport) idleFor(hs *hostSlots, l *slotLease) {
	l.idle = time.AfterFunc(leaseIdle, func() {
		hs.mu.Lock()
		back := l.busy == 0 && !l.returned
		if back {
			hs.drop(l)
		}
		hs.mu.Unlock()
		if back {
			_ = t.nc.Publish(gateRelease, l.id)
		}
	})
}

// drop removes l from hs's leases. hs.mu is held.
func (hs *hostSlots) drop(l *slotLease) {
	l.returned = true
	if l.idle != nil {
		l.idle.Stop()
		l.idle = nil
	}
	for i, x := range hs.leases {
		if x == l {
			hs.leases = append(hs.leases[:i], hs.leases[i+1:]...)
			break
		}
	}
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
