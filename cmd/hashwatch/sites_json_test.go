package main

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
)

// TestSitesAreOneShapeInTheAPIThePageAndTheCLI seeds a database with a
// crawl that hit errors and a site bound, then reads the sites three
// ways on the real binary: GET /api/sites, the console's Sites page and
// `sites --json` (run inside serve). The API's body and the CLI's lines
// must be the same objects, and the page must show every error, kind and
// limit the API names, in the same words.
func TestSitesAreOneShapeInTheAPIThePageAndTheCLI(t *testing.T) {
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(fs)
	defer site.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	sites := filepath.Join(dir, "sites.yaml")
	// A seed that answers 404 (an http_status error) and a link bound
	// every page crosses.
	yaml := fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q, %q]\n    allow_private: true\n    delay: 0s\n    interval: 1h\n    max_links_per_page: 2\n    contact: abuse@fixture.example\n",
		site.URL+"/", site.URL+"/no-such-page.html")
	if err := os.WriteFile(sites, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := cli(t, db, "register", "--case", "demo", filepath.Join("..", "..", "fixtures", "photos", "known")); code != 0 {
		t.Fatalf("register: %s", errOut)
	}
	if _, errOut, code := cli(t, db, "crawl", "--sites", sites, "--once"); code != 0 && code != 1 {
		t.Fatalf("crawl: exit %d: %s", code, errOut)
	}
	if _, errOut, code := cliIn(t, db, "correct horse\n", "user", "add", "ana", "--role", "analyst"); code != 0 {
		t.Fatal(errOut)
	}
	token, _, _ := cli(t, db, "user", "token", "ana")
	token = strings.TrimSpace(token)

	srv := startServe(t, db, sites, "--no-crawl")
	defer srv.stop(t)

	req, _ := http.NewRequest("GET", srv.base+"/api/sites", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept-Language", "ko")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var api []map[string]any
	err = json.NewDecoder(resp.Body).Decode(&api)
	resp.Body.Close()
	if resp.StatusCode != 200 || err != nil || len(api) != 1 {
		t.Fatalf("/api/sites: %d %v %v", resp.StatusCode, err, api)
	}
	row := api[0]
	for _, k := range []string{"configured", "interval_seconds", "next_pass", "last_pass_seconds", "error_kinds", "latest_errors", "limits_hit", "status"} {
		if _, ok := row[k]; !ok {
			t.Errorf("/api/sites lacks %q: %v", k, row)
		}
	}
	if row["interval_seconds"] != float64(3600) || row["configured"] != true {
		t.Errorf("interval_seconds %v, configured %v; want 3600 and true", row["interval_seconds"], row["configured"])
	}
	latest, _ := row["latest_errors"].([]any)
	var sawHTTP bool
	for _, e := range latest {
		e := e.(map[string]any)
		if e["code"] == "" || e["message"] == "" || e["raw"] == "" {
			t.Errorf("latest error without code, message or raw: %v", e)
		}
		sawHTTP = sawHTTP || e["code"] == "http_status" && strings.Contains(e["raw"].(string), "no-such-page.html")
	}
	if !sawHTTP {
		t.Errorf("latest_errors %v: want the 404 seed as an http_status error", latest)
	}
	limits, _ := row["limits_hit"].([]any)
	if len(limits) == 0 || limits[0].(map[string]any)["limit"] != "max_links_per_page" {
		t.Errorf("limits_hit %v: want max_links_per_page", limits)
	}

	t.Run("sites --json prints the API's objects", func(t *testing.T) {
		out, errOut, code := cli(t, db, "sites", "--json", "--lang", "ko", "--sites", sites)
		if code != 0 {
			t.Fatalf("sites --json: exit %d: %s", code, errOut)
		}
		lines := parseLines(t, out)
		if !reflect.DeepEqual(lines, api) {
			a, _ := json.Marshal(api)
			c, _ := json.Marshal(lines)
			t.Errorf("sites --json differs from /api/sites:\nAPI %s\nCLI %s", a, c)
		}
	})
	t.Run("the page shows what the API says, in the same words", func(t *testing.T) {
		page := signedInGet(t, srv.base, "ana", "correct horse", "/sites")
		var want []string
		for _, list := range []string{"latest_errors", "error_kinds", "limits_hit"} {
			items, _ := row[list].([]any)
			for _, it := range items {
				want = append(want, it.(map[string]any)["message"].(string))
			}
		}
		for _, e := range latest {
			want = append(want, `data-code="`+e.(map[string]any)["code"].(string)+`"`)
		}
		want = append(want, "1시간", "abuse@fixture.example")
		for _, w := range want {
			if !strings.Contains(page, w) && !strings.Contains(page, html.EscapeString(w)) {
				t.Errorf("the sites page lacks %q", w)
			}
		}
	})
}
