//go:build !linux

package video

import (
	"errors"
	"os"
)

// memFile is unavailable outside Linux: videos that must be seeked in go
// through a temporary file (see Hasher.InMemory).
func memFile([]byte) (*os.File, error) { return nil, errNoMemfd }

const procFD = "/dev/fd/"

var errNoMemfd = errors.New("memfd_create is Linux-only")

func memfdWorks() bool { return false }
