package eval

import (
	"path/filepath"
	"testing"

	"github.com/hashwatch/hashwatch/hashing"
)

func TestRuleReplacesOnlyWhatIsGiven(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-background")
	for _, tc := range []struct {
		name           string
		clauses        string
		ratio          float64
		background     string
		wantRatio      float64 // 0: the default's
		wantBackground bool
		wantErr        bool
	}{
		{"nothing given keeps the default rule", "", 0, "", 0, true, false},
		{"a ratio above zero replaces the factor", "", 0.5, "", 0.5, true, false},
		{"background none drops the ratio test", "", 0, "none", 0, false, false},
		{"a background file that is missing is an error", "", 0, missing, 0, false, true},
		{"clauses that do not parse are an error", "nonsense<<", 0, "", 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Rule(tc.clauses, tc.ratio, tc.background, "", "")
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if tc.wantRatio != 0 && r.Ratio != tc.wantRatio {
				t.Errorf("ratio %v, want %v", r.Ratio, tc.wantRatio)
			}
			if (r.Background != nil) != tc.wantBackground {
				t.Errorf("background set %v, want %v", r.Background != nil, tc.wantBackground)
			}
		})
	}
}

func TestStrictRatioParses(t *testing.T) {
	def := hashing.DefaultRule().Strict
	for _, tc := range []struct {
		name      string
		spec      string
		wantNil   bool
		wantRatio float64
		wantAbove int
		wantErr   bool
	}{
		{"none switches the test off", "none", true, 0, 0, false},
		{"a ratio alone keeps the default's PDQ distance", "0.6", false, 0.6, def.AbovePDQ, false},
		{"a ratio and a PDQ distance replace both", "0.5,40", false, 0.5, 40, false},
		{"a ratio of zero is an error", "0", false, 0, 0, true},
		{"a PDQ distance that is not a number is an error", "0.5,x", false, 0, 0, true},
		{"three fields are an error", "0.5,31,2", false, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := StrictRatio(tc.spec)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if (s == nil) != tc.wantNil {
				t.Fatalf("test %+v, want nil %v", s, tc.wantNil)
			}
			if s != nil && (s.Ratio != tc.wantRatio || s.AbovePDQ != tc.wantAbove) {
				t.Errorf("test %+v, want ratio %v above PDQ %d", *s, tc.wantRatio, tc.wantAbove)
			}
		})
	}
}

func TestGreyTestSpec(t *testing.T) {
	def := *hashing.DefaultRule().Grey
	for _, tc := range []struct {
		name    string
		spec    string
		want    *hashing.GreyTest
		wantErr bool
	}{
		{"none switches the test off", "none", nil, false},
		{"a ratio alone keeps the default's other fields", "0.5", &hashing.GreyTest{MinChroma: def.MinChroma, MaxDistance: def.MaxDistance, AbovePDQ: def.AbovePDQ, MaxRatio: 0.5}, false},
		{"every field given replaces every field", "0.6,0.7,5,20", &hashing.GreyTest{MinChroma: 5, MaxDistance: 0.7, AbovePDQ: 20, MaxRatio: 0.6}, false},
		{"a word is an error", "half", nil, true},
		{"five fields are an error", "0.6,0.7,5,20,1", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := GreyTest(tc.spec)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Errorf("GreyTest(%q) = %+v, want %+v", tc.spec, got, tc.want)
			}
		})
	}
}

func TestVerifyTestSpec(t *testing.T) {
	// Fields left out keep the default rule's.
	near := hashing.DefaultRule().Verify.NearMinInliers
	for _, tc := range []struct {
		name                               string
		spec                               string
		wantNil, wantErr                   bool
		inliers, abovePDQ, minPoints, near int
	}{
		{"none switches the verifier off", "none", true, false, 0, 0, 0, 0},
		{"inliers alone keep PDQ 31, check every picture and keep the default's near matches", "4", false, false, 4, 31, 0, near},
		{"three fields keep the default's near matches", "6,40,12", false, false, 6, 40, 12, near},
		{"near matches can be left unchecked", "6,40,12,0", false, false, 6, 40, 12, 0},
		{"four fields can be given", "6,40,12,2", false, false, 6, 40, 12, 2},
		{"every field can be given", "6,40,12,2,9", false, false, 6, 40, 12, 2},
		{"a negative count is an error", "-1", false, true, 0, 0, 0, 0},
		{"a word is an error", "many", false, true, 0, 0, 0, 0},
		{"six fields can be given", "6,40,12,2,9,3", false, false, 6, 40, 12, 2},
		{"seven fields are an error", "1,2,3,4,5,6,7", false, true, 0, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := VerifyTest(tc.spec)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if (v == nil) != tc.wantNil {
				t.Fatalf("verifier %+v, want nil %v", v, tc.wantNil)
			}
			if v == nil {
				return
			}
			if v.MinInliers != tc.inliers || v.AbovePDQ != tc.abovePDQ || v.MinPoints != tc.minPoints || v.NearMinInliers != tc.near {
				t.Errorf("got %d,%d,%d,%d, want %d,%d,%d,%d", v.MinInliers, v.AbovePDQ, v.MinPoints, v.NearMinInliers, tc.inliers, tc.abovePDQ, tc.minPoints, tc.near)
			}
			if v.Config.LongSide == 0 {
				t.Error("verifier has no corner finder configuration")
			}
		})
	}
	if v, err := VerifyTest("6,40,12,2,9"); err != nil || v.NearMinDistinct != 9 {
		t.Errorf("the fifth field: %+v, %v; want NearMinDistinct 9", v, err)
	}
	if v, err := VerifyTest("6,40,12,2,9,3"); err != nil || v.CropMinDistinct != 3 {
		t.Errorf("the sixth field: %+v, %v; want CropMinDistinct 3", v, err)
	}
}
