//go:build !race

package hamming

const raceEnabled = false
