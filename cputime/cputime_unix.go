//go:build unix

package cputime

import (
	"syscall"
	"time"
)

// usage is getrusage's user and system time for who.
func usage(who int) (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
