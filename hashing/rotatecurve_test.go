package hashing

import (
	"fmt"
	"image"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
)

// TestRotationCurve measures what the turned registered views (rot±4,
// rot±8, straightViews) were chosen for, on a folder of photos: the
// default rule's recall on copies turned by 1–15 degrees either way, with
// their corners filled black (an editor's rotate) or cropped away (its
// straighten), against the registered views; against them without the
// views added in issue #17 (rot±8 and every straight view: the views
// before); and, with HASHWATCH_ROTATE_VIEWS (a comma list: "12" adds views
// turned ±12° with black corners, "c12" ±12° straightened), against them
// with those views too. It registers every other photo as hashwatch eval
// does (HASHWATCH_ROTATE_SWAP=1 for the other half) and runs only with
// HASHWATCH_ROTATE_DATASET=DIR; a development half takes some minutes of
// CPU.
func TestRotationCurve(t *testing.T) {
	dir := os.Getenv("HASHWATCH_ROTATE_DATASET")
	if dir == "" {
		t.Skip("set HASHWATCH_ROTATE_DATASET=DIR to measure turned copies on a photo folder")
	}
	var extra []viewSpec
	if s := os.Getenv("HASHWATCH_ROTATE_VIEWS"); s != "" {
		for _, f := range strings.Split(s, ",") {
			f = strings.TrimSpace(f)
			crop := strings.HasPrefix(f, "c")
			deg, err := strconv.ParseFloat(strings.TrimPrefix(f, "c"), 64)
			if err != nil {
				t.Fatalf("HASHWATCH_ROTATE_VIEWS: %q", f)
			}
			for _, d := range []float64{deg, -deg} {
				if crop {
					extra = append(extra, viewSpec{fmt.Sprintf("straight%+g", d), straightened(d)})
				} else {
					extra = append(extra, viewSpec{fmt.Sprintf("rot%+g", d), rotateSmall(d)})
				}
			}
		}
	}
	photos := curvePhotos(t, dir)
	swap := os.Getenv("HASHWATCH_ROTATE_SWAP") == "1"
	h := NewHasher(Limits{})
	def := DefaultRule()
	type count struct{ n, found, foundBefore, foundMore int }
	const maxAngle = 15
	kinds := []string{"black", "cropped"}
	counts := map[string]*count{}
	for i, name := range photos {
		if (i%2 == 0) == swap {
			continue
		}
		reg, img := curveRegistered(t, h, name)
		more := reg
		more.Views = append(append([]View(nil), reg.Views...), hashViews(h, img, extra)...)
		before := withoutAddedTurns(reg)
		for _, kind := range kinds {
			for a := -maxAngle; a <= maxAngle; a++ {
				if a == 0 {
					continue
				}
				e := fixtures.Rotate(float64(a))
				if kind == "cropped" {
					e = fixtures.RotateCrop(float64(a))
				}
				q := editedQuery(t, h, def, img, e)
				key := fmt.Sprintf("%s %d", kind, int(math.Abs(float64(a))))
				c := counts[key]
				if c == nil {
					c = &count{}
					counts[key] = c
				}
				c.n++
				if _, ok := def.Best(q, reg); ok {
					c.found++
				}
				if _, ok := def.Best(q, before); ok {
					c.foundBefore++
				}
				if len(extra) > 0 {
					if _, ok := def.Best(q, more); ok {
						c.foundMore++
					}
				}
			}
		}
	}
	var out []string
	for _, kind := range kinds {
		for a := 1; a <= maxAngle; a++ {
			c := counts[fmt.Sprintf("%s %d", kind, a)]
			if c == nil || c.n == 0 {
				continue
			}
			line := fmt.Sprintf("%-7s ±%2d°: registered %.3f, before %.3f", kind, a, float64(c.found)/float64(c.n), float64(c.foundBefore)/float64(c.n))
			if len(extra) > 0 {
				line += fmt.Sprintf(", with %d more views %.3f", len(extra), float64(c.foundMore)/float64(c.n))
			}
			out = append(out, line+fmt.Sprintf(" (%d copies)", c.n))
		}
	}
	t.Log("turned copies, recall per angle:\n" + strings.Join(out, "\n"))
}

// hashViews hashes specs of img as registration hashes its views.
func hashViews(h *Hasher, img image.Image, specs []viewSpec) []View {
	s := h.scratch.Get().(*scratch)
	defer h.scratch.Put(s)
	work := s.workingCopy(img, sourceSize(ForRegistration))
	var out []View
	for _, v := range specs {
		hs := make([]Hash, 3)
		s.hashImage(s.gray.FitBox(v.make(work), workingSize), hs)
		out = append(out, View{Name: v.name, Hashes: hs})
	}
	return out
}
