package video

import (
	"math"
	"slices"
	"sort"
	"time"
)

// Temporal matching, in the spirit of Meta's vPDQ: frames match frames
// within a PDQ distance, and a query video matches a registered one when
// enough of its frames do *and* the matches line up in time, as
//
//	registered time = rate × query time + offset
//
// with one offset and a rate within ±MaxRateChange of 1 (sped-up or
// slowed-down re-uploads). Frames of the same photographs shown in another
// order or rhythm match one by one but fall on no common line, which is
// what keeps such hard negatives apart. Everything here is a pure function
// of the frame matches and the two timelines.

// Pair is one frame-level match: a query frame's time, a registered frame's
// time and their distance.
type Pair struct {
	Query, Registered time.Duration
	Distance          int
}

// Timeline is one video's decisive frames (those whose hash quality lets
// them count), in time order, and its duration. Each frame stands for the
// time until the next one, capped at keepEvery: shares are shares of time,
// so dropping repeated frames of a still scene does not change them.
type Timeline struct {
	At       []time.Duration
	Duration time.Duration
}

// weights returns the time each frame stands for.
func (t Timeline) weights() []time.Duration {
	w := make([]time.Duration, len(t.At))
	for i, at := range t.At {
		end := t.Duration
		if i+1 < len(t.At) {
			end = t.At[i+1]
		}
		w[i] = min(max(end-at, 0), keepEvery)
		if w[i] == 0 {
			w[i] = QueryInterval
		}
	}
	return w
}

// total is the time all frames stand for.
func (t Timeline) total() time.Duration {
	var s time.Duration
	for _, w := range t.weights() {
		s += w
	}
	return s
}

// index returns the position of the frame at exactly at, or -1.
func (t Timeline) index(at time.Duration) int {
	i := sort.Search(len(t.At), func(i int) bool { return t.At[i] >= at })
	if i < len(t.At) && t.At[i] == at {
		return i
	}
	return -1
}

// Range says that the registered video's [RegisteredStart, RegisteredEnd)
// was found at [QueryStart, QueryEnd) of the query.
type Range struct {
	QueryStart, QueryEnd           time.Duration
	RegisteredStart, RegisteredEnd time.Duration
}

// Alignment is the best time alignment of a query with a registered video.
type Alignment struct {
	// Rate and Offset map query time to registered time.
	Rate   float64
	Offset time.Duration
	// Frames counts the query frames that match on the line.
	Frames int
	// QueryShare is the share of the query's time that shows the
	// registered video; RegisteredShare the share of the registered
	// video's time found in the query. A short clip of a long registered
	// video has a high QueryShare, a long compilation containing a
	// registered clip a high RegisteredShare.
	QueryShare, RegisteredShare float64
	// Matched is the query time that shows the registered video.
	Matched time.Duration
	// Distance is the median frame distance on the line.
	Distance int
	Ranges   []Range
	// Mirrored says the query shows the registered video mirrored (set by
	// Best).
	Mirrored bool
}

// AlignParams decide when an alignment is a match.
type AlignParams struct {
	// MaxRateChange is the largest playback-rate change, as a fraction.
	MaxRateChange float64
	// Tolerance is how far a frame match may lie off the line.
	Tolerance time.Duration
	// MinFrames is the fewest query frames on the line.
	MinFrames int
	// MinShare is the share (of either video) that makes a match...
	MinShare float64
	// ...or MinMatched, the query time on the line that does regardless of
	// shares (a long registered video inside a longer compilation).
	MinMatched time.Duration
}

// DefaultAlignParams are the documented defaults: ±10% rate, 1.5 s off the
// line, at least 3 frames, and half of either video or 30 s.
func DefaultAlignParams() AlignParams {
	return AlignParams{MaxRateChange: 0.10, Tolerance: 1500 * time.Millisecond, MinFrames: 3, MinShare: 0.5, MinMatched: 30 * time.Second}
}

// rangeGap is the longest stretch of unmatched query time inside one
// reported range: a frame or two spoiled by a watermark or a transition
// does not split a range.
const rangeGap = 3 * time.Second

// rateStep is the resolution of the rate search: over 2 minutes a rate off
// by half a step drifts 0.6 s, inside the default tolerance.
const rateStep = 0.01

// Align finds the alignment of frame matches that covers the most query
// frames and reports whether it is a match under p. Pairs whose times are
// not frames of the timelines are ignored.
func Align(pairs []Pair, query, registered Timeline, p AlignParams) (Alignment, bool) {
	if len(pairs) == 0 || p.Tolerance <= 0 {
		return Alignment{}, false
	}
	pairs = slices.Clone(pairs)
	slices.SortFunc(pairs, func(a, b Pair) int { return int(a.Query - b.Query) })
	var best Alignment
	bestScore, bestResid := -1, 0.0
	steps := int(math.Round(p.MaxRateChange / rateStep))
	for s := -steps; s <= steps; s++ {
		rate := 1 + float64(s)*rateStep
		off, ok := bestOffset(pairs, rate, p.Tolerance)
		if !ok {
			continue
		}
		n, resid := countInliers(pairs, rate, off, p.Tolerance)
		// Prefer more frames, then the line nearest them.
		if n > bestScore || (n == bestScore && resid < bestResid) {
			best, bestScore, bestResid = Alignment{Rate: rate, Offset: off}, n, resid
		}
	}
	if bestScore <= 0 {
		return Alignment{}, false
	}
	a := describe(pairs, best.Rate, best.Offset, query, registered, p.Tolerance)
	ok := a.Frames >= p.MinFrames && (max(a.QueryShare, a.RegisteredShare) >= p.MinShare || a.Matched >= p.MinMatched)
	return a, ok
}

