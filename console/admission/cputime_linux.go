package admission

import (
	"runtime"
	"syscall"
	"time"
)

// rusageThread is Linux's RUSAGE_THREAD: the calling thread's usage.
const rusageThread = 1

// handlerCPU starts metering the CPU time of the calling goroutine's work
// until the returned function is called: the goroutine is locked to its
// thread meanwhile, and the thread's CPU time (user and system) is read
// at both ends. Time the goroutine spends waiting — for a core on a busy
// machine, for the network — is not CPU time and is not counted, so the
// console is billed for what it takes from the crawl, not for the
// machine's other load. If the thread's usage cannot be read, wall time
// is counted instead.
func handlerCPU() (stop func() time.Duration) {
	runtime.LockOSThread()
	start, err := threadCPU()
	began := time.Now()
	return func() time.Duration {
		defer runtime.UnlockOSThread()
		end, err2 := threadCPU()
		if err != nil || err2 != nil {
			return time.Since(began)
		}
		return end - start
	}
}

func threadCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// processCPU is the process's CPU time (user and system, all threads).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
