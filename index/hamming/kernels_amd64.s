//go:build amd64 && !purego

#include "textflag.h"

// Prefetch distances, in loop iterations.
#define PD_PROBE 32
#define PD_RANGE 16
#define PD_CAND 32

// func hasPOPCNT() bool
TEXT ·hasPOPCNT(SB), NOSPLIT, $0-1
	MOVL $1, AX
	XORL CX, CX
	CPUID
	SHRL $23, CX
	ANDL $1, CX
	MOVB CX, ret+0(FP)
	RET

// func probeRelAsm(base *uint32, rel *uint16, key uint32, masks *uint32, nm int, out *uint64) int
TEXT ·probeRelAsm(SB), NOSPLIT, $0-56
	MOVQ base+0(FP), SI
	MOVQ rel+8(FP), DI
	MOVL key+16(FP), DX
	MOVQ masks+24(FP), R8
	MOVQ nm+32(FP), CX
	MOVQ out+40(FP), R9
	XORQ AX, AX
	XORQ BX, BX

probeRelLoop:
	CMPQ BX, CX
	JGE  probeRelDone
	LEAQ PD_PROBE(BX), R10
	CMPQ R10, CX
	JGE  probeRelNoPF
	MOVL (R8)(R10*4), R11
	XORL DX, R11
	PREFETCHT0 (DI)(R11*2)
	SHRL $6, R11
	PREFETCHT0 (SI)(R11*4)

probeRelNoPF:
	MOVL    (R8)(BX*4), R10
	XORL    DX, R10         // k
	MOVL    R10, R11
	SHRL    $6, R11
	MOVL    (SI)(R11*4), R12 // base[k>>6]
	MOVWLZX (DI)(R10*2), R11 // rel[k]
	ADDL    R11, R12         // lo
	INCL    R10              // k+1
	MOVWLZX (DI)(R10*2), R13 // rel[k+1]
	SHRL    $6, R10
	MOVL    (SI)(R10*4), R11 // base[(k+1)>>6]
	ADDL    R11, R13         // hi
	MOVQ    R12, R10
	SHLQ    $32, R10
	ORQ     R13, R10
	MOVQ    R10, (R9)(AX*8)
	CMPL    R12, R13         // CF = lo < hi
	ADCQ    $0, AX
	INCQ    BX
	JMP     probeRelLoop

probeRelDone:
	MOVQ AX, ret+48(FP)
	RET

// func probeOffAsm(off *uint32, key uint32, masks *uint32, nm int, out *uint64) int
TEXT ·probeOffAsm(SB), NOSPLIT, $0-48
	MOVQ off+0(FP), SI
	MOVL key+8(FP), DX
	MOVQ masks+16(FP), R8
	MOVQ nm+24(FP), CX
	MOVQ out+32(FP), R9
	XORQ AX, AX
	XORQ BX, BX

probeOffLoop:
	CMPQ BX, CX
	JGE  probeOffDone
	LEAQ PD_PROBE(BX), R10
	CMPQ R10, CX
	JGE  probeOffNoPF
	MOVL (R8)(R10*4), R11
	XORL DX, R11
	PREFETCHT0 (SI)(R11*4)

probeOffNoPF:
	MOVL (R8)(BX*4), R10
	XORL DX, R10
	MOVL (SI)(R10*4), R12  // lo
	MOVL 4(SI)(R10*4), R13 // hi
	MOVQ R12, R10
	SHLQ $32, R10
	ORQ  R13, R10
	MOVQ R10, (R9)(AX*8)
	CMPL R12, R13
	ADCQ $0, AX
	INCQ BX
	JMP  probeOffLoop

probeOffDone:
	MOVQ AX, ret+40(FP)
	RET

// func gatherSlotsAsm(slots *uint32, rng *uint64, nr int, out *uint32) int
TEXT ·gatherSlotsAsm(SB), NOSPLIT, $0-40
	MOVQ slots+0(FP), SI
	MOVQ rng+8(FP), DI
	MOVQ nr+16(FP), CX
	MOVQ out+24(FP), R8
	XORQ AX, AX
	XORQ BX, BX

gatherLoop:
	CMPQ BX, CX
	JGE  gatherDone
	LEAQ PD_RANGE(BX), R10
	CMPQ R10, CX
	JGE  gatherNoPF
	MOVQ (DI)(R10*8), R11
	SHRQ $32, R11
	PREFETCHT0 (SI)(R11*4)

gatherNoPF:
	MOVQ (DI)(BX*8), R11
	MOVL R11, R12 // hi
	SHRQ $32, R11 // lo

gatherCopy:
	CMPL R11, R12
	JAE  gatherNext
	MOVL (SI)(R11*4), R13
	MOVL R13, (R8)(AX*4)
	INCQ AX
	INCL R11
	JMP  gatherCopy

gatherNext:
	INCQ BX
	JMP  gatherLoop

gatherDone:
	MOVQ AX, ret+32(FP)
	RET

// func verify256Asm(codes *uint64, cand *uint32, n int, q *[4]uint64, r int, out *uint64) int
TEXT ·verify256Asm(SB), NOSPLIT, $0-56
	MOVQ codes+0(FP), SI
	MOVQ cand+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ q+24(FP), R8
	MOVQ r+32(FP), R13
	MOVQ out+40(FP), DX
	XORQ AX, AX
	XORQ BX, BX

