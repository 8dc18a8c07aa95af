package pdq

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
)

// Hash is a 256-bit PDQ hash.
//
// The bytes are stored big-endian, in the order of the reference's hex
// format: h[0] holds the first two hex digits of [Hash.String] and h[31]
// the last two. Bit k of the hash in the reference's numbering (k = 16*i + j
// for DCT coefficient row i, column j; the reference's Hash256 keeps it in
// bit k%16 of 16-bit word k/16) is bit k%8 of byte h[31-k/8].
//
// The zero Hash is what images too small to hash produce.
type Hash [32]byte

// String returns the hash as 64 lowercase hex digits, exactly as the
// reference's Hash256::format prints it.
func (h Hash) String() string {
	return hex.EncodeToString(h[:])
}

// ErrHashSyntax is returned (wrapped) by [ParseHash] for malformed input.
var ErrHashSyntax = errors.New("pdq: malformed hash")

// ParseHash parses a hash in the format of [Hash.String]: exactly 64 hex
// digits. Upper-case digits are accepted; nothing else (no prefix, sign or
// surrounding space) is.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return Hash{}, fmt.Errorf("%w: want 64 hex digits, got %d bytes", ErrHashSyntax, len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return Hash{}, fmt.Errorf("%w: %v", ErrHashSyntax, err)
	}
	return h, nil
}

// Words returns the hash as four 64-bit words, least significant first:
// bit k of the hash (see [Hash]) is bit k%64 of word k/64. This is the
// reference's in-memory Hash256 read as four uint64s on a little-endian
// machine, as its index code does. Words()[3] is the first 16 hex digits of
// [Hash.String], Words()[0] the last 16.
func (h Hash) Words() [4]uint64 {
	return [4]uint64{
		binary.BigEndian.Uint64(h[24:32]),
		binary.BigEndian.Uint64(h[16:24]),
		binary.BigEndian.Uint64(h[8:16]),
		binary.BigEndian.Uint64(h[0:8]),
	}
}

// Distance returns the Hamming distance between a and b: the number of
// bits, 0 to 256, in which they differ.
func Distance(a, b Hash) int {
	n := 0
	for i := 0; i < len(a); i += 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:]))
	}
	return n
}

// setBit sets bit k (reference numbering).
func (h *Hash) setBit(k int) {
	h[31-k>>3] |= 1 << (k & 7)
}

// Indices of the dihedral variants in the arrays returned by
// [Hasher.DihedralLuma] and [Hasher.DihedralImage]. The order is the
// reference's: each variant is the hash the image would have after that
// transformation, computed from the original's DCT.
const (
	Original   = iota // the image as given
	Rot90             // rotated 90° counter-clockwise
	Rot180            // rotated 180°
	Rot270            // rotated 270° counter-clockwise (90° clockwise)
	FlipX             // flipped top to bottom
	FlipY             // flipped left to right (mirrored)
	FlipPlus1         // flipped about the main diagonal (transposed)
	FlipMinus1        // flipped about the anti-diagonal
)
