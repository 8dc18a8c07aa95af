package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/store"
)

func TestSafeEscapesWhatATerminalWouldObey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"reported by victim", "reported by victim"},
		{"Café – 東京", "Café – 東京"},
		{"\x1b]0;pwned\x07\x1b[2J", `\x1b]0;pwned\x07\x1b[2J`},
		{"a\tb\nc\rd", `a\x09b\x0ac\x0dd`},
		{"del\x7f c1\u009b", `del\x7f c1\u009b`},
		{"bidi \u202eevil", `bidi \u202eevil`},
		{"bad \xff byte", `bad \xff byte`},
	}
	for _, tt := range tests {
		if got := safe(tt.in); got != tt.want {
			t.Errorf("safe(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestTablesPrintNoControlCharacters registers a file under a label and
// file name full of terminal escapes and lists them: no table may pass an
// escape sequence to the terminal.
func TestTablesPrintNoControlCharacters(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	hostile := "x\x1b]0;pwned\x07\x1b[2J\x1b[1A\u009b31m"
	name := filepath.Join(dir, "photo\x1b[2J.jpg")
	if err := os.WriteFile(name, fixtures.Known()[0].Data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := cli(t, db, "register", "--case", "case-1", "--label", hostile, name)
	if code != 0 {
		t.Fatalf("register: exit %d: %s", code, errOut)
	}
	list, _, _ := cli(t, db, "case", "list")
	for what, s := range map[string]string{"register": out, "case list": list} {
		if strings.ContainsAny(s, "\x1b\x07\u009b") {
			t.Errorf("%s printed control characters: %q", what, s)
		}
	}
	if !strings.Contains(list, `x\x1b]0;pwned`) {
		t.Errorf("case list does not show the label escaped: %q", list)
	}
}

func TestVerifyOfADamagedFileShowsNoCounts(t *testing.T) {
	var b strings.Builder
	printVerify(&b, store.Report{Path: "hw.db", Bytes: 65536, Damaged: true,
		Problems: []store.Problem{{Where: "file", What: "page 7: unreachable unfreed"}}})
	out := b.String()
	if !strings.Contains(out, "DAMAGED") || strings.Contains(out, "schema 0") || strings.Contains(out, "0 case(s)") {
		t.Errorf("verify of a damaged file printed %q; want DAMAGED and no counts that read as an empty database", out)
	}
}
