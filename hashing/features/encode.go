package features

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrCorrupt reports encoded set bytes that do not decode.
var ErrCorrupt = errors.New("features: corrupt set")

// MaxEncodedPoints is the most points UnmarshalBinary accepts: a set from
// a peer or a store cannot make a reader allocate more than
// MaxEncodedPoints*pointBytes bytes.
const MaxEncodedPoints = 256

// MaxEncodedBytes is the largest encoded set UnmarshalBinary accepts: a
// version byte and two copies' corners (the picture's own and its square
// one, Set.Square).
const MaxEncodedBytes = 1 + 2*(copyHeaderBytes+MaxEncodedPoints*pointBytes)

// copyHeaderBytes is one copy's header: width, height and point count
// (uint16 each).
const copyHeaderBytes = 6

// pointBytes is one point's encoded size: x and y in 1/64 pixel (uint16
// each), level and angle (a byte each), the 32-byte descriptor.
const pointBytes = 2 + 2 + 1 + 1 + 32

// The versions that lead an encoded set: version 1 holds one copy's
// corners, version 2 two (the picture's own, then its square copy's).
// MarshalBinary writes version 1 for a set without Square, so a set
// encodes as it did before square copies existed and a reader from then
// still reads it.
const (
	setVersion1 = 1
	setVersion2 = 2
)

// MarshalBinary encodes the set: a version byte, then for each copy (the
// picture's own; with version 2 also the square one) its width and height
// (uint16), its point count (uint16) and its points. Positions are
// rounded to 1/64 pixel.
func (s Set) MarshalBinary() ([]byte, error) {
	copies := []Set{s}
	version := byte(setVersion1)
	if s.Square != nil && s.Square.Square != nil {
		return nil, fmt.Errorf("features: a square copy's set has a square copy of its own")
	}
	if s.Square != nil {
		copies = append(copies, *s.Square)
		version = setVersion2
	}
	out := []byte{version}
	for _, c := range copies {
		if len(c.Points) > MaxEncodedPoints || c.W > math.MaxUint16/64 || c.H > math.MaxUint16/64 || c.W < 0 || c.H < 0 {
			return nil, fmt.Errorf("features: set of %d points on %d×%d cannot be encoded", len(c.Points), c.W, c.H)
		}
		out = binary.LittleEndian.AppendUint16(out, uint16(c.W))
		out = binary.LittleEndian.AppendUint16(out, uint16(c.H))
		out = binary.LittleEndian.AppendUint16(out, uint16(len(c.Points)))
		for _, p := range c.Points {
			out = binary.LittleEndian.AppendUint16(out, quantise(p.X))
			out = binary.LittleEndian.AppendUint16(out, quantise(p.Y))
			out = append(out, p.Level, p.Angle)
			for _, w := range p.Desc {
				out = binary.LittleEndian.AppendUint64(out, w)
			}
		}
	}
	return out, nil
}

// Rounded returns the set with its positions rounded to the 1/64-pixel
// grid MarshalBinary keeps: what a set read back from storage or a
// message holds, so a set used where it was made and one that travelled
// score alike.
func (s Set) Rounded() Set {
	out := Set{W: s.W, H: s.H, Points: slices.Clone(s.Points)}
	for i := range out.Points {
		p := &out.Points[i]
		p.X = float32(quantise(p.X)) / 64
		p.Y = float32(quantise(p.Y)) / 64
	}
	if s.Square != nil {
		sq := s.Square.Rounded()
		out.Square = &sq
	}
	return out
}

func quantise(v float32) uint16 {
	return uint16(min(max(math.Round(float64(v)*64), 0), math.MaxUint16))
}

// UnmarshalBinary decodes what MarshalBinary encoded, refusing anything
// malformed or holding more than MaxEncodedPoints points in a copy.
func (s *Set) UnmarshalBinary(data []byte) error {
	if len(data) < 1 || (data[0] != setVersion1 && data[0] != setVersion2) {
		return fmt.Errorf("%w: header", ErrCorrupt)
	}
	version, b := data[0], data[1:]
	out, b, err := decodeCopy(b)
	if err != nil {
		return err
	}
	if version == setVersion2 {
		var sq Set
		if sq, b, err = decodeCopy(b); err != nil {
			return err
		}
		out.Square = &sq
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: %d bytes after the points", ErrCorrupt, len(b))
	}
	*s = out
	return nil
}

// decodeCopy decodes one copy's header and points from the front of b and
// returns what follows them.
func decodeCopy(b []byte) (Set, []byte, error) {
	if len(b) < copyHeaderBytes {
		return Set{}, nil, fmt.Errorf("%w: header", ErrCorrupt)
	}
	n := int(binary.LittleEndian.Uint16(b[4:]))
	if n > MaxEncodedPoints || len(b) < copyHeaderBytes+n*pointBytes {
		return Set{}, nil, fmt.Errorf("%w: %d points in %d bytes", ErrCorrupt, n, len(b))
	}
	out := Set{W: int(binary.LittleEndian.Uint16(b)), H: int(binary.LittleEndian.Uint16(b[2:]))}
	if n > 0 {
		out.Points = make([]Point, n)
	}
	b = b[copyHeaderBytes:]
	for i := range out.Points {
		p := &out.Points[i]
		p.X = float32(binary.LittleEndian.Uint16(b)) / 64
		p.Y = float32(binary.LittleEndian.Uint16(b[2:])) / 64
		p.Level, p.Angle = b[4], b[5]
		if p.Angle >= angleBins || int(p.Level) >= len(levelScales) {
			return Set{}, nil, fmt.Errorf("%w: point %d", ErrCorrupt, i)
		}
		for k := range p.Desc {
			p.Desc[k] = binary.LittleEndian.Uint64(b[6+8*k:])
		}
		b = b[pointBytes:]
	}
	return out, b, nil
}
