//go:build !linux

package admission

import (
	"runtime"
	"time"
)

// handlerCPU meters a handler's wall time where the thread's CPU time
// cannot be read: an upper bound of its CPU time.
func handlerCPU() (stop func() time.Duration) {
	began := time.Now()
	return func() time.Duration { return time.Since(began) }
}

// processStart anchors processCPU.
var processStart = time.Now()

// processCPU, where the process's CPU time cannot be read, assumes every
// core busy: the share is then of GOMAXPROCS.
func processCPU() time.Duration {
	return time.Duration(float64(time.Since(processStart)) * float64(runtime.GOMAXPROCS(0)))
}
