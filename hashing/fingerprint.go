package hashing

import (
	"encoding/hex"
	"fmt"
	"math/bits"
	"time"

	"github.com/hashwatch/hashwatch/hashing/features"
)

// Algorithm names a perceptual hash algorithm. Storage and matching are keyed
// by it, so adding an algorithm needs no schema change.
type Algorithm string

// The algorithms computed today.
const (
	// PHash is goimagehash's 64-bit DCT perceptual hash.
	PHash Algorithm = "phash"
	// DHash is goimagehash's 64-bit gradient (difference) hash.
	DHash Algorithm = "dhash"
	// PDQ is Meta's 256-bit hash, the one partner centres exchange.
	PDQ Algorithm = "pdq"
)

// Bits is the width of the algorithm's codes, or 0 for an unknown algorithm.
func (a Algorithm) Bits() int {
	switch a {
	case PHash, DHash:
		return 64
	case PDQ:
		return 256
	}
	return 0
}

// Valid reports whether a is an algorithm this package knows.
func (a Algorithm) Valid() bool { return a.Bits() > 0 }

// Code holds a hash value of up to 256 bits as four big-endian words: bit 0
// of the code is the most significant bit of word 0. A 64-bit code uses word
// 0 only and leaves the others zero, so distances between codes of one
// algorithm are plain popcounts over all four words.
type Code [4]uint64

// Distance is the Hamming distance between c and o.
func (c Code) Distance(o Code) int {
	return bits.OnesCount64(c[0]^o[0]) + bits.OnesCount64(c[1]^o[1]) +
		bits.OnesCount64(c[2]^o[2]) + bits.OnesCount64(c[3]^o[3])
}

// Hex formats the first nbits of c (64 or 256) as lowercase hex digits.
func (c Code) Hex(nbits int) string {
	var buf [32]byte
	n := nbits / 64
	for i := 0; i < n; i++ {
		w := c[i]
		for j := 0; j < 8; j++ {
			buf[i*8+j] = byte(w >> (56 - 8*j))
		}
	}
	return hex.EncodeToString(buf[:n*8])
}

// ParseCode parses 16 or 64 hex digits into a Code and reports its width.
func ParseCode(s string) (Code, int, error) {
	var c Code
	if len(s) != 16 && len(s) != 64 {
		return c, 0, fmt.Errorf("hash %q: want 16 or 64 hex digits, got %d", s, len(s))
	}
	raw, err := hex.DecodeString(s)
	if err != nil {
		return c, 0, fmt.Errorf("hash %q: %w", s, err)
	}
	for i := range len(raw) / 8 {
		for j := 0; j < 8; j++ {
			c[i] = c[i]<<8 | uint64(raw[i*8+j])
		}
	}
	return c, len(raw) * 8, nil
}

// Hash is one algorithm's code for one view of a picture.
type Hash struct {
	Algorithm Algorithm
	Code      Code
	// Quality is the algorithm's own confidence, 0–100, where it has one
	// (PDQ); 100 where it has none. Weak hashes never alert on their own.
	Quality int
}

// Hex formats the code at the algorithm's width.
func (h Hash) Hex() string { return h.Code.Hex(h.Algorithm.Bits()) }

// View names for the transforms a fingerprint covers.
const (
	ViewOriginal = "original" // as decoded, after EXIF orientation
	ViewTrimmed  = "trimmed"  // uniform borders removed
)

// View is one transform of a picture with its hashes.
type View struct {
	Name   string
	Hashes []Hash
}

// Hash returns the view's hash for algorithm a.
func (v View) Hash(a Algorithm) (Hash, bool) {
	for _, h := range v.Hashes {
		if h.Algorithm == a {
			return h, true
		}
	}
	return Hash{}, false
}

// Kind says what sort of media a fingerprint describes.
type Kind string

// The kinds of media.
const (
	KindImage Kind = "image"
	KindVideo Kind = "video"
)

// Fingerprint is everything hashwatch keeps of one piece of media: never the
// pixels, only their hashes, dimensions and the SHA-256 of the input bytes.
type Fingerprint struct {
	Kind          Kind
	Format        Format
	Width, Height int
	// SHA256 is the SHA-256 of the input bytes, computed for registration
	// and inspection (Purpose.NeedsSum); a query leaves it zero, since its
	// caller (the crawler) has already summed the bytes to look up earlier
	// results, and a second pass over a large video costs real time.
	SHA256 SHA256
	Views  []View
	// Colour summarises a picture's hues for the rule's colour test
	// (Rule.Colour); zero for videos and for fingerprints made before it
	// existed, which the test then skips.
	Colour Colour
	// Reference holds the reference PDQ of the picture exactly as decoded
	// (full size, before any view), as partners compute it: the eight
	// dihedral variants, Original first. Only registration and inspection
	// compute it; matching uses the views.
	Reference []Hash
	// Frames are a video's (or animation's) sampled frames in time order,
	// for Kind video only (package hashing/video computes them); Duration
	// is the video's length.
	Frames   []Frame
	Duration time.Duration
	// Features is the picture's corner set for the rule's geometric
	// verifier (Rule.Verify, Hasher.Features): corner positions,
	// orientations and binary descriptors, derived data from which the
	// picture cannot be redrawn. Registration computes it (ForRegistration,
	// under the default rule's verifier configuration) and the index keeps
	// it apart from the fingerprint, read only for the matches the
	// verifier checks; a query gets it on demand (Hasher.Features), when a
	// candidate needs it. Nil when not computed (queries, videos,
	// imported hash lists, fingerprints registered before the verifier),
	// and the verifier then leaves the match to the rest of the rule.
	Features *features.Set
}

// Frame is one sampled frame of a video: when it is shown and its hashes
// (PDQ of the frame with its borders trimmed). Like views of a picture,
// the variants that undo re-uploaders' edits are split between the sides:
// a query frame carries Mirrored, the hashes of the frame flipped left to
// right, and a registered frame carries Cropped, the hashes of its centre
// (a re-upload cut down to it matches that). A query frame whose own
// borders differ from the video's carries a second hash in Hashes and
// Mirrored, of the frame trimmed on its own borders, for finding a
// registered picture shown in it; video matching uses the first.
type Frame struct {
	At       time.Duration
	Hashes   []Hash
	Mirrored []Hash
	Cropped  []Hash
}

// View returns the named view.
func (f Fingerprint) View(name string) (View, bool) {
	for _, v := range f.Views {
		if v.Name == name {
			return v, true
		}
	}
	return View{}, false
}
