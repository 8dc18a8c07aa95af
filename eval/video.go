package eval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

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
	Dataset    string       `json:"dataset"`
	Registered int          `json:"registered"`
	Edits      []EditResult `json:"edits"`
	// Negatives counts queries that must match nothing: unrelated videos
	// and hard negatives (the registered videos' photos in another order
	// and rhythm).
	Negatives     int          `json:"negatives"`
	HardNegatives int          `json:"hard_negatives"`
	FalseAlerts   []FalseAlert `json:"false_alerts"`
	// FingerprintMSPerMinute is the CPU time (ffmpeg and this process)
	// spent fingerprinting queries, in milliseconds per minute of video.
	FingerprintMSPerMinute float64 `json:"fingerprint_ms_per_minute"`

	fpCPU     time.Duration
	fpMinutes float64
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
	// Registered videos take the photos from the front, unrelated ones and
	// the compilation footage from the back.
	need := 2*cfg.Videos*photosPerVideo + 8
	if len(photos) < need {
		cfg.Videos = (len(photos) - 8) / (2 * photosPerVideo)
		if cfg.Videos < 1 {
			return nil, fmt.Errorf("dataset %s holds %d photos, need at least %d: %w", cfg.Dataset, len(photos), 2*photosPerVideo+8, ErrNoDataset)
		}
	}
	tmp, err := os.MkdirTemp("", "hashwatch-eval-video-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	b := fixtures.VideoBuilder{FFmpeg: cfg.FFmpeg, Dir: tmp}
	h := video.New(video.Config{FFmpeg: cfg.FFmpeg, TempDir: tmp})
	if _, err := h.FFmpeg(); err != nil {
		return nil, err
	}
	db, err := database.Open(filepath.Join(tmp, "eval.db"), store.Options{})
	if err != nil {
		return nil, err
	}
	defer db.Close()

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

	res := &VideoResult{Dataset: cfg.Dataset, Registered: cfg.Videos, FalseAlerts: []FalseAlert{}}
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
		added, err := db.Index.Register(ctx, "eval", "", []index.Registration{{Source: name, Print: fp}})
		if err != nil {
			return nil, err
		}
		id := added[0].ID
		idOf[id] = name
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
			cfg.Progress(i+1, cfg.Videos)
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
	self := cpuNow()
	fp, u, err := h.FingerprintUsage(ctx, data, hashing.ForQuery)
	res.fpCPU += cpuNow() - self + u.FFmpegUser + u.FFmpegSys
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
	ms, err := db.Index.MatchVideo(ctx, fp, vm)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Fingerprint == want {
			r.Found++
			continue
		}
		res.FalseAlerts = append(res.FalseAlerts, FalseAlert{Query: name, Edit: edit, Matched: idOf[m.Fingerprint], Distance: m.Evidence.Distance})
	}
	return nil
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
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w (%v)", dir, ErrNoDataset, err)
	}
	var names []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
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

// cleanDir removes the builder's files (not the database) between videos.
func cleanDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "video-") {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
