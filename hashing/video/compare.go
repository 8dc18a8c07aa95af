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
	// faster, and a true copy usually has some frame far nearer than
	// MaxDistance; one whose insets all lie beyond it (the soft view of a
	// blurred-fill canvas) is a candidate when Align.MinFrames of its
	// insets lie within MaxDistance (package index searches insets out
	// to it).
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
		inset := InsetOf(qf)
		if inset != nil && inset.Quality < m.MinQuality {
			inset = nil
		}
		for _, rf := range registered.Frames {
			if !decisive(rf.Hashes, m.MinQuality) {
				continue
			}
			d, ok := frameDistance(qh.Code, innerOf(qf), rf, m.MinQuality)
			if ds, oks := StripDistance(qf, rf, m.MinQuality); oks && (!ok || ds < d) {
				d, ok = ds, true
			}
			if inset != nil {
				if ds, oks := frameDistance(inset.Code, nil, rf, m.MinQuality); oks && (!ok || ds < d) {
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
// nearer. The registered strips are left to StripDistance.
func frameDistance(q hashing.Code, inner *hashing.Hash, rf hashing.Frame, minQuality int) (int, bool) {
	best, ok := -1, false
	first, end := stripSpan(rf)
	for i, h := range rf.Cropped {
		if h.Algorithm != hashing.PDQ || (i >= first && i < end) {
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

// InsetOf returns a query frame's inset, if it has one: its view inside
// soft (blurred) bars (softBorders) or, without them, inside the border
// of a picture in a picture (insetPicture); the Cropped hash after the
// inner one and the strips (the second, on a frame hashed before strips
// were). It is compared as the frame itself is, with the registered frame
// and its centre crops.
func InsetOf(qf hashing.Frame) *hashing.Hash {
	i := 1 + stripCount
	if len(qf.Cropped) == 2 {
		i = 1
	}
	if len(qf.Cropped) == i+1 && qf.Cropped[i].Algorithm == hashing.PDQ {
		h := qf.Cropped[i]
		return &h
	}
	return nil
}

// A registered frame's Cropped hashes are its centre crops, its strips
// (left, right, centre, then the band; see strips.go) and last its inner
// hash; a query frame's are its inner hash, its strips and its inset, if
// any (InsetOf). Registered frames hashed before the strips were added
// have none, and those hashed before the band and the half-step crops
// have three crops and three strips; both match as they did. Query frames
// are matched where they are hashed and never stored, so a query frame
// has either no strips (GIF and WebP frames hashed by an older device
// build) or all of them.

// registeredCropped is the number of Cropped hashes of a registered
// frame.
const registeredCropped = len(cropEach) + stripCount

// registeredCroppedBeforeBand is the number of Cropped hashes of a frame
// registered with the strips but before the band and the half-step crops:
// the middle 90%, 80% and 70%, three strips, the inner hash.
const registeredCroppedBeforeBand = 3 + 3 + 1

// stripSpan returns where a registered frame's strips lie among its
// Cropped hashes: [first, end), empty when it has none.
func stripSpan(rf hashing.Frame) (first, end int) {
	switch len(rf.Cropped) {
	case registeredCropped:
		return len(cropEach) - 1, len(cropEach) - 1 + stripCount
	case registeredCroppedBeforeBand:
		return 3, 6
	}
	return 0, 0
}

// registeredStrips returns a registered frame's strips, nil when it has
// none.
func registeredStrips(rf hashing.Frame) []hashing.Hash {
	first, end := stripSpan(rf)
	return rf.Cropped[first:end:end]
}

// QueryStrips returns a query frame's strips (left, right, centre, band),
// nil when it has none: the index looks them up as seeds.
func QueryStrips(qf hashing.Frame) []hashing.Hash {
	if len(qf.Cropped) < 1+stripCount {
		return nil
	}
	return qf.Cropped[1 : 1+stripCount : 1+stripCount]
}

// StripDistance is the distance from a query frame's strips to a
// registered frame's, each compared with its like only (left with left,
// right with right, centre with centre, band with band; a frame
// registered before the band has none to compare), the nearest; false
// when no pair has both hashes of quality at least minQuality: a strip
// of a flat part of the frame (a wall, a dark side) never matches on its
// own.
func StripDistance(qf, rf hashing.Frame, minQuality int) (int, bool) {
	qs, rs := QueryStrips(qf), registeredStrips(rf)
	if len(qs) == 0 || len(rs) == 0 {
		return 0, false
	}
	best, ok := 0, false
	for i, r := range rs[:min(len(rs), len(qs))] {
		q := qs[i]
		if q.Algorithm != hashing.PDQ || r.Algorithm != hashing.PDQ || q.Quality < minQuality || r.Quality < minQuality {
			continue
		}
		if d := q.Code.Distance(r.Code); !ok || d < best {
			best, ok = d, true
		}
	}
	return best, ok
}

// innerOf returns a query frame's inner hash (the middle 60%), if it has
// one.
func innerOf(qf hashing.Frame) *hashing.Hash {
	if h, ok := FramePDQ(qf.Cropped); ok {
		return &h
	}
	return nil
}

// QueryFramesBeforeBand returns frames (query frames as HashFrames makes
// them) in the layout that builds before the band read: each frame's
// band left out of its Cropped hashes, so that a reader of that layout
// does not take the band for the inset. A worker answering an older
// coordinator sends its frames so; frames without strips are returned
// as they are. frames is not modified.
func QueryFramesBeforeBand(frames []hashing.Frame) []hashing.Frame {
	out := make([]hashing.Frame, len(frames))
	for i, f := range frames {
		out[i] = f
		if len(f.Cropped) < 1+stripCount {
			continue
		}
		band := 1 + stripBand
		out[i].Cropped = append(append(make([]hashing.Hash, 0, len(f.Cropped)-1), f.Cropped[:band]...), f.Cropped[band+1:]...)
	}
	return out
}
