package video

import (
	"github.com/hashwatch/hashwatch/hashing"
)

// Matching holds what decides that a query video shows a registered one:
// the frame distance and quality, and the temporal alignment.
type Matching struct {
	// MaxDistance is the largest PDQ distance at which two frames match.
	MaxDistance int
	// SeedDistance is the radius of the index search that finds candidate
	// videos (at least one frame that near); their frames are then
	// compared within MaxDistance. A smaller radius makes the search much
	// faster, and a true copy has some frame far nearer than MaxDistance.
	SeedDistance int
	// MinQuality is the PDQ quality under which a frame never counts:
	// dark, flat and faded frames match everything, so they are kept in
	// fingerprints but never decide.
	MinQuality int
	Align      AlignParams
}

// DefaultMatching is the documented default (see README, "Video"): frames
// within PDQ distance 40 with quality at least 50, candidates found within
// PDQ's customary 31, aligned as DefaultAlignParams says.
func DefaultMatching() Matching {
	return Matching{MaxDistance: 40, SeedDistance: 31, MinQuality: 50, Align: DefaultAlignParams()}
}

// TimelineOf returns the decisive frames of a video fingerprint.
func TimelineOf(fp hashing.Fingerprint, minQuality int) Timeline {
	t := Timeline{Duration: fp.Duration}
	for _, f := range fp.Frames {
		if decisive(f.Hashes, minQuality) {
			t.At = append(t.At, f.At)
		}
	}
	return t
}

// FramePDQ returns a frame's PDQ hash from hs, if it has one.
func FramePDQ(hs []hashing.Hash) (hashing.Hash, bool) {
	for _, h := range hs {
		if h.Algorithm == hashing.PDQ {
			return h, true
		}
	}
	return hashing.Hash{}, false
}

func decisive(hs []hashing.Hash, minQuality int) bool {
	h, ok := FramePDQ(hs)
	return ok && h.Quality >= minQuality
}

// Compare matches a query video against one registered video by comparing
// every pair of decisive frames, the mirrored query too, and returns the
// better alignment. The index finds the same pairs through its Hamming
// index instead; Compare is for tests and one-off comparisons.
func Compare(query, registered hashing.Fingerprint, m Matching) (Alignment, bool) {
	return CompareWith(query, TimelineOf(query, m.MinQuality), registered, m)
}

// CompareWith is Compare with the query's timeline computed once by the
// caller, for matching one query against many candidates.
func CompareWith(query hashing.Fingerprint, qt Timeline, registered hashing.Fingerprint, m Matching) (Alignment, bool) {
	rt := TimelineOf(registered, m.MinQuality)
	var straight, mirrored []Pair
	for _, qf := range query.Frames {
		qh, ok := FramePDQ(qf.Hashes)
		if !ok || qh.Quality < m.MinQuality {
			continue
		}
		qm, hasMirror := FramePDQ(qf.Mirrored)
		soft := SoftOf(qf)
		if soft != nil && soft.Quality < m.MinQuality {
			soft = nil
		}
		for _, rf := range registered.Frames {
			if !decisive(rf.Hashes, m.MinQuality) {
				continue
			}
			d, ok := frameDistance(qh.Code, innerOf(qf), rf, m.MinQuality)
			if soft != nil {
				if ds, oks := frameDistance(soft.Code, nil, rf, m.MinQuality); oks && (!ok || ds < d) {
					d, ok = ds, true
				}
			}
			if ok && d <= m.MaxDistance {
				straight = append(straight, Pair{Query: qf.At, Registered: rf.At, Distance: d})
			}
			if hasMirror {
				if d, ok := frameDistance(qm.Code, nil, rf, m.MinQuality); ok && d <= m.MaxDistance {
					mirrored = append(mirrored, Pair{Query: qf.At, Registered: rf.At, Distance: d})
				}
			}
		}
	}
	return Best(straight, mirrored, qt, rt, m.Align)
}

// Best aligns the frame matches of the query as it is and mirrored and
// returns the alignment that matches, preferring more matched frames.
func Best(straight, mirrored []Pair, query, registered Timeline, p AlignParams) (Alignment, bool) {
	a, ok := Align(straight, query, registered, p)
	if len(mirrored) > 0 {
		b, okb := Align(mirrored, query, registered, p)
		if (okb && !ok) || (okb == ok && b.Frames > a.Frames) {
			b.Mirrored = true
			return b, okb
		}
	}
	return a, ok
}

// frameDistance is the distance from a query code to the nearest of a
// registered frame's PDQ hashes (as shown and its centre crops), or from
// the query frame's inner hash to the registered frame's, whichever is
// nearer.
func frameDistance(q hashing.Code, inner *hashing.Hash, rf hashing.Frame, minQuality int) (int, bool) {
	best, ok := -1, false
	for i, h := range rf.Cropped {
		if h.Algorithm != hashing.PDQ {
			continue
		}
		if d := q.Distance(h.Code); !ok || d < best {
			best, ok = d, true
		}
		if i == len(rf.Cropped)-1 && inner != nil && inner.Quality >= minQuality && h.Quality >= minQuality {
			if d := inner.Code.Distance(h.Code); d < best {
				best = d
			}
		}
	}
	if h, present := FramePDQ(rf.Hashes); present {
		if d := q.Distance(h.Code); !ok || d < best {
			best, ok = d, true
		}
	}
	return best, ok
}

// SoftOf returns a query frame's view inside soft (blurred) bars, if it
// has one: the second of its Cropped hashes (see softBorders). It is
// compared as the frame itself is, with the registered frame and its
// centre crops.
func SoftOf(qf hashing.Frame) *hashing.Hash {
	if len(qf.Cropped) > 1 && qf.Cropped[1].Algorithm == hashing.PDQ {
		h := qf.Cropped[1]
		return &h
	}
	return nil
}

// innerOf returns a query frame's inner hash (the middle 60%), if it has
// one.
func innerOf(qf hashing.Frame) *hashing.Hash {
	if h, ok := FramePDQ(qf.Cropped); ok {
		return &h
	}
	return nil
}
