package hashing

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
)

// TestSideCropCurve measures what sideCuts was chosen for, on a folder of
// photos: the default rule's recall on copies cut from one side by 8–34%
// (1-point steps, every side) against the registered views, and against
// them with the side crops of another grid instead (HASHWATCH_SIDE_CUTS,
// default "10,20", the grid before; its cuts must be among sideCuts). It
// registers every other photo as hashwatch eval does
// (HASHWATCH_SIDE_SWAP=1 for the other half) and runs only with
// HASHWATCH_SIDE_DATASET=DIR; on a development half it takes some minutes
// of CPU.
func TestSideCropCurve(t *testing.T) {
	dir := os.Getenv("HASHWATCH_SIDE_DATASET")
	if dir == "" {
		t.Skip("set HASHWATCH_SIDE_DATASET=DIR to measure one-side crops on a photo folder")
	}
	other := []int{10, 20}
	if cuts := percentsFromEnv(t, "HASHWATCH_SIDE_CUTS", fmt.Sprintf("one of sideCuts %v", sideCuts), func(n int) bool {
		return slices.Contains(sideCuts, n)
	}); cuts != nil {
		other = cuts
	}
	sides := []string{"l", "r", "t", "b"}
	// onOther drops the registered side crops that are not on the other
	// grid.
	onOther := func(fp Fingerprint) Fingerprint {
		var vs []View
		for _, v := range fp.Views {
			keep := true
			for _, s := range sides {
				for _, n := range sideCuts {
					if v.Name == fmt.Sprintf("crop-%s%d", s, n) && !slices.Contains(other, n) {
						keep = false
					}
				}
			}
			if keep {
				vs = append(vs, v)
			}
		}
		fp.Views = vs
		return fp
	}
	edit := func(side string, f float64) fixtures.Edit {
		switch side {
		case "l":
			return fixtures.Crop(f, 0, 0, 0)
		case "r":
			return fixtures.Crop(0, 0, f, 0)
		case "t":
			return fixtures.Crop(0, f, 0, 0)
		}
		return fixtures.Crop(0, 0, 0, f)
	}
	photos := curvePhotos(t, dir)
	swap := os.Getenv("HASHWATCH_SIDE_SWAP") == "1"
	h := NewHasher(Limits{})
	def := DefaultRule()
	type count struct{ n, found, foundOther int }
	amounts := map[int]*count{}
	for i, name := range photos {
		if (i%2 == 0) == swap {
			continue
		}
		reg, img := curveRegistered(t, h, name)
		regOther := onOther(reg)
		for _, s := range sides {
			for a := 8; a <= 34; a++ {
				q := editedQuery(t, h, def, img, edit(s, float64(a)/100))
				c := amounts[a]
				if c == nil {
					c = &count{}
					amounts[a] = c
				}
				c.n++
				if _, ok := def.Best(q, reg); ok {
					c.found++
				}
				if _, ok := def.Best(q, regOther); ok {
					c.foundOther++
				}
			}
		}
	}
	var out []string
	for a := 8; a <= 34; a++ {
		c := amounts[a]
		if c == nil || c.n == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("%2d%%: cuts %v %.3f, cuts %v %.3f (%d copies)", a, sideCuts, float64(c.found)/float64(c.n), other, float64(c.foundOther)/float64(c.n), c.n))
	}
	t.Log("one-side crops, recall per amount:\n" + strings.Join(out, "\n"))
}

// percentsFromEnv reads the comma-separated whole percents of the
// environment variable name for a curve test, each one that ok accepts
// (what says what it must be); nil when the variable is unset.
func percentsFromEnv(t *testing.T, name, what string, ok func(n int) bool) []int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || !ok(n) {
			t.Fatalf("%s: %q is not %s", name, f, what)
		}
		out = append(out, n)
	}
	return out
}
