//go:build !amd64 || purego

package hamming

func probeRel(base []uint32, rel []uint16, key uint32, masks []uint32, out []uint64) int {
	return probeRelGo(base, rel, key, masks, out)
}

func probeOff(off []uint32, key uint32, masks []uint32, out []uint64) int {
	return probeOffGo(off, key, masks, out)
}

func gatherSlots(slots []uint32, rng []uint64, out []uint32) int {
	return gatherSlotsGo(slots, rng, out)
}

func verify256(codes []uint64, cand []uint32, q *[4]uint64, r int, out []uint64) int {
	return verify256Go(codes, cand, q, r, out)
}

func verify64(codes []uint64, rng []uint64, q uint64, r int, out []uint64) int {
	return verify64Go(codes, rng, q, r, out)
}

func scan256(codes []uint64, q *[4]uint64, r int, out []uint64) int {
	return scan256Go(codes, q, r, out)
}

func scan64(codes []uint64, q uint64, r int, out []uint64) int {
	return scan64Go(codes, q, r, out)
}
