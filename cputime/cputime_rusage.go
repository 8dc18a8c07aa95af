//go:build unix && !linux

package cputime

import (
	"syscall"
	"time"
)

func process() (time.Duration, bool) { return usage(syscall.RUSAGE_SELF) }
