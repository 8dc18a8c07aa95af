package auditexport

import "testing"

func TestNoFormulaReachesASpreadsheet(t *testing.T) {
	for in, want := range map[string]string{"=HYPERLINK(1)": "'=HYPERLINK(1)", "+1": "'+1", "@x": "'@x", "-": "'-", "alert 3": "alert 3", "": ""} {
		if got := NoFormula(in); got != want {
			t.Errorf("NoFormula(%q) = %q, want %q", in, got, want)
		}
	}
}
