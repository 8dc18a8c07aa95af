package features

import (
	"image"
	"math"
	"slices"
)

// Config bounds and tunes Extract and Agreement. DefaultConfig is the
// documented default; the zero value is not usable.
type Config struct {
	// LongSide is the long side, in pixels, of the grey copy corners are
	// found on: large enough for a photo's corners to survive, small
	// enough that extraction stays within a few milliseconds.
	LongSide int
	// MaxPoints caps the corners kept (and so a set's size).
	MaxPoints int
	// Threshold is FAST's intensity difference (0–255) between a corner
	// and its ring.
	Threshold int
	// FlatThreshold, when above 0 and below Threshold, is the FAST
	// threshold a picture with fewer than MaxPoints/4 corners at
	// Threshold is searched again at.
	FlatThreshold int
	// MaxHamming is the largest descriptor distance (of 256 bits) a
	// tentative match may have.
	MaxHamming int
	// Ratio is the nearest-neighbour ratio test: a match's distance must
	// be below Ratio times the distance to the second nearest descriptor.
	Ratio float64
	// RatioRadius, when above 0, leaves out of the ratio test's second
	// nearest descriptor every point within this many pixels (of the
	// LongSide copy) of the nearest one: the same corner found on
	// another scale of the pyramid.
	RatioRadius float64
	// Tolerance is how far, in pixels of the LongSide copy, a matched
	// corner may land from where the transform puts it and still count
	// as an inlier.
	Tolerance float64
	// MaxAnisotropy is the largest ratio between an affine transform's
	// two scale factors: 16:9 stretches fit, folds and collapses do not.
	MaxAnisotropy float64
	// MinScale and MaxScale bound the transform's overall scale (the
	// square root of its determinant).
	MinScale, MaxScale float64
	// Trials is the number of RANSAC hypotheses tried when there are too
	// many tentative matches to try every triple.
	Trials int
	// Square, when set, also finds corners on the picture forced into a
	// LongSide × LongSide square (Set.Square), as the perceptual hashes
	// see it. A re-upload forced into another frame (a portrait photo
	// stretched to 16:9 is stretched 2.4 times along one axis) keeps its
	// corners where no affine transform of limited anisotropy puts them,
	// and its descriptors change beyond recognition; in the square copies
	// of the two pictures the stretch is undone. Costs a second
	// extraction and doubles a set's size.
	Square bool
	// SquareAspect is the least ratio between two pictures' aspect ratios
	// (width over height, the larger over the smaller) at which Verify
	// compares their square copies: only a change of frame needs them.
	// Between pictures of one aspect the square copies are the own ones
	// squeezed alike, and a second comparison would only be a second
	// draw, for look-alikes as much as for copies (on the pool's holdout
	// split, without this gate, two unrelated pairs of one aspect reached
	// 5 and 6 inliers that way).
	SquareAspect float64
	// DistinctHamming is the descriptor distance from every other corner
	// of its copy (its pyramid twins aside) at which Set.Distinct counts a
	// corner as distinct.
	DistinctHamming int
}

// DefaultConfig returns the verifier's default settings.
func DefaultConfig() Config {
	return Config{
		LongSide:        320,
		MaxPoints:       96,
		Threshold:       20,
		FlatThreshold:   8,
		MaxHamming:      64,
		Ratio:           0.8,
		Tolerance:       6,
		MaxAnisotropy:   2,
		MinScale:        0.25,
		MaxScale:        4,
		Trials:          400,
		Square:          true,
		SquareAspect:    1.1,
		DistinctHamming: 32,
	}
}

// Point is one corner: its position on the LongSide copy, its pyramid
// level (0: full size, 1: 1/√2, 2: 1/2), its orientation as one of
// angleBins steps of a full turn, and its descriptor.
type Point struct {
	X, Y  float32
	Level uint8
	Angle uint8
	Desc  [4]uint64
}

