// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Modified for hashwatch from Go 1.26.8's image/jpeg/huffman.go:
// decodeHuffman and receiveExtend are split so that decodeAC can do their
// common cases in place, ensureNBits reads ahead (refill), and AC tables
// get a second look-up table (fast) that decodes a short code and its extra
// bits at once; the bits decoded and the errors returned are unchanged.

package jpegscale

import (
	"encoding/binary"
	"io"
)

// maxCodeLength is the maximum (inclusive) number of bits in a Huffman code.
const maxCodeLength = 16

// maxNCodes is the maximum (inclusive) number of codes in a Huffman tree.
const maxNCodes = 256

// lutSize is the log-2 size of the Huffman decoder's look-up table.
const lutSize = 8

// fastBits is the log-2 size of an AC table's fast look-up table: the
// number of bits it peeks at, enough for most codes of a photo's AC
// coefficients together with their extra bits.
const fastBits = 10

// huffman is a Huffman decoder, specified in section C.
type huffman struct {
	// length is the number of codes in the tree.
	nCodes int32
	// lut is the look-up table for the next lutSize bits in the bit-stream.
	// The high 8 bits of the uint16 are the encoded value. The low 8 bits
	// are 1 plus the code length, or 0 if the value is too large to fit in
	// lutSize bits.
	lut [1 << lutSize]uint16
	// vals are the decoded values, sorted by their encoding.
	vals [maxNCodes]uint8
	// minCodes[i] is the minimum code of length i, or -1 if there are no
	// codes of that length.
	minCodes [maxCodeLength]int32
	// maxCodes[i] is the maximum code of length i, or -1 if there are no
	// codes of that length.
	maxCodes [maxCodeLength]int32
	// valsIndices[i] is the index into vals of minCodes[i].
	valsIndices [maxCodeLength]int32
	// fast decodes the next code together with its extra bits (RECEIVE
	// and EXTEND) from the next fastBits bits, when both fit in them (see
	// fastEntry and buildFast). It is derived from lut alone, so it
	// decodes exactly what lut and receiveExtend would, even for a
	// malformed table. 0 means "decode the slow way". It is built on first
	// use (fastBuilt), since a progressive JPEG redefines its tables for
	// scans that never read them this way (refinement scans).
	fast      [1 << fastBits]int32
	fastBuilt bool
}

// A fast entry packs, from the top: the coefficient or DC difference
// (signed, bits 16–31), its kind (bits 14–15, fastCoeff, fastEOB or
// fastZRL), the run of zeroes before it (bits 10–13), the Huffman code's
// length (bits 5–9) and the code's plus the extra bits' length (bits 0–4).
// The code's length is at least 1, so no entry is 0.
func fastEntry(x, kind, run, codeLen, total int32) int32 {
	return x<<16 | kind<<14 | run<<10 | codeLen<<5 | total
}

// The kinds of fast entries in an AC table: a coefficient after a run of
// zeroes, the end of the block (value 0x00) and a run of 16 zeroes (0xf0).
// DC tables have only fastCoeff.
const (
	fastCoeff = 0
	fastEOB   = 1
	fastZRL   = 2
)

// buildFast derives h.fast from h.lut for a table of class tc (DC or AC).
// DC sizes above 16, which decoding rejects, and AC end-of-band runs
// longer than one block, which only progressive scans have, are left to
// the slow way.
func (h *huffman) buildFast(tc uint8) {
	h.fastBuilt = true
	for p := range int32(1 << fastBits) {
		h.fast[p] = 0
		v := h.lut[p>>(fastBits-lutSize)]
		if v == 0 {
			continue
		}
		codeLen := int32(v&0xff) - 1
		value := uint8(v >> 8)
		t, run, kind := int32(value&0x0f), int32(value>>4), int32(fastCoeff)
		if tc == dcTable {
			t, run = int32(value), 0
			if t > 16 {
				continue
			}
		} else if t == 0 {
			switch value {
			case 0x00:
				kind = fastEOB
			case 0xf0:
				kind = fastZRL
			default:
				continue
			}
		}
		if codeLen+t > fastBits {
			continue
		}
		s := int32(1) << t
		x := (p >> (fastBits - codeLen - t)) & (s - 1)
		if x < s>>1 {
			x += ((-1) << t) + 1
		}
		h.fast[p] = fastEntry(x, kind, run, codeLen, codeLen+t)
	}
}

