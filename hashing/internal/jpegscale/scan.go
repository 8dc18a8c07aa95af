// Copyright 2012 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

// Modified for hashwatch from Go 1.26.8's image/jpeg/scan.go: makeImg
// allocates the reduced image, reconstructBlock writes reduced blocks (edge
// blocks via reduceEdgeBlock), and the AC loop of processSOS moved to
// decodeAC, which skips coefficients the reduced IDCT does not read.

package jpegscale

import (
	"encoding/binary"
	"image"
)

// makeImg allocates and initializes the destination image, at the reduced
// size: each 8×8 block of samples becomes bs×bs output samples.
func (d *decoder) makeImg(mxx, myy int) {
	bs := 8 >> d.shift
	hmax, vmax := d.comp[0].h, d.comp[0].v
	for i := 0; i < d.nComp; i++ {
		// Component i has one sample per hr×vr pixels (component 0 has
		// the largest factors); its size rounds up, like image.YCbCr's
		// chroma planes.
		hr, vr := hmax/d.comp[i].h, vmax/d.comp[i].v
		d.compW[i], d.compH[i] = (d.width+hr-1)/hr, (d.height+vr-1)/vr
	}
	visible := image.Rect(0, 0, d.scaledWidth, d.scaledHeight)
	if d.nComp == 1 {
		m := image.NewGray(image.Rect(0, 0, bs*mxx, bs*myy))
		d.img1 = m.SubImage(visible).(*image.Gray)
		return
	}

	h0 := d.comp[0].h
	v0 := d.comp[0].v
	hRatio := h0 / d.comp[1].h
	vRatio := v0 / d.comp[1].v
	var subsampleRatio image.YCbCrSubsampleRatio
	switch hRatio<<4 | vRatio {
	case 0x11:
		subsampleRatio = image.YCbCrSubsampleRatio444
	case 0x12:
		subsampleRatio = image.YCbCrSubsampleRatio440
	case 0x21:
		subsampleRatio = image.YCbCrSubsampleRatio422
	case 0x22:
		subsampleRatio = image.YCbCrSubsampleRatio420
	case 0x41:
		subsampleRatio = image.YCbCrSubsampleRatio411
	case 0x42:
		subsampleRatio = image.YCbCrSubsampleRatio410
	default:
		panic("unreachable")
	}
	m := image.NewYCbCr(image.Rect(0, 0, bs*h0*mxx, bs*v0*myy), subsampleRatio)
	d.img3 = m.SubImage(visible).(*image.YCbCr)
	if d.skipChroma && d.pickThumb != nil {
		// The colour copy: the same layout at thumbShift.
		ts := 8 >> d.thumbShift
		t := image.NewYCbCr(image.Rect(0, 0, ts*h0*mxx, ts*v0*myy), subsampleRatio)
		tw := (d.width + 1<<d.thumbShift - 1) >> d.thumbShift
		th := (d.height + 1<<d.thumbShift - 1) >> d.thumbShift
		d.thumb = t.SubImage(image.Rect(0, 0, tw, th)).(*image.YCbCr)
	}

	if d.nComp == 4 {
		h3, v3 := d.comp[3].h, d.comp[3].v
		d.blackPix = make([]byte, bs*h3*mxx*bs*v3*myy)
		d.blackStride = bs * h3 * mxx
	}
}

