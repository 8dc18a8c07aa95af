package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
)

// TestEvalPoolJSON runs `eval --pool --json` on a pool of the committed
// photos (which never alert on each other) and checks the documented
// figures: every registered image against every queried one, no false
// alert, and the bound of zero events.
func TestEvalPoolJSON(t *testing.T) {
	pool := t.TempDir()
	var m strings.Builder
	m.WriteString("family\tpath\tsha256\twidth\theight\tsplit\n")
	photos := append(fixtures.Known()[:3], fixtures.Others()[:3]...)
	for i, p := range photos {
		fam := []string{"known", "other"}[i/3]
		if err := os.MkdirAll(filepath.Join(pool, fam), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pool, fam, p.Name), p.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&m, "%s\t%s/%s\t%064x\t0\t0\ttune\n", fam, fam, p.Name, i)
	}
	// One held-out image, which a tune run must not see.
	fmt.Fprintf(&m, "other\tother/absent.jpg\t%064x\t0\t0\tholdout\n", 99)
	if err := os.WriteFile(filepath.Join(pool, "MANIFEST.tsv"), []byte(m.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := cli(t, filepath.Join(t.TempDir(), "hw.db"), "eval", "--pool", pool, "--register", "3", "--json", "--workers", "1")
	if code != 0 {
		t.Fatalf("eval --pool exit %d: %s", code, errOut)
	}
	lines := parseLines(t, out)
	if len(lines) != 1 {
		t.Fatalf("want one JSON object, got %d lines", len(lines))
	}
	r := lines[0]
	for key, want := range map[string]float64{"registered": 3, "queried": 3, "comparisons": 9, "false_alerts": 0, "errors": 0, "index_scan_disagreements": 0} {
		if got, ok := r[key].(float64); !ok || got != want {
			t.Errorf("%s = %v, want %v", key, r[key], want)
		}
	}
	if got, ok := r["upper_95"].(float64); !ok || got < 2.99/9 || got > 3.0/9 {
		t.Errorf("upper_95 = %v, want 2.996/9", r["upper_95"])
	}
	if l, ok := r["false_alert_list"].([]any); !ok || len(l) != 0 {
		t.Errorf("false_alert_list = %v, want []", r["false_alert_list"])
	}
	for _, key := range []string{"judged_same_design", "judged_different", "unjudged", "different_pictures_rate"} {
		if got, ok := r[key].(float64); !ok || got != 0 {
			t.Errorf("%s = %v, want 0", key, r[key])
		}
	}
	if cl, ok := r["clauses"].([]any); !ok || len(cl) != 2 {
		t.Errorf("clauses = %v, want one entry per clause of the default rule", r["clauses"])
	}
}

func TestEvalPoolRefusesAnUnknownSplit(t *testing.T) {
	_, errOut, code := cli(t, filepath.Join(t.TempDir(), "hw.db"), "eval", "--pool", t.TempDir(), "--split", "train")
	if code != 2 || !strings.Contains(errOut, "tune, holdout or all") {
		t.Errorf("exit %d, stderr %q; want 2 and the splits there are", code, errOut)
	}
}

func TestEvalPoolRefusesABadJudgementFile(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "judged.tsv")
	if err := os.WriteFile(bad, []byte("a/1.png\tb/2.png\tlooks alike\tx\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, want string }{
		{bad, `verdict "looks alike"`},
		{filepath.Join(t.TempDir(), "absent.tsv"), "no such file"},
	} {
		_, errOut, code := cli(t, filepath.Join(t.TempDir(), "hw.db"), "eval", "--pool", t.TempDir(), "--judged", tc.file)
		if code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("--judged %s: exit %d, stderr %q; want a failure naming %q", tc.file, code, errOut, tc.want)
		}
	}
}
