package eval

import (
	"context"
	"image"
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
	// inner is the thumbnail of the picture inside its uniform borders
	// (hashing.TrimBorders), nil when it has none: a duplicate slipped in
	// with a frame, a padding or a drop shadow added (a flag drawn on a
	// shadow, an icon on a canvas) is the same picture once trimmed,
	// though the whole pictures correlate poorly.
	inner *thumb
}

// newThumb shrinks data's picture to thumbSide² grey pixels (the whole
// picture, stretched: a duplicate at another aspect still correlates),
// with the thumbnail of its trimmed interior when it has borders.
func newThumb(data []byte) (*thumb, error) {
	// 256 px on the long side let the border trimmer see thin frames and
	// are plenty for a box filter down to 32.
	img, _, err := hashing.DecodeImageSmall(data, hashing.Limits{}, 8*thumbSide)
	if err != nil {
		return nil, err
	}
	t := thumbOf(img)
	// Borders come in layers (a black drop shadow on a transparent
	// canvas, which decoding lays on white; a mat inside a frame), and
	// TrimBorders takes one per side: trim again while it finds more.
	in := img.Bounds()
	for range 3 {
		next := hashing.TrimBorders(imaging.Crop(img, in)).Add(in.Min)
		if next == in {
			break
		}
		in = next
	}
	if in != img.Bounds() {
		t.inner = thumbOf(imaging.Crop(img, in))
	}
	return t, nil
}

// thumbOf is img's normalised grey thumbnail.
func thumbOf(img image.Image) *thumb {
	small := imaging.Resize(img, thumbSide, thumbSide, imaging.Box)
	t := &thumb{}
	var sum float64
	for i := range t.v {
		// Decoding lays transparent pixels on white (hashing's
		// flattenAlpha), as the hashes see them.
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
		return t
	}
	norm := float32(1 / math.Sqrt(ss))
	for i := range t.v {
		t.v[i] *= norm
	}
	return t
}

// correlation is the largest correlation of t with o under the eight
// dihedral transforms of o (turns and mirrors), since the registered views
// match turned and mirrored copies too, between the whole pictures or
// their trimmed interiors: a picture and its bordered copy correlate
// through the copy's interior. Wholes are always compared too, so a pair
// counted as duplicates before the interiors were looked at still is
// (textures whose "borders" are part of the drawing; and, a known
// leniency, two pictures on one large mat).
func (t *thumb) correlation(o *thumb) float64 {
	best := -1.0
	for _, a := range []*thumb{t, t.inner} {
		for _, b := range []*thumb{o, o.inner} {
			if a != nil && b != nil {
				best = max(best, a.whole(b))
			}
		}
	}
	return best
}

// whole is correlation without the trimmed interiors.
func (t *thumb) whole(o *thumb) float64 {
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
