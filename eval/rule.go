package eval

import (
	"fmt"
	"os"

	"github.com/hashwatch/hashwatch/hashing"
)

// Rule is the default rule with its clauses (when given), the ratio
// test's factor (when above zero) and background (a file, or "none")
// replaced, for designing the rule: eval measures what a change would do
// before it becomes the default.
func Rule(clauses string, ratio float64, background string) (hashing.Rule, error) {
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
	return rule, nil
}
