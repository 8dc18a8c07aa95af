//go:build !unix

package eval

import "time"

// cpuNow is not measured where getrusage does not exist.
func cpuNow() time.Duration { return 0 }
