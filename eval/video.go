package eval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/cputime"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// VideoConfig says what the video evaluation builds. Videos are made
// deterministically with ffmpeg (fixtures.VideoBuilder) from the dataset's
// photos: each registered video shows photosPerVideo photos, slowly
// zooming and panning with crossfades, for 30–60 s.
type VideoConfig struct {
	// Dataset is a folder of photos (JPEG or PNG).
	Dataset string
	// Videos is the number of registered videos (default 20); as many
	// unrelated videos are made from other photos, and one hard negative
	// per registered video from its own photos in another order and
	// rhythm.
	Videos int
	// Cameras is the number of registered fixed-camera clips (default:
	// Videos): 40–60 s of one still scene with sensor noise, exposure
	// drift, handheld jitter and a small moving object (fixtures.Camera),
	// each edited as fixtures.CameraEdits says, with as many unrelated
	// camera clips of other photos as negatives.
	Cameras int
	// Swap takes the photos from the other end of the dataset, so what
	// was tuned on one set of clips is reported on another.
	Swap bool
	// FFmpeg is the ffmpeg executable ("" means from PATH).
	FFmpeg string
	// Matching decides video matches; zero means video.DefaultMatching().
	Matching video.Matching
	// Progress, if set, is called after each registered video with
	// (done, total).
	Progress func(done, total int)
}

// VideoResult is the outcome of a video evaluation.
type VideoResult struct {
	Dataset    string `json:"dataset"`
	Registered int    `json:"registered"`
	// Cameras counts the registered fixed-camera clips among Registered.
	Cameras int          `json:"cameras"`
	Edits   []EditResult `json:"edits"`
	// Negatives counts queries that must match nothing: unrelated videos
	// and hard negatives (the registered videos' photos in another order
	// and rhythm).
	Negatives     int          `json:"negatives"`
	HardNegatives int          `json:"hard_negatives"`
	FalseAlerts   []FalseAlert `json:"false_alerts"`
	// FingerprintMSPerMinute is the CPU time (ffmpeg and this process)
	// spent fingerprinting queries, in milliseconds per minute of video.
	FingerprintMSPerMinute float64 `json:"fingerprint_ms_per_minute"`

	// Margins say how near the negatives came to matching (see
	// NegativeMargin), per kind: "unrelated" and "hard-negative".
	Margins map[string]*NegativeMargin `json:"margins"`

	// Misses says, for each copy that did not match, how near it came.
	Misses []VideoMiss `json:"misses,omitempty"`

	fpCPU     time.Duration
	fpMinutes float64
	regs      []hashing.Fingerprint
	regOf     map[uint64]hashing.Fingerprint
}

// VideoMiss is a copy that matched nothing, with its best alignment
// against the video it copies and how many of its frames could decide
// (PDQ quality at least Matching.MinQuality), so a miss can be told apart:
// no frame near enough, too few on one line, or too small a share.
type VideoMiss struct {
	Query           string  `json:"query"`
	Edit            string  `json:"edit"`
	Frames          int     `json:"frames"`
	Decisive        int     `json:"decisive"`
	AlignFrames     int     `json:"align_frames"`
	QueryShare      float64 `json:"query_share"`
	RegisteredShare float64 `json:"registered_share"`
	Rate            float64 `json:"rate"`
	// NearestFrame is the nearest query frame to any registered frame
	// (PDQ, any stored view, mirrored queries included).
	NearestFrame int `json:"nearest_frame"`
}

// NegativeMargin says how far the negatives stayed from a match: of every
// negative query against every registered video, the nearest frame pair
// (PDQ distance, mirrored queries included) and the best time alignment,
// matched or not. A match needs MinFrames frames on one line and half of
// either video (or MinMatched seconds). NearestStripDistance is the
// nearest pair of strips (video.StripDistance) alone, also counted in
// NearestFrameDistance: the margin the strips leave.
type NegativeMargin struct {
	NearestFrameDistance int     `json:"nearest_frame_distance"`
	NearestFrameQuery    string  `json:"nearest_frame_query"`
	NearestStripDistance int     `json:"nearest_strip_distance"`
	BestAlignFrames      int     `json:"best_align_frames"`
	BestAlignShare       float64 `json:"best_align_share"`
	BestAlignQuery       string  `json:"best_align_query"`
}

