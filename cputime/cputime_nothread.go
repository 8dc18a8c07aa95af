//go:build !linux

package cputime

import "time"

// thread: a thread's own usage is a Linux getrusage option.
func thread() (time.Duration, bool) { return 0, false }
