// Package hashingtest makes synthetic fingerprints for the tests of the
// packages that store and match them (index, alerts, database and the
// rooms beside them). Their codes are chosen, not hashed from pictures,
// so that a test sets the distances it needs directly and runs without
// decoding a file or running ffmpeg; each package once kept its own copy
// of these makers.
package hashingtest

import (
	"math/rand/v2"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
)

// Image makes a picture's fingerprint with one view whose pHash and dHash
// are p and d and whose PDQ repeats them, so that its distances to
// another such print follow theirs; sha is the first byte of its SHA-256,
// to tell prints with equal codes apart.
func Image(p, d uint64, sha byte) hashing.Fingerprint {
	return hashing.Fingerprint{
		Kind: hashing.KindImage, Width: 10, Height: 10, SHA256: [32]byte{sha},
		Views: []hashing.View{{Name: hashing.ViewOriginal, Hashes: []hashing.Hash{
			{Algorithm: hashing.PDQ, Code: hashing.Code{p, d, p, d}, Quality: 100},
			{Algorithm: hashing.PHash, Code: hashing.Code{p}, Quality: 100},
			{Algorithm: hashing.DHash, Code: hashing.Code{d}, Quality: 100},
		}}},
	}
}

// Video makes a video's fingerprint of n frames with random PDQ codes
// from rng: for registration, a frame every video.RegistrationInterval
// with its cropped hash; for a query, one every video.QueryInterval with
// its mirrored hash, as the hasher samples them.
func Video(rng *rand.Rand, n int, query bool) hashing.Fingerprint {
	fp := hashing.Fingerprint{Kind: hashing.KindVideo, Format: "mp4", Width: 320, Height: 240}
	step := video.RegistrationInterval
	if query {
		step = video.QueryInterval
	}
	code := func() []hashing.Hash {
		return []hashing.Hash{{Algorithm: hashing.PDQ, Code: hashing.Code{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}, Quality: 100}}
	}
	for i := range n {
		f := hashing.Frame{At: time.Duration(i) * step, Hashes: code()}
		if query {
			f.Mirrored = code()
		} else {
			f.Cropped = code()
		}
		fp.Frames = append(fp.Frames, f)
	}
	fp.Duration = time.Duration(n) * step
	fp.SHA256[0] = byte(rng.Uint32())
	return fp
}

// Clip makes a query of the registered video reg showing its frames from
// index from on, n of them a second apart (every second registered frame,
// as a query samples), with flip random bits of each code changed and a
// random mirrored hash.
func Clip(rng *rand.Rand, reg hashing.Fingerprint, from, n, flip int) hashing.Fingerprint {
	q := hashing.Fingerprint{Kind: hashing.KindVideo, Format: "mp4"}
	for i := range n {
		src := reg.Frames[from+2*i]
		c := src.Hashes[0].Code
		for range flip {
			b := rng.IntN(256)
			c[b/64] ^= 1 << (b % 64)
		}
		q.Frames = append(q.Frames, hashing.Frame{
			At:       time.Duration(i) * time.Second,
			Hashes:   []hashing.Hash{{Algorithm: hashing.PDQ, Code: c, Quality: 90}},
			Mirrored: []hashing.Hash{{Algorithm: hashing.PDQ, Code: hashing.Code{rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}, Quality: 90}},
		})
	}
	q.Duration = time.Duration(n) * time.Second
	return q
}
