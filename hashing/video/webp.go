package video

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// DefaultMaxWebPPixels bounds an animated WebP's canvas area times its
// frame count. libwebp's animation decoder composites every frame into a
// full RGBA canvas before it returns (4 bytes a pixel, inside its
// WebAssembly sandbox), so this is about 256 MiB at the default.
const DefaultMaxWebPPixels = 64_000_000

var errWebPChunks = errors.New("malformed WebP chunk structure")

// webpScan walks an animated WebP's RIFF chunks without decoding pixels and
// returns its canvas size and frame (ANMF chunk) count, so the limits can
// be checked before the decoder allocates.
func webpScan(data []byte) (w, h, frames int, err error) {
	if len(data) < 30 || !bytes.Equal(data[:4], []byte("RIFF")) || !bytes.Equal(data[8:12], []byte("WEBP")) {
		return 0, 0, 0, errWebPChunks
	}
	end := min(len(data), int(binary.LittleEndian.Uint32(data[4:8]))+8)
	for p := 12; p+8 <= end; {
		id := string(data[p : p+4])
		n := int(binary.LittleEndian.Uint32(data[p+4 : p+8]))
		body := p + 8
		if n < 0 || body+n > end {
			return w, h, frames, errWebPChunks
		}
		switch id {
		case "VP8X":
			if n < 10 {
				return 0, 0, 0, errWebPChunks
			}
			w = 1 + int(data[body+4]) | int(data[body+5])<<8 | int(data[body+6])<<16
			h = 1 + int(data[body+7]) | int(data[body+8])<<8 | int(data[body+9])<<16
		case "ANMF":
			frames++
		}
		p = body + n + n&1 // chunks are padded to an even size
	}
	if w == 0 || frames == 0 {
		return w, h, frames, errWebPChunks
	}
	return w, h, frames, nil
}
