package features

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// Result is how well two sets agree.
type Result struct {
	// Tentative counts descriptor matches that passed the ratio test and
	// the cross-check.
	Tentative int
	// Inliers counts the tentative matches that one affine transform
	// explains: the verifier's score. Below 3 no transform was fitted.
	Inliers int
	// Mirrored says the best agreement was with the query's mirror image.
	Mirrored bool
	// Square says the best agreement was between the square copies.
	Square bool
}

// Verify returns the best of the agreements of query and of its mirror
// image (Set.Mirror) with registered: a registered picture stores one set,
// and a mirrored re-upload is found from the query's side. With
// cfg.Square, square copies on both sides (Set.Square; a square
// picture's own copy is one), and aspect ratios at least cfg.SquareAspect
// apart, the square copies are compared too, the same two ways, and the
// better agreement of all counts.
func Verify(query, registered Set, cfg Config) Result {
	best := verifyCopy(query, registered, cfg)
	if !cfg.Square || (query.Square == nil && registered.Square == nil) {
		return best
	}
	qa, ra := query.aspect(), registered.aspect()
	if qa == 0 || ra == 0 || max(qa, ra) < cfg.SquareAspect*min(qa, ra) {
		return best
	}
	if q, r := query.squareCopy(), registered.squareCopy(); q != nil && r != nil {
		if s := verifyCopy(*q, *r, cfg); s.Inliers > best.Inliers {
			s.Square = true
			best = s
		}
	}
	return best
}

// verifyCopy is Verify on one copy of each picture (their Points alone).
func verifyCopy(query, registered Set, cfg Config) Result {
	query.Square, registered.Square = nil, nil
	r := Agreement(query, registered, cfg)
	m := Agreement(query.Mirror(), registered, cfg)
	if m.Inliers > r.Inliers {
		m.Mirrored = true
		return m
	}
	return r
}

// match is a tentative correspondence a.Points[i] ↔ b.Points[j].
type match struct{ i, j int }

// hamming is the distance between two descriptors.
func hamming(a, b *[4]uint64) int {
	return bits.OnesCount64(a[0]^b[0]) + bits.OnesCount64(a[1]^b[1]) +
		bits.OnesCount64(a[2]^b[2]) + bits.OnesCount64(a[3]^b[3])
}

// nearest returns, for each point of a, the index of its nearest
// descriptor in b (or -1) when it passes the distance and ratio tests.
// With cfg.RatioRadius above 0 the ratio test compares the best distance
// with the nearest descriptor of a b-point lying farther than RatioRadius
// from the best one: the pyramid finds one corner on several of its
// scales a step of 1.2 apart, whose descriptors differ by little, and
// such a twin is the same correspondence, not a rival one.
func nearest(a, b []Point, cfg Config) []int {
	out := make([]int, len(a))
	r2 := float32(cfg.RatioRadius * cfg.RatioRadius)
	for i := range a {
		best, second, bj := 257, 257, -1
		for j := range b {
			d := hamming(&a[i].Desc, &b[j].Desc)
			if d < best {
				best, second, bj = d, best, j
			} else if d < second {
				second = d
			}
		}
		if bj >= 0 && r2 > 0 {
			second = 257
			for j := range b {
				dx, dy := b[j].X-b[bj].X, b[j].Y-b[bj].Y
				if j == bj || dx*dx+dy*dy <= r2 {
					continue
				}
				second = min(second, hamming(&a[i].Desc, &b[j].Desc))
			}
		}
		if bj < 0 || best > cfg.MaxHamming || float64(best) >= cfg.Ratio*float64(second) {
			bj = -1
		}
		out[i] = bj
	}
	return out
}

