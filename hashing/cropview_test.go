package hashing

import (
	"strings"
	"testing"
)

// cropView tells the registered views cut from a part of the picture from
// those that show all of it, by name: every view the registration list
// holds is one or the other, and a new view's name must say which (a
// straightened view, turned with its corners cropped away, is a crop).
func TestCropViewTellsPartsFromWholes(t *testing.T) {
	whole := map[string]bool{ViewMirror: true,
		"rot90": true, "rot180": true, "rot270": true, "rot+4": true, "rot-4": true,
		"rot+8": true, "rot-8": true}
	for _, v := range trimmedViews {
		whole[v.name] = true
	}
	for _, v := range append(registrationViews, trimmedViews...) {
		switch {
		case whole[v.name] && cropView(v.name):
			t.Errorf("view %q shows the whole picture but counts as a crop", v.name)
		case !whole[v.name] && !cropView(v.name):
			t.Errorf("view %q is cut from the picture but does not count as a crop", v.name)
		case cropView(v.name) && !strings.Contains(v.name, "crop") && !strings.HasPrefix(v.name, "straight"):
			t.Errorf("view %q counts as a crop without saying so", v.name)
		}
	}
}
