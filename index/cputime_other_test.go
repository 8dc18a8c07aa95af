//go:build !unix

package index_test

import "time"

// processCPU is not measured on this platform: the load reports 0 CPU.
func processCPU() time.Duration { return 0 }
