package eval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/video"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// The stress set is a generalisation audit, not a design target: footage
// unlike the video eval's (16:9 phone footage at 24 fps, near-static, with
// strong per-frame noise, random shake, exposure drift and a person-sized
// region moving slowly; every other clip dark and low-contrast) and edits
// the method was not built around (fixtures.StressEdits). Its hard
// negatives are clips of another photo of the same kind (two solar
// panels, two fish: photos whose names differ only in a number), which
// must not match.

const stressW, stressH = 768, 432

// RunVideoStress runs the stress set with cfg.Videos registered clips
// (default 3). Cameras is ignored.
func RunVideoStress(ctx context.Context, cfg VideoConfig) (*VideoResult, error) {
	if cfg.Videos <= 0 {
		cfg.Videos = 3
	}
	if cfg.Matching.MaxDistance == 0 {
		cfg.Matching = video.DefaultMatching()
	}
	names, err := photoNames(cfg.Dataset)
	if err != nil {
		return nil, err
	}
	pairs, loners := familyPairs(names)
	if cfg.Swap {
		slices.Reverse(pairs)
		slices.Reverse(loners)
	}
	cfg.Videos = min(cfg.Videos, len(pairs))
	// Each registered clip and its hard negative take a person photo of
	// their own; unrelated footage takes two scene photos and a person.
	if cfg.Videos < 1 || len(loners) < 2*cfg.Videos+6 {
		return nil, fmt.Errorf("dataset %s: %d photo pairs of one kind and %d others, need 1 and %d: %w", cfg.Dataset, len(pairs), len(loners), 2*cfg.Videos+6, ErrNoDataset)
	}
	read := func(n string) ([]byte, error) { return os.ReadFile(filepath.Join(cfg.Dataset, n)) }
	r, err := newVideoRig(cfg, "hashwatch-eval-stress-")
	if err != nil {
		return nil, err
	}
	defer r.close()
	tmp, b, h, db := r.tmp, r.b, r.h, r.db

	sec := time.Second
	footage := func(scene, person string, d time.Duration, dark bool, seed int) ([]byte, error) {
		s, err := read(scene)
		if err != nil {
			return nil, err
		}
		p, err := read(person)
		if err != nil {
			return nil, err
		}
		return b.Footage(ctx, fixtures.Footage{Photo: s, Person: p, Duration: d, Width: stressW, Height: stressH, Dark: dark, Seed: seed})
	}
	// Unrelated footage: the picture-in-picture background, the
	// compilation's parts; each is also a negative query.
	back := loners[len(loners)-6:]
	other, err := footage(back[0], back[1], 40*sec, false, 91)
	if err != nil {
		return nil, fmt.Errorf("unrelated footage: %w", err)
	}
	before, err := footage(back[2], back[3], 20*sec, true, 92)
	if err != nil {
		return nil, fmt.Errorf("unrelated footage: %w", err)
	}
	after, err := footage(back[4], back[5], 20*sec, false, 93)
	if err != nil {
		return nil, fmt.Errorf("unrelated footage: %w", err)
	}
	keep := func(data []byte) (string, error) {
		f, err := os.CreateTemp(tmp, "keep-*.mp4")
		if err != nil {
			return "", err
		}
		defer f.Close()
		_, err = f.Write(data)
		return f.Name(), err
	}
	// Keep the unrelated footage on disk (cleanDir spares it) to query it
	// once every clip is registered.
	var unrelated []string
	for _, d := range [][]byte{other, before, after} {
		n, err := keep(d)
		if err != nil {
			return nil, err
		}
		unrelated = append(unrelated, n)
	}

	res := &VideoResult{Dataset: cfg.Dataset, FalseAlerts: []FalseAlert{}}
	idOf := map[uint64]string{}
	var editNames []string
	var hards []string
	for j := range cfg.Videos {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dark := j%2 == 1
		kind := "lit"
		if dark {
			kind = "dark"
		}
		name := fmt.Sprintf("stress-%02d-%s-%s", j, kind, family(pairs[j][0]))
		length := time.Duration(40+5*(j%3)) * sec
		orig, err := footage(pairs[j][0], loners[2*j], length, dark, j)
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
		res.Registered++
		res.regs = append(res.regs, fp)
		res.register(id, fp)
		for _, e := range fixtures.StressEdits(stressW, stressH, length, other, before, after) {
			data, err := b.Edit(ctx, orig, e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			if err := res.score(ctx, h, db, cfg.Matching, name, e.Name, data, id, false, idOf); err != nil {
				return nil, err
			}
			if j == 0 {
				editNames = append(editNames, e.Name)
			}
		}
		// The hard negative: another photo of the same kind, another
		// person, the same light; queried once all are registered.
		hard, err := footage(pairs[j][1], loners[2*j+1], length, dark, j+50)
		if err != nil {
			return nil, fmt.Errorf("%s hard negative: %w", name, err)
		}
		n, err := keep(hard)
		if err != nil {
			return nil, err
		}
		hards = append(hards, n)
		if cfg.Progress != nil {
			cfg.Progress(j+1, cfg.Videos)
		}
		cleanDir(tmp)
	}
	for i, n := range append(hards, unrelated...) {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		edit, qname := "unrelated", fmt.Sprintf("unrelated-footage-%d", i-len(hards))
		if i < len(hards) {
			edit, qname = "hard-negative", fmt.Sprintf("stress-%02d-same-kind-%s", i, family(pairs[i][1]))
		}
		if err := res.score(ctx, h, db, cfg.Matching, qname, edit, data, 0, edit == "hard-negative", idOf); err != nil {
			return nil, err
		}
	}
	for _, e := range editNames {
		r := res.edit(e)
		if r.Total > 0 {
			r.Recall = float64(r.Found) / float64(r.Total)
		}
		// An audit, not a design target (see above).
		r.Group, r.Target = "video stress (no target)", 0
	}
	if res.fpMinutes > 0 {
		res.FingerprintMSPerMinute = float64(res.fpCPU.Milliseconds()) / res.fpMinutes
	}
	return res, nil
}

var (
	devPrefix   = regexp.MustCompile(`^dev-\d+-`)
	trailingNum = regexp.MustCompile(`\d+$`)
)

// family is a photo's kind by its name: without the dev set's "dev-NNN-"
// prefix, extension and trailing number ("dev-139-solar1.jpg" → "solar").
func family(name string) string {
	base := strings.TrimSuffix(name, filepath.Ext(name))
	return strings.ToLower(trailingNum.ReplaceAllString(devPrefix.ReplaceAllString(base, ""), ""))
}

// familyPairs returns pairs of photos of one kind (names differing only in
// a trailing number), one pair per kind and then further pairs, kinds in
// name order; and the photos of no kind.
func familyPairs(names []string) (pairs [][2]string, loners []string) {
	byKind := map[string][]string{}
	var kinds []string
	for _, n := range names {
		base := strings.TrimSuffix(n, filepath.Ext(n))
		if !trailingNum.MatchString(base) {
			loners = append(loners, n)
			continue
		}
		k := family(n)
		if byKind[k] == nil {
			kinds = append(kinds, k)
		}
		byKind[k] = append(byKind[k], n)
	}
	sort.Strings(kinds)
	for round := 0; ; round++ {
		added := false
		for _, k := range kinds {
			if m := byKind[k]; len(m) >= 2*round+2 {
				pairs = append(pairs, [2]string{m[2*round], m[2*round+1]})
				added = true
			}
		}
		if !added {
			break
		}
	}
	return pairs, loners
}
