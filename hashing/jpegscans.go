package hashing

import (
	"bytes"
	"fmt"
)

// jpegScanCount counts the scans (SOS markers) of a JPEG by walking its
// markers, without decoding, and fails with ErrTooLarge as soon as there are
// more than max. Each scan of a progressive JPEG makes a decoder visit every
// block of the picture again, and a scan that codes only end-of-band runs
// takes a few bytes: 1,000 such scans cost a minute of CPU in image/jpeg,
// which has no limit of its own. Real encoders write at most a few dozen.
func jpegScanCount(data []byte, max int) (int, error) {
	scans := 0
	i := 2 // after SOI
	for i+1 < len(data) {
		if data[i] != 0xFF {
			// Entropy-coded data, or extraneous bytes between segments
			// (which decoders skip): go to the next 0xFF.
			j := bytes.IndexByte(data[i:], 0xFF)
			if j < 0 {
				break
			}
			i += j
			continue
		}
		m := data[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0x00 || (m >= 0xD0 && m <= 0xD7) || m == 0xD8 || m == 0x01:
			// Stuffed 0xFF, restart markers, SOI and TEM carry no length.
			i += 2
			continue
		case m == 0xD9: // EOI
			return scans, nil
		}
		if i+3 >= len(data) {
			break
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		if m == 0xDA {
			scans++
			if scans > max {
				return scans, fmt.Errorf("JPEG of more than %d scans: %w", max, ErrTooLarge)
			}
		}
		i += 2 + n
	}
	return scans, nil
}
