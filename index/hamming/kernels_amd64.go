//go:build amd64 && !purego

package hamming

// useAsm is false on the rare amd64 CPUs without POPCNT.
var useAsm = hasPOPCNT()

func hasPOPCNT() bool

//go:noescape
func probeRelAsm(base *uint32, rel *uint16, key uint32, masks *uint32, nm int, out *uint64) int

//go:noescape
func probeOffAsm(off *uint32, key uint32, masks *uint32, nm int, out *uint64) int

//go:noescape
func gatherSlotsAsm(slots *uint32, rng *uint64, nr int, out *uint32) int

//go:noescape
func verify256Asm(codes *uint64, cand *uint32, n int, q *[4]uint64, r int, out *uint64) int

//go:noescape
func verify64Asm(codes *uint64, rng *uint64, nr int, q uint64, r int, out *uint64) int

// The wrappers check the slice lengths the assembly relies on; indices
// derived from keys are in range by construction (keys and masks are below
// 2^width, and the offset arrays have 2^width+1 entries).

func probeRel(base []uint32, rel []uint16, key uint32, masks []uint32, out []uint64) int {
	if !useAsm || len(masks) == 0 {
		return probeRelGo(base, rel, key, masks, out)
	}
	_ = out[len(masks)-1]
	return probeRelAsm(&base[0], &rel[0], key, &masks[0], len(masks), &out[0])
}

func probeOff(off []uint32, key uint32, masks []uint32, out []uint64) int {
	if !useAsm || len(masks) == 0 {
		return probeOffGo(off, key, masks, out)
	}
	_ = out[len(masks)-1]
	return probeOffAsm(&off[0], key, &masks[0], len(masks), &out[0])
}

func gatherSlots(slots []uint32, rng []uint64, out []uint32) int {
	if !useAsm || len(rng) == 0 {
		return gatherSlotsGo(slots, rng, out)
	}
	total := 0
	for _, rg := range rng {
		total += int(uint32(rg) - uint32(rg>>32))
	}
	if total == 0 {
		return 0
	}
	_ = out[total-1]
	return gatherSlotsAsm(&slots[0], &rng[0], len(rng), &out[0])
}

func verify256(codes []uint64, cand []uint32, q *[4]uint64, r int, out []uint64) int {
	if !useAsm || len(cand) == 0 {
		return verify256Go(codes, cand, q, r, out)
	}
	_ = out[len(cand)-1]
	return verify256Asm(&codes[0], &cand[0], len(cand), q, r, &out[0])
}

func verify64(codes []uint64, rng []uint64, q uint64, r int, out []uint64) int {
	if !useAsm || len(rng) == 0 {
		return verify64Go(codes, rng, q, r, out)
	}
	total := 0
	for _, rg := range rng {
		total += int(uint32(rg) - uint32(rg>>32))
	}
	if total == 0 {
		return 0
	}
	_ = out[total-1]
	return verify64Asm(&codes[0], &rng[0], len(rng), q, r, &out[0])
}

//go:noescape
func scan256Asm(codes *uint64, n int, q *[4]uint64, r int, out *uint64) int

//go:noescape
func scan64Asm(codes *uint64, n int, q uint64, r int, out *uint64) int

func scan256(codes []uint64, q *[4]uint64, r int, out []uint64) int {
	n := len(codes) / 4
	if !useAsm || n == 0 {
		return scan256Go(codes, q, r, out)
	}
	_ = out[n-1]
	return scan256Asm(&codes[0], n, q, r, &out[0])
}

func scan64(codes []uint64, q uint64, r int, out []uint64) int {
	if !useAsm || len(codes) == 0 {
		return scan64Go(codes, q, r, out)
	}
	_ = out[len(codes)-1]
	return scan64Asm(&codes[0], len(codes), q, r, &out[0])
}
