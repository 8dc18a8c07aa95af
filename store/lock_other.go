//go:build !unix

package store

// processAlive cannot check cheaply here; the PID file is trusted.
func processAlive(pid int) bool { return true }

// oNoFollow is not available here; the database and PID paths are opened
// as given.
const oNoFollow = 0
