package admission

import (
	"runtime"
	"time"

	"github.com/hashwatch/hashwatch/cputime"
)

// handlerCPU starts metering the CPU time of the calling goroutine's work
// until the returned function is called: the goroutine is locked to its
// thread meanwhile, and the thread's CPU time (user and system) is read
// at both ends. Time the goroutine spends waiting — for a core on a busy
// machine, for the network — is not CPU time and is not counted, so the
// console is billed for what it takes from the crawl, not for the
// machine's other load. Where the thread's usage cannot be read, wall time
// is counted instead: an upper bound of its CPU time.
func handlerCPU() (stop func() time.Duration) {
	runtime.LockOSThread()
	start, ok := cputime.Thread()
	began := time.Now()
	return func() time.Duration {
		defer runtime.UnlockOSThread()
		end, ok2 := cputime.Thread()
		if !ok || !ok2 {
			return time.Since(began)
		}
		return end - start
	}
}

// processStart anchors processCPU's fallback.
var processStart = time.Now()

// processCPU is the process's CPU time (user and system, all threads).
// Where it cannot be read it assumes every core busy since the start: the
// share is then of GOMAXPROCS.
func processCPU() time.Duration {
	if d, ok := cputime.Process(); ok {
		return d
	}
	return time.Duration(float64(time.Since(processStart)) * float64(runtime.GOMAXPROCS(0)))
}