// Set is one picture's corners. W and H are the size of the copy they
// were found on (LongSide on the long side).
type Set struct {
	W, H   int
	Points []Point
	// Square is the corner set of the picture forced into a LongSide
	// square (Config.Square), nil when not made or when the picture is
	// square already (its own copy is the square one): a set of its own,
	// whose Square is always nil.
	Square *Set
}

// aspect is the set's copy's width over its height (0 for an empty copy).
func (s Set) aspect() float64 {
	if s.W < 1 || s.H < 1 {
		return 0
	}
	return float64(s.W) / float64(s.H)
}

// squareCopy returns the set's square-copy corners: Square, or the set
// itself (without Square) when its copy is square, or nil when the set
// has none.
func (s Set) squareCopy() *Set {
	switch {
	case s.Square != nil:
		return s.Square
	case s.W == s.H && s.W > 0:
		return &Set{W: s.W, H: s.H, Points: s.Points}
	}
	return nil
}

// levelScales are the pyramid's scales relative to the LongSide copy:
// steps of 1.2, as ORB takes, since a steered BRIEF descriptor tolerates
// little more than a tenth of scale change and crops and pads change the
// scale by 1.1–1.7 (with steps of √2 an 18% corner crop, scale 1.22, fell
// between two levels and kept a median of 14 inliers).
var levelScales = [...]float64{1, 1 / 1.2, 1 / 1.44, 1 / 1.728, 1 / 2.0736, 1 / 2.48832}

// border is how far from a level's edge a corner must lie for its
// orientation patch and rotated descriptor pattern to stay inside.
const border = patternReach + 1

// gridCells is the side of the grid corners are spread over.
const gridCells = 4

// candidate is a corner before selection.
type candidate struct {
	x, y  int
	score float64
}

// Extract finds the corners of a grey picture. Pictures too small or too
// flat to hold a corner give a set with no points. A picture with fewer
// than a quarter of MaxPoints corners at Threshold is searched again at
// FlatThreshold (when set), and the richer set is kept: a dark or plain
// photo's corners lie below the threshold a busy photo needs.
func Extract(g *image.Gray, cfg Config) Set {
	set := extractCopy(fitGray(g, cfg.LongSide), cfg)
	if cfg.Square && set.W != set.H && set.W > 0 {
		sq := extractCopy(resizeGray(g, cfg.LongSide, cfg.LongSide), cfg)
		set.Square = &sq
	}
	return set
}

// extractCopy is Extract on one scaled copy: the picture at its own
// aspect, or forced into a square.
func extractCopy(base *image.Gray, cfg Config) Set {
	if base == nil {
		return Set{}
	}
	p := newPyramid(base)
	set := extract(p, cfg, cfg.Threshold)
	if cfg.FlatThreshold > 0 && cfg.FlatThreshold < cfg.Threshold && len(set.Points) < cfg.MaxPoints/4 {
		if flat := extract(p, cfg, cfg.FlatThreshold); len(flat.Points) > len(set.Points) {
			return flat
		}
	}
	return set
}

// pyramid is the scaled copies of a LongSide picture corners are found
// on, made once for both of Extract's thresholds, with each level's
// smoothed copy (for descriptors) made when first needed and the
// detector's scratch.
type pyramid struct {
	w, h   int
	levels [len(levelScales)]*image.Gray
	smooth [len(levelScales)]*image.Gray
	score  []float64
}

func newPyramid(base *image.Gray) *pyramid {
	p := &pyramid{w: base.Rect.Dx(), h: base.Rect.Dy()}
	p.levels[0] = base
	for i := 1; i < len(levelScales); i++ {
		w := int(math.Round(float64(p.w) * levelScales[i]))
		h := int(math.Round(float64(p.h) * levelScales[i]))
		p.levels[i] = resizeGray(base, w, h)
	}
	p.score = make([]float64, p.w*p.h)
	return p
}

// smoothed is level li blurred (see blur).
func (p *pyramid) smoothed(li int) *image.Gray {
	if p.smooth[li] == nil {
		p.smooth[li] = blur(p.levels[li])
	}
	return p.smooth[li]
}

