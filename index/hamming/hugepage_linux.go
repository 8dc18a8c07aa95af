//go:build linux

package hamming

import (
	"syscall"
	"unsafe"
)

const (
	hugePage      = 2 << 20
	madvHugepage  = 14 // MADV_HUGEPAGE
	hugeThreshold = 4 << 20
)

// adviseHuge asks the kernel to back the 2 MiB-aligned interior of s with
// transparent huge pages (effective when THP is in "madvise" or "always"
// mode, and only for pages not yet touched). Errors are ignored: it is only
// a hint.
func adviseHuge[T any](s []T) {
	if len(s) == 0 {
		return
	}
	size := uintptr(len(s)) * unsafe.Sizeof(s[0])
	if size < hugeThreshold {
		return
	}
	p := uintptr(unsafe.Pointer(&s[0]))
	start := (p + hugePage - 1) &^ (hugePage - 1)
	end := (p + size) &^ (hugePage - 1)
	if end <= start {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(&s[0]), start-p)), end-start)
	_ = syscall.Madvise(b, madvHugepage)
}
