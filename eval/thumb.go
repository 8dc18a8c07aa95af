package eval

import (
	"context"
	"math"
	"sync"

	"github.com/disintegration/imaging"
	"github.com/hashwatch/hashwatch/hashing"
)

// thumbSide is the side of the grey thumbnails that tell a slipped
// duplicate from a false alert.
const thumbSide = 32

// thumb is a thumbSide² grey thumbnail, normalised to zero mean and unit
// length so that a dot product is a correlation; flat is set when the
// picture has no contrast at all (nothing to normalise).
type thumb struct {
	v    [thumbSide * thumbSide]float32
	flat bool
}

// newThumb shrinks data's picture to thumbSide² grey pixels (the whole
// picture, stretched: a duplicate at another aspect still correlates).
func newThumb(data []byte) (*thumb, error) {
	// 64 px on the long side are plenty for a box filter down to 32.
	img, _, err := hashing.DecodeImageSmall(data, hashing.Limits{}, 2*thumbSide)
	if err != nil {
		return nil, err
	}
	small := imaging.Resize(img, thumbSide, thumbSide, imaging.Box)
	t := &thumb{}
	var sum float64
	for i := range t.v {
		// Transparent pixels show black, as if drawn on a dark page
		// (imaging filters with premultiplied alpha).
		p := small.Pix[i*4 : i*4+4]
		y := (0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])) * float64(p[3]) / 255
		t.v[i] = float32(y)
		sum += y
	}
	mean := sum / float64(len(t.v))
	var ss float64
	for i := range t.v {
		d := float64(t.v[i]) - mean
		t.v[i] = float32(d)
		ss += d * d
	}
	if ss < 1e-9 {
		t.flat = true
		return t, nil
	}
	norm := float32(1 / math.Sqrt(ss))
	for i := range t.v {
		t.v[i] *= norm
	}
	return t, nil
}

// correlation is the largest correlation of t with o under the eight
// dihedral transforms of o (turns and mirrors), since the registered views
// match turned and mirrored copies too.
func (t *thumb) correlation(o *thumb) float64 {
	if t.flat || o.flat {
		if t.flat && o.flat {
			return 1
		}
		return 0
	}
	const n = thumbSide
	best := -1.0
	for d := range 8 {
		var s float64
		for y := range n {
			for x := range n {
				// (x, y) of t against the transformed position in o.
				u, v := x, y
				if d&1 != 0 {
					u = n - 1 - u
				}
				if d&2 != 0 {
					v = n - 1 - v
				}
				if d&4 != 0 {
					u, v = v, u
				}
				s += float64(t.v[y*n+x] * o.v[v*n+u])
			}
		}
		best = max(best, s)
	}
	return best
}

// poolThumbs makes the thumbnails of the named pool files, in memory only.
func poolThumbs(ctx context.Context, cfg PoolConfig, need map[string]bool) (map[string]*thumb, error) {
	paths := make([]string, 0, len(need))
	for p := range need {
		paths = append(paths, p)
	}
	out := make(map[string]*thumb, len(paths))
	var mu sync.Mutex
	done := 0
	parallel(ctx, cfg.Workers, len(paths), func(i int) {
		data, err := readPoolFile(cfg.Pool, paths[i])
		var t *thumb
		if err == nil {
			t, _ = newThumb(data)
		}
		mu.Lock()
		defer mu.Unlock()
		if t != nil {
			out[paths[i]] = t
		}
		done++
		if cfg.Progress != nil && (done%500 == 0 || done == len(paths)) {
			cfg.Progress("thumbnails", done, len(paths))
		}
	})
	return out, ctx.Err()
}
