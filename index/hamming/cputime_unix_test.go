//go:build unix

package hamming

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time of the process, so write
// benchmarks can report CPU per operation (including background compaction)
// independently of other load on a shared machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
