package pdq

import (
	"fmt"
	"image"
)

// minDim is the reference's MIN_HASHABLE_DIM: images narrower or shorter
// than this hash to the zero Hash with quality 0.
const minDim = 5

// Hasher computes PDQ hashes. It holds buffers that are reused from one call
// to the next, so hashing many images allocates little; the buffers grow to
// fit the widest image seen (memory is proportional to the image width times
// its height/128, not to its area).
//
// A Hasher is not safe for concurrent use; use one per goroutine. The zero
// Hasher is ready to use.
type Hasher struct {
	ring     []float32 // wc+batch row-boxed input rows, wc the column window
	sums     []float32 // running column sums of the first column pass
	rowsB    []float32 // batch output rows of the first column pass
	lumaRows []float32 // batch luma rows of an image
	rd       rowReader // the image being hashed
	ringC    []float32 // (wc+batch) × 64 samples of the second row pass
	sumsD    [64]float32
	colIdx   [64]int // decimation: source column of output column j
	rowIdx   [64]int // decimation: source row of output row i

	a64 [64][64]float32 // 64×64 downsample
	t   [16][64]float32 // DCT intermediate
	b   [256]float32    // DCT output, 16×16 row-major
}

// NewHasher returns a new Hasher.
func NewHasher() *Hasher {
	return new(Hasher)
}

// HashLuma returns the PDQ hash and quality of a width×height luma image,
// given row-major in luma (at least width*height values, conventionally
// 0–255). luma is not modified. The result is bit-exact with the reference
// on the same float32 values (see the package documentation for the size
// rules).
//
// Images smaller than 5 pixels on a side, including empty ones, hash to the
// zero Hash with quality 0. HashLuma panics if luma is shorter than
// width*height.
func (h *Hasher) HashLuma(luma []float32, width, height int) (Hash, int) {
	if !h.prepareLuma(luma, width, height) {
		return Hash{}, 0
	}
	return bitsFromDCT(&h.b), quality(&h.a64)
}

// DihedralLuma is like [Hasher.HashLuma] but returns the hashes of all eight
// dihedral transforms of the image, indexed by [Original] … [FlipMinus1].
// They are derived from one DCT, so this costs little more than HashLuma.
func (h *Hasher) DihedralLuma(luma []float32, width, height int) ([8]Hash, int) {
	var out [8]Hash
	if !h.prepareLuma(luma, width, height) {
		return out, 0
	}
	dihedral(&h.b, &out)
	return out, quality(&h.a64)
}

// HashImage returns the PDQ hash and quality of img, from its luma as
// computed by [Luma]. It gives the same result as HashLuma on that luma, but
// streams the image row by row without materializing the whole luma plane.
func (h *Hasher) HashImage(img image.Image) (Hash, int) {
	if !h.prepareImage(img) {
		return Hash{}, 0
	}
	return bitsFromDCT(&h.b), quality(&h.a64)
}

// DihedralImage is like [Hasher.HashImage] but returns the hashes of all
// eight dihedral transforms, as [Hasher.DihedralLuma] does.
func (h *Hasher) DihedralImage(img image.Image) ([8]Hash, int) {
	var out [8]Hash
	if !h.prepareImage(img) {
		return out, 0
	}
	dihedral(&h.b, &out)
	return out, quality(&h.a64)
}

func (h *Hasher) prepareLuma(luma []float32, width, height int) bool {
	if width < minDim || height < minDim {
		return false
	}
	if len(luma)/width < height {
		panic(fmt.Sprintf("pdq: luma has %d values, fewer than %d×%d", len(luma), width, height))
	}
	h.downsample(luma, nil, height, width)
	dct64To16(&h.a64, &h.t, &h.b)
	return true
}

func (h *Hasher) prepareImage(img image.Image) bool {
	r := img.Bounds()
	if r.Dx() < minDim || r.Dy() < minDim {
		return false
	}
	h.rd.reset(img)
	h.downsample(nil, &h.rd, r.Dy(), r.Dx())
	h.rd.img = nil // do not keep the image alive
	dct64To16(&h.a64, &h.t, &h.b)
	return true
}

// batch is how many rows the row passes process at once (see boxRows4).
const batch = 4

