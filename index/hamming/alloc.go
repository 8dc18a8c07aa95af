package hamming

// Large arrays are allocated through these helpers so that, on Linux, they
// can be backed by transparent huge pages (see hugepage_linux.go): a 10M-code
// index is ~1 GiB of arrays, and taking a page fault per 4 KiB while building
// it costs seconds; huge pages also cut TLB misses of random probes.

func makeU32(n int) []uint32 {
	s := make([]uint32, n)
	adviseHuge(s)
	return s
}

func makeU64(n int) []uint64 {
	s := make([]uint64, n)
	adviseHuge(s)
	return s
}

func makeU16(n int) []uint16 {
	s := make([]uint16, n)
	adviseHuge(s)
	return s
}