// bitReference is the bit reader a decoder uses instead of its own when
// decoder.ref is set, which only the differential tests do: the reader
// this package had before the 64-bit one (bitreader_test.go), so that they
// can check, on any input, that the new one decodes the same pixels and
// fails with the same errors.
type bitReference struct {
	// readahead ends ensureNBits after its bytes are read.
	readahead func(d *decoder)
	decodeDC  func(d *decoder, h *huffman) (int32, error)
	decodeAC  func(d *decoder, b *block, h *huffman, zig, zigEnd int32, al uint32, need uint64) error
}

// errShortHuffmanData means that an unexpected EOF occurred while decoding
// Huffman data.
var errShortHuffmanData = FormatError("short Huffman data")

// ensureNBits reads bytes from the byte buffer to ensure that d.bits.n is at
// least n. For best performance (avoiding function calls inside hot loops),
// the caller is the one responsible for first checking that d.bits.n < n.
func (d *decoder) ensureNBits(n int32) error {
	for {
		c, err := d.readByteStuffedByte()
		if err != nil {
			if err == io.ErrUnexpectedEOF {
				return errShortHuffmanData
			}
			return err
		}
		d.bits.a = d.bits.a<<8 | uint64(c)
		d.bits.n += 8
		if d.bits.m == 0 {
			d.bits.m = 1 << 7
		} else {
			d.bits.m <<= 8
		}
		if d.bits.n >= n {
			break
		}
	}
	// Not in image/jpeg: top the accumulator up with buffered bytes, so
	// that most calls bring in several bytes instead of one.
	if d.ref != nil {
		d.ref.readahead(d)
		return nil
	}
	d.bits.a, d.bits.n = d.refill(d.bits.a, d.bits.n)
	d.bits.m = bitMask(d.bits.n)
	return nil
}

// refill tops the accumulator (a, n) up to at least 57 bits with bytes
// already in d.bytes, unstuffing 0xff 0x00 pairs, and returns it. It is not
// in image/jpeg, and it changes nothing image/jpeg's decoding would show:
//
//   - It stops before any 0xff that is not followed by 0x00 in the buffer
//     (a marker, or a pair cut by the buffer's end) and at the buffer's
//     end, so it never reads into a marker, never calls fill and never
//     fails: where bits run out, ensureNBits reads on and fails exactly as
//     image/jpeg's would, on the same byte.
//   - The bits come in the same order as readByteStuffedByte's, and the
//     bytes it takes early are ones the decoder would read next anyway.
//     At the end of a scan or a restart interval, bytes read and not
//     needed are dropped (readFull gives back only the last, as after any
//     readByteStuffedByte) — plain bytes and whole 0xff 0x00 pairs before
//     the next marker, which image/jpeg would skip as extraneous data
//     (decode's marker loop, findRST) on its way to the same marker.
//   - nUnreadable is 1 or 2 for the last byte or pair taken, as
//     readByteStuffedByte leaves it.
func (d *decoder) refill(a uint64, n int32) (uint64, int32) {
	i, j := d.bytes.i, d.bytes.j
	// Eight bytes at a time while none of them is 0xff.
	if n <= 56 && i+8 <= j {
		x := binary.BigEndian.Uint64(d.bytes.buf[i:])
		if !hasFF(x) {
			k := (64 - n) >> 3 // whole bytes that fit
			a = a<<(8*k) | x>>(64-8*k)
			n += 8 * k
			d.bytes.i = i + int(k)
			d.bytes.nUnreadable = 1
			return a, n
		}
	}
	for n <= 56 && i < j {
		c := d.bytes.buf[i]
		if c == 0xff {
			if i+1 >= j || d.bytes.buf[i+1] != 0x00 {
				break
			}
			i += 2
			d.bytes.nUnreadable = 2
		} else {
			i++
			d.bytes.nUnreadable = 1
		}
		a = a<<8 | uint64(c)
		n += 8
	}
	d.bytes.i = i
	return a, n
}

