package natswork

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/hashwatch/hashwatch/crawler/work"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
)

// The binary form of a match request (protocol 2), the message the
// coordinator decodes once per medium fingerprinted. As JSON a picture's
// query fingerprint (six views of three hashes, each code four decimal
// numbers) took 2.3 KB and most of the coordinator's decoding time; here
// it takes about a third of that, and decoding is a walk over the bytes.
//
// Layout: the version byte matchRequestV2, then every field in order,
// integers as varints (encoding/binary), strings and lists prefixed with
// their length, SHA-256 sums as their 32 bytes and hash codes as the
// big-endian 64-bit words the algorithm uses (one for pHash and dHash,
// four for PDQ). A JSON request (protocol 1 workers) starts with '{'
// instead, and is still read (decodeMatchRequest).
const matchRequestV2 byte = 2

// matchRequestV4 (protocol 4) is matchRequestV2's layout followed by the
// worker's part in the geometric verifier: a byte, then what it says —
// cornersNone (no set sent: the worker makes one when the coordinator
// asks, matchReply.NeedFeatures), cornersSet (the query's corner set in
// its binary form, features.Set.MarshalBinary, length-prefixed) or
// cornersFailed (why the worker could not make it, a string). Its version
// byte alone tells the coordinator the worker can send a set.
const matchRequestV4 byte = 4

// The corner states of a protocol 4 match request.
const (
	cornersNone byte = iota
	cornersSet
	cornersFailed
)

var errTruncated = errors.New("truncated")

