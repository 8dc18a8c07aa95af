package video

import (
	"testing"

	"github.com/hashwatch/hashwatch/hashing"
)

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want hashing.Format
	}{
		{"an MP4 by its ftyp box", []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00"), FormatMP4},
		{"a WebM by its EBML header", []byte{0x1A, 0x45, 0xDF, 0xA3, 0x9F}, FormatMKV},
		{"an AVI", []byte("RIFF\x00\x00\x00\x00AVI LIST"), FormatAVI},
		{"a still WebP is an image", []byte("RIFF\x00\x00\x00\x00WEBPVP8 "), ""},
		{"an animated WebP", append([]byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02"), make([]byte, 10)...), FormatWebP},
		{"a JPEG is not a video", []byte{0xFF, 0xD8, 0xFF, 0xE0}, ""},
		{"a playlist is not a video", []byte("#EXTM3U\n"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff(tt.data); got != tt.want {
				t.Fatalf("Sniff = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStreamable(t *testing.T) {
	box := func(typ string, n int) []byte {
		b := []byte{0, 0, 0, byte(8 + n)}
		return append(append(b, typ...), make([]byte, n)...)
	}
	cat := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	if !streamable(FormatMP4, cat(box("ftyp", 8), box("moov", 4), box("mdat", 4))) {
		t.Error("moov before mdat: want streamable")
	}
	if streamable(FormatMP4, cat(box("ftyp", 8), box("mdat", 4), box("moov", 4))) {
		t.Error("mdat before moov: want a temporary file")
	}
	if streamable(FormatMP4, cat(box("ftyp", 8), []byte{0, 0, 0, 3})) {
		t.Error("a broken box: want a temporary file")
	}
}

// FuzzSniff feeds arbitrary bytes to the parsers of outside input that run
// before ffmpeg: none may panic.
func FuzzSniff(f *testing.F) {
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"))
	f.Add([]byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2\x00\x00\x00\x08mdat"))
	f.Add([]byte("\x00\x00\x00\x01ftyp\x00\x00\x00\x00\x00\x00\x00\x10"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02"))
	f.Fuzz(func(t *testing.T, data []byte) {
		format := Sniff(data)
		streamable(format, data)
		streamable(FormatMP4, data)
		gifScan(data)
	})
}