// Specified in section B.2.3.
func (d *decoder) processSOS(n int) error {
	if d.nComp == 0 {
		return FormatError("missing SOF marker")
	}
	if n < 6 || 4+2*d.nComp < n || n%2 != 0 {
		return FormatError("SOS has wrong length")
	}
	if err := d.readFull(d.tmp[:n]); err != nil {
		return err
	}
	nComp := int(d.tmp[0])
	if n != 4+2*nComp {
		return FormatError("SOS length inconsistent with number of components")
	}
	if !d.chromaDecided {
		d.chromaDecided = true
		d.skipChroma = d.lumaOnly && d.nComp == 3 && !d.isRGB() && d.orientation <= 1
		if d.pickThumb != nil && d.thumbShift == d.shift {
			// The colour copy would be the output itself: decode in colour.
			d.skipChroma = false
		}
	}
	var scan [maxComponents]struct {
		compIndex uint8
		td        uint8 // DC table selector.
		ta        uint8 // AC table selector.
	}
	totalHV := 0
	for i := 0; i < nComp; i++ {
		cs := d.tmp[1+2*i] // Component selector.
		compIndex := -1
		for j, comp := range d.comp[:d.nComp] {
			if cs == comp.c {
				compIndex = j
			}
		}
		if compIndex < 0 {
			return FormatError("unknown component selector")
		}
		scan[i].compIndex = uint8(compIndex)
		// Section B.2.3 states that "the value of Cs_j shall be different from
		// the values of Cs_1 through Cs_(j-1)". Since we have previously
		// verified that a frame's component identifiers (C_i values in section
		// B.2.2) are unique, it suffices to check that the implicit indexes
		// into d.comp are unique.
		for j := 0; j < i; j++ {
			if scan[i].compIndex == scan[j].compIndex {
				return FormatError("repeated component selector")
			}
		}
		totalHV += d.comp[compIndex].h * d.comp[compIndex].v

		// The baseline t <= 1 restriction is specified in table B.3.
		scan[i].td = d.tmp[2+2*i] >> 4
		if t := scan[i].td; t > maxTh || (d.baseline && t > 1) {
			return FormatError("bad Td value")
		}
		scan[i].ta = d.tmp[2+2*i] & 0x0f
		if t := scan[i].ta; t > maxTh || (d.baseline && t > 1) {
			return FormatError("bad Ta value")
		}
	}
	// Section B.2.3 states that if there is more than one component then the
	// total H*V values in a scan must be <= 10.
	if d.nComp > 1 && totalHV > 10 {
		return FormatError("total sampling factors too large")
	}

	// zigStart and zigEnd are the spectral selection bounds.
	// ah and al are the successive approximation high and low values.
	// The spec calls these values Ss, Se, Ah and Al.
	//
	// For progressive JPEGs, these are the two more-or-less independent
	// aspects of progression. Spectral selection progression is when not
	// all of a block's 64 DCT coefficients are transmitted in one pass.
	// For example, three passes could transmit coefficient 0 (the DC
	// component), coefficients 1-5, and coefficients 6-63, in zig-zag
	// order. Successive approximation is when not all of the bits of a
	// band of coefficients are transmitted in one pass. For example,
	// three passes could transmit the 6 most significant bits, followed
	// by the second-least significant bit, followed by the least
	// significant bit.
	//
	// For sequential JPEGs, these parameters are hard-coded to 0/63/0/0, as
	// per table B.3.
	zigStart, zigEnd, ah, al := int32(0), int32(blockSize-1), uint32(0), uint32(0)
	if d.progressive {
		zigStart = int32(d.tmp[1+2*nComp])
		zigEnd = int32(d.tmp[2+2*nComp])
		ah = uint32(d.tmp[3+2*nComp] >> 4)
		al = uint32(d.tmp[3+2*nComp] & 0x0f)
		if (zigStart == 0 && zigEnd != 0) || zigStart > zigEnd || blockSize <= zigEnd {
			return FormatError("bad spectral selection bounds")
		}
		if zigStart != 0 && nComp != 1 {
			return FormatError("progressive AC coefficients for more than one component")
		}
		if ah != 0 && ah != al+1 {
			return FormatError("bad successive approximation values")
		}
	}

	// mxx and myy are the number of MCUs (Minimum Coded Units) in the image.
	h0, v0 := d.comp[0].h, d.comp[0].v // The h and v values from the Y components.
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	myy := (d.height + 8*v0 - 1) / (8 * v0)
	if d.img1 == nil && d.img3 == nil {
		d.makeImg(mxx, myy)
	}
	if d.progressive {
		for i := 0; i < nComp; i++ {
			compIndex := scan[i].compIndex
			if d.progCoeffs[compIndex] == nil {
				d.progCoeffs[compIndex] = make([]block, mxx*myy*d.comp[compIndex].h*d.comp[compIndex].v)
			}
		}
	}

	d.bits = bits{}
	mcu, expectedRST := 0, uint8(rst0Marker)
	var (
		// b is the decoded coefficients, in natural (not zig-zag) order.
		b  block
		dc [maxComponents]int32
		// bx and by are the location of the current block, in units of 8x8
		// blocks: the third block in the first row has (bx, by) = (2, 0).
		bx, by     int
		blockCount int
	)
	for my := 0; my < myy; my++ {
		if err := d.cancelled(); err != nil {
			return err
		}
		for mx := 0; mx < mxx; mx++ {
			for i := 0; i < nComp; i++ {
				compIndex := scan[i].compIndex
				hi := d.comp[compIndex].h
				vi := d.comp[compIndex].v
				for j := 0; j < hi*vi; j++ {
					// The blocks are traversed one MCU at a time. For 4:2:0 chroma
					// subsampling, there are four Y 8x8 blocks in every 16x16 MCU.
					//
					// For a sequential 32x16 pixel image, the Y blocks visiting order is:
					//	0 1 4 5
					//	2 3 6 7
					//
					// For progressive images, the interleaved scans (those with nComp > 1)
					// are traversed as above, but non-interleaved scans are traversed left
					// to right, top to bottom:
					//	0 1 2 3
					//	4 5 6 7
					// Only DC scans (zigStart == 0) can be interleaved. AC scans must have
					// only one component.
					//
					// To further complicate matters, for non-interleaved scans, there is no
					// data for any blocks that are inside the image at the MCU level but
					// outside the image at the pixel level. For example, a 24x16 pixel 4:2:0
					// progressive image consists of two 16x16 MCUs. The interleaved scans
					// will process 8 Y blocks:
					//	0 1 4 5
					//	2 3 6 7
					// The non-interleaved scans will process only 6 Y blocks:
					//	0 1 2
					//	3 4 5
					if nComp != 1 {
						bx = hi*mx + j%hi
						by = vi*my + j/hi
					} else {
						q := mxx * hi
						bx = blockCount % q
						by = blockCount / q
						blockCount++
						if bx*8 >= d.width || by*8 >= d.height {
							continue
						}
					}

					// Load the previous partially decoded coefficients, if applicable.
					if d.progressive {
						b = d.progCoeffs[compIndex][by*mxx*hi+bx]
					} else {
						b = block{}
					}

					if ah != 0 {
						if err := d.refine(&b, &d.huff[acTable][scan[i].ta], zigStart, zigEnd, 1<<al); err != nil {
							return err
						}
					} else {
						zig := zigStart
						if zig == 0 {
							zig++
							// Decode the DC coefficient, as specified in section F.2.2.1.
							dcDelta, err := d.decodeDC(&d.huff[dcTable][scan[i].td])
							if err != nil {
								return err
							}
							dc[compIndex] += dcDelta
							b[0] = dc[compIndex] << al
						}

						if zig <= zigEnd && d.eobRun > 0 {
							d.eobRun--
						} else {
							// Decode the AC coefficients, as specified in section F.2.2.2.
							// Progressive scans keep every coefficient for the
							// refinement scans; edge blocks get a full IDCT.
							need := allZig
							if !d.progressive && !d.isEdgeBlock(int(compIndex), bx, by) {
								need = d.needZig
							}
							if d.skipChroma && compIndex != 0 && !d.progressive {
								need = 0 // walked over, never used
								if d.thumb != nil {
									need = d.thumbNeed // the colour copy's (edge blocks: all)
									if d.isEdgeBlockAt(int(compIndex), bx, by, d.thumbShift) {
										need = allZig
									}
								}
							}
							if err := d.decodeAC(&b, &d.huff[acTable][scan[i].ta], zig, zigEnd, al, need); err != nil {
								return err
							}
						}
					}

					if d.progressive {
						// Save the coefficients.
						d.progCoeffs[compIndex][by*mxx*hi+bx] = b
						// At this point, we could call reconstructBlock to dequantize and perform the
						// inverse DCT, to save early stages of a progressive image to the *image.YCbCr
						// buffers (the whole point of progressive encoding), but in Go, the jpeg.Decode
						// function does not return until the entire image is decoded, so we "continue"
						// here to avoid wasted computation. Instead, reconstructBlock is called on each
						// accumulated block by the reconstructProgressiveImage method after all of the
						// SOS markers are processed.
						continue
					}
					if d.thumb != nil {
						// Before reconstructBlock, which at full scale
						// transforms b in place.
						d.reconstructThumbBlock(&b, bx, by, int(compIndex))
					}
					if d.skipChroma && compIndex != 0 {
						continue
					}
					if err := d.reconstructBlock(&b, bx, by, int(compIndex)); err != nil {
						return err
					}
				} // for j
			} // for i
			mcu++
			if d.ri > 0 && mcu%d.ri == 0 && mcu < mxx*myy {
				// For well-formed input, the RST[0-7] restart marker follows
				// immediately. For corrupt input, call findRST to try to
				// resynchronize.
				if err := d.readFull(d.tmp[:2]); err != nil {
					return err
				} else if d.tmp[0] != 0xff || d.tmp[1] != expectedRST {
					if err := d.findRST(expectedRST); err != nil {
						return err
					}
				}
				expectedRST++
				if expectedRST == rst7Marker+1 {
					expectedRST = rst0Marker
				}
				// Reset the Huffman decoder.
				d.bits = bits{}
				// Reset the DC components, as per section F.2.1.3.1.
				dc = [maxComponents]int32{}
				// Reset the progressive decoder state, as per section G.1.2.2.
				d.eobRun = 0
			}
		} // for mx
	} // for my

	return nil
}

