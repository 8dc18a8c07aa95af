// Package jpegscale decodes JPEG images at 1/2, 1/4 or 1/8 of their size
// directly from the DCT coefficients, the way libjpeg's scale_num /
// scale_denom does, for callers that only need a small picture: the
// perceptual hashes look at a copy at most 256 px on a side, so decoding a
// 12 MP photo at full size only to throw 98% of its pixels away is the main
// cost of fingerprinting it.
//
// It is a fork of Go 1.26.8's image/jpeg decoder (reader.go, scan.go,
// huffman.go and dct.go, under the BSD licence in LICENSE; each file says
// what changed). The encoder is not included, and the package does not
// register itself with package image, so image.Decode keeps using
// image/jpeg.
//
// # The model
//
// A JPEG stores each 8×8 block of samples of each component as 64 DCT
// coefficients. The full decode runs the 8×8 inverse DCT on every block. A
// reduced decode turns each block into n×n output samples instead, n = 8/d
// for denominator d, each output being the mean of the d×d samples the full
// inverse DCT would give — a box filter, computed from the coefficients
// without producing the full-size samples:
//
//   - 1/8: the mean of a block is its DC coefficient divided by 8. No
//     transform at all.
//   - 1/4 and 1/2: means of 4×4 or 2×2 samples are a fixed linear function
//     of the coefficients that works out to a reduced 2×2 or 4×4 inverse
//     transform on folded coefficients (see idctscaled.go for the
//     derivation; libjpeg 6b's jidctred.c does the same). At 1/4 only rows and
//     columns 0, 1, 3, 5, 7 of the coefficients contribute, at 1/2 all but
//     row and column 4.
//
// Every component is reduced by the same factor, so the subsampling is kept
// (a 4:2:0 YCbCr JPEG decodes to a 4:2:0 *image.YCbCr) and the result has
// ⌈width/d⌉ × ⌈height/d⌉ pixels. The image types are image/jpeg's: *image.Gray,
// *image.YCbCr, *image.CMYK (Adobe CMYK and YCCK) and *image.RGBA (Adobe
// RGB). At scale 1/1 the result is identical, pixel for pixel, to
// image/jpeg.Decode's.
//
// Blocks cut by the right or bottom edge of the image are padded by the
// encoder (usually by repeating the edge samples); for those the decoder runs
// the full inverse DCT and averages only the samples inside the image, so
// edge pixels are box means too.
//
// # Accuracy
//
// Compared with image/jpeg's full decode box-filtered by the same factor,
// channel by channel (TestScaledMatchesBoxFilteredFullDecode, -v prints the
// figures), the mean absolute error per channel is at most 0.17 levels at
// 1/2 and 0.08 at 1/4 and 1/8 on the test photos, and at most about 0.45 on
// Go's small synthetic JPEG test images. Differences come from rounding (the
// full decode rounds each sample before the mean is taken; the reduced one
// rounds the exact mean) and from clipping: where the inverse DCT
// overshoots 0 or 255 (ringing next to a saturated highlight) the full
// decode clips each sample and the reduced decode clips only the mean,
// which can put single pixels some 15 levels apart. The Y channel agrees
// with libjpeg-turbo's own reduced decode (djpeg -scale) to within 1 level
// (TestMatchesLibjpegScaledDecode). For RGB and CMYK JPEGs with subsampled
// channels, which image/jpeg upsamples by repeating samples, those channels
// keep their coarser resolution.
//
// # Cost
//
// Entropy (Huffman) decoding is not reduced: every coefficient must still be
// read to find the next one. Coefficients the reduced transform does not use
// are skipped without computing their value, and the Huffman decoder's
// common path is done in place, which also makes the 1/1 decode somewhat
// faster than image/jpeg's. The bits come through a 64-bit accumulator,
// refilled eight bytes at a time where none of them is 0xff, and most
// codes are decoded together with their extra bits in one look-up of a
// 10-bit table; where the buffered bits run short (before a marker, at
// the end of the buffered bytes) a coefficient is decoded byte by byte as
// image/jpeg does, so truncated and damaged files fail, or not, as they
// did. bitreader_test.go keeps the reader this replaced and checks, on the
// test images, damaged copies of them and fuzzed input, that both give the
// same pixels and the same errors. On a 1024×768 quality-92 baseline photo
// (BenchmarkDecode, CPU time per decode, on a shared 2-core machine) image/jpeg
// takes about 18–20 ms; this package about 16 ms at 1/1, 8.5 ms at 1/2, 7 ms
// at 1/4 and 4.3 ms at 1/8 — 1.1×, 2.2×, 2.7× and 4.5× faster — while
// allocating 2.4 MB, 0.6 MB, 164 kB and 58 kB. Progressive JPEGs gain only
// about 1.1–1.2×: most of their time is the successive-approximation
// refinement of coefficients, which no reduction avoids.
//
// # Limits
//
// Memory is the reduced output image, plus, for progressive JPEGs, every
// coefficient of the full image until the last scan (4 bytes each, so about
// 4 bytes per full-size sample: 6 MB for a 1 MP 4:2:0 photo), as in
// image/jpeg. The declared size is trusted, so callers must check it against
// a pixel limit (DecodeConfig) before decoding untrusted input. Like
// image/jpeg, the package decodes 8-bit baseline, extended sequential and
// progressive Huffman-coded JPEGs, not arithmetic coding, 12-bit, lossless
// or hierarchical ones, and it returns the same errors (FormatError,
// UnsupportedError, io.ErrUnexpectedEOF...) on the same inputs, which
// FuzzDecodeScaled checks. Only the reductions 1/2, 1/4 and 1/8 exist.
// EXIF orientation is reported by DecodeScaledInfo, not applied.
//
// # Luma apart from colour
//
// A caller that reads a colour picture's pixels only as grey, and its
// colours only from a small copy, gets both from DecodeLumaThumb: the Y
// plane at the scale it asks for, pixel for pixel the one DecodeScaled
// gives, and every component again at a coarser scale, pixel for pixel
// DecodeReduced's at that scale. The chroma blocks are entropy-decoded as
// always (the bit stream must be walked) but reconstructed only at the
// coarse scale — at 1/8 from their DC terms alone — and each luma block is
// reconstructed once more at the coarse scale, which at 1/8 is its DC
// term. For a 4:2:0 photo decoded at 1/2 this drops a third of the inverse
// transforms and every conversion of a chroma sample.
package jpegscale
