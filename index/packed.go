package index

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hashwatch/hashwatch/hashing"
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
		if len(v.Name) > 255 || len(v.Hashes) > 255 {
			return nil, fmt.Errorf("view %q too large to pack: %w", v.Name, ErrInvalid)
		}
		out = append(out, byte(len(v.Name)))
		out = append(out, v.Name...)
		out = append(out, byte(len(v.Hashes)))
		for _, h := range v.Hashes {
			id, ok := packedID(h.Algorithm)
			if !ok {
				return nil, fmt.Errorf("view %q: unknown algorithm %q: %w", v.Name, h.Algorithm, ErrInvalid)
			}
			out = append(out, id, byte(min(max(h.Quality, 0), 255)))
			for w := range h.Algorithm.Bits() / 64 {
				for s := 56; s >= 0; s -= 8 {
					out = append(out, byte(h.Code[w]>>s))
				}
			}
		}
	}
	return out, nil
}

var errPacked = errors.New("malformed packed views")

// unpackViews decodes packed views.
func unpackViews(b []byte) ([]hashing.View, error) {
	var views []hashing.View
	take := func(n int) ([]byte, error) {
		if len(b) < n {
			return nil, errPacked
		}
		p := b[:n]
		b = b[n:]
		return p, nil
	}
	for len(b) > 0 {
		n, err := take(1)
		if err != nil {
			return nil, err
		}
		name, err := take(int(n[0]))
		if err != nil {
			return nil, err
		}
		cnt, err := take(1)
		if err != nil {
			return nil, err
		}
		v := hashing.View{Name: string(name), Hashes: make([]hashing.Hash, 0, cnt[0])}
		for range int(cnt[0]) {
			hdr, err := take(2)
			if err != nil {
				return nil, err
			}
			if int(hdr[0]) >= len(packedAlgorithms) || hdr[0] == 0 {
				return nil, fmt.Errorf("algorithm %d: %w", hdr[0], errPacked)
			}
			alg := packedAlgorithms[hdr[0]]
			raw, err := take(alg.Bits() / 8)
			if err != nil {
				return nil, err
			}
			var code hashing.Code
			for i, c := range raw {
				code[i/8] = code[i/8]<<8 | uint64(c)
			}
			v.Hashes = append(v.Hashes, hashing.Hash{Algorithm: alg, Code: code, Quality: int(hdr[1])})
		}
		views = append(views, v)
	}
	return views, nil
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