// hasFF reports whether any of x's eight bytes is 0xff.
func hasFF(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	y := ^x // 0xff bytes become zero bytes
	return (y-lo)&^y&hi != 0
}

// receiveExtend is the composition of RECEIVE and EXTEND, specified in section
// F.2.2.1.
func (d *decoder) receiveExtend(t uint8) (int32, error) {
	if d.bits.n < int32(t) {
		return d.receiveExtendSlow(t)
	}
	d.bits.n -= int32(t)
	d.bits.m >>= t
	s := int32(1) << t
	x := int32(d.bits.a>>uint8(d.bits.n)) & (s - 1)
	if x < s>>1 {
		x += ((-1) << t) + 1
	}
	return x, nil
}

// receiveExtendSlow is receiveExtend when d.bits holds fewer than t bits.
func (d *decoder) receiveExtendSlow(t uint8) (int32, error) {
	if d.bits.n < int32(t) {
		if err := d.ensureNBits(int32(t)); err != nil {
			return 0, err
		}
	}
	d.bits.n -= int32(t)
	d.bits.m >>= t
	s := int32(1) << t
	x := int32(d.bits.a>>uint8(d.bits.n)) & (s - 1)
	if x < s>>1 {
		x += ((-1) << t) + 1
	}
	return x, nil
}

// processDHT processes a Define Huffman Table marker, and initializes a huffman
// struct from its contents. Specified in section B.2.4.2.
func (d *decoder) processDHT(n int) error {
	for n > 0 {
		if n < 17 {
			return FormatError("DHT has wrong length")
		}
		if err := d.readFull(d.tmp[:17]); err != nil {
			return err
		}
		tc := d.tmp[0] >> 4
		if tc > maxTc {
			return FormatError("bad Tc value")
		}
		th := d.tmp[0] & 0x0f
		// The baseline th <= 1 restriction is specified in table B.5.
		if th > maxTh || (d.baseline && th > 1) {
			return FormatError("bad Th value")
		}
		h := &d.huff[tc][th]

		// Read nCodes and h.vals (and derive h.nCodes).
		// nCodes[i] is the number of codes with code length i.
		// h.nCodes is the total number of codes.
		h.nCodes = 0
		var nCodes [maxCodeLength]int32
		for i := range nCodes {
			nCodes[i] = int32(d.tmp[i+1])
			h.nCodes += nCodes[i]
		}
		if h.nCodes == 0 {
			return FormatError("Huffman table has zero length")
		}
		if h.nCodes > maxNCodes {
			return FormatError("Huffman table has excessive length")
		}
		n -= int(h.nCodes) + 17
		if n < 0 {
			return FormatError("DHT has wrong length")
		}
		if err := d.readFull(h.vals[:h.nCodes]); err != nil {
			return err
		}

		// Derive the look-up table.
		clear(h.lut[:])
		var x, code uint32
		for i := uint32(0); i < lutSize; i++ {
			code <<= 1
			for j := int32(0); j < nCodes[i]; j++ {
				// The codeLength is 1+i, so shift code by 8-(1+i) to
				// calculate the high bits for every 8-bit sequence
				// whose codeLength's high bits matches code.
				// The high 8 bits of lutValue are the encoded value.
				// The low 8 bits are 1 plus the codeLength.
				base := uint8(code << (7 - i))
				lutValue := uint16(h.vals[x])<<8 | uint16(2+i)
				for k := uint8(0); k < 1<<(7-i); k++ {
					h.lut[base|k] = lutValue
				}
				code++
				x++
			}
		}
		h.fastBuilt = false // rebuilt from this lut when next needed

		// Derive minCodes, maxCodes, and valsIndices.
		var c, index int32
		for i, n := range nCodes {
			if n == 0 {
				h.minCodes[i] = -1
				h.maxCodes[i] = -1
				h.valsIndices[i] = -1
			} else {
				h.minCodes[i] = c
				h.maxCodes[i] = c + n - 1
				h.valsIndices[i] = index
				c += n
				index += n
			}
			c <<= 1
		}
	}
	return nil
}

