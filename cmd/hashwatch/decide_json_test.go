//go:build linux

package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// runHere runs one command line in this process against db, as user, and
// returns stdout, stderr and the exit status. Its standard files are
// buffers, so the command never hands itself to a process holding db.
func runHere(t *testing.T, db, user string, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := map[string]string{"USER": user, "TZ": "UTC"}
	code := run(context.Background(), invocation{
		args:   append([]string{"--db", db}, args...),
		stdin:  strings.NewReader(""),
		stdout: &stdout, stderr: &stderr,
		getenv: func(k string) string { return env[k] },
	})
	return stdout.String(), stderr.String(), code
}

// TestDecisionsPrintTheAlertAsShowDoes checks that `alerts confirm`,
// `alerts dismiss` and `alerts undo` with --json print each alert they
// changed exactly as `alerts show ID --json` prints it right afterwards
// (one builder, console.NewAlertJSON), in the order named, and nothing
// when refused.
func TestDecisionsPrintTheAlertAsShowDoes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hw.db")
	undoDB(t, db, "cli:decider") // alerts 4 and 5 new; 1 decided by decider 20 minutes ago
	tests := []struct {
		name     string
		args     []string
		code     int
		ids      []uint64 // the alerts printed as JSON, in order
		statuses []string
		text     string // the whole stdout, when not JSON
	}{
		{"confirm --json prints the confirmed alert", []string{"alerts", "confirm", "4", "--json"}, 0, []uint64{4}, []string{"confirmed"}, ""},
		{"dismiss --json prints the dismissed alert with its reason", []string{"alerts", "dismiss", "5", "--reason", "site logo", "--json"}, 0, []uint64{5}, []string{"dismissed"}, ""},
		{"undo --json prints each restored alert in the order named", []string{"alerts", "undo", "5", "4", "--json"}, 0, []uint64{5, 4}, []string{"new", "new"}, ""},
		{"confirm without --json still says it in a line", []string{"alerts", "confirm", "4"}, 0, nil, nil, "alert 4 is now confirmed\n"},
		{"undo without --json still says it in a line", []string{"alerts", "undo", "4"}, 0, nil, nil, "alert 4 is now new\n"},
		{"a refused undo prints no JSON", []string{"alerts", "undo", "1", "--json"}, 1, nil, nil, ""},
		{"a refused decision prints no JSON", []string{"alerts", "confirm", "2", "--json"}, 1, nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runHere(t, db, "decider", tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if tt.ids == nil {
				if out != tt.text {
					t.Fatalf("stdout %q, want %q", out, tt.text)
				}
				return
			}
			lines := strings.SplitAfter(out, "\n")
			lines = lines[:len(lines)-1] // after the last newline
			if len(lines) != len(tt.ids) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tt.ids), out)
			}
			for i, id := range tt.ids {
				got := parseLines(t, lines[i])[0]
				if got["id"] != float64(id) || got["status"] != tt.statuses[i] {
					t.Errorf("line %d: id %v status %v, want %d %s", i, got["id"], got["status"], id, tt.statuses[i])
				}
				show, errOut, code := runHere(t, db, "decider", "alerts", "show", strconv.FormatUint(id, 10), "--json")
				if code != 0 {
					t.Fatalf("alerts show %d --json: exit %d: %s", id, code, errOut)
				}
				if lines[i] != show {
					t.Errorf("alert %d printed as\n%s\nbut alerts show --json prints\n%s", id, lines[i], show)
				}
			}
		})
	}
}
