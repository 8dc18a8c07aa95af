//go:build linux

package video

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// memFile returns an anonymous in-memory file (memfd_create) holding
// data, sealed against any change, for ffmpeg to read and seek in as
// /proc/self/fd/N. It has no name in any file system, so nothing of the
// video can be left on disk, even by a kill -9: the kernel frees it with
// the last descriptor.
func memFile(data []byte) (*os.File, error) {
	fd, err := unix.MemfdCreate("hashwatch-video", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:hashwatch-video")
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("memfd write: %w", err)
	}
	// ffmpeg reads it; nothing may change it behind the hasher's back.
	seals := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, fmt.Errorf("memfd seal: %w", err)
	}
	return f, nil
}

// procFD is where a child process finds its own descriptors by number.
const procFD = "/proc/self/fd/"

// memfdWorks reports whether in-memory files can be made and reopened
// through /proc by a child process.
func memfdWorks() bool {
	f, err := memFile([]byte{0})
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = os.Stat(procFD + strconv.Itoa(int(f.Fd())))
	return err == nil
}
