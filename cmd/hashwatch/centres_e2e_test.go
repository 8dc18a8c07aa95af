package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/console"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/store"
)

// TestEachCentreSeesExactlyItsOwnReuploads registers a case in each of two
// regional centres (the same case ID in both: IDs are unique per centre),
// crawls the fixture website, which carries re-uploads of both cases'
// photos, with the real binary, and checks through the CLI, the JSON API
// (with each centre's operator's token) and the console's queue page
// (signed in as each centre's operator) that each centre sees exactly the
// alerts of its own photos and the national centre sees both.
func TestEachCentreSeesExactlyItsOwnReuploads(t *testing.T) {
	site, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(site)
	defer srv.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	known := filepath.Join("..", "..", "fixtures", "photos", "known")

	for _, c := range []string{"busan", "daegu"} {
		if _, errOut, code := cli(t, db, "centre", "add", c, "--name", c+" centre"); code != 0 {
			t.Fatalf("centre add %s: exit %d: %s", c, code, errOut)
		}
	}
	// Half the known photos are busan's case k1, the rest daegu's k1.
	owner := map[string]string{}
	var paths [2][]string
	for i, k := range fixtures.Known() {
		c := []string{"busan", "daegu"}[i%2]
		owner[k.Name] = c
		paths[i%2] = append(paths[i%2], filepath.Join(known, k.Name))
	}
	if _, errOut, code := cli(t, db, append([]string{"register", "--case", "k1"}, paths[0]...)...); code != 2 || !strings.Contains(errOut, "--centre is required") {
		t.Fatalf("register without --centre among several centres: exit %d: %s", code, errOut)
	}
	for i, c := range []string{"busan", "daegu"} {
		if _, errOut, code := cli(t, db, append([]string{"register", "--centre", c, "--case", "k1", "--label", "label-" + c}, paths[i]...)...); code != 0 {
			t.Fatalf("register into %s: exit %d: %s", c, code, errOut)
		}
	}
	sites := filepath.Join(dir, "sites.yaml")
	yaml := fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q]\n    allowed_domains: [127.0.0.1]\n    max_depth: 5\n    delay: 0s\n    parallelism: 4\n    allow_private: true\n    request_timeout: 3s\n", srv.URL+"/")
	if err := os.WriteFile(sites, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := cli(t, db, "crawl", "--sites", sites, "--once", "--json"); code != 0 {
		t.Fatalf("crawl exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	// What each centre must see: the planted re-uploads of its photos
	// (by media file: the same file on two pages is one alert with two
	// sightings).
	want := map[string][]string{}
	for _, r := range site.Truth() {
		c := owner[r.Original]
		want[c] = append(want[c], r.Media)
	}
	for c := range want {
		slices.Sort(want[c])
		want[c] = slices.Compact(want[c])
	}
	if len(want["busan"]) == 0 || len(want["daegu"]) == 0 {
		t.Fatalf("the fixture site carries no re-uploads of one centre's photos: %v", want)
	}

	// The CLI, per centre: exactly its re-uploads, each alert of its case
	// k1 and marked with its centre.
	alertIDs := map[string][]float64{}
	for _, c := range []string{"busan", "daegu", ""} {
		args := []string{"alerts", "list", "--json"}
		if c != "" {
			args = append(args, "--centre", c)
		}
		out, errOut, code := cli(t, db, args...)
		if code != 0 {
			t.Fatalf("alerts list --centre %q: exit %d: %s", c, code, errOut)
		}
		var got []string
		for _, a := range parseLines(t, out) {
			if c != "" && (a["centre"] != c || a["case"] != "k1") {
				t.Errorf("alerts list --centre %s shows %v", c, a)
			}
			got = append(got, path(t, a["media_url"].(string)))
			alertIDs[c] = append(alertIDs[c], a["id"].(float64))
		}
		slices.Sort(got)
		got = slices.Compact(got)
		w := want[c]
		if c == "" {
			w = slices.Sorted(slices.Values(append(slices.Clone(want["busan"]), want["daegu"]...)))
			w = slices.Compact(w)
		}
		if !slices.Equal(got, w) {
			t.Errorf("CLI, centre %q: alerts at\n%v\nwant\n%v", c, got, w)
		}
	}

	// The API and the console, in process over the same file.
	hdb, err := database.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer hdb.Close()
	ctx := context.Background()
	const pw = "correct horse battery staple"
	secrets := map[string]string{}
	for _, c := range []string{"busan", "daegu", "national"} {
		name := "op-" + c
		if _, err := hdb.Accounts.AddUser(ctx, accounts.NewUser{Name: name, Role: accounts.RoleOperator, Centre: c, Password: pw, Language: "en"}, store.Actor{User: "test"}); err != nil {
			t.Fatal(err)
		}
		s, _, err := hdb.Accounts.CreateToken(ctx, name, "e2e", store.Actor{User: "test"})
		if err != nil {
			t.Fatal(err)
		}
		secrets[c] = s
	}
	cs, err := console.New(console.Config{DB: hdb})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(cs)
	defer ts.Close()
	for _, c := range []string{"busan", "daegu", "national"} {
		req, _ := http.NewRequest("GET", ts.URL+"/api/alerts?per_page=200", nil)
		req.Header.Set("Authorization", "Bearer "+secrets[c])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Alerts []struct {
				ID     float64 `json:"id"`
				Centre string  `json:"centre"`
			} `json:"alerts"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var got []float64
		for _, a := range page.Alerts {
			got = append(got, a.ID)
		}
		slices.Sort(got)
		w := alertIDs[c]
		if c == "national" {
			w = alertIDs[""]
		}
		w = slices.Sorted(slices.Values(w))
		if !slices.Equal(got, w) {
			t.Errorf("API as %s's operator: alerts %v, want %v", c, got, w)
		}

		// The queue page, signed in.
		body := signedInGet(t, ts.URL, "op-"+c, pw, "/alerts?per_page=200")
		for _, o := range []string{"busan", "daegu"} {
			for _, id := range alertIDs[o] {
				link := fmt.Sprintf(`href="/alerts/%d"`, int(id))
				if shown, wantShown := strings.Contains(body, link), o == c || c == "national"; shown != wantShown {
					t.Errorf("queue page as %s's operator: %s's alert %d shown %v, want %v", c, o, int(id), shown, wantShown)
				}
			}
		}
	}
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signedInGet signs in to the console at base as name and returns the
// body of GET path.
func signedInGet(t *testing.T, base, name, password, path string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfInput.FindSubmatch(b)
	if m == nil {
		t.Fatalf("no CSRF token on the login page")
	}
	resp, err = c.PostForm(base+"/login", url.Values{"name": {name}, "password": {password}, "csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login %s: %d", name, resp.StatusCode)
	}
	resp, err = c.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s as %s: %d %s", path, name, resp.StatusCode, b)
	}
	return string(b)
}
