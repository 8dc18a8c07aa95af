package console

import (
	"net/netip"
	"strings"
	"sync"
	"time"
)

// limiter counts failures per key (a remote address, a user name) in a
// sliding window and refuses a key that reached its limit until the oldest
// failure leaves the window. Memory is bounded: at most maxKeys keys are
// kept, the stalest dropped first.
type limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	hits map[string][]time.Time
}

// maxLimiterKeys bounds a limiter's memory under a flood of distinct keys.
const maxLimiterKeys = 10000

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: window, now: now, hits: map[string][]time.Time{}}
}

// blocked reports whether key is over its limit, and until when.
func (l *limiter) blocked(key string) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.live(key)
	if len(h) < l.max {
		return false, time.Time{}
	}
	return true, h[0].Add(l.window)
}

// fail records a failure of key.
func (l *limiter) fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := append(l.live(key), l.now())
	if len(h) > l.max {
		h = h[len(h)-l.max:]
	}
	if _, ok := l.hits[key]; !ok && len(l.hits) >= maxLimiterKeys {
		l.evict()
	}
	l.hits[key] = h
}

// reset forgets key's failures (after a successful login).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
}

// live drops key's failures older than the window and returns the rest.
func (l *limiter) live(key string) []time.Time {
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
func (l *limiter) evict() {
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

// limitKey is the limiter key of a remote address: the address itself for
// IPv4, its /64 network for IPv6, since one host commonly holds a whole /64
// and could otherwise spread its guesses over as many addresses as it likes.
func limitKey(remote string) string {
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

// passwordBlocked reports whether password checks from remote or for user
// are refused for now (too many failures), and until when.
func (s *Server) passwordBlocked(remote, user string) (bool, time.Time) {
	ipBlocked, until1 := s.ipLimit.blocked(limitKey(remote))
	userBlocked, until2 := s.userLimit.blocked(strings.ToLower(user))
	if until2.After(until1) {
		until1 = until2
	}
	return ipBlocked || userBlocked, until1
}

// passwordFailed counts a wrong password from remote for user.
func (s *Server) passwordFailed(remote, user string) {
	s.ipLimit.fail(limitKey(remote))
	s.userLimit.fail(strings.ToLower(user))
}
