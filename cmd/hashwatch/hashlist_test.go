package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
)

// TestExportImportRoundTrip exports a registered case's PDQ hashes, imports
// them into another database as a partner would, and checks the imported
// hashes alone match the photos (through the PDQ-only rule clause).
func TestExportImportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src.db"), filepath.Join(dir, "dst.db")
	known := filepath.Join("..", "..", "fixtures", "photos", "known")
	if _, errOut, code := cli(t, src, "register", "--case", "c1", "--label", "victim photos", known); code != 0 {
		t.Fatalf("register: %s", errOut)
	}
	out, errOut, code := cli(t, src, "export", "--case", "c1")
	if code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// The header states format, version, algorithm and count (issue 16).
	if want := "# hashwatch-list format=pdq version=2 algorithm=pdq count=" + itoaInt(len(fixtures.Known())); lines[0] != want {
		t.Errorf("export header %q, want %q", lines[0], want)
	}
	lines = lines[1:]
	if len(lines) != len(fixtures.Known()) {
		t.Fatalf("exported %d lines, want %d:\n%s", len(lines), len(fixtures.Known()), out)
	}
	// A list for partners carries no labels unless asked (issue 13).
	for _, l := range lines {
		if strings.Count(l, ",") != 1 {
			t.Errorf("export without --with-labels: line %q is not hex,quality", l)
		}
	}
	if labelled, _, _ := cli(t, src, "export", "--case", "c1", "--with-labels"); strings.Count(labelled, ",victim photos\n") != len(lines) {
		t.Errorf("export --with-labels:\n%s", labelled)
	}
	// The exported hash is the reference PDQ that `hash` prints.
	first := filepath.Join(known, fixtures.Known()[0].Name)
	hout, _, _ := cli(t, src, "hash", "--json", first)
	if pdq := parseLines(t, hout)[0]["pdq"].(string); !strings.HasPrefix(lines[0], pdq+",") {
		t.Errorf("export line %q does not start with the reference PDQ %s", lines[0], pdq)
	}
	list := filepath.Join(dir, "list.txt")
	if err := os.WriteFile(list, []byte("# from partner\n"+out+"not-a-hash,5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = cli(t, dst, "import", "--case", "p1", list)
	if code != 1 || !strings.Contains(errOut, "list.txt:"+itoaInt(len(lines)+3)) {
		t.Fatalf("import exit %d (want 1 for the bad line), stderr %q", code, errOut)
	}
	if !strings.Contains(out, "imported 8 PDQ hash(es)") {
		t.Fatalf("import said %q", out)
	}
	out, _, _ = cli(t, dst, "match", "--json", known)
	for _, l := range parseLines(t, out) {
		if hits := l["matches"].([]any); len(hits) != 1 {
			t.Errorf("%s matched %d imported hashes, want 1", l["path"], len(hits))
		}
	}
	other := filepath.Join("..", "..", "fixtures", "photos", "other")
	out, _, _ = cli(t, dst, "match", "--json", other)
	for _, l := range parseLines(t, out) {
		if hits := l["matches"].([]any); len(hits) != 0 {
			t.Errorf("unrelated %s matched %d imported hashes", l["path"], len(hits))
		}
	}
}

func itoaInt(n int) string { return itoa(float64(n)) }
