package hashing

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
)

// TestMirroredCutCurve measures the query's mirror image (ViewMirrored)
// on a folder of photos: copies mirrored and then cut — from each corner
// by 8–28% (off the registered cuts as well as on them), from each side
// by 8–32%, straightened by 1–12° either way — or turned — by 2–12° either
// way with black corners, upside down (a vertical flip) and a quarter turn
// either way — and unequal two-side cuts (which no registered view
// covers, mirrored or not: an audit of what is left), against the
// registered picture, with and without the query's mirror image, each
// also without the mirror for comparison, re-encoded as JPEG 70 like a
// re-upload. It registers every other photo as hashwatch eval
// does (HASHWATCH_MIRROR_SWAP=1 for the other half) and runs only with
// HASHWATCH_MIRROR_DATASET=DIR; a development half takes some minutes of
// CPU.
func TestMirroredCutCurve(t *testing.T) {
	dir := os.Getenv("HASHWATCH_MIRROR_DATASET")
	if dir == "" {
		t.Skip("set HASHWATCH_MIRROR_DATASET=DIR to measure mirrored cut copies on a photo folder")
	}
	swap := os.Getenv("HASHWATCH_MIRROR_SWAP") == "1"
	type kind struct {
		name  string
		edits []fixtures.Edit
	}
	var kinds []kind
	for a := 8; a <= 28; a += 2 {
		f := float64(a) / 100
		kinds = append(kinds, kind{fmt.Sprintf("corner %d%%", a), []fixtures.Edit{
			fixtures.Crop(f, f, 0, 0), fixtures.Crop(0, f, f, 0), fixtures.Crop(f, 0, 0, f), fixtures.Crop(0, 0, f, f),
		}})
	}
	for a := 8; a <= 32; a += 4 {
		f := float64(a) / 100
		kinds = append(kinds, kind{fmt.Sprintf("side %d%%", a), []fixtures.Edit{
			fixtures.Crop(f, 0, 0, 0), fixtures.Crop(0, 0, f, 0), fixtures.Crop(0, f, 0, 0), fixtures.Crop(0, 0, 0, f),
		}})
	}
	for a := 1; a <= 12; a++ {
		kinds = append(kinds, kind{fmt.Sprintf("straightened %d°", a), []fixtures.Edit{
			fixtures.RotateCrop(float64(a)), fixtures.RotateCrop(-float64(a)),
		}})
	}
	kinds = append(kinds, kind{"upside down, quarter turns", []fixtures.Edit{
		fixtures.Rotate(180), fixtures.Rotate(90), fixtures.Rotate(-90),
	}})
	for a := 2; a <= 12; a += 2 {
		kinds = append(kinds, kind{fmt.Sprintf("black corners %d°", a), []fixtures.Edit{
			fixtures.Rotate(float64(a)), fixtures.Rotate(-float64(a)),
		}})
	}
	kinds = append(kinds, kind{"unequal two sides", []fixtures.Edit{
		fixtures.Crop(0.08, 0.22, 0, 0), fixtures.Crop(0, 0, 0.20, 0.10), fixtures.Crop(0, 0.05, 0.15, 0), fixtures.Crop(0.12, 0, 0, 0.18),
	}})
	photos := curvePhotos(t, dir)
	h := NewHasher(Limits{})
	rule := DefaultRule()
	type count struct{ n, found, without, plain int }
	counts := make([]count, len(kinds))
	for i, name := range photos {
		if (i%2 == 0) == swap {
			continue
		}
		reg, img := curveRegistered(t, h, name)
		for k, kd := range kinds {
			for _, e := range kd.edits {
				c := &counts[k]
				c.n++
				q := editedQuery(t, h, rule, img, fixtures.Combine("mirror+"+e.Name, fixtures.Mirror(), e, fixtures.JPEGQuality(70)))
				if _, ok := rule.Best(q, reg); ok {
					c.found++
				}
				if _, ok := rule.Best(withoutMirrored(q), reg); ok {
					c.without++
				}
				p := editedQuery(t, h, rule, img, fixtures.Combine(e.Name, e, fixtures.JPEGQuality(70)))
				if _, ok := rule.Best(p, reg); ok {
					c.plain++
				}
			}
		}
	}
	var out []string
	for k, kd := range kinds {
		c := counts[k]
		if c.n == 0 {
			continue
		}
		r := func(x int) float64 { return float64(x) / float64(c.n) }
		out = append(out, fmt.Sprintf("%-20s mirrored %.3f, without the mirrored view %.3f, not mirrored %.3f (%d copies)", kd.name, r(c.found), r(c.without), r(c.plain), c.n))
	}
	t.Log("mirrored cut copies, recall:\n" + strings.Join(out, "\n"))
}
