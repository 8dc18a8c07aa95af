//go:build race

package crawler

// raceEnabled is true when the race detector is on; its instrumentation
// slows goroutines unevenly, so timing assertions are skipped then.
const raceEnabled = true