// inputRow returns input row y: a slice of luma, or the image's row
// converted by rd into scratch row i of h.lumaRows.
func (h *Hasher) inputRow(luma []float32, rd *rowReader, y, cols, i int) []float32 {
	if rd == nil {
		return luma[y*cols : (y+1)*cols]
	}
	dst := h.lumaRows[i*cols : (i+1)*cols]
	rd.row(y, dst)
	return dst
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// downsample fills h.a64 with the reference's 64×64 downsample of the
// rows×cols input, luma or (when rd is not nil) the image rd reads: the Jarosz filter (two rounds of row and column box
// filters) and decimation, or a plain copy for 64×64 inputs, which the
// reference does not filter.
//
// The four box passes are streamed, so memory is proportional to cols×wc
// rather than to the image area:
//
//   - pass A (rows) runs on input rows as pass B needs them, four at a time,
//     keeping the last wc+batch results in a ring;
//   - pass B (columns) keeps one running sum per column and emits its output
//     rows in order;
//   - pass C (rows) runs on those, four at a time, keeping only the 64
//     columns the decimation reads, in a ring of wc+batch rows;
//   - pass D (columns) keeps 64 running sums over pass C's rows and divides
//     only at the 64 rows the decimation reads.
//
// Every value the decimation reads is computed by exactly the reference's
// float32 operations in the reference's order.
func (h *Hasher) downsample(luma []float32, rd *rowReader, rows, cols int) {
	if rd != nil {
		h.lumaRows = grow(h.lumaRows, batch*cols)
	}
	if rows == 64 && cols == 64 {
		for y := range 64 {
			copy(h.a64[y][:], h.inputRow(luma, rd, y, cols, 0))
		}
		return
	}

	wr := windowSize(cols) // window along rows (horizontal)
	wc := windowSize(rows) // window along columns (vertical)
	g := newBoxGeometry(wc)
	slots := wc + batch
	for i := range 64 {
		h.colIdx[i] = (2*i + 1) * cols / 128 // int(((i+0.5)*cols)/64), exact
		h.rowIdx[i] = (2*i + 1) * rows / 128
	}
	h.ring = grow(h.ring, slots*cols)
	h.sums = grow(h.sums, cols)
	h.rowsB = grow(h.rowsB, batch*cols)
	h.ringC = grow(h.ringC, slots*64)
	clear(h.sums)
	h.sumsD = [64]float32{}

	ring, sums, ringC := h.ring, h.sums, h.ringC
	slotA := func(y int) []float32 {
		s := y % slots
		return ring[s*cols : (s+1)*cols]
	}
	slotC := func(y int) *[64]float32 {
		s := y % slots
		return (*[64]float32)(ringC[s*64 : (s+1)*64])
	}
	// Pass A, computed ahead in batches: rows [0, doneA) are in the ring.
	doneA := 0
	ensureA := func(y int) {
		for doneA <= y {
			k := min(batch, rows-doneA)
			var in, out [4][]float32
			for i := range 4 {
				if i < k {
					in[i] = h.inputRow(luma, rd, doneA+i, cols, i)
					out[i] = slotA(doneA + i)
				} else {
					in[i], out[i] = in[k-1], out[k-1]
				}
			}
			boxRows4(&in, &out, wr)
			doneA += k
		}
	}

	// Pass B, phase 1: rows added before the first output.
	for y := 0; y < g.half-1; y++ {
		ensureA(y)
		addRow(sums, slotA(y))
	}
	nextRow := 0 // next decimated row to fill
	emitD := func(o int) {
		if nextRow == 64 || h.rowIdx[nextRow] != o {
			return
		}
		c := float32(g.count(o, rows))
		var v [64]float32
		for j, s := range h.sumsD {
			v[j] = s / c
		}
		for nextRow < 64 && h.rowIdx[nextRow] == o {
			h.a64[nextRow] = v
			nextRow++
		}
	}
	for o0 := 0; o0 < rows; o0 += batch {
		k := min(batch, rows-o0)
		var rowsB [4][]float32
		var rowsC [4]*[64]float32
		for i := range 4 {
			if i >= k {
				rowsB[i], rowsC[i] = rowsB[k-1], rowsC[k-1]
				continue
			}
			// Pass B output row o.
			o := o0 + i
			var add, sub []float32
			if a := o + g.half - 1; a < rows {
				ensureA(a)
				add = slotA(a)
			}
			if s := o - g.lag; s >= 0 {
				sub = slotA(s)
			}
			rowsB[i] = h.rowsB[i*cols : (i+1)*cols]
			columnStep(sums, add, sub, rowsB[i], g.count(o, rows))
			rowsC[i] = slotC(o)
		}
		// Pass C on those rows, which are input rows o0.. of pass D.
		boxRowsSampled4(&rowsB, wr, &h.colIdx, &rowsC)

		// Pass D: add each row; once past phase 1, subtract and emit.
		for o := o0; o < o0+k; o++ {
			cr := slotC(o)
			for j := range h.sumsD {
				h.sumsD[j] += cr[j]
			}
			od := o - g.half + 1
			if od < 0 {
				continue
			}
			if s := od - g.lag; s >= 0 {
				old := slotC(s)
				for j := range h.sumsD {
					h.sumsD[j] -= old[j]
				}
			}
			emitD(od)
		}
	}
	// Pass D, phase 4: outputs after the last row was added.
	for od := max(rows-g.half+1, 0); od < rows; od++ {
		old := slotC(od - g.lag)
		for j := range h.sumsD {
			h.sumsD[j] -= old[j]
		}
		emitD(od)
	}
}
