package jpegscale

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// reference is the bit reader this package had before the 64-bit one (the
// 32-bit accumulator topped up byte by byte with bytes that are not 0xff,
// no fast tables), kept here as the differential tests' oracle: every
// decode must come out the same, pixel for pixel and error for error, with
// either reader.
var reference = &bitReference{
	readahead: func(d *decoder) {
		for d.bits.n <= 24 && d.bytes.i < d.bytes.j && d.bytes.buf[d.bytes.i] != 0xff {
			d.bits.a = d.bits.a<<8 | uint64(d.bytes.buf[d.bytes.i])
			d.bytes.i++
			d.bytes.nUnreadable = 1
			d.bits.n += 8
			d.bits.m <<= 8
		}
	},
	decodeDC: func(d *decoder, h *huffman) (int32, error) {
		value, err := d.decodeHuffman(h)
		if err != nil {
			return 0, err
		}
		if value > 16 {
			return 0, UnsupportedError("excessive DC component")
		}
		return d.receiveExtend(value)
	},
	decodeAC: referenceDecodeAC,
}

// referenceDecodeAC is decodeAC as it was before the 64-bit reader.
func referenceDecodeAC(d *decoder, b *block, h *huffman, zig, zigEnd int32, al uint32, need uint64) error {
	if h.nCodes == 0 && zig <= zigEnd {
		return errUninitializedHuffman
	}
	a, n := d.bits.a, d.bits.n
	for ; zig <= zigEnd; zig++ {
		var value uint8
		if n < 8 {
			for n <= 24 && d.bytes.i < d.bytes.j && d.bytes.buf[d.bytes.i] != 0xff {
				a = a<<8 | uint64(d.bytes.buf[d.bytes.i])
				d.bytes.i++
				d.bytes.nUnreadable = 1
				n += 8
			}
		}
		if n < 8 {
			d.bits = bits{a: a, m: bitMask(n), n: n}
			err := d.ensureNBits(8)
			if err != nil {
				value, err = d.decodeHuffmanShort(h, err)
				a, n = d.bits.a, d.bits.n
				if err != nil {
					return err
				}
				goto decoded
			}
			a, n = d.bits.a, d.bits.n
		}
		if v := h.lut[(a>>uint32(n-lutSize))&0xff]; v != 0 {
			n -= int32(v&0xff) - 1
			value = uint8(v >> 8)
		} else {
			d.bits = bits{a: a, m: bitMask(n), n: n}
			var err error
			value, err = d.decodeHuffmanBits(h)
			a, n = d.bits.a, d.bits.n
			if err != nil {
				return err
			}
		}
	decoded:
		val0 := value >> 4
		val1 := value & 0x0f
		if val1 != 0 {
			zig += int32(val0)
			if zig > zigEnd {
				break
			}
			t := int32(val1)
			if n < t {
				d.bits = bits{a: a, m: bitMask(n), n: n}
				err := d.ensureNBits(t)
				a, n = d.bits.a, d.bits.n
				if err != nil {
					return err
				}
			}
			n -= t
			if need>>uint32(zig)&1 != 0 {
				s := int32(1) << t
				x := int32(a>>uint32(n)) & (s - 1)
				if x < s>>1 {
					x += ((-1) << t) + 1
				}
				b[unzig[zig&(blockSize-1)]] = x << al
			}
		} else {
			if val0 != 0x0f {
				d.eobRun = uint16(1 << val0)
				if val0 != 0 {
					d.bits = bits{a: a, m: bitMask(n), n: n}
					bits, err := d.decodeBits(int32(val0))
					a, n = d.bits.a, d.bits.n
					if err != nil {
						return err
					}
					d.eobRun |= uint16(bits)
				}
				d.eobRun--
				break
			}
			zig += 0x0f
		}
	}
	d.bits = bits{a: a, m: bitMask(n), n: n}
	return nil
}

// bitReaderModes are the decodes the differential tests run with both
// readers: every fixed scale (DecodeReduced's decoder), and the luma with
// a colour copy (DecodeLumaThumb's) at 1/2 and 1/4 with the copy at 1/8,
// and at 1/2 with the copy at the same scale (decoded in colour).
var bitReaderModes = []struct {
	name string
	new  func() decoder
}{
	{"1/1", func() decoder { return decoder{shift: 0} }},
	{"1/2", func() decoder { return decoder{shift: 1} }},
	{"1/4", func() decoder { return decoder{shift: 2} }},
	{"1/8", func() decoder { return decoder{shift: 3} }},
	{"luma 1/2 thumb 1/8", func() decoder { return lumaThumbDecoder(1, 3) }},
	{"luma 1/4 thumb 1/8", func() decoder { return lumaThumbDecoder(2, 3) }},
	{"luma 1/2 thumb 1/2", func() decoder { return lumaThumbDecoder(1, 1) }},
}

func lumaThumbDecoder(shift, thumbShift uint) decoder {
	return decoder{lumaOnly: true,
		pickShift: func(int, int) uint { return shift },
		pickThumb: func(int, int) uint { return thumbShift },
	}
}

// compareBitReaders decodes data in every mode with the package's reader
// and with the reference, and reports the first difference: in the error,
// the image or the colour copy, or in where the reader stopped.
func compareBitReaders(data []byte) error {
	for _, m := range bitReaderModes {
		got, want := m.new(), m.new()
		want.ref = reference
		gotImg, gotErr := got.decode(bytes.NewReader(data), false)
		wantImg, wantErr := want.decode(bytes.NewReader(data), false)
		if gotErr != wantErr {
			return fmt.Errorf("%s: error %v, the reference reader's %v", m.name, gotErr, wantErr)
		}
		if gotErr != nil {
			continue
		}
		if err := sameImage(gotImg, wantImg); err != nil {
			return fmt.Errorf("%s: %v", m.name, err)
		}
		if (got.thumb == nil) != (want.thumb == nil) {
			return fmt.Errorf("%s: colour copy %v, the reference reader's %v", m.name, got.thumb != nil, want.thumb != nil)
		}
		if got.thumb != nil {
			if err := sameImage(got.thumb, want.thumb); err != nil {
				return fmt.Errorf("%s: colour copy: %v", m.name, err)
			}
		}
	}
	return nil
}

