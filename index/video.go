package index

import (
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/index/hamming"
	"github.com/hashwatch/hashwatch/store"
)

// Registered videos are matched in two steps. Every registered frame's PDQ
// code (as shown and its centre, see hashing.Frame) sits in one exact
// Hamming index; a query video's frames, as shown and mirrored, are looked
// up within the seed radius (video.Matching.SeedDistance), which names the
// candidate videos; each candidate's frames are then compared with the
// query's within the frame threshold and aligned in time (video.Align).
//
// A frame code's ID is its fingerprint ID shifted left by frameIDBits,
// plus the frame's position shifted left by frameViewBits, plus which hash of
// the frame it is (0 as shown, 1–15 its Cropped hashes: centre crops,
// strips and band, inner): a candidate leads straight to its fingerprint.
//
// frameIDBits grew from 18 to 19 when a fifth hash per frame (the 70% view)
// took a third view bit, and from 19 to 20 when the band and the half-step
// crops (2.5% a side between the 5% steps) took a fourth (a frame has 12
// codes, at most 16), so that MaxVideoFrames stayed 65,536: a video stored
// under the old bound must still load. Frame code IDs are made when the
// index loads, never stored.
const (
	frameIDBits   = 20
	frameViewBits = 4
	// MaxVideoFrames is the most frames one registered video may have.
	MaxVideoFrames = 1 << (frameIDBits - frameViewBits)
	// maxFrameCrops is the most Cropped hashes of a frame indexed.
	maxFrameCrops = 1<<frameViewBits - 1
)

// VideoEvidence says where a registered video was found in a query video:
// the shares of both that match, the time alignment, and which seconds of
// the registered video were found at which seconds of the query.
type VideoEvidence struct {
	// QueryShare is the share of the query's time showing the registered
	// video (high for a clip of it); RegisteredShare the share of the
	// registered video found in the query (high for a compilation
	// containing it).
	QueryShare      float64 `json:"query_share"`
	RegisteredShare float64 `json:"registered_share"`
	// Rate and OffsetSeconds map query time to registered time:
	// registered = Rate × query + OffsetSeconds.
	Rate          float64 `json:"rate"`
	OffsetSeconds float64 `json:"offset_seconds"`
	// Frames counts the query frames on the alignment.
	Frames   int          `json:"frames"`
	Mirrored bool         `json:"mirrored,omitempty"`
	Ranges   []VideoRange `json:"ranges"`
}

// VideoRange is one stretch of the registered video found in the query, in
// seconds.
type VideoRange struct {
	QueryStart      float64 `json:"query_start"`
	QueryEnd        float64 `json:"query_end"`
	RegisteredStart float64 `json:"registered_start"`
	RegisteredEnd   float64 `json:"registered_end"`
}

