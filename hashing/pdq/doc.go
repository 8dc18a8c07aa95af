// Package pdq implements Meta's PDQ perceptual image hash.
//
// PDQ reduces an image to 256 bits that change little when the image is
// re-encoded, resized, lightly cropped or recoloured, so near-duplicates can
// be found by Hamming distance ([Distance]): the reference suggests treating
// hashes within about 31 bits of each other as matches. The algorithm takes
// the image's luma, blurs and decimates it to 64×64 with two rounds of box
// filters (a "Jarosz filter"), takes the 16×16 lowest non-constant
// frequencies of its 2-D DCT, and sets each bit when its coefficient is above
// the median of the 256. The hashes of the image's eight rotations and
// mirror images come from the same DCT at almost no cost
// ([Hasher.DihedralImage]).
//
// # Exactness
//
// This is a pure-Go port of the reference C++ implementation (ThreatExchange
// pdq/cpp, pdqDihedralHash256esFromFloatLuma, without the reference tool's
// optional pre-resize to 512×512) and is bit-exact with it: given the same
// float32 luma it produces the same hash, the same quality and the same
// dihedral variants. Hashes are printed in the reference's hex format
// ([Hash.String]). testdata/expected.csv holds vectors from the reference;
// testdata/crops.md describes further, deliberately fragile vectors.
//
// Bit-exactness requires performing every float32 operation of the
// reference in the same order, with the same rounding. Go permits the
// compiler to fuse x*y+z into one fused multiply-add, which rounds once
// instead of twice; it does so on arm64, ppc64le, s390x and riscv64, and
// may on amd64 with GOAMD64=v3. Every product in this package that feeds an
// addition is therefore wrapped in an explicit float32 conversion, which the
// language guarantees rounds and so prevents fusion. Keep it that way when
// editing; scripts/test-pdq-cross.sh checks the compiled code for fused
// instructions and runs the tests for arm64 under qemu.
//
// # Quality
//
// Each hash comes with the reference's quality score, 0 to 100, a measure of
// how much gradient (detail) the 64×64 downsample has. Below about 50 the
// hash is weak: flat or nearly blank images hash to values that match many
// unrelated images (their bits are decided by rounding noise in near-zero
// DCT coefficients), and callers should not rely on such matches.
//
// # Sizes
//
// Images smaller than 5 pixels on a side hash to the zero Hash with quality
// 0. An image of exactly 64×64 pixels is used as its own downsample,
// without filtering, as the reference's pdqHash256FromFloatLuma does (for
// video frames already scaled to 64×64). The reference's dihedral entry
// point, pdqDihedralHash256esFromFloatLuma, lacks that special case and
// filters a 64×64 input with 1-pixel box windows, whose running float32 sums
// perturb the values slightly; on under 1% of 64×64 inputs, mostly flat
// ones, that changes the hash or quality. This package applies the 64×64
// rule in all its functions, so that a hash always equals the Original
// dihedral variant; the reference vectors agree with either choice.
//
// The package only computes; it stores nothing and keeps no state beyond the
// reusable buffers of a [Hasher].
package pdq