const (
	photosPerVideo = 6
	videoW, videoH = 320, 240
	// VideoTarget is the recall the issue asks of every video edit.
	VideoTarget = 0.95
)

// RunVideo runs the video evaluation. It uses a temporary directory and
// database that it removes.
func RunVideo(ctx context.Context, cfg VideoConfig) (*VideoResult, error) {
	if cfg.Videos <= 0 {
		cfg.Videos = 20
	}
	if cfg.Matching.MaxDistance == 0 {
		cfg.Matching = video.DefaultMatching()
	}
	photos, err := photoFiles(cfg.Dataset)
	if err != nil {
		return nil, err
	}
	if cfg.Swap {
		slices.Reverse(photos)
	}
	if cfg.Cameras <= 0 {
		cfg.Cameras = cfg.Videos
	}
	// Registered videos take the photos from the front, unrelated ones and
	// the compilation footage from the back.
	need := 2*cfg.Videos*photosPerVideo + 8
	if len(photos) < need {
		cfg.Videos = (len(photos) - 8) / (2 * photosPerVideo)
		if cfg.Videos < 1 {
			return nil, fmt.Errorf("dataset %s holds %d photos, need at least %d: %w", cfg.Dataset, len(photos), 2*photosPerVideo+8, ErrNoDataset)
		}
	}
	r, err := newVideoRig(cfg, "hashwatch-eval-video-")
	if err != nil {
		return nil, err
	}
	defer r.close()
	tmp, b, h, db := r.tmp, r.b, r.h, r.db

	sec := time.Second
	back := photos[len(photos)-8:]
	before, err := b.Slideshow(ctx, fixtures.Slideshow{Photos: back[:4], Durations: []time.Duration{8 * sec}, Fade: sec, Width: videoW, Height: videoH, Seed: 7})
	if err != nil {
		return nil, fmt.Errorf("compilation footage: %w", err)
	}
	after, err := b.Slideshow(ctx, fixtures.Slideshow{Photos: back[4:], Durations: []time.Duration{8 * sec}, Fade: sec, Width: videoW, Height: videoH, Seed: 8})
	if err != nil {
		return nil, fmt.Errorf("compilation footage: %w", err)
	}

	// Camera clips take the photos between the registered and the
	// unrelated slideshows' ones.
	middle := photos[cfg.Videos*photosPerVideo : len(photos)-8-cfg.Videos*photosPerVideo]
	cfg.Cameras = min(cfg.Cameras, len(middle)/2)
	res := &VideoResult{Dataset: cfg.Dataset, Registered: cfg.Videos + cfg.Cameras, Cameras: cfg.Cameras, FalseAlerts: []FalseAlert{}}
	type query struct {
		name, edit string
		data       []byte
		want       uint64 // registered fingerprint it copies; 0 for negatives
		hard       bool
	}
	var queries []query
	var editNames []string
	idOf := map[uint64]string{}
	for i := range cfg.Videos {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		own := photos[i*photosPerVideo : (i+1)*photosPerVideo]
		name := fmt.Sprintf("video-%02d", i)
		// Each photo shows 5–9 s, varying by video and position.
		durs := make([]time.Duration, photosPerVideo)
		for j := range durs {
			durs[j] = time.Duration(5+(i+2*j)%5) * sec
		}
		orig, err := b.Slideshow(ctx, fixtures.Slideshow{Photos: own, Durations: durs, Fade: sec, Width: videoW, Height: videoH, Seed: i})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		fp, err := h.Fingerprint(ctx, orig, hashing.ForRegistration)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		added, err := db.Index.Register(ctx, "eval", "", []index.Registration{{Source: name, Print: fp}}, store.Actor{User: auditUser})
		if err != nil {
			return nil, err
		}
		id := added[0].ID
		idOf[id] = name
		res.regs = append(res.regs, fp)
		res.register(id, fp)
		edits := fixtures.VideoEdits(fp.Duration, 15*sec, before, after)
		for _, e := range edits {
			data, err := b.Edit(ctx, orig, e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			queries = append(queries, query{name: name, edit: e.Name, data: data, want: id})
			if i == 0 {
				editNames = append(editNames, e.Name)
			}
		}
		// The hard negative: the same photos in reverse order, each
		// shown 3–7 s, zooming the other way.
		rev := make([][]byte, len(own))
		hd := make([]time.Duration, len(own))
		for j := range own {
			rev[j] = own[len(own)-1-j]
			hd[j] = time.Duration(3+(i+j)%5) * sec
		}
		hard, err := b.Slideshow(ctx, fixtures.Slideshow{Photos: rev, Durations: hd, Fade: 2 * sec, Width: videoW, Height: videoH, Seed: i + 1})
		if err != nil {
			return nil, fmt.Errorf("%s hard negative: %w", name, err)
		}
		queries = append(queries, query{name: name + "-reordered", edit: "hard-negative", data: hard, hard: true})
		// An unrelated video from the back of the dataset.
		other := photos[len(photos)-8-(i+1)*photosPerVideo : len(photos)-8-i*photosPerVideo]
		unrel, err := b.Slideshow(ctx, fixtures.Slideshow{Photos: other, Durations: durs, Fade: sec, Width: videoW, Height: videoH, Seed: i})
		if err != nil {
			return nil, fmt.Errorf("unrelated video %d: %w", i, err)
		}
		queries = append(queries, query{name: fmt.Sprintf("unrelated-%02d", i), edit: "unrelated", data: unrel})

		// Match this video's queries now, so their bytes can go.
		for _, q := range queries {
			if err := res.score(ctx, h, db, cfg.Matching, q.name, q.edit, q.data, q.want, q.hard, idOf); err != nil {
				return nil, err
			}
		}
		queries = queries[:0]
		if cfg.Progress != nil {
			cfg.Progress(i+1, cfg.Videos+cfg.Cameras)
		}
		cleanDir(tmp)
	}
	for j := range cfg.Cameras {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := fmt.Sprintf("camera-%02d", j)
		length := time.Duration(40+10*(j%3)) * sec
		orig, err := b.Camera(ctx, fixtures.Camera{Photo: middle[2*j], Duration: length, Width: videoW, Height: videoH, Seed: j})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		fp, err := h.Fingerprint(ctx, orig, hashing.ForRegistration)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		added, err := db.Index.Register(ctx, "eval", "", []index.Registration{{Source: name, Print: fp}}, store.Actor{User: auditUser})
		if err != nil {
			return nil, err
		}
		id := added[0].ID
		idOf[id] = name
		res.regs = append(res.regs, fp)
		res.register(id, fp)
		for _, e := range fixtures.CameraEdits() {
			data, err := b.Edit(ctx, orig, e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if err := res.score(ctx, h, db, cfg.Matching, name, "camera/"+e.Name, data, id, false, idOf); err != nil {
				return nil, err
			}
			if j == 0 {
				editNames = append(editNames, "camera/"+e.Name)
			}
		}
		// An unrelated clip from the same kind of camera, of another
		// scene, with other jitter and drift.
		unrel, err := b.Camera(ctx, fixtures.Camera{Photo: middle[2*j+1], Duration: length, Width: videoW, Height: videoH, Seed: j + 100})
		if err != nil {
			return nil, fmt.Errorf("unrelated camera clip %d: %w", j, err)
		}
		if err := res.score(ctx, h, db, cfg.Matching, fmt.Sprintf("unrelated-camera-%02d", j), "unrelated", unrel, 0, false, idOf); err != nil {
			return nil, err
		}
		if cfg.Progress != nil {
			cfg.Progress(cfg.Videos+j+1, cfg.Videos+cfg.Cameras)
		}
		cleanDir(tmp)
	}
	for _, e := range editNames {
		r := res.edit(e)
		if r.Total > 0 {
			r.Recall = float64(r.Found) / float64(r.Total)
		}
	}
	if res.fpMinutes > 0 {
		res.FingerprintMSPerMinute = float64(res.fpCPU.Milliseconds()) / res.fpMinutes
	}
	return res, nil
}

// score fingerprints and matches one query and counts it.
func (res *VideoResult) score(ctx context.Context, h *video.Hasher, db *database.DB, vm video.Matching, name, edit string, data []byte, want uint64, hard bool, idOf map[uint64]string) error {
	var r *EditResult
	if want != 0 {
		r = res.edit(edit)
		r.Total++
	} else {
		res.Negatives++
		if hard {
			res.HardNegatives++
		}
	}
	self, _ := cputime.Process()
	fp, u, err := h.FingerprintUsage(ctx, data, hashing.ForQuery)
	after, _ := cputime.Process() // 0 and 0 where it cannot be read
	res.fpCPU += after - self + u.FFmpegUser + u.FFmpegSys
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if r != nil {
			r.Errors++
		}
		return nil
	}
	res.fpMinutes += fp.Duration.Minutes()
	if want == 0 {
		res.margin(edit, name, fp, vm)
	}
	ms, err := db.Index.MatchVideo(ctx, fp, vm)
	if err != nil {
		return err
	}
	found := false
	for _, m := range ms {
		if m.Fingerprint == want {
			r.Found++
			found = true
			continue
		}
		res.FalseAlerts = append(res.FalseAlerts, FalseAlert{Query: name, Edit: edit, Matched: idOf[m.Fingerprint], Distance: m.Evidence.Distance})
	}
	if want != 0 && !found {
		res.miss(name, edit, fp, res.regOf[want], vm)
	}
	return nil
}

// miss records how near a copy that matched nothing came to its original.
func (res *VideoResult) miss(name, edit string, q, reg hashing.Fingerprint, vm video.Matching) {
	qt := video.TimelineOf(q, vm.MinQuality)
	a, _ := video.CompareWith(q, qt, reg, vm)
	m := VideoMiss{Query: name, Edit: edit, Frames: len(q.Frames), Decisive: len(qt.At), AlignFrames: a.Frames,
		QueryShare: a.QueryShare, RegisteredShare: a.RegisteredShare, Rate: a.Rate, NearestFrame: hashing.PDQ.Bits() + 1}
	for _, qf := range q.Frames {
		views := [][]hashing.Hash{qf.Hashes, qf.Mirrored}
		if inset := video.InsetOf(qf); inset != nil {
			views = append(views, []hashing.Hash{*inset})
		}
		for _, hs := range views {
			qh, ok := video.FramePDQ(hs)
			if !ok {
				continue
			}
			for _, rf := range reg.Frames {
				for _, rh := range append(rf.Hashes[:min(len(rf.Hashes), 1):1], rf.Cropped...) {
					m.NearestFrame = min(m.NearestFrame, qh.Code.Distance(rh.Code))
				}
			}
		}
		for _, rf := range reg.Frames {
			if d, ok := video.StripDistance(qf, rf, 0); ok {
				m.NearestFrame = min(m.NearestFrame, d)
			}
		}
	}
	res.Misses = append(res.Misses, m)
}

// register remembers a registered video's fingerprint by its id.
func (res *VideoResult) register(id uint64, fp hashing.Fingerprint) {
	if res.regOf == nil {
		res.regOf = map[uint64]hashing.Fingerprint{}
	}
	res.regOf[id] = fp
}

// edit returns the result row of an edit, adding it on first use.
func (res *VideoResult) edit(name string) *EditResult {
	for i := range res.Edits {
		if res.Edits[i].Edit == name {
			return &res.Edits[i]
		}
	}
	res.Edits = append(res.Edits, EditResult{Group: "video", Edit: name, Target: VideoTarget})
	return &res.Edits[len(res.Edits)-1]
}

// photoFiles reads the dataset's JPEG and PNG files in name order.
func photoFiles(dir string) ([][]byte, error) {
	names, err := photoNames(dir)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(names))
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		out = append(out, data)
	}
	return out, nil
}

