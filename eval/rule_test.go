package eval

import (
	"path/filepath"
	"testing"
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
			r, err := Rule(tc.clauses, tc.ratio, tc.background, "")
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
