// Package loginlimit slows password guessing without letting anyone lock
// another person out: a Limiter per kind of key (remote address, user
// name) counts failed checks in a sliding window and, past a free number,
// makes each further attempt wait a doubling delay with a ceiling.
// Admission is atomic, so parallel guesses get one check, and memory is
// bounded under a flood of distinct keys. It imports only the standard
// library; the console decides which keys a login counts against.
package loginlimit

import (
	"net/netip"
	"sync"
	"time"
)

// Limiter counts failed password checks per key (a remote address, a user
// name) in a sliding window. The first max failures are free; after that
// each attempt must wait a delay that doubles with every further failure
// (1 s, 2 s, 4 s, …, at most maxDelay) — a guesser is slowed to a crawl,
// but nobody can lock another person out for good by failing on purpose.
//
// Admission is atomic: an attempt is counted as a failure when it is
// admitted, before the (slow) password check, and undone if the password
// was right; and only maxInflight checks per key run at once. So 40
// parallel wrong passwords get one check, not 40. Memory is bounded: at
// most maxKeys keys are kept, the stalest dropped first.
type Limiter struct {
	max         int
	window      time.Duration
	maxDelay    time.Duration
	maxInflight int
	now         func() time.Time

	mu       sync.Mutex
	hits     map[string][]time.Time
	inflight map[string]int
}

// maxLimiterKeys bounds a limiter's memory under a flood of distinct keys.
const maxLimiterKeys = 10000

// limiterBaseDelay is the first delay after the free failures.
const limiterBaseDelay = time.Second

// New returns a Limiter allowing max failures per key within window, then
// delays doubling from a second up to maxDelay; now is the clock (tests set
// it).
func New(max int, window, maxDelay time.Duration, now func() time.Time) *Limiter {
	return &Limiter{max: max, window: window, maxDelay: maxDelay, maxInflight: 1, now: now,
		hits: map[string][]time.Time{}, inflight: map[string]int{}}
}

// next returns when key may try again given its live failures h.
func (l *Limiter) next(h []time.Time) time.Time {
	if len(h) < l.max {
		return time.Time{}
	}
	d := l.maxDelay
	if k := len(h) - l.max; k < 32 && limiterBaseDelay<<k < d {
		d = limiterBaseDelay << k
	}
	return h[len(h)-1].Add(d)
}

// Admit reserves an attempt for key: it counts it as a failure now and
// marks a check in flight, unless key must wait (then it returns false and
// when to come back). Every admitted attempt must be settled.
func (l *Limiter) Admit(key string) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if l.inflight[key] >= l.maxInflight {
		return false, now.Add(limiterBaseDelay)
	}
	h := l.live(key)
	if at := l.next(h); now.Before(at) {
		return false, at
	}
	if _, ok := l.hits[key]; !ok && len(l.hits) >= maxLimiterKeys {
		l.evict()
	}
	h = append(h, now)
	if len(h) > l.max+32 {
		h = h[len(h)-l.max-32:]
	}
	l.hits[key] = h
	l.inflight[key]++
	return true, time.Time{}
}

// Settle ends an admitted attempt: a right password takes back the
// failure Admit counted (and, with forget, all of key's failures).
func (l *Limiter) Settle(key string, ok, forget bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inflight[key]--; l.inflight[key] <= 0 {
		delete(l.inflight, key)
	}
	if !ok {
		return
	}
	h := l.hits[key]
	switch {
	case forget || len(h) <= 1:
		delete(l.hits, key)
	default:
		l.hits[key] = h[:len(h)-1]
	}
}

// live drops key's failures older than the window and returns the rest.
func (l *Limiter) live(key string) []time.Time {
	h := l.hits[key]
	cut := l.now().Add(-l.window)
	i := 0
	for i < len(h) && !h[i].After(cut) {
		i++
	}
	if i == len(h) {
		delete(l.hits, key)
		return nil
	}
	h = h[i:]
	l.hits[key] = h
	return h
}

// evict drops every key whose failures have left the window, or failing
// that the key with the oldest latest failure.
func (l *Limiter) evict() {
	cut := l.now().Add(-l.window)
	var oldest string
	var oldestAt time.Time
	for k, h := range l.hits {
		last := h[len(h)-1]
		if !last.After(cut) {
			delete(l.hits, k)
			continue
		}
		if oldest == "" || last.Before(oldestAt) {
			oldest, oldestAt = k, last
		}
	}
	if len(l.hits) >= maxLimiterKeys {
		delete(l.hits, oldest)
	}
}

// Key is the limiter key of a remote address: the address itself for
// IPv4, its /64 network for IPv6, since one host commonly holds a whole /64
// and could otherwise spread its guesses over as many addresses as it likes.
func Key(remote string) string {
	ip, err := netip.ParseAddr(remote)
	if err != nil || ip.Is4() || ip.Is4In6() {
		return remote
	}
	p, err := ip.Prefix(64)
	if err != nil {
		return remote
	}
	return p.String()
}
