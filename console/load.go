package console

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/hashwatch/hashwatch/console/admission"
)

// The console bounds its handlers with an admission.Gate (see that
// package for why and how), sized by Limits. The route table decides each
// route's load; the gate is taken after the guard (authentication, body
// read, role check), so a client trickling a body holds no slot, and is
// not taken on routes marked free (the health check, and the login form's
// post, whose password check the login limiter bounds and whose refusals
// must not wait in line).

// load is a route's row in the gate: what one of its requests may cost.
type load int

const (
	light load = iota
	heavy
	free
	// cached routes keep their answer (the dashboard, dashcache.go): a
	// request answered from what is kept takes no slot (it costs a few
	// reads and a copy, like the guard's session check) but is billed
	// (admission.Billed), one that must compute it is heavy. The handler
	// enters the gate itself (admit), once it knows which.
	cached
)

func (l load) String() string { return [...]string{"light", "heavy", "free", "cached"}[l] }

// gateLoad is l as the gate knows it; a cached route's handler enters the
// gate itself.
func (l load) gateLoad() admission.Load {
	switch l {
	case heavy:
		return admission.Heavy
	case free, cached:
		return admission.Free
	}
	return admission.Light
}

func newGate(l Limits, crawling func() bool) *admission.Gate {
	return admission.New(admission.Config{
		Light: l.Handlers, Heavy: l.HeavyRequests, Share: l.HandlerShare,
		QueueWait: l.QueueWait, QueueLength: l.QueueLength, Metered: crawling,
	})
}

// admit waits for the gate to let a request of load l in, or answers 503
// with Retry-After; leave gives the slot back.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, l admission.Load) (leave func(), err error) {
	leave, err = s.gate.Enter(r.Context(), l)
	if err != nil {
		var b *admission.Busy
		if errors.As(err, &b) {
			return nil, busy(w, b)
		}
		return nil, err
	}
	return leave, nil
}

// busy answers a request the gate turned away: 503 with Retry-After.
func busy(w http.ResponseWriter, err *admission.Busy) error {
	w.Header().Set("Retry-After", fmt.Sprint(err.RetrySeconds()))
	return refuse(http.StatusServiceUnavailable, "err.busy", err.RetrySeconds())
}
