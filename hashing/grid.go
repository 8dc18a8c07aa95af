package hashing

import (
	"image"
	"math/bits"
	"slices"
)

// Grid is a 256-bit region hash of a view: the view, scaled to 64×64 as
// PDQ sees it, cut into a 4×4 grid of blocks, each block described by 16
// bits — its 4×4 cells of 4×4 pixels, each above or below the block's
// median. The global hashes say two views look alike as a whole; the grid
// says where they agree, so a second stage can ask that most regions of a
// borderline pair agree (a re-upload) rather than the whole merely
// resembling (a sprite on the same plain ground, another galaxy). A block
// whose cells span less than gridFlat grey levels is flat and gets code
// 0: it carries no evidence either way. Grid codes are hashes only, like
// every other: nothing of the picture can be drawn back from 16 bits a
// block.
const Grid Algorithm = "grid"

// gridFlat is the range of cell means, in grey levels, below which a
// block counts as flat.
const gridFlat = 4

// gridHash computes the Grid code of a 64×64 picture (PDQ's input).
func gridHash(img image.Image) Code {
	var cells [16][16]int // sums of 4×4 pixels, by cell row and column
	b := img.Bounds()
	g := toGray(img)
	for y := range min(b.Dy(), 64) {
		row := g.Pix[y*g.Stride:]
		for x := range min(b.Dx(), 64) {
			cells[y/4][x/4] += int(row[x])
		}
	}
	var c Code
	var v [16]int
	for by := range 4 {
		for bx := range 4 {
			for i := range 16 {
				v[i] = cells[by*4+i/4][bx*4+i%4]
			}
			s := v
			slices.Sort(s[:])
			if s[15]-s[0] < gridFlat*16 {
				continue // flat: code 0
			}
			// Above the median: twice a value against the sum of the
			// two middle ones keeps it in integers.
			med2 := s[7] + s[8]
			var block uint64
			for i := range 16 {
				if 2*v[i] > med2 {
					block |= 1 << (15 - i)
				}
			}
			n := by*4 + bx
			c[n/4] |= block << (48 - 16*(n%4))
		}
	}
	return c
}

// GridBlocks compares two Grid codes block by block: informative counts
// the blocks not flat on both sides, agree those of them not flat on
// either side and within maxDist bits of each other.
func GridBlocks(a, b Code, maxDist int) (agree, informative int) {
	for n := range 16 {
		x := uint16(a[n/4] >> (48 - 16*(n%4)))
		y := uint16(b[n/4] >> (48 - 16*(n%4)))
		if x == 0 && y == 0 {
			continue
		}
		informative++
		if x != 0 && y != 0 && bits.OnesCount16(x^y) <= maxDist {
			agree++
		}
	}
	return agree, informative
}