// decodeHuffman returns the next Huffman-coded value from the bit-stream,
// decoded according to h.
//
// It is image/jpeg's, split into pieces that decodeAC also uses.
func (d *decoder) decodeHuffman(h *huffman) (uint8, error) {
	if h.nCodes == 0 {
		return 0, errUninitializedHuffman
	}

	if d.bits.n < 8 {
		if err := d.ensureNBits(8); err != nil {
			return d.decodeHuffmanShort(h, err)
		}
	}
	if v := h.lut[(d.bits.a>>uint32(d.bits.n-lutSize))&0xff]; v != 0 {
		n := (v & 0xff) - 1
		d.bits.n -= int32(n)
		d.bits.m >>= n
		return uint8(v >> 8), nil
	}
	return d.decodeHuffmanBits(h)
}

var errUninitializedHuffman = FormatError("uninitialized Huffman table")

// decodeHuffmanShort continues decodeHuffman after ensureNBits(8) failed
// with err.
func (d *decoder) decodeHuffmanShort(h *huffman, err error) (uint8, error) {
	if err != errMissingFF00 && err != errShortHuffmanData {
		return 0, err
	}
	// There are no more bytes of data in this segment, but we may still
	// be able to read the next symbol out of the previously read bits.
	// First, undo the readByte that the ensureNBits call made.
	if d.bytes.nUnreadable != 0 {
		d.unreadByteStuffedByte()
	}
	return d.decodeHuffmanBits(h)
}

// decodeHuffmanBits decodes the next value bit by bit: decodeHuffman's slow
// path, for codes longer than lutSize bits or at the end of a segment. h
// must be defined (nCodes > 0).
func (d *decoder) decodeHuffmanBits(h *huffman) (uint8, error) {
	for i, code := 0, int32(0); i < maxCodeLength; i++ {
		if d.bits.n == 0 {
			if err := d.ensureNBits(1); err != nil {
				return 0, err
			}
		}
		if d.bits.a&d.bits.m != 0 {
			code |= 1
		}
		d.bits.n--
		d.bits.m >>= 1
		if code <= h.maxCodes[i] {
			return h.vals[h.valsIndices[i]+code-h.minCodes[i]], nil
		}
		code <<= 1
	}
	return 0, FormatError("bad Huffman code")
}

func (d *decoder) decodeBit() (bool, error) {
	if d.bits.n == 0 {
		if err := d.ensureNBits(1); err != nil {
			return false, err
		}
	}
	ret := d.bits.a&d.bits.m != 0
	d.bits.n--
	d.bits.m >>= 1
	return ret, nil
}

func (d *decoder) decodeBits(n int32) (uint32, error) {
	if d.bits.n < n {
		if err := d.ensureNBits(n); err != nil {
			return 0, err
		}
	}
	ret := uint32(d.bits.a >> uint32(d.bits.n-n))
	ret &= (1 << uint32(n)) - 1
	d.bits.n -= n
	d.bits.m >>= uint32(n)
	return ret, nil
}

// decodeDC decodes a block's DC difference with table h: decodeHuffman(h),
// the check that the size is at most 16, and receiveExtend, done in place
// from h.fast or the accumulator when it holds at least 32 bits (a code of
// at most 16 bits and at most 16 extra bits), and by those functions
// otherwise.
func (d *decoder) decodeDC(h *huffman) (int32, error) {
	if d.ref != nil {
		return d.ref.decodeDC(d, h)
	}
	if h.nCodes != 0 {
		if !h.fastBuilt {
			h.buildFast(dcTable)
		}
		a, n := d.bits.a, d.bits.n
		if n < 32 {
			a, n = d.refill(a, n)
			d.bits = bits{a: a, m: bitMask(n), n: n}
		}
		if n >= 32 {
			if e := h.fast[(a>>uint32(n-fastBits))&(1<<fastBits-1)]; e != 0 {
				n -= e & 0x1f
				d.bits = bits{a: a, m: bitMask(n), n: n}
				return e >> 16, nil
			}
		}
	}
	value, err := d.decodeHuffman(h)
	if err != nil {
		return 0, err
	}
	if value > 16 {
		return 0, UnsupportedError("excessive DC component")
	}
	return d.receiveExtend(value)
}