func videoEvidence(a video.Alignment) *VideoEvidence {
	sec := func(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }
	ev := &VideoEvidence{
		QueryShare: round3(a.QueryShare), RegisteredShare: round3(a.RegisteredShare),
		Rate: round3(a.Rate), OffsetSeconds: sec(a.Offset), Frames: a.Frames, Mirrored: a.Mirrored,
		Ranges: []VideoRange{},
	}
	for _, r := range a.Ranges {
		ev.Ranges = append(ev.Ranges, VideoRange{sec(r.QueryStart), sec(r.QueryEnd), sec(r.RegisteredStart), sec(r.RegisteredEnd)})
	}
	return ev
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

func frameCodeID(fp uint64, frame, view int) uint64 {
	return fp<<frameIDBits | uint64(frame)<<frameViewBits | uint64(view)
}

// frameCodes calls fn with the ID and PDQ code of every hash of frames,
// the frames of fingerprint fp.
func frameCodes(fp uint64, frames []hashing.Frame, fn func(id uint64, code hashing.Code)) {
	for i, fr := range frames {
		if h, ok := video.FramePDQ(fr.Hashes); ok {
			fn(frameCodeID(fp, i, 0), h.Code)
		}
		view := 0
		for _, h := range fr.Cropped {
			if h.Algorithm == hashing.PDQ && view < maxFrameCrops {
				view++
				fn(frameCodeID(fp, i, view), h.Code)
			}
		}
	}
}

// The matcher holds a registered video's frames packed, in the form they
// are stored in (packFrames: some 36 bytes per code), in its Fingerprint's
// frames field, and no hashing.Frame values: as those (a struct and a
// slice per hash list) 100,000 registered videos of 8 million codes took
// some 830 MB more, and loading them all before building the frame index
// as much again at the peak (TestVideoMatcherMemory). Matching unpacks
// only the candidates' frames.

// heldFromRecord is fromRecordViews for the matcher: a video's frames
// stay packed as stored (buildFrames checks them).
func heldFromRecord(r fingerprintRecord, unpack func([]byte) ([]hashing.View, error)) (*Fingerprint, error) {
	// The codec's decoder copies what it keeps (store.Codec.Decode): the
	// bytes do not belong to the transaction.
	packed := r.Frames
	r.Frames = nil
	f, err := fromRecordViews(r, unpack)
	if err != nil {
		return nil, err
	}
	f.frames = packed
	return f, nil
}

// holdFrames returns the fingerprint the matcher keeps for f: f itself
// when it holds no unpacked frames, else a copy (f may be the caller's)
// with its frames packed.
func holdFrames(f *Fingerprint) (*Fingerprint, error) {
	if len(f.Print.Frames) == 0 {
		return f, nil
	}
	packed, err := packFrames(f.Print.Frames)
	if err != nil {
		return nil, fmt.Errorf("fingerprint %d: %w", f.ID, err)
	}
	kept := *f
	kept.Print.Frames, kept.frames = nil, packed
	return &kept, nil
}

// heldFrames returns the frames of a fingerprint the matcher holds.
func heldFrames(f *Fingerprint) ([]hashing.Frame, error) {
	var u frameUnpacker
	return u.held(f)
}

// held is heldFrames into u's storage.
func (u *frameUnpacker) held(f *Fingerprint) ([]hashing.Frame, error) {
	frames, err := u.unpack(f.frames)
	if err != nil {
		return nil, fmt.Errorf("fingerprint %d: frames: %v: %w", f.ID, err, store.ErrCorrupt)
	}
	return frames, nil
}

// buildFrames packs the frames of the registered videos in m.fps (whose
// entries it replaces where they hold them unpacked) and bulk-loads their
// codes into the frame index. The codes are counted first so that the
// arrays are exactly as large as the index needs: it takes them over as
// its own (hamming.BuildOwned), and the frames are read with one reused
// unpacker, so that building over 8 million codes takes little memory
// beyond what the index keeps (TestVideoMatcherMemory).
func (m *matcher) buildFrames() error {
	for id, f := range m.fps {
		kept, err := holdFrames(f)
		if err != nil {
			return err
		}
		m.fps[id] = kept
	}
	var u frameUnpacker
	each := func(fn func(id uint64, c hashing.Code)) error {
		for _, f := range m.fps {
			if f.frames == nil {
				continue
			}
			frames, err := u.held(f)
			if err != nil {
				return err
			}
			frameCodes(f.ID, frames, fn)
		}
		return nil
	}
	n := 0
	if err := each(func(uint64, hashing.Code) { n++ }); err != nil {
		return err
	}
	ids, codes := make([]uint64, 0, n), make([]uint64, 0, 4*n)
	if err := each(func(id uint64, c hashing.Code) {
		ids = append(ids, id)
		codes = append(codes, c[:]...)
	}); err != nil {
		return err
	}
	ix, err := hamming.BuildOwned(hashing.PDQ.Bits(), ids, codes)
	if err != nil {
		return fmt.Errorf("build video frame index: %w", err)
	}
	m.frames = ix
	return nil
}

// addFrames makes f's frames searchable and returns the fingerprint the
// matcher keeps (see holdFrames).
func (m *matcher) addFrames(f *Fingerprint) (*Fingerprint, error) {
	var err error
	frameCodes(f.ID, f.Print.Frames, func(id uint64, c hashing.Code) {
		if e := m.frames.Insert(id, c[:]); e != nil && err == nil {
			err = fmt.Errorf("index frames of fingerprint %d: %w", f.ID, e)
		}
	})
	if err != nil {
		return f, err
	}
	kept, err := holdFrames(f)
	if err != nil {
		return f, err // f's frames are stored packed already: cannot happen
	}
	return kept, nil
}

// removeFrames makes the frames of f, a fingerprint the matcher holds,
// unsearchable.
func (m *matcher) removeFrames(f *Fingerprint) {
	// The frames were checked when the matcher took them.
	frames, _ := heldFrames(f)
	frameCodes(f.ID, frames, func(id uint64, _ hashing.Code) { m.frames.Delete(id) })
}

// validVideo checks a video registration against what the index can hold.
func validVideo(p hashing.Fingerprint) error {
	if len(p.Frames) > MaxVideoFrames {
		return fmt.Errorf("%d frames, at most %d: %w", len(p.Frames), MaxVideoFrames, store.ErrInvalid)
	}
	return nil
}

// matchVideo returns the registered videos the query video shows.
//
// Candidates come from the frame index in two ways. Any view of a query
// frame within the seed radius of a registered code names its video, as
// one frame that near is rare between unrelated videos. And a frame's
// inset (its view inside soft bars or a picture-in-picture border, see
// video.InsetOf) is looked up out to the frame threshold itself
// (MaxDistance): a video that several insets — Align.MinFrames, the
// fewest an alignment counts — reach there is a candidate too. An inset
// is cut from a box found to a grid pixel or two and enlarged from a part
// of the frame, so it lies farther from the original than the copy's
// other views do: the soft view of a blurred-fill 9:16 canvas (the video
// a third of its height) lies at PDQ 28–34, and a copy whose every inset
// lay beyond the seed radius was never compared, however well its frames
// lined up. The alignment decides either way, so the looser radius adds
// comparisons, not matches. A radius-40 search costs about three times a
// radius-31 one (hamming bench, 1M codes), and searching every frame as
// shown that far too made a 60-s query against 8 million codes take 50
// ms instead of 20 (BenchmarkMatchVideo), so only insets — only videos
// that have them — take it.
func (m *matcher) matchVideo(query hashing.Fingerprint, vm video.Matching) []Match {
	candidates := map[uint64]bool{}
	var hits []hamming.Match
	radius := min(vm.SeedDistance, vm.MaxDistance)
	if radius <= 0 {
		radius = vm.MaxDistance
	}
	loose := max(vm.MaxDistance, radius)
	// near counts, per registered video, the query frames that reached it
	// only beyond the seed radius; last is the last such frame, so each
	// counts once.
	type near struct{ frames, last int }
	nearBy := map[uint64]*near{}
	for qi, qf := range query.Frames {
		// The query frame as shown, mirrored, its inner part (see
		// video.Compare), its strips (video.StripDistance) and its view
		// inside soft bars or another video's frame (video.InsetOf),
		// searched out to loose.
		views := [][]hashing.Hash{qf.Hashes, qf.Mirrored, qf.Cropped}
		wide := []bool{false, false, false}
		for _, s := range video.QueryStrips(qf) {
			views = append(views, []hashing.Hash{s})
			wide = append(wide, false)
		}
		if inset := video.InsetOf(qf); inset != nil {
			views = append(views, []hashing.Hash{*inset})
			wide = append(wide, true)
		}
		for vi, hs := range views {
			h, ok := video.FramePDQ(hs)
			if !ok || h.Quality < vm.MinQuality {
				continue
			}
			r := radius
			if wide[vi] {
				r = loose
			}
			hits = m.frames.Search(h.Code[:], r, hits[:0])
			for _, hit := range hits {
				id := hit.ID >> frameIDBits
				if hit.Distance <= radius {
					candidates[id] = true
					continue
				}
				n := nearBy[id]
				if n == nil {
					n = &near{last: -1}
					nearBy[id] = n
				}
				if n.last != qi {
					n.frames++
					n.last = qi
				}
			}
		}
	}
	for id, n := range nearBy {
		if n.frames >= max(vm.Align.MinFrames, 1) {
			candidates[id] = true
		}
	}
	qt := video.TimelineOf(query, vm.MinQuality)
	var out []Match
	for id := range candidates {
		f, ok := m.fps[id]
		if !ok {
			continue
		}
		frames, err := heldFrames(f)
		if err != nil {
			continue // checked when the matcher took them
		}
		reg := f.Print
		reg.Frames = frames
		a, ok := video.CompareWith(query, qt, reg, vm)
		if !ok {
			continue
		}
		view := "frames"
		if a.Mirrored {
			view = "frames-mirrored"
		}
		out = append(out, Match{
			Fingerprint: id, Centre: f.Centre, Case: f.Case, Label: f.Label, Source: f.Source,
			Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: a.Distance,
				Distances: map[hashing.Algorithm]int{hashing.PDQ: a.Distance}, QueryView: view, RegisteredView: "frames"},
			Video: videoEvidence(a),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		si := max(out[i].Video.QueryShare, out[i].Video.RegisteredShare)
		sj := max(out[j].Video.QueryShare, out[j].Video.RegisteredShare)
		if si != sj {
			return si > sj
		}
		return out[i].Fingerprint < out[j].Fingerprint
	})
	return append(out, m.picturesInVideo(query, vm)...)
}

// picturesInVideo returns the registered pictures some frame of the query
// video shows: a frame (or its mirror), trimmed as the whole video is or
// on its own borders, within the seed radius of a registered picture's
// view by PDQ, both of quality at least MinQuality.
// Frames carry only PDQ, so this is the rule's PDQ-alone test; one
// matching frame suffices, since a picture has no time to line up.
func (m *matcher) picturesInVideo(query hashing.Fingerprint, vm video.Matching) []Match {
	ix := m.idx[hashing.PDQ]
	if ix == nil || vm.SeedDistance <= 0 {
		return nil
	}
	type best struct {
		d    int
		at   time.Duration
		view string
	}
	found := map[uint64]best{}
	var hits []hamming.Match
	for _, qf := range query.Frames {
		// Every PDQ hash of the frame and its mirror: the frame trimmed
		// as the whole video is, and on its own borders (see
		// video.Hasher).
		for _, hs := range [][]hashing.Hash{qf.Hashes, qf.Mirrored} {
			for _, h := range hs {
				if h.Algorithm != hashing.PDQ || h.Quality < vm.MinQuality {
					continue
				}
				hits = ix.Search(h.Code[:], vm.SeedDistance, hits[:0])
				for _, hit := range hits {
					id, vi := hit.ID>>viewBits, int(hit.ID&(1<<viewBits-1))
					f, ok := m.fps[id]
					if !ok || vi >= len(f.Print.Views) {
						continue
					}
					rh, ok := f.Print.Views[vi].Hash(hashing.PDQ)
					if !ok || rh.Quality < vm.MinQuality {
						continue
					}
					if b, seen := found[id]; !seen || hit.Distance < b.d {
						found[id] = best{hit.Distance, qf.At, f.Print.Views[vi].Name}
					}
				}
			}
		}
	}
	out := make([]Match, 0, len(found))
	for id, b := range found {
		f := m.fps[id]
		out = append(out, Match{Fingerprint: id, Centre: f.Centre, Case: f.Case, Label: f.Label, Source: f.Source,
			Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: b.d, Distances: map[hashing.Algorithm]int{hashing.PDQ: b.d},
				QueryView: fmt.Sprintf("frame@%.1fs", b.at.Seconds()), RegisteredView: b.view}})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Evidence.Distance != out[j].Evidence.Distance {
			return out[i].Evidence.Distance < out[j].Evidence.Distance
		}
		return out[i].Fingerprint < out[j].Fingerprint
	})
	return out
}

