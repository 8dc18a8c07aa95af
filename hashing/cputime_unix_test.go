//go:build unix

package hashing

import "syscall"

// processCPU returns the CPU time (user + system) this process has used, in
// nanoseconds. Benchmarks report it per operation next to wall time: on a
// shared machine wall time includes waiting for a core, CPU time does not.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