// refine decodes a successive approximation refinement block, as specified in
// section G.1.2.
func (d *decoder) refine(b *block, h *huffman, zigStart, zigEnd, delta int32) error {
	// Refining a DC component is trivial.
	if zigStart == 0 {
		if zigEnd != 0 {
			panic("unreachable")
		}
		bit, err := d.decodeBit()
		if err != nil {
			return err
		}
		if bit {
			b[0] |= delta
		}
		return nil
	}

	// Refining AC components is more complicated; see sections G.1.2.2 and G.1.2.3.
	zig := zigStart
	if d.eobRun == 0 {
	loop:
		for ; zig <= zigEnd; zig++ {
			z := int32(0)
			value, err := d.decodeHuffman(h)
			if err != nil {
				return err
			}
			val0 := value >> 4
			val1 := value & 0x0f

			switch val1 {
			case 0:
				if val0 != 0x0f {
					d.eobRun = uint16(1 << val0)
					if val0 != 0 {
						bits, err := d.decodeBits(int32(val0))
						if err != nil {
							return err
						}
						d.eobRun |= uint16(bits)
					}
					break loop
				}
			case 1:
				z = delta
				bit, err := d.decodeBit()
				if err != nil {
					return err
				}
				if !bit {
					z = -z
				}
			default:
				return FormatError("unexpected Huffman code")
			}

			zig, err = d.refineNonZeroes(b, zig, zigEnd, int32(val0), delta)
			if err != nil {
				return err
			}
			if zig > zigEnd {
				return FormatError("too many coefficients")
			}
			if z != 0 {
				b[unzig[zig]] = z
			}
		}
	}
	if d.eobRun > 0 {
		d.eobRun--
		if _, err := d.refineNonZeroes(b, zig, zigEnd, -1, delta); err != nil {
			return err
		}
	}
	return nil
}

