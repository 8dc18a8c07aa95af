package index

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/store"
)

// Fingerprint values from encoding version 2 on keep their views packed:
// a registered picture has some thirty views of three hashes each, which as
// JSON objects with hex strings cost about 10 KB a fingerprint and made
// loading ten million codes take over a minute. Packed, a view is
//
//	name length (1 byte) ‖ name ‖ hash count (1 byte) ‖ hashes
//
// and a hash is algorithm (1 byte: 1 PDQ, 2 pHash, 3 dHash) ‖ quality
// (1 byte) ‖ code (8 or 32 bytes, big-endian words as hashing.Code). The
// bytes travel base64-encoded in the JSON field "packed".

var packedAlgorithms = []hashing.Algorithm{1: hashing.PDQ, 2: hashing.PHash, 3: hashing.DHash}

func packedID(a hashing.Algorithm) (byte, bool) {
	for id, b := range packedAlgorithms {
		if b == a && id > 0 {
			return byte(id), true
		}
	}
	return 0, false
}

// packViews encodes views in the packed form.
func packViews(views []hashing.View) ([]byte, error) {
	var out []byte
	for _, v := range views {
		if len(v.Name) > 255 {
			return nil, fmt.Errorf("view %q too large to pack: %w", v.Name, store.ErrInvalid)
		}
		out = append(out, byte(len(v.Name)))
		out = append(out, v.Name...)
		var err error
		if out, err = packHashes(out, v.Hashes); err != nil {
			return nil, fmt.Errorf("view %q: %w", v.Name, err)
		}
	}
	return out, nil
}

// packHashes appends a hash count (1 byte) and the packed hashes to out.
func packHashes(out []byte, hs []hashing.Hash) ([]byte, error) {
	if len(hs) > 255 {
		return nil, fmt.Errorf("%d hashes, too many to pack: %w", len(hs), store.ErrInvalid)
	}
	out = append(out, byte(len(hs)))
	for _, h := range hs {
		id, ok := packedID(h.Algorithm)
		if !ok {
			return nil, fmt.Errorf("unknown algorithm %q: %w", h.Algorithm, store.ErrInvalid)
		}
		out = append(out, id, byte(min(max(h.Quality, 0), 255)))
		for w := range h.Algorithm.Bits() / 64 {
			for s := 56; s >= 0; s -= 8 {
				out = append(out, byte(h.Code[w]>>s))
			}
		}
	}
	return out, nil
}

var errPacked = errors.New("malformed packed views")

// unpackViews decodes packed views.
func unpackViews(b []byte) ([]hashing.View, error) {
	var views []hashing.View
	for len(b) > 0 {
		n := int(b[0])
		if len(b) < 1+n {
			return nil, errPacked
		}
		v := hashing.View{Name: string(b[1 : 1+n])}
		var err error
		if v.Hashes, b, err = unpackHashes(b[1+n:]); err != nil {
			return nil, err
		}
		views = append(views, v)
	}
	return views, nil
}

// unpackHashes decodes a hash count and that many packed hashes from the
// front of b and returns them and the rest of b.
func unpackHashes(b []byte) ([]hashing.Hash, []byte, error) {
	if len(b) < 1 {
		return nil, nil, errPacked
	}
	return appendUnpackedHashes(make([]hashing.Hash, 0, int(b[0])), b)
}

// appendUnpackedHashes is unpackHashes appending the hashes to dst.
func appendUnpackedHashes(dst []hashing.Hash, b []byte) ([]hashing.Hash, []byte, error) {
	if len(b) < 1 {
		return nil, nil, errPacked
	}
	cnt := int(b[0])
	b = b[1:]
	for range cnt {
		if len(b) < 2 {
			return nil, nil, errPacked
		}
		if int(b[0]) >= len(packedAlgorithms) || b[0] == 0 {
			return nil, nil, fmt.Errorf("algorithm %d: %w", b[0], errPacked)
		}
		alg, q := packedAlgorithms[b[0]], int(b[1])
		b = b[2:]
		n := alg.Bits() / 8
		if len(b) < n {
			return nil, nil, errPacked
		}
		var code hashing.Code
		for i, c := range b[:n] {
			code[i/8] = code[i/8]<<8 | uint64(c)
		}
		b = b[n:]
		dst = append(dst, hashing.Hash{Algorithm: alg, Code: code, Quality: q})
	}
	return dst, b, nil
}

