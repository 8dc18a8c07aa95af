package hashing

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/hashwatch/hashwatch/hashing/features"
)

// Sent is a fingerprint as it travels, in JSON, from the device that
// computed it to the server: the browser registration hashes a victim's
// pictures where they are and sends only this. It carries hashes, sizes,
// the SHA-256 of the file and frame times; nothing of the pixels.
type Sent struct {
	Kind Kind `json:"kind"`
	// Format is the file's format where the sender decoded it as the
	// server does (hashing.Sniff's names), or "".
	Format Format `json:"format,omitempty"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	SHA256 string `json:"sha256"`
	// Views are a picture's registration views, in the order Pixels
	// computes them.
	Views []SentView `json:"views,omitempty"`
	// Reference is the reference PDQ of the full picture: its eight
	// dihedral variants, Original first.
	Reference []SentHash `json:"reference,omitempty"`
	// Colour is a picture's colour summary (Colour.Bytes) in hex, for the
	// rule's colour test; "" (a sender from before it) means none, and
	// the test is skipped for that fingerprint.
	Colour string `json:"colour,omitempty"`
	// Features is a picture's corner set for the rule's geometric
	// verifier (Fingerprint.Features) in its binary form
	// (features.Set.MarshalBinary), base64: corner positions,
	// orientations and descriptors, nothing of the pixels. "" (a sender
	// from before it) means none, and the verifier leaves that
	// fingerprint's matches to the rest of the rule.
	Features string `json:"features,omitempty"`
	// Frames and DurationMS describe a video (Kind video).
	Frames     []SentFrame `json:"frames,omitempty"`
	DurationMS int64       `json:"duration_ms,omitempty"`
}

// SentView is one view of a sent picture.
type SentView struct {
	Name   string     `json:"name"`
	Hashes []SentHash `json:"hashes"`
}

// SentHash is one hash: the algorithm, its code in hex and its quality.
type SentHash struct {
	Algorithm Algorithm `json:"alg"`
	Hex       string    `json:"hex"`
	Quality   int       `json:"quality"`
}

// SentFrame is one sampled frame of a sent video.
type SentFrame struct {
	AtMS    int64      `json:"at_ms"`
	Hashes  []SentHash `json:"hashes"`
	Cropped []SentHash `json:"cropped,omitempty"`
}

// Send turns a fingerprint into what travels.
func Send(fp Fingerprint) Sent {
	s := Sent{Kind: fp.Kind, Format: fp.Format, Width: fp.Width, Height: fp.Height, SHA256: fp.SHA256.String(), DurationMS: fp.Duration.Milliseconds()}
	for _, v := range fp.Views {
		s.Views = append(s.Views, SentView{Name: v.Name, Hashes: sendHashes(v.Hashes)})
	}
	s.Reference = sendHashes(fp.Reference)
	if b := fp.Colour.Bytes(); b != nil {
		s.Colour = hex.EncodeToString(b)
	}
	if fp.Features != nil {
		if b, err := fp.Features.MarshalBinary(); err == nil {
			s.Features = base64.StdEncoding.EncodeToString(b)
		}
	}
	for _, f := range fp.Frames {
		s.Frames = append(s.Frames, SentFrame{AtMS: f.At.Milliseconds(), Hashes: sendHashes(f.Hashes), Cropped: sendHashes(f.Cropped)})
	}
	return s
}

func sendHashes(hs []Hash) []SentHash {
	if len(hs) == 0 {
		return nil
	}
	out := make([]SentHash, len(hs))
	for i, h := range hs {
		out[i] = SentHash{Algorithm: h.Algorithm, Hex: h.Hex(), Quality: h.Quality}
	}
	return out
}

// RegistrationViewNames lists, in order, the views Pixels and Image
// compute for registration: with trimmed, those of a picture that has
// borders worth trimming.
func RegistrationViewNames(trimmed bool) []string {
	names := []string{ViewOriginal}
	if trimmed {
		names = append(names, ViewTrimmed)
	}
	for _, v := range registrationViews {
		names = append(names, v.name)
	}
	if trimmed {
		for _, v := range trimmedViews {
			names = append(names, v.name)
		}
	}
	return names
}

// viewAlgorithms are the hashes of every view, in the order hashImage
// computes them.
var viewAlgorithms = []Algorithm{PDQ, PHash, DHash}

// Picture checks that s has the shape of a picture's registration
// fingerprint — the registration views, each with its PDQ, pHash and dHash
// in range, the eight reference PDQ variants, a size within limits and a
// SHA-256 — and returns it as a Fingerprint. It cannot tell whether the
// hashes are those of the picture the sender says they are: a sender who
// can register can register anything, as with an upload.
func (s Sent) Picture(limits Limits) (Fingerprint, error) {
	limits = limits.withDefaults()
	fp := Fingerprint{Kind: KindImage, Format: s.Format, Width: s.Width, Height: s.Height}
	if s.Kind != KindImage {
		return fp, fmt.Errorf("kind %q, want %q: %w", s.Kind, KindImage, ErrCorrupt)
	}
	if err := s.Format.check(); err != nil {
		return fp, err
	}
	if err := sentSize(s.Width, s.Height, limits.MaxPixels); err != nil {
		return fp, err
	}
	sum, err := ParseSHA256(s.SHA256)
	if err != nil {
		return fp, fmt.Errorf("%w: %w", err, ErrCorrupt)
	}
	fp.SHA256 = sum
	trimmed := len(s.Views) > 1 && s.Views[1].Name == ViewTrimmed
	want := RegistrationViewNames(trimmed)
	if len(s.Views) != len(want) {
		return fp, fmt.Errorf("%d views, want the %d registration views: %w", len(s.Views), len(want), ErrCorrupt)
	}
	for i, v := range s.Views {
		if v.Name != want[i] {
			return fp, fmt.Errorf("view %d is %q, want %q: %w", i, v.Name, want[i], ErrCorrupt)
		}
		if len(v.Hashes) != len(viewAlgorithms) {
			return fp, fmt.Errorf("view %s: %d hashes, want %d: %w", v.Name, len(v.Hashes), len(viewAlgorithms), ErrCorrupt)
		}
		view := View{Name: v.Name}
		for k, h := range v.Hashes {
			hh, err := h.parse(viewAlgorithms[k])
			if err != nil {
				return fp, fmt.Errorf("view %s: %w", v.Name, err)
			}
			view.Hashes = append(view.Hashes, hh)
		}
		fp.Views = append(fp.Views, view)
	}
	if len(s.Reference) != 8 {
		return fp, fmt.Errorf("%d reference PDQ hashes, want the 8 dihedral variants: %w", len(s.Reference), ErrCorrupt)
	}
	for _, h := range s.Reference {
		hh, err := h.parse(PDQ)
		if err != nil {
			return fp, fmt.Errorf("reference: %w", err)
		}
		if hh.Quality != s.Reference[0].Quality {
			return fp, fmt.Errorf("reference: dihedral variants of one picture with qualities %d and %d: %w", s.Reference[0].Quality, hh.Quality, ErrCorrupt)
		}
		fp.Reference = append(fp.Reference, hh)
	}
	if s.Colour != "" {
		b, err := hex.DecodeString(s.Colour)
		if err != nil {
			return fp, fmt.Errorf("colour summary %q: %w", s.Colour, ErrCorrupt)
		}
		c, ok := ColourFromBytes(b)
		if !ok {
			return fp, fmt.Errorf("colour summary of %d bytes, want %d: %w", len(b), ColourLen, ErrCorrupt)
		}
		fp.Colour = c
	}
	if s.Features != "" {
		// At most MaxEncodedPoints points, so the text is bounded before
		// it is decoded.
		if len(s.Features) > base64.StdEncoding.EncodedLen(features.MaxEncodedBytes) {
			return fp, fmt.Errorf("corner set of %d characters, at most %d: %w", len(s.Features), base64.StdEncoding.EncodedLen(features.MaxEncodedBytes), ErrCorrupt)
		}
		b, err := base64.StdEncoding.DecodeString(s.Features)
		if err != nil {
			return fp, fmt.Errorf("corner set: %v: %w", err, ErrCorrupt)
		}
		var set features.Set
		if err := set.UnmarshalBinary(b); err != nil {
			return fp, fmt.Errorf("%v: %w", err, ErrCorrupt)
		}
		fp.Features = &set
	}
	return fp, nil
}

// SentVideoLimits bound a video fingerprint sent by a device.
type SentVideoLimits struct {
	MaxDuration time.Duration
	MaxFrames   int
	MaxPixels   int64
}

// Video checks that s has the shape of a video's registration fingerprint
// — frames in time order within the duration, each with one PDQ hash and
// the PDQ of its centre crops (see package video), at most limits'
// frames — and returns it as a Fingerprint.
func (s Sent) Video(limits SentVideoLimits, crops int) (Fingerprint, error) {
	fp := Fingerprint{Kind: KindVideo, Format: s.Format, Width: s.Width, Height: s.Height, Duration: time.Duration(s.DurationMS) * time.Millisecond}
	if s.Kind != KindVideo {
		return fp, fmt.Errorf("kind %q, want %q: %w", s.Kind, KindVideo, ErrCorrupt)
	}
	if s.Format != "" && s.Format != FormatGIF && s.Format != FormatWebP {
		return fp, fmt.Errorf("video format %q: only animations are decoded on the device as on the server: %w", truncated(string(s.Format)), ErrCorrupt)
	}
	if err := sentSize(s.Width, s.Height, limits.MaxPixels); err != nil {
		return fp, err
	}
	sum, err := ParseSHA256(s.SHA256)
	if err != nil {
		return fp, fmt.Errorf("%w: %w", err, ErrCorrupt)
	}
	fp.SHA256 = sum
	if len(s.Views) > 0 || len(s.Reference) > 0 || s.Colour != "" {
		return fp, fmt.Errorf("a video with picture views: %w", ErrCorrupt)
	}
	if fp.Duration <= 0 || fp.Duration > limits.MaxDuration {
		return fp, fmt.Errorf("duration %v, want more than 0 and at most %v: %w", fp.Duration, limits.MaxDuration, ErrTooLarge)
	}
	if len(s.Frames) == 0 || len(s.Frames) > limits.MaxFrames {
		return fp, fmt.Errorf("%d frames, want 1 to %d: %w", len(s.Frames), limits.MaxFrames, ErrTooLarge)
	}
	for i, f := range s.Frames {
		at := time.Duration(f.AtMS) * time.Millisecond
		if at < 0 || at > fp.Duration || (i > 0 && at <= fp.Frames[i-1].At) {
			return fp, fmt.Errorf("frame %d at %v: frames must lie in the video, in time order: %w", i, at, ErrCorrupt)
		}
		if len(f.Hashes) != 1 || len(f.Cropped) != crops {
			return fp, fmt.Errorf("frame %d: %d hashes and %d crops, want 1 and %d: %w", i, len(f.Hashes), len(f.Cropped), crops, ErrCorrupt)
		}
		fr := Frame{At: at}
		for _, h := range f.Hashes {
			hh, err := h.parse(PDQ)
			if err != nil {
				return fp, fmt.Errorf("frame %d: %w", i, err)
			}
			fr.Hashes = append(fr.Hashes, hh)
		}
		for _, h := range f.Cropped {
			hh, err := h.parse(PDQ)
			if err != nil {
				return fp, fmt.Errorf("frame %d: %w", i, err)
			}
			fr.Cropped = append(fr.Cropped, hh)
		}
		fp.Frames = append(fp.Frames, fr)
	}
	return fp, nil
}

// check accepts the formats this package decodes, and "" (decoded by
// another decoder).
func (f Format) check() error {
	switch f {
	case "", FormatJPEG, FormatPNG, FormatGIF, FormatWebP, FormatBMP, FormatTIFF:
		return nil
	}
	return fmt.Errorf("format %q: %w", truncated(string(f)), ErrCorrupt)
}

func sentSize(w, h int, maxPixels int64) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%dx%d pixels: %w", w, h, ErrCorrupt)
	}
	if px := int64(w) * int64(h); px > maxPixels {
		return fmt.Errorf("%dx%d = %d pixels, limit %d: %w", w, h, px, maxPixels, ErrTooLarge)
	}
	return nil
}

// parse reads one sent hash of algorithm a, checking its width and that
// its quality is in range: 0–100 for PDQ, 100 for the hashes without one.
func (h SentHash) parse(a Algorithm) (Hash, error) {
	if h.Algorithm != a {
		return Hash{}, fmt.Errorf("algorithm %q, want %q: %w", truncated(string(h.Algorithm)), a, ErrCorrupt)
	}
	c, n, err := ParseCode(h.Hex)
	if err != nil || n != a.Bits() {
		return Hash{}, fmt.Errorf("%s hash %q: want %d hex digits: %w", a, truncated(h.Hex), a.Bits()/4, ErrCorrupt)
	}
	okQuality := h.Quality >= 0 && h.Quality <= 100
	if a != PDQ {
		okQuality = h.Quality == 100
	}
	if !okQuality {
		return Hash{}, fmt.Errorf("%s quality %d out of range: %w", a, h.Quality, ErrCorrupt)
	}
	return Hash{Algorithm: a, Code: c, Quality: h.Quality}, nil
}

func truncated(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