v256Loop:
	CMPQ BX, CX
	JGE  v256Done
	LEAQ PD_CAND(BX), R12
	CMPQ R12, CX
	JGE  v256NoPF
	MOVL (DI)(R12*4), R12
	SHLQ $5, R12
	PREFETCHT0 (SI)(R12*1)

v256NoPF:
	MOVL    (DI)(BX*4), R9 // slot
	MOVQ    BX, R12        // candidate index
	SHLQ    $5, R9
	MOVQ    0(SI)(R9*1), R10
	XORQ    0(R8), R10
	POPCNTQ R10, R10
	MOVQ    8(SI)(R9*1), R11
	XORQ    8(R8), R11
	POPCNTQ R11, R11
	ADDQ    R11, R10
	MOVQ    16(SI)(R9*1), R11
	XORQ    16(R8), R11
	POPCNTQ R11, R11
	ADDQ    R11, R10
	MOVQ    24(SI)(R9*1), R11
	XORQ    24(R8), R11
	POPCNTQ R11, R11
	ADDQ    R11, R10
	CMPQ    R10, R13
	JGT     v256Skip
	SHLQ    $32, R12
	ORQ     R10, R12
	MOVQ    R12, (DX)(AX*8)
	INCQ    AX

v256Skip:
	INCQ BX
	JMP  v256Loop

v256Done:
	MOVQ AX, ret+48(FP)
	RET

// func verify64Asm(codes *uint64, rng *uint64, nr int, q uint64, r int, out *uint64) int
TEXT ·verify64Asm(SB), NOSPLIT, $0-56
	MOVQ codes+0(FP), SI
	MOVQ rng+8(FP), DI
	MOVQ nr+16(FP), CX
	MOVQ q+24(FP), R8
	MOVQ r+32(FP), R13
	MOVQ out+40(FP), DX
	XORQ AX, AX
	XORQ BX, BX

v64Loop:
	CMPQ BX, CX
	JGE  v64Done
	LEAQ PD_RANGE(BX), R10
	CMPQ R10, CX
	JGE  v64NoPF
	MOVQ (DI)(R10*8), R11
	SHRQ $32, R11
	PREFETCHT0 (SI)(R11*8)
	PREFETCHT0 64(SI)(R11*8)

v64NoPF:
	MOVQ (DI)(BX*8), R11
	MOVL R11, R12 // hi
	SHRQ $32, R11 // lo

v64Inner:
	CMPL    R11, R12
	JAE     v64Next
	MOVQ    (SI)(R11*8), R10
	XORQ    R8, R10
	POPCNTQ R10, R10
	CMPQ    R10, R13
	JGT     v64Skip
	MOVQ    R11, R9
	SHLQ    $32, R9
	ORQ     R10, R9
	MOVQ    R9, (DX)(AX*8)
	INCQ    AX

v64Skip:
	INCL R11
	JMP  v64Inner

v64Next:
	INCQ BX
	JMP  v64Loop

v64Done:
	MOVQ AX, ret+48(FP)
	RET

// func scan256Asm(codes *uint64, n int, q *[4]uint64, r int, out *uint64) int
TEXT ·scan256Asm(SB), NOSPLIT, $0-48
	MOVQ codes+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ q+16(FP), R8
	MOVQ r+24(FP), R13
	MOVQ out+32(FP), DX
	MOVQ 0(R8), R9
	MOVQ 8(R8), R10
	MOVQ 16(R8), R11
	MOVQ 24(R8), R12
	XORQ AX, AX
	XORQ BX, BX

s256Loop:
	CMPQ    BX, CX
	JGE     s256Done
	MOVQ    0(SI), R8
	XORQ    R9, R8
	POPCNTQ R8, R8
	MOVQ    8(SI), DI
	XORQ    R10, DI
	POPCNTQ DI, DI
	ADDQ    DI, R8
	MOVQ    16(SI), DI
	XORQ    R11, DI
	POPCNTQ DI, DI
	ADDQ    DI, R8
	MOVQ    24(SI), DI
	XORQ    R12, DI
	POPCNTQ DI, DI
	ADDQ    DI, R8
	CMPQ    R8, R13
	JGT     s256Skip
	MOVQ    BX, DI
	SHLQ    $32, DI
	ORQ     R8, DI
	MOVQ    DI, (DX)(AX*8)
	INCQ    AX

s256Skip:
	ADDQ $32, SI
	INCQ BX
	JMP  s256Loop

s256Done:
	MOVQ AX, ret+40(FP)
	RET

// func scan64Asm(codes *uint64, n int, q uint64, r int, out *uint64) int
TEXT ·scan64Asm(SB), NOSPLIT, $0-48
	MOVQ codes+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ q+16(FP), R9
	MOVQ r+24(FP), R13
	MOVQ out+32(FP), DX
	XORQ AX, AX
	XORQ BX, BX

s64Loop:
	CMPQ    BX, CX
	JGE     s64Done
	MOVQ    (SI)(BX*8), R8
	XORQ    R9, R8
	POPCNTQ R8, R8
	CMPQ    R8, R13
	JGT     s64Skip
	MOVQ    BX, DI
	SHLQ    $32, DI
	ORQ     R8, DI
	MOVQ    DI, (DX)(AX*8)
	INCQ    AX

s64Skip:
	INCQ BX
	JMP  s64Loop

s64Done:
	MOVQ AX, ret+40(FP)
	RET