// bitReaderSeeds are the differential tests' inputs: every test image
// (baseline, progressive, restart intervals, every subsampling, grey,
// CMYK, RGB, a truncated progressive file) and a noisy one whose AC codes
// are long.
func bitReaderSeeds(t testing.TB) map[string][]byte {
	t.Helper()
	seeds := map[string][]byte{"noise": noiseJPEG(t, 96, 80)}
	for _, glob := range []string{"testdata/*.jpeg", "testdata/*.jpg"} {
		files, _ := filepath.Glob(glob)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			seeds[filepath.Base(name)] = b
		}
	}
	return seeds
}

// damaged returns copies of data cut short, with bytes changed (to 0x00,
// 0xff and flipped), with a marker inserted, and with a byte deleted, at
// positions spread over the file, most of them inside the scans: markers
// and truncation mid-scan, broken 0xff 0x00 stuffing, bad codes.
func damaged(data []byte) [][]byte {
	out := corruptions(data)
	step := max(1, len(data)/25)
	for i := 2; i < len(data); i += step {
		for _, marker := range []byte{0xd0, 0xd3, 0xd9, 0xc4, 0x00, 0xff} {
			c := make([]byte, 0, len(data)+2)
			c = append(c, data[:i]...)
			c = append(c, 0xff, marker)
			out = append(out, append(c, data[i:]...))
		}
		out = append(out, append(bytes.Clone(data[:i]), data[i+1:]...))
	}
	return out
}

// TestBitReaderMatchesReference checks the 64-bit reader against the one
// it replaced on every test image and on damaged copies of them: the same
// pixels (and colour copy) in every mode, or the same error.
func TestBitReaderMatchesReference(t *testing.T) {
	seeds := bitReaderSeeds(t)
	if photo, err := os.ReadFile(benchPhoto); err == nil {
		seeds["dev photo"] = photo
	}
	for name, data := range seeds {
		t.Run(name+" decodes the same", func(t *testing.T) {
			if err := compareBitReaders(data); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, name := range []string{
		"video-001.jpeg", "video-001.progressive.jpeg", "video-001.restart2.jpeg",
		"video-001.q50.420.progressive.jpeg", "video-005.gray.q50.2x2.progressive.jpeg",
		"video-001.progressive.truncated.jpeg", "macaw.restart.jpg", "noise",
	} {
		data := seeds[name]
		if data == nil {
			t.Fatalf("no seed %s", name)
		}
		t.Run(name+" damaged decodes the same", func(t *testing.T) {
			for i, c := range damaged(data) {
				if err := compareBitReaders(c); err != nil {
					t.Fatalf("copy %d (%d bytes): %v", i, len(c), err)
				}
			}
		})
	}
}

// FuzzBitReader is TestBitReaderMatchesReference on any input (with a
// declared size of at most fuzzMaxPixels).
func FuzzBitReader(f *testing.F) {
	seeds := bitReaderSeeds(f)
	for _, name := range []string{"video-001.jpeg", "video-001.progressive.jpeg", "video-001.restart2.jpeg", "noise"} {
		f.Add(seeds[name])
		for i, c := range damaged(seeds[name]) {
			if i%17 == 0 {
				f.Add(c)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if cfg, err := DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width*cfg.Height > fuzzMaxPixels {
			return
		}
		if err := compareBitReaders(data); err != nil {
			t.Fatal(err)
		}
	})
}

// TestFastTablesDecodeLikeLUT checks every entry of the fast tables built
// from the test images' Huffman tables against lut and receiveExtend's
// arithmetic, for a table of each class.
func TestFastTablesDecodeLikeLUT(t *testing.T) {
	for name, data := range bitReaderSeeds(t) {
		d := decoder{shift: 3}
		if _, err := d.decode(bytes.NewReader(data), false); err != nil {
			continue
		}
		for tc := range d.huff {
			for th := range d.huff[tc] {
				h := &d.huff[tc][th]
				if h.nCodes == 0 {
					continue
				}
				// Built from the last definition even where the scans
				// after it had no use for it.
				h.buildFast(uint8(tc))
				for p := range int32(1 << fastBits) {
					e := h.fast[p]
					if e == 0 {
						continue
					}
					v := h.lut[p>>(fastBits-lutSize)]
					codeLen, value := int32(v&0xff)-1, uint8(v>>8)
					t2 := int32(value & 0x0f)
					if tc == dcTable {
						t2 = int32(value)
					}
					rest := p & (1<<(fastBits-codeLen) - 1) // the bits after the code
					x := rest >> (fastBits - codeLen - t2)
					if t2 > 0 && x < 1<<(t2-1) {
						x += ((-1) << t2) + 1
					}
					run := int32(value >> 4)
					if tc == dcTable {
						run = 0
					}
					if (e>>5)&0x1f != codeLen || e&0x1f != codeLen+t2 || e>>16 != x || (e>>10)&0x0f != run {
						t.Fatalf("%s: table %d/%d entry %010b: %#x, want code %d bits, %d in all, value %d", name, tc, th, p, e, codeLen, codeLen+t2, x)
					}
				}
			}
		}
	}
}