// refineNonZeroes refines non-zero entries of b in zig-zag order. If nz >= 0,
// the first nz zero entries are skipped over.
func (d *decoder) refineNonZeroes(b *block, zig, zigEnd, nz, delta int32) (int32, error) {
	for ; zig <= zigEnd; zig++ {
		u := unzig[zig]
		if b[u] == 0 {
			if nz == 0 {
				break
			}
			nz--
			continue
		}
		bit, err := d.decodeBit()
		if err != nil {
			return 0, err
		}
		if !bit {
			continue
		}
		if b[u] >= 0 {
			b[u] += delta
		} else {
			b[u] -= delta
		}
	}
	return zig, nil
}

func (d *decoder) reconstructProgressiveImage() error {
	// The h0, mxx, by and bx variables have the same meaning as in the
	// processSOS method.
	h0 := d.comp[0].h
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	for i := 0; i < d.nComp; i++ {
		if d.progCoeffs[i] == nil {
			continue
		}
		v := 8 * d.comp[0].v / d.comp[i].v
		h := 8 * d.comp[0].h / d.comp[i].h
		stride := mxx * d.comp[i].h
		for by := 0; by*v < d.height; by++ {
			for bx := 0; bx*h < d.width; bx++ {
				b := &d.progCoeffs[i][by*stride+bx]
				if d.thumb != nil {
					d.reconstructThumbBlock(b, bx, by, i)
				}
				if d.skipChroma && i != 0 {
					continue
				}
				if err := d.reconstructBlock(b, bx, by, i); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// reconstructBlock dequantizes, performs the inverse DCT and stores the block
// to the image. At a reduced scale the block becomes bs×bs output samples,
// each the mean of the (8/bs)×(8/bs) samples it replaces (see idctscaled.go).
func (d *decoder) reconstructBlock(b *block, bx, by, compIndex int) error {
	dst, stride := []byte(nil), 0
	bs := 8 >> d.shift
	if d.nComp == 1 {
		dst, stride = d.img1.Pix[bs*(by*d.img1.Stride+bx):], d.img1.Stride
	} else {
		switch compIndex {
		case 0:
			dst, stride = d.img3.Y[bs*(by*d.img3.YStride+bx):], d.img3.YStride
		case 1:
			dst, stride = d.img3.Cb[bs*(by*d.img3.CStride+bx):], d.img3.CStride
		case 2:
			dst, stride = d.img3.Cr[bs*(by*d.img3.CStride+bx):], d.img3.CStride
		case 3:
			dst, stride = d.blackPix[bs*(by*d.blackStride+bx):], d.blackStride
		default:
			return UnsupportedError("too many components")
		}
	}
	d.reconstructAt(b, bx, by, compIndex, d.shift, dst, stride)
	return nil
}

// reconstructThumbBlock writes block (bx, by) of component compIndex into
// the colour copy (d.thumb), at thumbShift, as reconstructBlock writes the
// output at shift. It does not change b.
func (d *decoder) reconstructThumbBlock(b *block, bx, by, compIndex int) {
	bs := 8 >> d.thumbShift
	t := d.thumb
	switch compIndex {
	case 0:
		d.reconstructAt(b, bx, by, compIndex, d.thumbShift, t.Y[bs*(by*t.YStride+bx):], t.YStride)
	case 1:
		d.reconstructAt(b, bx, by, compIndex, d.thumbShift, t.Cb[bs*(by*t.CStride+bx):], t.CStride)
	case 2:
		d.reconstructAt(b, bx, by, compIndex, d.thumbShift, t.Cr[bs*(by*t.CStride+bx):], t.CStride)
	}
}

// reconstructAt dequantizes block (bx, by) of component compIndex, performs
// the inverse DCT at scale 1/2^shift and stores the (8>>shift)² samples to
// dst (row stride stride). Only the full-scale transform changes b.
func (d *decoder) reconstructAt(b *block, bx, by, compIndex int, shift uint, dst []byte, stride int) {
	bs := 8 >> shift
	qt := &d.quant[d.comp[compIndex].tq]
	if d.isEdgeBlockAt(compIndex, bx, by, shift) {
		// A block cut by the right or bottom edge of the image is padded,
		// usually by repeating the edge samples; a reduced IDCT would
		// average the padding in. Such blocks take the full IDCT and
		// average only the samples inside the image, as a box filter of
		// the full decode does.
		vw, vh := d.compW[compIndex]-8*bx, d.compH[compIndex]-8*by
		reduceEdgeBlock(b, qt, dst, stride, bs, min(vw, 8), min(vh, 8))
		return
	}
	switch qn := &d.quantNat[d.comp[compIndex].tq]; shift {
	case 1:
		idct4x4(b, qn, dst, stride)
		return
	case 2:
		idct2x2(b, qn, dst, stride)
		return
	case 3:
		idct1x1(b, qn, dst)
		return
	}
	for zig := 0; zig < blockSize; zig++ {
		b[unzig[zig]] *= qt[zig]
	}
	idct(b)
	// Level shift by +128, clip to [0, 255], and write to dst.
	for y := 0; y < 8; y++ {
		y8 := y * 8
		yStride := y * stride
		for x := 0; x < 8; x++ {
			c := b[y8+x]
			if c < -128 {
				c = 0
			} else if c > 127 {
				c = 255
			} else {
				c += 128
			}
			dst[yStride+x] = uint8(c)
		}
	}
}

// findRST advances past the next RST restart marker that matches expectedRST.
// Other than I/O errors, it is also an error if we encounter an {0xFF, M}
// two-byte marker sequence where M is not 0x00, 0xFF or the expectedRST.
//
// This is similar to libjpeg's jdmarker.c's next_marker function.
// https://github.com/libjpeg-turbo/libjpeg-turbo/blob/2dfe6c0fe9e18671105e94f7cbf044d4a1d157e6/jdmarker.c#L892-L935
//
// Precondition: d.tmp[:2] holds the next two bytes of JPEG-encoded input
// (input in the d.readFull sense).
func (d *decoder) findRST(expectedRST uint8) error {
	for {
		// i is the index such that, at the bottom of the loop, we read 2-i
		// bytes into d.tmp[i:2], maintaining the invariant that d.tmp[:2]
		// holds the next two bytes of JPEG-encoded input. It is either 0 or 1,
		// so that each iteration advances by 1 or 2 bytes (or returns).
		i := 0

		if d.tmp[0] == 0xff {
			if d.tmp[1] == expectedRST {
				return nil
			} else if d.tmp[1] == 0xff {
				i = 1
			} else if d.tmp[1] != 0x00 {
				// libjpeg's jdmarker.c's jpeg_resync_to_restart does something
				// fancy here, treating RST markers within two (modulo 8) of
				// expectedRST differently from RST markers that are 'more
				// distant'. Until we see evidence that recovering from such
				// cases is frequent enough to be worth the complexity, we take
				// a simpler approach for now. Any marker that's not 0x00, 0xff
				// or expectedRST is a fatal FormatError.
				return FormatError("bad RST marker")
			}

		} else if d.tmp[1] == 0xff {
			d.tmp[0] = 0xff
			i = 1
		}

		if err := d.readFull(d.tmp[i:2]); err != nil {
			return err
		}
	}
}

// reduceEdgeBlock reconstructs a block of which only the top-left vw×vh
// samples are inside the image: it runs the full IDCT and writes each of the
// bs×bs outputs as the rounded mean of the inside samples it covers (outputs
// covering none lie outside the image and get the mean of their padding).
func reduceEdgeBlock(b *block, qt *block, dst []byte, stride, bs, vw, vh int) {
	t := *b
	for zig := 0; zig < blockSize; zig++ {
		t[unzig[zig]] *= qt[zig]
	}
	idct(&t)
	f := 8 / bs
	for oy := 0; oy < bs; oy++ {
		y0, y1 := oy*f, min(oy*f+f, vh)
		if y1 <= y0 {
			y1 = oy*f + f
		}
		for ox := 0; ox < bs; ox++ {
			x0, x1 := ox*f, min(ox*f+f, vw)
			if x1 <= x0 {
				x1 = ox*f + f
			}
			sum, n := int32(0), int32(0)
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					sum += int32(clip8(t[y*8+x] + 128))
					n++
				}
			}
			dst[oy*stride+ox] = uint8((2*sum + n) / (2 * n))
		}
	}
}

// allZig is a needZig mask asking for every coefficient.
const allZig = ^uint64(0)

// needZigMask returns the zig-zag indexes (as a bit mask) of the
// coefficients the reconstruction at scale 1/2^shift reads: all for the full
// IDCT, rows and columns other than 4 for 1/2, rows and columns 0, 1, 3, 5, 7
// for 1/4, the DC alone for 1/8.
func needZigMask(shift uint) uint64 {
	var m uint64
	for nat := 0; nat < blockSize; nat++ {
		r, c := nat/8, nat%8
		var need bool
		switch shift {
		case 0:
			need = true
		case 1:
			need = r != 4 && c != 4
		case 2:
			need = (r == 0 || r%2 == 1) && (c == 0 || c%2 == 1)
		case 3:
			need = nat == 0
		}
		if need {
			m |= 1 << zigzag[nat]
		}
	}
	return m
}

// isEdgeBlock reports whether block (bx, by) of component compIndex is cut
// by the right or bottom edge of the image, in a reduced decode (see
// reconstructBlock).
func (d *decoder) isEdgeBlock(compIndex, bx, by int) bool {
	return d.isEdgeBlockAt(compIndex, bx, by, d.shift)
}

// isEdgeBlockAt is isEdgeBlock for a reconstruction at scale 1/2^shift.
func (d *decoder) isEdgeBlockAt(compIndex, bx, by int, shift uint) bool {
	if shift == 0 {
		return false // not a special case at full scale
	}
	vw, vh := d.compW[compIndex]-8*bx, d.compH[compIndex]-8*by
	return (vw < 8 || vh < 8) && vw > 0 && vh > 0
}

// decodeAC decodes the AC coefficients zig…zigEnd of one block of a
// sequential scan or of a progressive first scan (sections F.2.2.2 and
// G.1.2.2) into b, shifted left by al. It is image/jpeg's loop with
// decodeHuffman's and receiveExtend's fast paths written in place, and it
// computes the value only of coefficients whose zig-zag index is set in need:
// the others are skipped over in the bit stream, which consumes exactly the
// same bits, and left zero.
//
// While the accumulator holds at least 32 bits (after refill, everywhere
// but just before a marker or the end of the buffered bytes) a whole
// coefficient — a code of at most 16 bits and at most 15 extra bits — is in
// it, so nothing is checked or read until the next: h.fast decodes most
// codes with their extra bits in one look-up, h.lut the rest of the codes
// of up to 8 bits, and longer ones are matched bit by bit in the
// accumulator, as decodeHuffmanBits does. With fewer bits the coefficient
// is decoded as before, reading byte by byte, so that running out of data
// fails, or does not, as in image/jpeg.
func (d *decoder) decodeAC(b *block, h *huffman, zig, zigEnd int32, al uint32, need uint64) error {
	if d.ref != nil {
		return d.ref.decodeAC(d, b, h, zig, zigEnd, al, need)
	}
	if h.nCodes == 0 && zig <= zigEnd {
		return errUninitializedHuffman // decodeHuffman's first check
	}
	if !h.fastBuilt {
		h.buildFast(acTable)
	}
	// The bit accumulator lives in locals (a, n) while no other method
	// needs it; d.bits.m is always 1<<(n-1) (0 for n == 0), so it is only
	// recomputed when the locals are written back.
	a, n := d.bits.a, d.bits.n
	for ; zig <= zigEnd; zig++ {
		if n < 32 {
			// refill's common case in place: eight buffered bytes with
			// no 0xff among them.
			if i := d.bytes.i; i+8 <= d.bytes.j {
				if x := binary.BigEndian.Uint64(d.bytes.buf[i:]); !hasFF(x) {
					k := (64 - n) >> 3
					a = a<<(8*k) | x>>(64-8*k)
					n += 8 * k
					d.bytes.i = i + int(k)
					d.bytes.nUnreadable = 1
				}
			}
			if n < 32 {
				a, n = d.refill(a, n)
			}
		}
		var value uint8
		if n >= 32 {
			if e := h.fast[(a>>uint32(n-fastBits))&(1<<fastBits-1)]; e != 0 {
				if e&(3<<14) == fastCoeff<<14 {
					zig += (e >> 10) & 0x0f
					if zig > zigEnd {
						n -= (e >> 5) & 0x1f // the code, not its extra bits
						break
					}
					n -= e & 0x1f
					if need>>uint32(zig)&1 != 0 {
						b[unzig[zig&(blockSize-1)]] = (e >> 16) << al
					}
					continue
				}
				n -= e & 0x1f // a code alone
				if e&(3<<14) == fastEOB<<14 {
					d.eobRun = 0 // 1<<0, less this block
					break
				}
				zig += 0x0f // fastZRL
				continue
			}
			if v := h.lut[(a>>uint32(n-lutSize))&0xff]; v != 0 {
				n -= int32(v&0xff) - 1
				value = uint8(v >> 8)
			} else {
				// decodeHuffmanBits with the bits at hand.
				found := false
				for i, code := 0, int32(0); i < maxCodeLength; i++ {
					n--
					code |= int32(a>>uint32(n)) & 1
					if code <= h.maxCodes[i] {
						value = h.vals[h.valsIndices[i]+code-h.minCodes[i]]
						found = true
						break
					}
					code <<= 1
				}
				if !found {
					d.bits = bits{a: a, m: bitMask(n), n: n}
					return FormatError("bad Huffman code")
				}
			}
			val0 := value >> 4
			val1 := value & 0x0f
			if val1 != 0 {
				zig += int32(val0)
				if zig > zigEnd {
					break
				}
				t := int32(val1)
				n -= t
				if need>>uint32(zig)&1 != 0 {
					s := int32(1) << t
					x := int32(a>>uint32(n)) & (s - 1)
					if x < s>>1 {
						x += ((-1) << t) + 1
					}
					b[unzig[zig&(blockSize-1)]] = x << al
				}
				continue
			}
			if val0 != 0x0f {
				d.eobRun = uint16(1 << val0)
				if val0 != 0 {
					n -= int32(val0)
					d.eobRun |= uint16(a>>uint32(n)) & (1<<val0 - 1)
				}
				d.eobRun--
				break
			}
			zig += 0x0f
			continue
		}

		// Fewer than 32 bits at hand: decodeHuffman(h).
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
			// receiveExtend(val1), its value computed only when needed.
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

// bitMask is the bits.m that goes with bits.n == n.
func bitMask(n int32) uint64 {
	if n <= 0 {
		return 0
	}
	return 1 << uint32(n-1)
}
