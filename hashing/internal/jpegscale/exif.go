// This file is new in hashwatch (not part of Go's image/jpeg).

package jpegscale

import "encoding/binary"

// processApp1Marker reads the EXIF orientation from the first APP1 segment
// before the first scan, the one github.com/disintegration/imaging's
// AutoOrientation looks at, so that decoding with this package and orienting
// the result gives the same picture as imaging.Decode(r,
// AutoOrientation(true)). Other APP1 segments, and non-Exif ones, are
// skipped unread.
func (d *decoder) processApp1Marker(n int) error {
	if d.sawApp1 || d.img1 != nil || d.img3 != nil {
		// Not the first APP1, or after the first scan, where imaging's
		// reader, which stops at the first scan, would not look.
		return d.ignore(n)
	}
	d.sawApp1 = true
	const exifHeader = "Exif\x00\x00"
	if n < len(exifHeader) {
		return d.ignore(n)
	}
	if err := d.readFull(d.tmp[:len(exifHeader)]); err != nil {
		return err
	}
	n -= len(exifHeader)
	if string(d.tmp[:4]) != exifHeader[:4] { // imaging ignores the two NULs
		return d.ignore(n)
	}
	// The segment is at most 65533 bytes; IFD0 may sit anywhere in it.
	buf := make([]byte, n)
	if err := d.readFull(buf); err != nil {
		return err
	}
	d.orientation = exifOrientation(buf)
	return nil
}

// exifOrientation returns the Orientation tag (0x0112) of IFD0 in the TIFF
// structure t, or 0 when it is missing or not in 1..8. Like imaging it does
// not check the tag's type and reads its value as a 16-bit SHORT.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := uint64(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > uint64(len(t)) {
		return 0
	}
	count := int(bo.Uint16(t[off:]))
	for p := int(off) + 2; count > 0 && p+12 <= len(t); count, p = count-1, p+12 {
		if bo.Uint16(t[p:]) != 0x0112 {
			continue
		}
		if v := int(bo.Uint16(t[p+8:])); 1 <= v && v <= 8 {
			return v
		}
		return 0
	}
	return 0
}
