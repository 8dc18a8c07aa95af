package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"testing"
)

// TestHashJSONMatchesPDQReference runs `hash --json` on every reference
// vector and checks pdq, pdq_quality and pdq_dihedral against the values of
// Meta's reference implementation, and that the line has exactly the
// documented fields.
func TestHashJSONMatchesPDQReference(t *testing.T) {
	dir := filepath.Join("..", "..", "hashing", "pdq", "testdata")
	f, err := os.Open(filepath.Join(dir, "expected.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	want := map[string][]string{}
	for _, r := range rows[1:] {
		p := filepath.Join(dir, r[0])
		paths = append(paths, p)
		want[p] = r[1:]
	}
	out, errOut, code := cli(t, filepath.Join(t.TempDir(), "hw.db"), append([]string{"hash", "--json"}, paths...)...)
	if code != 0 {
		t.Fatalf("hash exit %d: %s", code, errOut)
	}
	lines := parseLines(t, out)
	if len(lines) != len(paths) {
		t.Fatalf("%d lines for %d files", len(lines), len(paths))
	}
	wantKeys := []string{"dhash", "error", "height", "kind", "path", "pdq", "pdq_dihedral", "pdq_quality", "phash", "width"}
	sort.Strings(wantKeys)
	for _, l := range lines {
		if k := keys(l); !reflect.DeepEqual(k, wantKeys) {
			t.Fatalf("hash --json keys = %v, want %v", k, wantKeys)
		}
		p := l["path"].(string)
		w := want[p]
		var dihedral []string
		for _, d := range l["pdq_dihedral"].([]any) {
			dihedral = append(dihedral, d.(string))
		}
		got := append([]string{itoa(l["pdq_quality"]), l["pdq"].(string)}, dihedral[1:]...)
		if !reflect.DeepEqual(got, w) || dihedral[0] != w[1] {
			t.Errorf("%s:\n got %v\nwant %v", filepath.Base(p), got, w)
		}
	}
}

func itoa(v any) string {
	return strconv.Itoa(int(v.(float64)))
}