// extract finds the corners of p's picture, already scaled to LongSide,
// at a FAST threshold.
func extract(p *pyramid, cfg Config, threshold int) Set {
	set := Set{W: p.w, H: p.h}
	score := p.score
	quota, left := 0, cfg.MaxPoints
	for li, lv := range p.levels {
		if lv == nil {
			continue
		}
		// Each level gets a share of the points in proportion to its
		// scale, and what a level leaves unused passes to the next, so a
		// copy at another scale finds its corners among a level's own.
		rest := 0.0
		for _, r := range levelScales[li:] {
			rest += r
		}
		quota = min(left, int(math.Ceil(float64(left)*levelScales[li]/rest)))
		s := levelScales[li]
		cands := detect(lv, threshold, score)
		slices.SortStableFunc(cands, func(a, b candidate) int {
			switch {
			case a.score > b.score:
				return -1
			case a.score < b.score:
				return 1
			}
			return 0
		})
		perCell := max(1, (2*quota+gridCells*gridCells-1)/(gridCells*gridCells))
		var cells [gridCells * gridCells]int
		taken := 0
		for _, c := range cands {
			if taken == quota {
				break
			}
			bx, by := float32(float64(c.x)/s), float32(float64(c.y)/s)
			cx := min(int(bx)*gridCells/max(set.W, 1), gridCells-1)
			cy := min(int(by)*gridCells/max(set.H, 1), gridCells-1)
			if cells[cy*gridCells+cx] == perCell {
				continue
			}
			cells[cy*gridCells+cx]++
			bin := orientation(lv, c.x, c.y)
			set.Points = append(set.Points, Point{
				X: bx, Y: by, Level: uint8(li), Angle: uint8(bin),
				Desc: describe(p.smoothed(li), c.x, c.y, bin),
			})
			taken++
		}
		left -= taken
	}
	return set
}

// twinRadius is how near, in pixels of the LongSide copy, two corners
// lie when they are one corner found on two scales of the pyramid.
const twinRadius = 4

// Distinct counts the corners of the set's own copy whose descriptor
// lies at least cfg.DistinctHamming bits from that of every other corner
// there but its pyramid twins (corners within twinRadius pixels, the same
// corner on another scale). Only such a corner can be matched in a copy:
// the ratio test refuses one that has a look-alike in its own picture. A
// photo has dozens (counted once over the development photos: at least
// 10, median 77 of 96); a picture whose corners all look alike — a disc's rim, the cells
// of a grid — has almost none, and its copies cannot show the verifier
// agreement, whatever it is. It costs O(n²) descriptor comparisons.
func (s Set) Distinct(cfg Config) int {
	n := 0
	for i := range s.Points {
		p := &s.Points[i]
		distinct := true
		for j := range s.Points {
			q := &s.Points[j]
			if dx, dy := p.X-q.X, p.Y-q.Y; i == j || dx*dx+dy*dy <= twinRadius*twinRadius {
				continue
			}
			if hamming(&p.Desc, &q.Desc) < cfg.DistinctHamming {
				distinct = false
				break
			}
		}
		if distinct {
			n++
		}
	}
	return n
}

// Mirror returns the set the mirror image (left and right swapped) of the
// set's picture would give, up to rounding: positions reflected, angles
// reflected, each descriptor's bits permuted (see doc.go).
func (s Set) Mirror() Set {
	out := Set{W: s.W, H: s.H, Points: make([]Point, len(s.Points))}
	if s.Square != nil {
		sq := s.Square.Mirror()
		out.Square = &sq
	}
	for i, p := range s.Points {
		q := p
		q.X = float32(s.W-1) - p.X
		q.Angle = uint8((angleBins/2 - int(p.Angle) + angleBins) % angleBins)
		q.Desc = mirrorDesc(p.Desc)
		out.Points[i] = q
	}
	return out
}

// mirrorDesc swaps every even bit with the odd bit after it: pattern pair
// 2k+1 is pair 2k reflected.
func mirrorDesc(d [4]uint64) [4]uint64 {
	const even = 0x5555555555555555
	for i, w := range d {
		d[i] = (w&even)<<1 | (w>>1)&even
	}
	return d
}