// upgradeFingerprintV1 rewrites a version-1 fingerprint (views as JSON
// objects with hex codes) into version 2 (views packed).
func upgradeFingerprintV1(body json.RawMessage) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, err
	}
	var old []viewRecord
	if raw, ok := fields["views"]; ok {
		if err := json.Unmarshal(raw, &old); err != nil {
			return nil, err
		}
	}
	views := make([]hashing.View, 0, len(old))
	for _, vr := range old {
		v := hashing.View{Name: vr.Name}
		for _, hr := range vr.Hashes {
			alg := hashing.Algorithm(hr.Algorithm)
			code, nbits, err := hashing.ParseCode(hr.Hex)
			if err != nil || nbits != alg.Bits() {
				return nil, fmt.Errorf("view %s: bad %s hash %q", vr.Name, alg, hr.Hex)
			}
			v.Hashes = append(v.Hashes, hashing.Hash{Algorithm: alg, Code: code, Quality: hr.Quality})
		}
		views = append(views, v)
	}
	packed, err := packViews(views)
	if err != nil {
		return nil, err
	}
	delete(fields, "views")
	enc, _ := json.Marshal(base64.StdEncoding.EncodeToString(packed))
	fields["packed"] = enc
	return json.Marshal(fields)
}

// unpackCompact decodes packed views straight into the matcher's compact
// form (see matcher.compactOf), with no per-view intermediates: names
// interned, PDQ hashes in one array per fingerprint, 64-bit codes in
// shortCodes. Views of another shape decode whole (unpackViews), with nil
// shortCodes.
func (m *matcher) unpackCompact(b []byte) ([]hashing.View, []shortCodes, error) {
	// First walk: count views and PDQ hashes, and check the shape.
	nviews, npdq := 0, 0
	for p := b; len(p) > 0; {
		n := int(p[0])
		if len(p) < 2+n {
			return nil, nil, errPacked
		}
		cnt := int(p[1+n])
		p = p[2+n:]
		seen := 0
		for range cnt {
			if len(p) < 2 || p[0] == 0 || int(p[0]) >= len(packedAlgorithms) {
				return nil, nil, errPacked
			}
			alg := packedAlgorithms[p[0]]
			bit := 1 << p[0]
			if seen&bit != 0 {
				views, err := unpackViews(b)
				return views, nil, err
			}
			seen |= bit
			if alg == hashing.PDQ {
				npdq++
			}
			if len(p) < 2+alg.Bits()/8 {
				return nil, nil, errPacked
			}
			p = p[2+alg.Bits()/8:]
		}
		nviews++
	}
	if nviews == 0 {
		return nil, nil, nil
	}
	views := make([]hashing.View, nviews)
	pdqs := make([]hashing.Hash, 0, npdq)
	short := make([]shortCodes, nviews)
	for vi := range views {
		n := int(b[0])
		name, ok := m.names[string(b[1:1+n])] // no allocation to look up
		if !ok {
			name = string(b[1 : 1+n])
			m.names[name] = name
		}
		views[vi].Name = name
		cnt := int(b[1+n])
		b = b[2+n:]
		s := &short[vi]
		for range cnt {
			alg, q := packedAlgorithms[b[0]], b[1]
			b = b[2:]
			switch alg {
			case hashing.PDQ:
				var code hashing.Code
				for w := range 4 {
					code[w] = binary.BigEndian.Uint64(b[8*w:])
				}
				pdqs = append(pdqs, hashing.Hash{Algorithm: alg, Code: code, Quality: int(q)})
				views[vi].Hashes = pdqs[len(pdqs)-1 : len(pdqs) : len(pdqs)]
			case hashing.PHash:
				s.phash, s.pq, s.has = binary.BigEndian.Uint64(b), q, s.has|hasPHash
			case hashing.DHash:
				s.dhash, s.dq, s.has = binary.BigEndian.Uint64(b), q, s.has|hasDHash
			}
			b = b[alg.Bits()/8:]
		}
	}
	return views, short, nil
}
