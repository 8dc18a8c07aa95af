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

// MaxEncodedBytes is the largest encoded set UnmarshalBinary accepts.
const MaxEncodedBytes = 7 + MaxEncodedPoints*pointBytes

// pointBytes is one point's encoded size: x and y in 1/64 pixel (uint16
// each), level and angle (a byte each), the 32-byte descriptor.
const pointBytes = 2 + 2 + 1 + 1 + 32

// setVersion leads every encoded set, for a later format to be told
// apart.
const setVersion = 1

// MarshalBinary encodes the set: a version byte, the copy's width and
// height (uint16), the point count (uint16), then the points. Positions
// are rounded to 1/64 pixel.
func (s Set) MarshalBinary() ([]byte, error) {
	if len(s.Points) > MaxEncodedPoints || s.W > math.MaxUint16/64 || s.H > math.MaxUint16/64 || s.W < 0 || s.H < 0 {
		return nil, fmt.Errorf("features: set of %d points on %d×%d cannot be encoded", len(s.Points), s.W, s.H)
	}
	out := make([]byte, 7, 7+len(s.Points)*pointBytes)
	out[0] = setVersion
	binary.LittleEndian.PutUint16(out[1:], uint16(s.W))
	binary.LittleEndian.PutUint16(out[3:], uint16(s.H))
	binary.LittleEndian.PutUint16(out[5:], uint16(len(s.Points)))
	for _, p := range s.Points {
		out = binary.LittleEndian.AppendUint16(out, quantise(p.X))
		out = binary.LittleEndian.AppendUint16(out, quantise(p.Y))
		out = append(out, p.Level, p.Angle)
		for _, w := range p.Desc {
			out = binary.LittleEndian.AppendUint64(out, w)
		}
	}
	return out, nil
}

// Rounded returns the set with its positions rounded to the 1/64-pixel
// grid MarshalBinary keeps: what a set read back from storage or a
// message holds, so a set used where it was made and one that travelled
// score alike.
func (s Set) Rounded() Set {
	if len(s.Points) == 0 {
		return s
	}
	out := Set{W: s.W, H: s.H, Points: slices.Clone(s.Points)}
	for i := range out.Points {
		p := &out.Points[i]
		p.X = float32(quantise(p.X)) / 64
		p.Y = float32(quantise(p.Y)) / 64
	}
	return out
}

func quantise(v float32) uint16 {
	return uint16(min(max(math.Round(float64(v)*64), 0), math.MaxUint16))
}

// UnmarshalBinary decodes what MarshalBinary encoded, refusing anything
// malformed or larger than MaxEncodedPoints.
func (s *Set) UnmarshalBinary(data []byte) error {
	if len(data) < 7 || data[0] != setVersion {
		return fmt.Errorf("%w: header", ErrCorrupt)
	}
	n := int(binary.LittleEndian.Uint16(data[5:]))
	if n > MaxEncodedPoints || len(data) != 7+n*pointBytes {
		return fmt.Errorf("%w: %d points in %d bytes", ErrCorrupt, n, len(data))
	}
	out := Set{W: int(binary.LittleEndian.Uint16(data[1:])), H: int(binary.LittleEndian.Uint16(data[3:]))}
	if n > 0 {
		out.Points = make([]Point, n)
	}
	b := data[7:]
	for i := range out.Points {
		p := &out.Points[i]
		p.X = float32(binary.LittleEndian.Uint16(b)) / 64
		p.Y = float32(binary.LittleEndian.Uint16(b[2:])) / 64
		p.Level, p.Angle = b[4], b[5]
		if p.Angle >= angleBins || int(p.Level) >= len(levelScales) {
			return fmt.Errorf("%w: point %d", ErrCorrupt, i)
		}
		for k := range p.Desc {
			p.Desc[k] = binary.LittleEndian.Uint64(b[6+8*k:])
		}
		b = b[pointBytes:]
	}
	*s = out
	return nil
}
