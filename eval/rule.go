package eval

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/features"
)

// Rule is the default rule with its clauses (when given), the ratio
// test's factor (when above zero), background (a file, or "none") and
// colour test (see ColourTest) replaced, for designing the rule: eval
// measures what a change would do before it becomes the default.
func Rule(clauses string, ratio float64, background, colour, grey string) (hashing.Rule, error) {
	rule := hashing.DefaultRule()
	if clauses != "" {
		r, err := hashing.ParseRule(clauses, rule.MinQuality)
		if err != nil {
			return rule, fmt.Errorf("eval: %w", err)
		}
		rule.Clauses = r.Clauses
	}
	if ratio > 0 {
		rule.Ratio = ratio
	}
	switch background {
	case "":
	case "none":
		rule.Background = nil
	default:
		data, err := os.ReadFile(background)
		if err != nil {
			return rule, fmt.Errorf("eval: %w", err)
		}
		if rule.Background, err = hashing.ReadBackground(data); err != nil {
			return rule, fmt.Errorf("eval: %s: %w", background, err)
		}
	}
	if colour != "" {
		t, err := ColourTest(colour)
		if err != nil {
			return rule, err
		}
		rule.Colour = t
	}
	if grey != "" {
		t, err := GreyTest(grey)
		if err != nil {
			return rule, err
		}
		rule.Grey = t
	}
	return rule, nil
}

// GreyTest parses a grey test given as "none" (no test, nil) or
// "MAXRATIO[,MAXDISTANCE[,MINCHROMA[,ABOVEPDQ]]]" (hashing.GreyTest's
// fields; those left out keep the default rule's).
func GreyTest(spec string) (*hashing.GreyTest, error) {
	if spec == "none" {
		return nil, nil
	}
	t := hashing.GreyTest{}
	if d := hashing.DefaultRule().Grey; d != nil {
		t = *d
	}
	parts := strings.Split(spec, ",")
	if len(parts) > 4 {
		return nil, fmt.Errorf("eval: grey test %q: want none or MAXRATIO[,MAXDISTANCE[,MINCHROMA[,ABOVEPDQ]]]", spec)
	}
	floats := []*float64{&t.MaxRatio, &t.MaxDistance}
	ints := []*int{&t.MinChroma, &t.AbovePDQ}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		var err error
		if i < len(floats) {
			*floats[i], err = strconv.ParseFloat(p, 64)
		} else {
			*ints[i-len(floats)], err = strconv.Atoi(p)
		}
		if err != nil {
			return nil, fmt.Errorf("eval: grey test %q: %q is not a number", spec, p)
		}
	}
	return &t, nil
}

// ColourTest parses a colour test given as "none" (no test, nil) or
// "MAXDISTANCE[,MINCHROMA[,ABOVEPDQ]]" (hashing.ColourTest's fields; those
// left out keep the default rule's).
func ColourTest(spec string) (*hashing.ColourTest, error) {
	if spec == "none" {
		return nil, nil
	}
	t := hashing.ColourTest{}
	if d := hashing.DefaultRule().Colour; d != nil {
		t = *d
	}
	parts := strings.Split(spec, ",")
	if len(parts) > 3 {
		return nil, fmt.Errorf("eval: colour test %q: want none or MAXDISTANCE[,MINCHROMA[,ABOVEPDQ]]", spec)
	}
	var err error
	if t.MaxDistance, err = strconv.ParseFloat(strings.TrimSpace(parts[0]), 64); err != nil || t.MaxDistance < 0 {
		return nil, fmt.Errorf("eval: colour test %q: distance %q is not a number of at least 0", spec, parts[0])
	}
	ints := []*int{&t.MinChroma, &t.AbovePDQ}
	for i, p := range parts[1:] {
		if *ints[i], err = strconv.Atoi(strings.TrimSpace(p)); err != nil {
			return nil, fmt.Errorf("eval: colour test %q: %q is not a whole number", spec, p)
		}
	}
	return &t, nil
}

// StrictRatio parses the rule's stricter ratio test for pairs beyond a PDQ
// distance, given as "none" (no such test, nil) or "RATIO[,ABOVEPDQ]"
// (hashing.StrictRatio's fields; ABOVEPDQ left out keeps the default
// rule's).
func StrictRatio(spec string) (*hashing.StrictRatio, error) {
	if spec == "none" {
		return nil, nil
	}
	s := hashing.StrictRatio{}
	if d := hashing.DefaultRule().Strict; d != nil {
		s = *d
	}
	parts := strings.Split(spec, ",")
	if len(parts) > 2 {
		return nil, fmt.Errorf("eval: strict ratio %q: want none or RATIO[,ABOVEPDQ]", spec)
	}
	var err error
	if s.Ratio, err = strconv.ParseFloat(strings.TrimSpace(parts[0]), 64); err != nil || s.Ratio <= 0 {
		return nil, fmt.Errorf("eval: strict ratio %q: ratio %q is not a number above 0", spec, parts[0])
	}
	if len(parts) == 2 {
		if s.AbovePDQ, err = strconv.Atoi(strings.TrimSpace(parts[1])); err != nil {
			return nil, fmt.Errorf("eval: strict ratio %q: %q is not a whole number", spec, parts[1])
		}
	}
	return &s, nil
}

// VerifyTest parses the rule's geometric verifier given as "none" (no
// verifier, nil) or
// "MININLIERS[,ABOVEPDQ[,MINPOINTS[,NEARMININLIERS[,NEARMINDISTINCT[,CROPMINDISTINCT]]]]]"
// (hashing.VerifyTest's fields; those left out keep the default rule's,
// or AbovePDQ 31 and MinPoints 0 when it has none), with the corner
// finder's default configuration.
func VerifyTest(spec string) (*hashing.VerifyTest, error) {
	if spec == "none" {
		return nil, nil
	}
	t := hashing.VerifyTest{AbovePDQ: 31, Config: features.DefaultConfig()}
	if d := hashing.DefaultRule().Verify; d != nil {
		t = *d
	}
	parts := strings.Split(spec, ",")
	ints := []*int{&t.MinInliers, &t.AbovePDQ, &t.MinPoints, &t.NearMinInliers, &t.NearMinDistinct, &t.CropMinDistinct}
	if len(parts) > len(ints) {
		return nil, fmt.Errorf("eval: verifier %q: want none or MININLIERS[,ABOVEPDQ[,MINPOINTS[,NEARMININLIERS[,NEARMINDISTINCT[,CROPMINDISTINCT]]]]]", spec)
	}
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 0 {
			return nil, fmt.Errorf("eval: verifier %q: %q is not a whole number of at least 0", spec, p)
		}
		*ints[i] = v
	}
	return &t, nil
}
