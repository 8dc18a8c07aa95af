//go:build race

package hamming

// raceEnabled scales the heavier tests down under the race detector, which
// slows them about tenfold.
const raceEnabled = true
