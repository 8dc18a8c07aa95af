package pdq

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"testing"
)

// This file holds a deliberately literal port of the reference C++ code
// (pdq/cpp/downscaling/downscaling.cpp and hashing/pdqhashing.cpp): whole
// buffers, strided box filters, in-place passes. The package's streaming
// implementation skips and reorders work; these tests check that it still
// produces bit-identical intermediate results on inputs that exercise every
// size rule.

func refBox1D(in []float32, inOff int, out []float32, outOff, length, stride, fullWindow int) {
	half := (fullWindow + 2) / 2
	p1 := half - 1
	p2 := fullWindow - half + 1
	p3 := length - fullWindow
	p4 := half - 1
	li, ri, oi := 0, 0, 0
	var sum float32
	cur := 0
	for range p1 {
		sum += in[inOff+ri]
		cur++
		ri += stride
	}
	for range p2 {
		sum += in[inOff+ri]
		cur++
		out[outOff+oi] = sum / float32(cur)
		ri += stride
		oi += stride
	}
	for range p3 {
		sum += in[inOff+ri]
		sum -= in[inOff+li]
		out[outOff+oi] = sum / float32(cur)
		li += stride
		ri += stride
		oi += stride
	}
	for range p4 {
		sum -= in[inOff+li]
		cur--
		out[outOff+oi] = sum / float32(cur)
		li += stride
		oi += stride
	}
}

func refJarosz(buf1, buf2 []float32, rows, cols, wAlongRows, wAlongCols, reps int) {
	for range reps {
		for i := range rows {
			refBox1D(buf1, i*cols, buf2, i*cols, cols, 1, wAlongRows)
		}
		for j := range cols {
			refBox1D(buf2, j, buf1, j, rows, cols, wAlongCols)
		}
	}
}

func refDecimate(in []float32, rows, cols int, out *[64][64]float32) {
	for i := range 64 {
		ini := int(((float64(i) + 0.5) * float64(rows)) / 64)
		for j := range 64 {
			inj := int(((float64(j) + 0.5) * float64(cols)) / 64)
			out[i][j] = in[ini*cols+inj]
		}
	}
}

// refDownsample is the reference's blur-and-decimate, with the 64×64 copy.
func refDownsample(luma []float32, rows, cols int, skip64 bool) *[64][64]float32 {
	var out [64][64]float32
	if skip64 && rows == 64 && cols == 64 {
		for i := range 64 {
			copy(out[i][:], luma[i*64:])
		}
		return &out
	}
	buf1 := append([]float32(nil), luma[:rows*cols]...)
	buf2 := make([]float32, rows*cols)
	wr := (cols + 127) / 128
	wc := (rows + 127) / 128
	refJarosz(buf1, buf2, rows, cols, wr, wc, 2)
	refDecimate(buf1, rows, cols, &out)
	return &out
}

func refDCT(a *[64][64]float32) *[256]float32 {
	d := &dctMatrix
	var t [16][64]float32
	var b [256]float32
	for i := range 16 {
		for j := range 64 {
			var sum float32
			for k := range 64 {
				sum += float32(d[i][k] * a[k][j])
			}
			t[i][j] = sum
		}
	}
	for i := range 16 {
		for j := range 16 {
			var sum float32
			for k := range 64 {
				sum += float32(t[i][k] * d[j][k])
			}
			b[i*16+j] = sum
		}
	}
	return &b
}

func randomLuma(rng *rand.Rand, n int) []float32 {
	l := make([]float32, n)
	for i := range l {
		// Mostly luma-like values with fractional parts, so that rounding
		// differences would show; some plain integers.
		if rng.IntN(4) == 0 {
			l[i] = float32(rng.IntN(256))
		} else {
			l[i] = rgbLuma(uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)))
		}
	}
	return l
}

func TestStreamingMatchesLiteralPort(t *testing.T) {
	sizes := [][2]int{ // rows, cols
		{5, 5}, {5, 6}, {6, 5}, {7, 300}, {300, 7}, {5, 2000}, {2000, 5},
		{63, 63}, {63, 64}, {64, 63}, {64, 64}, {64, 65}, {65, 64}, {65, 65},
		{127, 128}, {128, 127}, {128, 128}, {129, 129}, {255, 257}, {256, 256},
		{383, 385}, {384, 384}, {513, 511}, {640, 427}, {1001, 333}, {40, 2000},
		{1500, 9}, {1024, 1000}, {100, 2048}, {2048, 100}, {897, 897}, {385, 900},
		{130, 131}, {8, 8}, {9, 200}, {200, 9}, {11, 11}, {5, 100000}, {100000, 5},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	h := NewHasher()
	for _, sz := range sizes {
		rows, cols := sz[0], sz[1]
		luma := randomLuma(rng, rows*cols)
		orig := append([]float32(nil), luma...)
		want := refDownsample(luma, rows, cols, true)
		h.downsample(luma, nil, rows, cols)
		if h.a64 != *want {
			n := 0
			for i := range 64 {
				for j := range 64 {
					if h.a64[i][j] != want[i][j] {
						n++
					}
				}
			}
			t.Errorf("%dx%d: downsample differs from the literal port in %d of 4096 values", cols, rows, n)
		}
		for i := range luma {
			if math.Float32bits(luma[i]) != math.Float32bits(orig[i]) {
				t.Fatalf("%dx%d: input modified", cols, rows)
			}
		}
		var b [256]float32
		dct64To16(want, &h.t, &b)
		if b != *refDCT(want) {
			t.Errorf("%dx%d: DCT differs from the literal port", cols, rows)
		}
	}
}

// TestDCTMatrix pins the DCT matrix to the one the reference computes with
// glibc's cos (SHA-256 of the 1024 float32 bit patterns, little-endian).
func TestDCTMatrix(t *testing.T) {
	var buf []byte
	for i := range 16 {
		for j := range 64 {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(dctMatrix[i][j]))
		}
	}
	sum := sha256.Sum256(buf)
	const want = "db354678fc6c99b7d442c35d8e89b002b71cb35eff6ae436c5f36392277a83c8"
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("DCT matrix SHA-256 = %s, want %s", got, want)
	}
}
