package eval

import (
	"slices"
	"testing"
)

// TestFamilyPairs checks how the stress set finds its hard negatives:
// photos whose names differ only in a trailing number are one kind.
func TestFamilyPairs(t *testing.T) {
	names := []string{"dev-001-bentPyramid.jpg", "dev-139-solar1.jpg", "dev-140-solar2.jpg", "dev-141-solar3.jpg",
		"dev-142-solar4.jpg", "dev-162-fish1.jpg", "dev-163-fish10.jpg", "dev-191-hammer1.jpg", "dev-050-bison.jpg"}
	pairs, loners := familyPairs(names)
	want := [][2]string{{"dev-162-fish1.jpg", "dev-163-fish10.jpg"}, {"dev-139-solar1.jpg", "dev-140-solar2.jpg"}, {"dev-141-solar3.jpg", "dev-142-solar4.jpg"}}
	if !slices.Equal(pairs, want) {
		t.Errorf("pairs %v, want %v", pairs, want)
	}
	if !slices.Equal(loners, []string{"dev-001-bentPyramid.jpg", "dev-050-bison.jpg"}) {
		t.Errorf("loners %v", loners)
	}
	for name, kind := range map[string]string{"dev-139-solar1.jpg": "solar", "dev-163-fish10.jpg": "fish", "dev-050-bison.jpg": "bison"} {
		if got := family(name); got != kind {
			t.Errorf("family(%q) = %q, want %q", name, got, kind)
		}
	}
}
