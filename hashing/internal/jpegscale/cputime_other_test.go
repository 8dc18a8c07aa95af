//go:build !unix

package jpegscale

// processCPU is not measured on this platform: benchmarks report 0.
func processCPU() int64 { return 0 }
