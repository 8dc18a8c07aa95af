//go:build !unix

package cputime

import "time"

// process: getrusage does not exist here.
func process() (time.Duration, bool) { return 0, false }
