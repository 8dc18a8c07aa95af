//go:build !linux

package console

import "time"

// handlerCPU meters a handler's wall time where the thread's CPU time
// cannot be read: an upper bound of its CPU time.
func handlerCPU() (stop func() time.Duration) {
	began := time.Now()
	return func() time.Duration { return time.Since(began) }
}
