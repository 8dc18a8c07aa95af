package video

import (
	"bytes"
	"encoding/binary"

	"github.com/hashwatch/hashwatch/hashing"
)

// The video formats this package recognises by their leading bytes.
const (
	FormatMP4  hashing.Format = "mp4"  // ISO base media: MP4, MOV, M4V, 3GP
	FormatMKV  hashing.Format = "mkv"  // Matroska and WebM
	FormatAVI  hashing.Format = "avi"  // RIFF AVI
	FormatFLV  hashing.Format = "flv"  // Flash video
	FormatTS   hashing.Format = "ts"   // MPEG transport stream
	FormatMPEG hashing.Format = "mpeg" // MPEG program stream
	// FormatGIF and FormatWebP are animations: hashing.FormatGIF and
	// hashing.FormatWebP files with more than one frame.
	FormatGIF  = hashing.FormatGIF
	FormatWebP = hashing.FormatWebP
)

// demuxers names ffmpeg's demuxer for each format. The demuxer is always
// given explicitly (-f), never probed, so hostile bytes cannot select a
// playlist or concat demuxer that would make ffmpeg open other files or URLs.
var demuxers = map[hashing.Format]string{
	FormatMP4:  "mov",
	FormatMKV:  "matroska",
	FormatAVI:  "avi",
	FormatFLV:  "flv",
	FormatTS:   "mpegts",
	FormatMPEG: "mpeg",
}

// Sniff names the video format of data from its magic bytes, or returns ""
// when data is not a video or animation. A GIF or WebP counts as a video
// only when it has more than one frame; a still one is an image for
// package hashing. Like hashing.Sniff it trusts no file name or
// Content-Type.
func Sniff(data []byte) hashing.Format {
	switch {
	case len(data) >= 12 && isBoxType(data[4:8]):
		return FormatMP4
	case bytes.HasPrefix(data, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return FormatMKV
	case len(data) >= 12 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("AVI ")):
		return FormatAVI
	case bytes.HasPrefix(data, []byte("FLV\x01")):
		return FormatFLV
	case len(data) >= 377 && data[0] == 0x47 && data[188] == 0x47 && data[376] == 0x47:
		return FormatTS
	case bytes.HasPrefix(data, []byte{0, 0, 1, 0xBA}):
		return FormatMPEG
	case hashing.Sniff(data) == hashing.FormatGIF:
		if frames, _, _ := gifScan(data); len(frames) > 1 {
			return FormatGIF
		}
	case hashing.Sniff(data) == hashing.FormatWebP:
		if animatedWebP(data) {
			return FormatWebP
		}
	}
	return ""
}

// isBoxType reports an ISO base media box that starts such files.
func isBoxType(t []byte) bool {
	switch string(t) {
	case "ftyp", "moov", "mdat", "wide", "free", "skip":
		return true
	}
	return false
}

// streamable reports whether ffmpeg can read an MP4 from a pipe: only when
// its index (moov box) comes before the media data (mdat). Files written
// by cameras and phones usually have it at the end ("not fast-started") and
// must be read from a seekable file.
func streamable(format hashing.Format, data []byte) bool {
	if format != FormatMP4 {
		return true
	}
	for len(data) >= 8 {
		size := uint64(binary.BigEndian.Uint32(data))
		typ := string(data[4:8])
		switch size {
		case 0:
			size = uint64(len(data))
		case 1:
			if len(data) < 16 {
				return false
			}
			size = binary.BigEndian.Uint64(data[8:16])
		}
		switch typ {
		case "moov", "moof":
			return true
		case "mdat":
			return false
		}
		if size < 8 || size > uint64(len(data)) {
			return false
		}
		data = data[size:]
	}
	return false
}

// animatedWebP reports a WebP whose VP8X header sets the animation flag.
func animatedWebP(data []byte) bool {
	return len(data) >= 21 && bytes.Equal(data[12:16], []byte("VP8X")) && data[20]&0x02 != 0
}