// videoRig is what a video eval run works with: a temporary folder for
// ffmpeg's files and the database, the clip builder and hasher writing
// there, and the database the clips are registered in.
type videoRig struct {
	tmp string
	b   fixtures.VideoBuilder
	h   *video.Hasher
	db  *database.DB
}

// newVideoRig makes the folder (named from prefix), checks that ffmpeg
// runs and opens the database; close removes it all.
func newVideoRig(cfg VideoConfig, prefix string) (*videoRig, error) {
	tmp, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	r := &videoRig{
		tmp: tmp,
		b:   fixtures.VideoBuilder{FFmpeg: cfg.FFmpeg, Dir: tmp},
		h:   video.New(video.Config{FFmpeg: cfg.FFmpeg, TempDir: tmp}),
	}
	if _, err := r.h.FFmpeg(); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if r.db, err = database.Open(filepath.Join(tmp, "eval.db"), store.Options{}); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return r, nil
}

func (r *videoRig) close() {
	r.db.Close()
	os.RemoveAll(r.tmp)
}

// cleanDir removes the builder's files (not the database) between videos.
func cleanDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "video-") {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// margin updates the negatives' margin with one negative query.
func (res *VideoResult) margin(kind, name string, q hashing.Fingerprint, vm video.Matching) {
	if res.Margins == nil {
		res.Margins = map[string]*NegativeMargin{}
	}
	m := res.Margins[kind]
	if m == nil {
		m = &NegativeMargin{NearestFrameDistance: hashing.PDQ.Bits() + 1, NearestStripDistance: hashing.PDQ.Bits() + 1}
		res.Margins[kind] = m
	}
	qt := video.TimelineOf(q, vm.MinQuality)
	for _, r := range res.regs {
		for _, qf := range q.Frames {
			views := [][]hashing.Hash{qf.Hashes, qf.Mirrored}
			if inset := video.InsetOf(qf); inset != nil {
				views = append(views, []hashing.Hash{*inset})
			}
			for _, hs := range views {
				qh, ok := video.FramePDQ(hs)
				if !ok || qh.Quality < vm.MinQuality {
					continue
				}
				for _, rf := range r.Frames {
					for _, rh := range append(rf.Hashes[:min(len(rf.Hashes), 1):1], rf.Cropped...) {
						if rh.Quality < vm.MinQuality {
							continue
						}
						if d := qh.Code.Distance(rh.Code); d < m.NearestFrameDistance {
							m.NearestFrameDistance, m.NearestFrameQuery = d, name
						}
					}
				}
			}
			for _, rf := range r.Frames {
				d, ok := video.StripDistance(qf, rf, vm.MinQuality)
				if !ok {
					continue
				}
				m.NearestStripDistance = min(m.NearestStripDistance, d)
				if d < m.NearestFrameDistance {
					m.NearestFrameDistance, m.NearestFrameQuery = d, name
				}
			}
		}
		a, _ := video.CompareWith(q, qt, r, vm)
		share := max(a.QueryShare, a.RegisteredShare)
		if a.Frames > m.BestAlignFrames || (a.Frames == m.BestAlignFrames && share > m.BestAlignShare) {
			m.BestAlignFrames, m.BestAlignShare, m.BestAlignQuery = a.Frames, share, name
		}
	}
}
