// Package cputime reads how much CPU time the process, and the calling
// thread, have used. Budgets and benchmarks read it rather than the wall
// clock because on a busy machine wall time also counts the wait for a
// core: a JPEG decode's budget (hashing), the console's share of the CPU
// (console/admission) and the speed ratios of `hashwatch bench` must
// measure the work, not the machine's other load.
//
// Where a figure cannot be read (Thread outside Linux, Process outside
// Unix) the functions say so with ok false, and each caller decides its
// fallback.
package cputime

import "time"

// Thread is the CPU time (user and system) the calling OS thread has used.
// A caller metering a goroutine's work locks it to its thread
// (runtime.LockOSThread) between the two readings.
func Thread() (d time.Duration, ok bool) { return thread() }

// Process is the CPU time (user and system, all threads) the process has
// used.
func Process() (d time.Duration, ok bool) { return process() }
