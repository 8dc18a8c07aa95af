package console

import (
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
type load = admission.Load

const (
	light = admission.Light
	heavy = admission.Heavy
	free  = admission.Free
)

func newGate(l Limits, crawling func() bool) *admission.Gate {
	return admission.New(admission.Config{
		Light: l.Handlers, Heavy: l.HeavyRequests, Share: l.HandlerShare,
		QueueWait: l.QueueWait, QueueLength: l.QueueLength, Metered: crawling,
	})
}

// busy answers a request the gate turned away: 503 with Retry-After.
func busy(w http.ResponseWriter, err *admission.Busy) error {
	w.Header().Set("Retry-After", fmt.Sprint(err.RetrySeconds()))
	return &httpError{status: http.StatusServiceUnavailable, msg: err.Error()}
}
