//go:build unix

package store

import (
	"errors"
	"syscall"
)

// oNoFollow makes an open fail on a symbolic link instead of following it.
const oNoFollow = syscall.O_NOFOLLOW

// processAlive reports whether a process with this PID exists. Signal 0
// checks without sending anything; EPERM means it exists but belongs to
// someone else.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