// appendMatchRequest appends r's binary form to b, in the layout of
// version (matchRequestV2 or matchRequestV4).
func appendMatchRequest(b []byte, r *matchRequest, version byte) ([]byte, error) {
	b = append(b, version)
	b = appendResolveRequest(b, &r.Req)
	b = binary.AppendVarint(b, r.TookNanos)
	if f := r.Failure; f != nil {
		b = append(b, 1)
		b = appendString(b, f.Kind)
		b = appendString(b, f.URL)
		b = appendString(b, f.Message)
	} else {
		b = append(b, 0)
	}
	fp := &r.Fingerprint
	b = appendString(b, string(fp.Kind))
	b = appendString(b, string(fp.Format))
	b = binary.AppendVarint(b, int64(fp.Width))
	b = binary.AppendVarint(b, int64(fp.Height))
	b = append(b, fp.SHA256[:]...)
	b = binary.AppendUvarint(b, uint64(len(fp.Views)))
	for _, v := range fp.Views {
		b = appendString(b, v.Name)
		b = appendHashes(b, v.Hashes)
	}
	b = append(b, fp.Colour.Bins[:]...)
	b = append(b, fp.Colour.Chroma)
	b = appendHashes(b, fp.Reference)
	b = binary.AppendUvarint(b, uint64(len(fp.Frames)))
	for _, f := range fp.Frames {
		b = binary.AppendVarint(b, int64(f.At))
		b = appendHashes(b, f.Hashes)
		b = appendHashes(b, f.Mirrored)
		b = appendHashes(b, f.Cropped)
	}
	b = binary.AppendVarint(b, int64(fp.Duration))
	if version < matchRequestV4 {
		return b, nil
	}
	switch {
	case fp.Features != nil:
		set, err := fp.Features.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("match request: %w", err)
		}
		b = append(b, cornersSet)
		b = appendString(b, string(set))
	case r.FeaturesErr != "":
		b = append(b, cornersFailed)
		b = appendString(b, r.FeaturesErr)
	default:
		b = append(b, cornersNone)
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendHashes(b []byte, hs []hashing.Hash) []byte {
	b = binary.AppendUvarint(b, uint64(len(hs)))
	for _, h := range hs {
		b = appendString(b, string(h.Algorithm))
		for _, w := range h.Code[:codeWords(h.Algorithm)] {
			b = binary.BigEndian.AppendUint64(b, w)
		}
		b = binary.AppendVarint(b, int64(h.Quality))
	}
	return b
}

// codeWords is how many words of a code the wire carries: the
// algorithm's width, or all four for an algorithm this version does not
// know (its code is then kept whole).
func codeWords(a hashing.Algorithm) int {
	if n := a.Bits() / 64; n > 0 {
		return n
	}
	return len(hashing.Code{})
}

// parseMatchRequest reads appendMatchRequest's form. Every length is
// checked against the bytes left, so a hostile or truncated message costs
// at most its own size in memory.
func parseMatchRequest(data []byte, r *matchRequest) error {
	d := wireReader{b: data}
	v := d.byte()
	if v != matchRequestV2 && v != matchRequestV4 {
		return fmt.Errorf("match request: version %d, want %d or %d", v, matchRequestV2, matchRequestV4)
	}
	readResolveRequest(&d, &r.Req)
	r.TookNanos = d.varint()
	r.Failure = nil
	if d.byte() == 1 {
		r.Failure = &work.ResultError{Kind: d.string(), URL: d.string(), Message: d.string()}
	}
	fp := &r.Fingerprint
	*fp = hashing.Fingerprint{}
	fp.Kind = name(&d, hashing.KindImage, hashing.KindVideo)
	fp.Format = name(&d, hashing.FormatJPEG, hashing.FormatPNG, hashing.FormatWebP, hashing.FormatGIF, hashing.FormatBMP, hashing.FormatTIFF)
	fp.Width = int(d.varint())
	fp.Height = int(d.varint())
	d.sum(&fp.SHA256)
	if n := d.count(2); n > 0 {
		fp.Views = make([]hashing.View, n)
		for i := range fp.Views {
			fp.Views[i].Name = d.string()
			fp.Views[i].Hashes = d.hashes()
		}
	}
	copy(fp.Colour.Bins[:], d.take(len(fp.Colour.Bins)))
	fp.Colour.Chroma = d.byte()
	fp.Reference = d.hashes()
	if n := d.count(4); n > 0 {
		fp.Frames = make([]hashing.Frame, n)
		for i := range fp.Frames {
			f := &fp.Frames[i]
			f.At = time.Duration(d.varint())
			f.Hashes = d.hashes()
			f.Mirrored = d.hashes()
			f.Cropped = d.hashes()
		}
	}
	fp.Duration = time.Duration(d.varint())
	r.CanSendFeatures, r.FeaturesErr = v >= matchRequestV4, ""
	if v >= matchRequestV4 {
		switch state := d.byte(); state {
		case cornersNone:
		case cornersSet:
			var set features.Set
			if err := set.UnmarshalBinary(d.take(d.count(1))); err != nil && d.err == nil {
				return fmt.Errorf("match request: %w", err)
			}
			fp.Features = &set
		case cornersFailed:
			r.FeaturesErr = d.string()
		default:
			if d.err == nil {
				return fmt.Errorf("match request: corner state %d", state)
			}
		}
	}
	return d.end("match request")
}

// wireReader reads the binary form; the first error sticks and every
// later read returns zero values.
type wireReader struct {
	b   []byte
	err error
}

func (d *wireReader) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *wireReader) take(n int) []byte {
	if n < 0 || n > len(d.b) {
		d.fail(errTruncated)
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *wireReader) byte() byte {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (d *wireReader) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errTruncated)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *wireReader) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errTruncated)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a list's length, each of whose elements takes at least
// minSize bytes.
func (d *wireReader) count(minSize int) int {
	n := d.uvarint()
	if n > uint64(len(d.b)/minSize) {
		d.fail(errTruncated)
		return 0
	}
	return int(n)
}

func (d *wireReader) string() string {
	return string(d.take(d.count(1)))
}

// name reads a string that is usually one of known, returning that
// constant rather than a new copy: the algorithm of every hash and the
// kind and format of every fingerprint cost no allocation.
func name[S ~string](d *wireReader, known ...S) S {
	p := d.take(d.count(1))
	for _, k := range known {
		if string(k) == string(p) {
			return k
		}
	}
	return S(p)
}

func (d *wireReader) sum(s *hashing.SHA256) { copy(s[:], d.take(len(s))) }

func (d *wireReader) hashes() []hashing.Hash {
	// A hash takes at least a name length, one word and a quality.
	n := d.count(10)
	if n == 0 {
		return nil
	}
	hs := make([]hashing.Hash, n)
	for i := range hs {
		h := &hs[i]
		h.Algorithm = name(d, hashing.PDQ, hashing.PHash, hashing.DHash)
		for j := range codeWords(h.Algorithm) {
			if p := d.take(8); p != nil {
				h.Code[j] = binary.BigEndian.Uint64(p)
			}
		}
		h.Quality = int(d.varint())
	}
	return hs
}
