//go:build !linux

package hashing

// threadCPUTime is not available here: a decode's CPU budget is then
// metered in wall time (decodeBudget).
func threadCPUTime() (int64, bool) { return 0, false }
