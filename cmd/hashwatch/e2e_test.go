package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
)

// binary is the hashwatch binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hashwatch-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "hashwatch")
	if runtime.GOOS == "windows" {
		binary += ".exe"
	}
	// The test tools (`debug write-loop`) are only in a binary built with
	// the hashwatch_debug tag; the tags GOFLAGS sets are kept.
	out, err := exec.Command("go", "build", "-tags", buildTags("hashwatch_debug"), "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build hashwatch: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildTags is tag added to the build tags GOFLAGS sets (a -tags flag on
// the command line replaces them).
func buildTags(tag string) string {
	tags := []string{tag}
	for _, f := range strings.Fields(os.Getenv("GOFLAGS")) {
		if v, ok := strings.CutPrefix(f, "-tags="); ok {
			tags = append(tags, strings.Split(v, ",")...)
		}
	}
	return strings.Join(tags, ",")
}

// cli runs the real binary against db and returns stdout, stderr and the
// exit status.
func cli(t *testing.T, db string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--db", db}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

// parseLines decodes one JSON object per line into maps, keeping the keys.
func parseLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func sorted(s ...string) []string { sort.Strings(s); return s }

// TestEndToEnd registers the known photos, crawls the fixture website on
// loopback through the real binary and a real bbolt file, and checks that
// the alerts are exactly the site's planted re-uploads.
func TestEndToEnd(t *testing.T) {
	site, err := fixtures.NewSite(fixtures.SiteConfig{Hostile: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(site)
	defer srv.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	known := filepath.Join("..", "..", "fixtures", "photos", "known")

	out, errOut, code := cli(t, db, "register", "--case", "demo", "--label", "demo case", "--json", known)
	if code != 0 {
		t.Fatalf("register exit %d: %s", code, errOut)
	}
	if n := len(parseLines(t, out)); n != len(fixtures.Known()) {
		t.Fatalf("registered %d files, want %d", n, len(fixtures.Known()))
	}

	sites := filepath.Join(dir, "sites.yaml")
	yaml := fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q]\n    allowed_domains: [127.0.0.1]\n    max_depth: 5\n    delay: 0s\n    parallelism: 4\n    allow_private: true\n    request_timeout: 3s\n", srv.URL+"/")
	if err := os.WriteFile(sites, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	crawl := func() {
		t.Helper()
		out, errOut, code := cli(t, db, "crawl", "--sites", sites, "--once", "--json")
		if code != 0 {
			t.Fatalf("crawl exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
		}
	}
	crawl()

	want := map[[2]string]string{}
	for _, r := range site.Truth() {
		want[[2]string{r.Page, r.Media}] = r.Original
	}
	got := map[[2]string]bool{}
	out, _, _ = cli(t, db, "alerts", "list", "--json")
	alerts := parseLines(t, out)
	wantKeys := sorted("id", "status", "centre", "case", "site", "page_url", "media_url", "media_sha256", "algorithm", "distance", "created_at")
	for _, a := range alerts {
		if k := keys(a); !reflect.DeepEqual(k, wantKeys) {
			t.Fatalf("alerts list --json keys = %v, want %v", k, wantKeys)
		}
		out, _, code := cli(t, db, "alerts", "show", "--json", fmt.Sprint(a["id"]))
		if code != 0 {
			t.Fatalf("alerts show %v: exit %d", a["id"], code)
		}
		var full struct {
			Sightings []struct {
				PageURL  string `json:"page_url"`
				MediaURL string `json:"media_url"`
			} `json:"sightings"`
		}
		if err := json.Unmarshal([]byte(out), &full); err != nil {
			t.Fatal(err)
		}
		for _, s := range full.Sightings {
			got[[2]string{path(t, s.PageURL), path(t, s.MediaURL)}] = true
		}
	}
	for k, orig := range want {
		if !got[k] {
			t.Errorf("missed re-upload of %s: page %s media %s", orig, k[0], k[1])
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("false alert: page %s media %s", k[0], k[1])
		}
	}

	t.Run("a second pass adds no alerts", func(t *testing.T) {
		crawl()
		out, _, _ := cli(t, db, "alerts", "list", "--json")
		if n := len(parseLines(t, out)); n != len(alerts) {
			t.Fatalf("%d alerts after the second pass, want %d", n, len(alerts))
		}
	})
	t.Run("sites shows the passes", func(t *testing.T) {
		out, _, _ := cli(t, db, "sites", "--json")
		st := parseLines(t, out)
		if len(st) != 1 {
			t.Fatalf("sites --json = %v", st)
		}
		// sites --json gives each site's stored pass under "status", as
		// GET /api/sites does.
		status, _ := st[0]["status"].(map[string]any)
		if passes, _ := status["passes"].(float64); passes != 2 {
			t.Fatalf("sites --json = %v", st)
		}
		if pages, _ := status["pages"].(float64); pages < 3 {
			t.Fatalf("sites --json = %v", st)
		}
	})
	t.Run("match --json has exactly the documented fields", func(t *testing.T) {
		k := fixtures.Known()[0]
		o := fixtures.Others()[0]
		knownPath := filepath.Join(known, k.Name)
		otherPath := filepath.Join("..", "..", "fixtures", "photos", "other", o.Name)
		out, errOut, code := cli(t, db, "match", "--json", knownPath, otherPath)
		if code != 0 {
			t.Fatalf("match exit %d: %s", code, errOut)
		}
		lines := parseLines(t, out)
		if len(lines) != 2 {
			t.Fatalf("match printed %d lines", len(lines))
		}
		for _, l := range lines {
			if k := keys(l); !reflect.DeepEqual(k, sorted("path", "kind", "matches", "error")) {
				t.Fatalf("match --json keys = %v", k)
			}
			if l["matches"] == nil || l["error"] != nil || l["kind"] != "image" {
				t.Fatalf("match line = %v", l)
			}
		}
		hits := lines[0]["matches"].([]any)
		if len(hits) != 1 {
			t.Fatalf("a registered photo matched %d fingerprints", len(hits))
		}
		if k := keys(hits[0].(map[string]any)); !reflect.DeepEqual(k, sorted("case", "fingerprint", "algorithm", "distance")) {
			t.Fatalf("match hit keys = %v", k)
		}
		if n := len(lines[1]["matches"].([]any)); n != 0 {
			t.Fatalf("an unrelated photo matched %d fingerprints", n)
		}
	})
}

func path(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	good := filepath.Join("..", "..", "fixtures", "photos", "known", fixtures.Known()[0].Name)
	garbage := filepath.Join(dir, "garbage.jpg")
	if err := os.WriteFile(garbage, []byte("<html>not an image</html>"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The commands below read a database, which must exist (a missing one
	// is its own error, TestAReadCommandOnAMissingDatabaseIsAnError).
	if out, errOut, code := cli(t, db, "register", "--case", "other", filepath.Join("..", "..", "fixtures", "photos", "known", fixtures.Known()[1].Name)); code != 0 {
		t.Fatalf("register: %d %s %s", code, out, errOut)
	}
	badYAML := filepath.Join(dir, "sites.yaml")
	if err := os.WriteFile(badYAML, []byte("sites:\n  - name: a\n    seeds: [http://example.com/]\n    dealy: 1s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"an unknown flag is a usage error", []string{"match", "--frobnicate", good}, 2, "", "unknown flag"},
		{"a missing argument is a usage error", []string{"match"}, 2, "", "requires at least 1 arg"},
		{"an unknown command is a usage error", []string{"frobnicate"}, 2, "", "unknown command"},
		{"register without --case is a usage error", []string{"register", good}, 2, "", "--case is required"},
		{"a bad ID is a usage error", []string{"alerts", "show", "abc"}, 2, "", "not an ID"},
		{"one bad input fails the run but the good one is still matched", []string{"match", good, garbage}, 1, good + ": no match", "unsupported media format"},
		{"a missing file is reported and fails the run", []string{"hash", filepath.Join(dir, "nope.jpg")}, 1, "", "no such file"},
		{"a sites.yaml with an unknown key names file and line", []string{"crawl", "--sites", badYAML, "--once"}, 1, "", `sites.yaml:4: unknown key "dealy" (did you mean "delay"?)`},
		{"a clean run exits 0", []string{"hash", good}, 0, "phash", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := cli(t, db, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			if !strings.Contains(out, tt.wantStdout) {
				t.Errorf("stdout %q lacks %q", out, tt.wantStdout)
			}
			if !strings.Contains(errOut, tt.wantStderr) {
				t.Errorf("stderr %q lacks %q", errOut, tt.wantStderr)
			}
		})
	}
}
