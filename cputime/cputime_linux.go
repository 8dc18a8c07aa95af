package cputime

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Linux reads the CPU-time clocks rather than getrusage: getrusage sums
// what the scheduler has accounted at its last tick or switch, so a
// running thread's current slice is missing from it — a reading stale by
// up to a tick, which made 200 spins of 0.5 ms between two readings count
// 10 ms of 100 ms (the console's handlers, most shorter than a tick, were
// billed a third of what they took). The clocks count up to the present.

func thread() (time.Duration, bool) {
	return clock(unix.CLOCK_THREAD_CPUTIME_ID, -1)
}

func process() (time.Duration, bool) {
	return clock(unix.CLOCK_PROCESS_CPUTIME_ID, syscall.RUSAGE_SELF)
}

// clock reads CPU-time clock id, or getrusage for who where the clock
// cannot be read (who -1: the thread's, RUSAGE_THREAD).
func clock(id int32, who int) (time.Duration, bool) {
	var ts unix.Timespec
	if err := unix.ClockGettime(id, &ts); err == nil {
		return time.Duration(ts.Nano()), true
	}
	if who == -1 {
		who = rusageThread
	}
	return usage(who)
}

// rusageThread is Linux's RUSAGE_THREAD: the calling thread's usage.
const rusageThread = 1
