// Package hashing turns media bytes into fingerprints: it sniffs and decodes
// images under explicit limits, applies EXIF orientation, trims uniform
// borders and computes perceptual hashes, and it holds the rule that decides
// whether two fingerprints show the same picture.
//
// # Guarantees
//
//   - Limits first. Every decode is preceded by a byte limit and a check of
//     the declared dimensions (image.DecodeConfig) against a pixel limit, so
//     a decompression bomb is refused before any pixel buffer is allocated.
//     Errors wrap the sentinels ErrTooLarge, ErrUnsupported and ErrCorrupt,
//     which callers test with errors.Is.
//   - Nothing is kept. Media bytes and decoded pixels live only for the
//     duration of a call; a Fingerprint holds hashes, dimensions and the
//     SHA-256 of the input, never pixels.
//   - Deterministic. The same bytes give the same fingerprint on every run.
//
// # Model
//
// A Fingerprint is a set of Views of one picture (the picture as decoded, its
// border-trimmed interior, its mirror image, ...), each carrying one Hash per
// Algorithm. A crawled image is hashed cheaply (one decode, the original and
// trimmed views); a registered image gets extra views so that re-uploads that
// were mirrored or letterboxed still land near one of them. A Rule compares a
// query view with a registered view algorithm by algorithm and decides.
//
// More algorithms slot in by adding an Algorithm constant and computing its
// Hash in the view hasher: storage and matching are keyed by algorithm name
// and carry codes of up to 256 bits.
//
// This package knows nothing of crawling, storage or HTTP.
package hashing
