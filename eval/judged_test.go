package eval

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
)

func TestReadJudgements(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Judgement
		err      string
	}{
		{name: "comments and blank lines", in: "# header\n\na/1.png\tb/2.png\tsame-design\tone flag\nc/3.png\td/4.png\tdifferent\ttwo ensigns\n",
			want: []Judgement{{A: "a/1.png", B: "b/2.png", SameDesign: true, Note: "one flag"}, {A: "c/3.png", B: "d/4.png", Note: "two ensigns"}}},
		{name: "an unknown verdict", in: "a/1.png\tb/2.png\tsimilar\tx\n", err: "line 1: verdict"},
		{name: "too few fields", in: "# x\na/1.png\tb/2.png\tdifferent\n", err: "line 2: want 4"},
		{name: "one path twice", in: "a/1.png\ta/1.png\tdifferent\tx\n", err: "two different paths"},
		{name: "an empty path", in: "\tb/2.png\tdifferent\tx\n", err: "two different paths"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadJudgements(strings.NewReader(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("judgement %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestTheKeptJudgementsNamePoolPairsOnce(t *testing.T) {
	js := DefaultJudgements()
	if len(js) == 0 {
		t.Fatal("no judgements kept")
	}
	seen := map[[2]string]bool{}
	for _, j := range js {
		fa, _, okA := strings.Cut(j.A, "/")
		fb, _, okB := strings.Cut(j.B, "/")
		if !okA || !okB || fa == fb {
			t.Errorf("%s ~ %s: want two paths of different families (family/file)", j.A, j.B)
		}
		if j.Note == "" {
			t.Errorf("%s ~ %s: no note of what was seen", j.A, j.B)
		}
		k := [2]string{min(j.A, j.B), max(j.A, j.B)}
		if seen[k] {
			t.Errorf("%s ~ %s judged twice", j.A, j.B)
		}
		seen[k] = true
	}
}

// TestRunPoolCountsJudgedPairsApart runs a pool whose one false alert
// between families (a photo, and a picture holding it in its middle) is
// judged one design, judged different, or not judged: only the first
// leaves the rate between different pictures.
func TestRunPoolCountsJudgedPairsApart(t *testing.T) {
	known, others := fixtures.Known(), fixtures.Others()
	framed, inner := framedPair(t)
	pool := writePool(t, []poolFile{
		{"known", known[0].Name, known[0].Data},
		{"known", known[1].Name, known[1].Data},
		{"frames", "framed.jpg", encodeJPEG(t, framed)},
		// queried:
		{"other", others[1].Name, others[1].Data},
		{"insets", "inner.jpg", encodeJPEG(t, inner)},
	})
	cache := t.TempDir()
	pair := func(verdict bool) []Judgement {
		return []Judgement{{A: "frames/framed.jpg", B: "insets/inner.jpg", SameDesign: verdict, Note: "seen"},
			{A: "known/x.jpg", B: "other/y.jpg", SameDesign: true, Note: "a pair that did not match"}}
	}
	tests := []struct {
		name                   string
		judged                 []Judgement
		same, different, unjud int
		prefix                 string
	}{
		{"not judged", nil, 0, 0, 1, ""},
		{"judged one design", pair(true), 1, 0, 0, "same design: seen"},
		{"judged different", pair(false), 0, 1, 0, "different: seen"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := RunPool(context.Background(), PoolConfig{Pool: pool, Register: 3, Workers: 2, Cache: cache, Judgements: tc.judged})
			if err != nil {
				t.Fatal(err)
			}
			if res.FalseAlerts != 1 || res.SameFamily != 0 || len(res.Alerts) != 1 {
				t.Fatalf("false alerts %d (%d within a family) %+v, want the inset alone, between families", res.FalseAlerts, res.SameFamily, res.Alerts)
			}
			if res.JudgedSameDesign != tc.same || res.JudgedDifferent != tc.different || res.Unjudged != tc.unjud {
				t.Errorf("judged same %d, different %d, unjudged %d; want %d, %d, %d",
					res.JudgedSameDesign, res.JudgedDifferent, res.Unjudged, tc.same, tc.different, tc.unjud)
			}
			if res.Alerts[0].Judged != tc.prefix {
				t.Errorf("alert judged %q, want %q", res.Alerts[0].Judged, tc.prefix)
			}
			wantRate, wantUpper := res.CrossRate, res.CrossUpper
			if tc.same == 1 {
				wantRate, wantUpper = 0, PoissonUpper95(0)/float64(res.CrossComparisons)
			}
			if res.CrossRate != 1.0/float64(res.CrossComparisons) || math.Abs(res.DifferentRate-wantRate) > 1e-12 ||
				math.Abs(res.DifferentUpper-wantUpper) > 1e-12 {
				t.Errorf("cross rate %g, different pictures %g (upper %g); want %g and %g (%g)", res.CrossRate,
					res.DifferentRate, res.DifferentUpper, 1.0/float64(res.CrossComparisons), wantRate, wantUpper)
			}
		})
	}
}
