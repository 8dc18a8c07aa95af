package eval

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"strings"
)

// A pool's false alerts between families are counted by a test of
// thumbnails alone (DuplicateCorrelation), which sets aside a picture
// slipped in twice but not one design drawn twice: a flag in two clip-art
// sets, an app's logo in two icon themes, one texture darkened for
// another game. To a viewer those are the same picture, and the matcher
// that finds them is doing what it should; the pairs that say something
// about the rule are those between different pictures. No measure of
// pixels draws that line, so a person does, once per pair, and the
// verdicts are kept with the code (pooljudged.tsv) where anyone can look
// at the pictures again and disagree.

// Judgement is what a person found looking at one pair of pool images.
type Judgement struct {
	// A and B are the two images' paths as in the pool's MANIFEST.tsv;
	// the order does not matter.
	A, B string
	// SameDesign says the two show one design made twice (recoloured,
	// re-rendered, redrawn from one original) or one is a part cut from
	// the other; false says they are two pictures, whatever parts they
	// share.
	SameDesign bool
	// Note says what was seen.
	Note string
}

// pooljudged.tsv is the judgements made on the pool scripts/build-pool.sh
// builds: every pair between families the default rule has matched on
// the tune and holdout splits.
//
//go:embed pooljudged.tsv
var defaultJudged string

// DefaultJudgements returns the judgements kept with hashwatch
// (eval/pooljudged.tsv).
func DefaultJudgements() []Judgement {
	js, err := ReadJudgements(strings.NewReader(defaultJudged))
	if err != nil {
		panic("eval: pooljudged.tsv: " + err.Error()) // a test reads it
	}
	return js
}

// maxJudgementLine bounds one line of a judgement file.
const maxJudgementLine = 16 << 10

// ReadJudgements reads judgements, one per line: the two paths, the
// verdict (same-design or different) and a note, tab-separated. Blank
// lines and lines starting with # are skipped.
func ReadJudgements(r io.Reader) ([]Judgement, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxJudgementLine)
	var out []Judgement
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("judgements line %d: want 4 tab-separated fields (path, path, verdict, note), got %d", line, len(f))
		}
		j := Judgement{A: f[0], B: f[1], Note: f[3]}
		switch f[2] {
		case "same-design":
			j.SameDesign = true
		case "different":
		default:
			return nil, fmt.Errorf("judgements line %d: verdict %q: want same-design or different", line, f[2])
		}
		if j.A == "" || j.B == "" || j.A == j.B {
			return nil, fmt.Errorf("judgements line %d: want two different paths", line)
		}
		out = append(out, j)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("judgements: %w", err)
	}
	return out, nil
}

// judged finds a pair's judgement in either order.
type judged map[[2]string]Judgement

func newJudged(js []Judgement) judged {
	m := judged{}
	for _, j := range js {
		m[[2]string{j.A, j.B}] = j
		m[[2]string{j.B, j.A}] = j
	}
	return m
}

// of returns the judgement of images a and b, if any.
func (m judged) of(a, b string) (Judgement, bool) {
	j, ok := m[[2]string{a, b}]
	return j, ok
}