// bestOffset votes the pairs' offsets at rate into bins one tolerance wide
// and returns the mean offset of the best bin and its neighbours.
func bestOffset(pairs []Pair, rate float64, tol time.Duration) (time.Duration, bool) {
	type bin struct {
		n    int
		last time.Duration // last query time counted, so a frame votes once
		sum  float64
	}
	bins := map[int64]*bin{}
	for _, pr := range pairs {
		off := float64(pr.Registered) - rate*float64(pr.Query)
		k := int64(math.Floor(off / float64(tol)))
		b := bins[k]
		if b == nil {
			b = &bin{last: -1}
			bins[k] = b
		}
		if b.last != pr.Query {
			b.n++
			b.last = pr.Query
		}
		b.sum += off
	}
	var bestK int64
	bestN := -1
	for k, b := range bins {
		n := b.n
		if l := bins[k-1]; l != nil {
			n += l.n
		}
		if r := bins[k+1]; r != nil {
			n += r.n
		}
		if n > bestN || (n == bestN && k < bestK) {
			bestK, bestN = k, n
		}
	}
	if bestN <= 0 {
		return 0, false
	}
	var sum float64
	var cnt int
	for _, pr := range pairs {
		off := float64(pr.Registered) - rate*float64(pr.Query)
		if k := int64(math.Floor(off / float64(tol))); k >= bestK-1 && k <= bestK+1 {
			sum += off
			cnt++
		}
	}
	return time.Duration(sum / float64(cnt)), true
}

func onLine(pr Pair, rate float64, off, tol time.Duration) bool {
	want := rate*float64(pr.Query) + float64(off)
	return math.Abs(float64(pr.Registered)-want) <= float64(tol)
}

// countInliers counts the distinct query frames with a pair on the line
// and sums their pairs' distances from it.
func countInliers(pairs []Pair, rate float64, off, tol time.Duration) (int, float64) {
	n := 0
	resid := 0.0
	last := time.Duration(-1)
	for _, pr := range pairs {
		if !onLine(pr, rate, off, tol) {
			continue
		}
		resid += math.Abs(float64(pr.Registered) - rate*float64(pr.Query) - float64(off))
		if pr.Query != last {
			n++
			last = pr.Query
		}
	}
	return n, resid
}

// describe measures the alignment (rate, off): shares, matched ranges and
// the median distance of the pairs on the line.
func describe(pairs []Pair, rate float64, off time.Duration, q, r Timeline, tol time.Duration) Alignment {
	a := Alignment{Rate: rate, Offset: off}
	qw, rw := q.weights(), r.weights()
	qHit := make([]bool, len(q.At))
	rHit := make([]bool, len(r.At))
	qReg := map[int][2]time.Duration{} // query frame → registered time span on the line
	var dists []int
	for _, pr := range pairs {
		if !onLine(pr, rate, off, tol) {
			continue
		}
		qi, ri := q.index(pr.Query), r.index(pr.Registered)
		if qi < 0 || ri < 0 {
			continue
		}
		dists = append(dists, pr.Distance)
		qHit[qi], rHit[ri] = true, true
		span, seen := qReg[qi]
		end := pr.Registered + rw[ri]
		if !seen {
			span = [2]time.Duration{pr.Registered, end}
		}
		span[0], span[1] = min(span[0], pr.Registered), max(span[1], end)
		qReg[qi] = span
	}
	var qMatched, rMatched time.Duration
	var spans [][2]time.Duration // registered time each matched query frame stands for
	for i, hit := range qHit {
		if hit {
			a.Frames++
			qMatched += qw[i]
			from := time.Duration(rate*float64(q.At[i])) + off
			spans = append(spans, [2]time.Duration{from, from + time.Duration(rate*float64(qw[i]))})
		}
	}
	// A registered frame counts as found when it matched, or when it lies
	// in the registered time a matched query frame stands for: frames
	// sampled between two query frames need not match one themselves.
	for i, at := range r.At {
		for _, sp := range spans {
			if at >= sp[0]-tol/2 && at < sp[1]+tol/2 {
				rHit[i] = true
				break
			}
		}
		if rHit[i] {
			rMatched += rw[i]
		}
	}
	a.Matched = qMatched
	if t := q.total(); t > 0 {
		a.QueryShare = min(float64(qMatched)/float64(t), 1)
	}
	if t := r.total(); t > 0 {
		a.RegisteredShare = min(float64(rMatched)/float64(t), 1)
	}
	if len(dists) > 0 {
		slices.Sort(dists)
		a.Distance = dists[len(dists)/2]
	}
	// Matched query frames no more than rangeGap apart form one range.
	var cur *Range
	for i, hit := range qHit {
		if !hit {
			continue
		}
		span := qReg[i]
		if cur == nil || q.At[i]-cur.QueryEnd > rangeGap {
			a.Ranges = append(a.Ranges, Range{QueryStart: q.At[i], RegisteredStart: span[0]})
			cur = &a.Ranges[len(a.Ranges)-1]
		}
		cur.QueryEnd = q.At[i] + qw[i]
		cur.RegisteredStart = min(cur.RegisteredStart, span[0])
		cur.RegisteredEnd = max(cur.RegisteredEnd, span[1])
	}
	return a
}