// MatchVideo returns the registered videos that the query video (a
// fingerprint of kind video) shows under vm, best first: a registered
// video matches when enough query frames match its frames and line up in
// time (see package video). Registered pictures that a frame shows follow
// (picturesInVideo). Withdrawn cases are never returned.
func (ix *Index) MatchVideo(ctx context.Context, query hashing.Fingerprint, vm video.Matching) ([]Match, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ix.st.ReadOnly() {
		ix.loadOnce.Do(func() { ix.loadErr = ix.loadActive() })
		if ix.loadErr != nil {
			return nil, ix.loadErr
		}
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.active.matchVideo(query, vm), nil
}

// Video frames are stored packed in the fingerprint record's "frames"
// field, like views (packed.go), with encoding/json carrying the bytes as
// base64:
//
//	frame count (uvarint) ‖ frames
//
// and a frame is its time in milliseconds since the previous frame
// (uvarint) ‖ three hash lists (as shown, mirrored, centre), each a count
// (1 byte) and hashes packed as in views. A registered 60-s video of some
// 120 frames with two PDQ hashes each takes about 8.5 KB.
//
// The field was added without a new encoding version: it is optional, an
// older value simply has no frames, and an older build ignores it (JSON
// decoding skips unknown fields), seeing a video as a fingerprint with no
// views that matches nothing.

// packFrames encodes frames in the packed form.
func packFrames(frames []hashing.Frame) ([]byte, error) {
	if len(frames) == 0 {
		return nil, nil
	}
	out := binary.AppendUvarint(nil, uint64(len(frames)))
	var prev time.Duration
	for i, f := range frames {
		if f.At < prev {
			return nil, fmt.Errorf("frame %d at %v before frame %d: %w", i, f.At, i-1, store.ErrInvalid)
		}
		out = binary.AppendUvarint(out, uint64((f.At - prev).Milliseconds()))
		prev = prev + (f.At - prev).Truncate(time.Millisecond)
		for _, hs := range [][]hashing.Hash{f.Hashes, f.Mirrored, f.Cropped} {
			var err error
			if out, err = packHashes(out, hs); err != nil {
				return nil, fmt.Errorf("frame %d: %w", i, err)
			}
		}
	}
	return out, nil
}

// unpackFrames decodes packed frames.
func unpackFrames(b []byte) ([]hashing.Frame, error) {
	var u frameUnpacker
	return u.unpack(b)
}

// frameUnpacker decodes packed frames into storage it reuses: the frames
// an unpack returns are valid until the next one. Reading every registered
// video once (buildFrames) then takes no memory per video.
type frameUnpacker struct {
	frames []hashing.Frame
	hashes []hashing.Hash
}

// unpack decodes packed frames.
func (u *frameUnpacker) unpack(b []byte) ([]hashing.Frame, error) {
	if len(b) == 0 {
		return nil, nil
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > MaxVideoFrames || n > uint64(len(b)) {
		return nil, errPacked
	}
	b = b[k:]
	frames := u.frames[:0]
	if frames == nil {
		frames = make([]hashing.Frame, 0, n)
	}
	hashes := u.hashes[:0]
	var at time.Duration
	for range n {
		d, k := binary.Uvarint(b)
		if k <= 0 || d > uint64(24*time.Hour/time.Millisecond) {
			return nil, errPacked
		}
		b = b[k:]
		at += time.Duration(d) * time.Millisecond
		f := hashing.Frame{At: at}
		for _, dst := range []*[]hashing.Hash{&f.Hashes, &f.Mirrored, &f.Cropped} {
			start := len(hashes)
			var err error
			if hashes, b, err = appendUnpackedHashes(hashes, b); err != nil {
				return nil, err
			}
			if len(hashes) > start { // else nil, as hashing.Hasher leaves absent variants
				*dst = hashes[start:len(hashes):len(hashes)]
			}
		}
		frames = append(frames, f)
	}
	if len(b) != 0 {
		return nil, errPacked
	}
	u.frames, u.hashes = frames, hashes
	return frames, nil
}