// Agreement matches a's descriptors with b's (nearest neighbour, ratio
// test, cross-check) and counts the matches that the best affine
// transform found by RANSAC explains.
func Agreement(a, b Set, cfg Config) Result {
	if len(a.Points) == 0 || len(b.Points) == 0 {
		return Result{}
	}
	ab, ba := nearest(a.Points, b.Points, cfg), nearest(b.Points, a.Points, cfg)
	var ms []match
	for i, j := range ab {
		if j >= 0 && ba[j] == i {
			ms = append(ms, match{i, j})
		}
	}
	res := Result{Tentative: len(ms)}
	if len(ms) < 3 {
		return res
	}
	tol2 := cfg.Tolerance * cfg.Tolerance
	count := func(t affine) int {
		n := 0
		for _, m := range ms {
			p, q := a.Points[m.i], b.Points[m.j]
			x, y := t.apply(float64(p.X), float64(p.Y))
			dx, dy := x-float64(q.X), y-float64(q.Y)
			if dx*dx+dy*dy <= tol2 {
				n++
			}
		}
		return n
	}
	try := func(i, j, k int) {
		t, ok := fit(a, b, ms[i], ms[j], ms[k])
		if !ok || !t.plausible(cfg) {
			return
		}
		if n := count(t); n > res.Inliers {
			res.Inliers = n
		}
	}
	n := len(ms)
	if n*(n-1)*(n-2)/6 <= cfg.Trials {
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				for k := j + 1; k < n; k++ {
					try(i, j, k)
				}
			}
		}
		return res
	}
	r := rand.New(rand.NewPCG(uint64(n), 0x766572696679)) // "verify"
	for range cfg.Trials {
		i := r.IntN(n)
		j := r.IntN(n - 1)
		if j >= i {
			j++
		}
		k := r.IntN(n - 2)
		for _, x := range sortedPair(i, j) {
			if k >= x {
				k++
			}
		}
		try(i, j, k)
		if res.Inliers == n {
			break
		}
	}
	return res
}

// sortedPair returns i and j in increasing order.
func sortedPair(i, j int) [2]int {
	if i > j {
		i, j = j, i
	}
	return [2]int{i, j}
}

// affine maps (x, y) to (a·x + b·y + c, d·x + e·y + f).
type affine struct{ a, b, c, d, e, f float64 }

func (t affine) apply(x, y float64) (float64, float64) {
	return t.a*x + t.b*y + t.c, t.d*x + t.e*y + t.f
}

// plausible reports whether t is a transform a re-upload could have gone
// through: orientation kept (mirrors are tried separately), overall scale
// within bounds, the two axis scales within MaxAnisotropy of each other.
func (t affine) plausible(cfg Config) bool {
	det := t.a*t.e - t.b*t.d
	if det <= 0 {
		return false
	}
	scale := math.Sqrt(det)
	if scale < cfg.MinScale || scale > cfg.MaxScale {
		return false
	}
	// Singular values of [[a b] [d e]]: σ1σ2 = det, σ1² + σ2² = ‖M‖².
	fro := t.a*t.a + t.b*t.b + t.d*t.d + t.e*t.e
	disc := math.Sqrt(max(fro*fro-4*det*det, 0))
	s1 := math.Sqrt((fro + disc) / 2)
	s2 := det / s1
	return s1 <= cfg.MaxAnisotropy*s2
}

// fit solves the affine transform taking the three a-points of m1, m2, m3
// to their b-points, or reports that they are (nearly) collinear.
func fit(a, b Set, m1, m2, m3 match) (affine, bool) {
	p := [3][2]float64{}
	q := [3][2]float64{}
	for k, m := range [3]match{m1, m2, m3} {
		p[k] = [2]float64{float64(a.Points[m.i].X), float64(a.Points[m.i].Y)}
		q[k] = [2]float64{float64(b.Points[m.j].X), float64(b.Points[m.j].Y)}
	}
	// Solve in coordinates relative to the first point.
	x1, y1 := p[1][0]-p[0][0], p[1][1]-p[0][1]
	x2, y2 := p[2][0]-p[0][0], p[2][1]-p[0][1]
	det := x1*y2 - x2*y1
	if math.Abs(det) < 4 { // twice the triangle's area, in pixels²
		return affine{}, false
	}
	u1, v1 := q[1][0]-q[0][0], q[1][1]-q[0][1]
	u2, v2 := q[2][0]-q[0][0], q[2][1]-q[0][1]
	t := affine{
		a: (u1*y2 - u2*y1) / det,
		b: (x1*u2 - x2*u1) / det,
		d: (v1*y2 - v2*y1) / det,
		e: (x1*v2 - x2*v1) / det,
	}
	t.c = q[0][0] - t.a*p[0][0] - t.b*p[0][1]
	t.f = q[0][1] - t.d*p[0][0] - t.e*p[0][1]
	return t, true
}
