package centres

import (
	"errors"
	"testing"

	"github.com/hashwatch/hashwatch/store"
)

func TestCentreIDsAreShortLowerCaseNames(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"national", true}, {"busan", true}, {"gyeongsangbuk-do", true}, {"seoul2", true},
		{"", false}, {"Busan", false}, {"bu/san", false}, {"부산", false}, {"a b", false},
		{"abcdefghijklmnopqrstuvwxyz0123456", false}, // 33 bytes
	} {
		err := Valid(tc.id)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, store.ErrInvalid)) {
			t.Errorf("Valid(%q) = %v, want ok %v", tc.id, err, tc.ok)
		}
	}
}

func TestAKeyNamesItsCentreUnambiguously(t *testing.T) {
	for _, id := range []string{"2026-001", "a/b/c", "", "/"} {
		c, got, ok := SplitKey(Key("busan", id))
		if !ok || c != "busan" || got != id {
			t.Errorf("SplitKey(Key(busan, %q)) = %q, %q, %v", id, c, got, ok)
		}
	}
}

func TestNationalUsersSeeEveryCentreOthersTheirOwn(t *testing.T) {
	for _, tc := range []struct {
		viewer, owner string
		sees          bool
	}{
		{National, "busan", true}, {"", "busan", true}, {"busan", "busan", true},
		{"busan", "daegu", false}, {"busan", National, false},
	} {
		if got := Sees(tc.viewer, tc.owner); got != tc.sees {
			t.Errorf("Sees(%q, %q) = %v, want %v", tc.viewer, tc.owner, got, tc.sees)
		}
	}
}
