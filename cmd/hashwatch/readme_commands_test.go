package main

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestTheREADMECommandListNamesEveryCommandAndFlag keeps the README's
// "Command line" list and the commands' --help one contract: every
// command the binary has is listed, with every flag it takes, and every
// command listed exists. (--help is built from the commands themselves;
// the list is written by hand, so this is what keeps them together.)
func TestTheREADMECommandListNamesEveryCommandAndFlag(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "## Command line\n\n```\n")
	if !ok {
		t.Fatal("README has no Command line block")
	}
	block, _, _ = strings.Cut(block, "```")

	a := &app{getenv: func(string) string { return "" }}
	root := a.rootCommand()
	commands := map[string]*cobra.Command{}
	var visit func(*cobra.Command)
	visit = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		if c.Runnable() && c != root {
			commands[strings.TrimPrefix(c.CommandPath(), root.Name()+" ")] = c
		}
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	visit(root)
	paths := make([]string, 0, len(commands))
	for p := range commands {
		paths = append(paths, p)
	}
	// Longest first, so "user token" is found before "user".
	slices.SortFunc(paths, func(x, y string) int { return len(y) - len(x) })

	// The text each command's entries have in the list: a line indented
	// by two starts entries, separated by " | "; deeper lines continue
	// the last one.
	text := map[string]string{}
	var last string
	lines := strings.Split(block, "\n")
	for _, line := range lines[1:] { // the first is the root's
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "   ") {
			if last != "" {
				text[last] += " " + line
			}
			continue
		}
		for _, seg := range strings.Split(strings.TrimSpace(line), " | ") {
			found := false
			for _, p := range paths {
				if seg == p || strings.HasPrefix(seg, p+" ") {
					text[p] += " " + seg
					last, found = p, true
					break
				}
			}
			switch {
			case found:
			case seg[0] >= 'a' && seg[0] <= 'z':
				t.Errorf("README lists %q, which is no command", seg)
			case last != "":
				text[last] += " | " + seg // an alternative inside brackets
			}
		}
	}
	for _, p := range paths {
		s, listed := text[p]
		if !listed {
			t.Errorf("%s: not in README's Command line list", p)
			continue
		}
		commands[p].LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden || f.Name == "help" {
				return
			}
			if !strings.Contains(s, "--"+f.Name) {
				t.Errorf("%s --%s: not in README's Command line list (%s)", p, f.Name, f.Usage)
			}
		})
	}
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && !strings.Contains(lines[0], "--"+f.Name) && (f.Shorthand == "" || !strings.Contains(lines[0], "-"+f.Shorthand)) {
			t.Errorf("hashwatch --%s: not on README's first line", f.Name)
		}
	})
}
