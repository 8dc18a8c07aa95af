//go:build !unix

package main

import "time"

// selfCPU is not measured where getrusage does not exist.
func selfCPU() time.Duration { return 0 }
