package console

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/crawler/crawlstate"
	"github.com/hashwatch/hashwatch/crawler/siteconfig"
	"github.com/hashwatch/hashwatch/store"
)

const sitesEditYAML = "# watched by the centre\nsites:\n  - name: board\n    seeds: [http://board.example/]\n    interval: 2h\n"

// sitesEnv is a console whose site list comes from a sites.yaml it may
// edit.
func sitesEnv(t *testing.T) (*env, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sites.yaml")
	if err := os.WriteFile(path, []byte(sitesEditYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := siteconfig.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) {
		c.SitesFile = path
		for i := range cfg.Sites {
			c.Sites = append(c.Sites, &cfg.Sites[i])
		}
	})
	return e, path
}

func siteNames(t *testing.T, path string) string {
	t.Helper()
	cfg, err := siteconfig.Load(path)
	if err != nil {
		t.Fatalf("the written sites.yaml does not load: %v", err)
	}
	var names []string
	for _, s := range cfg.Sites {
		names = append(names, s.Name)
	}
	return strings.Join(names, ",")
}

func TestSiteEditingFromTheConsoleIsValidatedWrittenAndAudited(t *testing.T) {
	e, path := sitesEnv(t)
	ana := e.login("ana1")
	steps := []struct {
		name     string
		path     string
		form     url.Values
		status   int
		page     []string // the answer (a refused form) or the sites page after it shows these
		sites    string   // sites.yaml's sites afterwards
		audit    string   // an audit action recorded
		hasInter string   // interval of forum in the file ("" to skip)
	}{
		{"a bad interval comes back filled in with the file's message", "/sites/new",
			url.Values{"name": {"forum"}, "seeds": {"https://forum.example/"}, "interval": {"often"}}, http.StatusBadRequest,
			[]string{"often&#34; is not a duration", `value="forum"`, "https://forum.example/"}, "board", "", ""},
		{"an interval under a minute is refused as sites.yaml refuses it", "/sites/new",
			url.Values{"name": {"forum"}, "seeds": {"https://forum.example/"}, "interval": {"5s"}}, http.StatusBadRequest,
			[]string{"under a minute"}, "board", "", ""},
		{"a valid site is added", "/sites/new",
			url.Values{"name": {"forum"}, "seeds": {"https://forum.example/\nhttps://forum.example/new"}, "interval": {"30m"}}, http.StatusSeeOther,
			[]string{"forum", "30 min"}, "board,forum", "site.add", "30m0s"},
		{"an edit keeps the site and changes its interval", "/sites/forum/edit",
			url.Values{"name": {"forum"}, "seeds": {"https://forum.example/"}, "interval": {"3h"}}, http.StatusSeeOther,
			nil, "board,forum", "site.edit", "3h0m0s"},
		{"an unknown site cannot be edited", "/sites/nope/edit",
			url.Values{"name": {"nope"}, "seeds": {"https://nope.example/"}}, http.StatusNotFound, nil, "board,forum", "", ""},
		{"a site is removed", "/sites/forum/remove", url.Values{}, http.StatusSeeOther, nil, "board", "site.remove", ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			resp := ana.postForm(st.path, st.form, ana.csrf)
			body := readAll(resp)
			if resp.StatusCode != st.status {
				t.Fatalf("%s: %d, want %d: %s", st.path, resp.StatusCode, st.status, body)
			}
			if resp.StatusCode == http.StatusSeeOther {
				body = readAll(ana.get("/sites"))
			}
			for _, w := range st.page {
				if !strings.Contains(body, w) {
					t.Errorf("the answer lacks %q", w)
				}
			}
			if got := siteNames(t, path); got != st.sites {
				t.Fatalf("sites.yaml has %s, want %s", got, st.sites)
			}
			if data, _ := os.ReadFile(path); !strings.Contains(string(data), "# watched by the centre") {
				t.Errorf("the file's comment was lost:\n%s", data)
			}
			if st.hasInter != "" {
				cfg, _ := siteconfig.Load(path)
				if got := time.Duration(cfg.Sites[1].Interval).String(); got != st.hasInter {
					t.Errorf("forum's interval = %s, want %s", got, st.hasInter)
				}
			}
			if st.audit != "" {
				got, err := e.db.Store.AuditLog(store.AuditFilter{Action: st.audit, User: "ana1", Limit: 10})
				if err != nil || len(got) != 1 || got[0].Target != "forum" {
					t.Fatalf("audit %s = %+v, %v", st.audit, got, err)
				}
			}
		})
	}

	t.Run("sites.yaml edited by hand is taken by the reload button", func(t *testing.T) {
		data, _ := os.ReadFile(path)
		if err := os.WriteFile(path, append(data, "  - name: extra\n    seeds: [http://extra.example/]\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		if resp := ana.postForm("/sites/reload", nil, ana.csrf); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("reload: %d %s", resp.StatusCode, readAll(resp))
		}
		if names := e.srv.watched(); len(names) != 2 || names[1].Name != "extra" {
			t.Fatalf("watched after reload: %d sites", len(names))
		}
		got, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "sites.reload", Limit: 10})
		if len(got) != 1 || got[0].User != "ana1" || !strings.Contains(got[0].Detail, "added [extra]") {
			t.Fatalf("reload audit = %+v", got)
		}
	})
	t.Run("a reload of a broken file changes nothing and says why", func(t *testing.T) {
		good, _ := os.ReadFile(path)
		if err := os.WriteFile(path, append(good, "    dealy: 1s\n"...), 0o644); err != nil {
			t.Fatal(err)
		}
		resp := ana.postForm("/sites/reload", nil, ana.csrf)
		if body := readAll(resp); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "did you mean") {
			t.Fatalf("reload of a broken file: %d %s", resp.StatusCode, body)
		}
		if len(e.srv.watched()) != 2 {
			t.Fatal("a broken file changed the watched sites")
		}
	})
	t.Run("an operator may not edit sites", func(t *testing.T) {
		op := e.login("op1")
		for _, p := range []string{"/sites/reload", "/sites/new", "/sites/board/remove"} {
			if resp := op.postForm(p, url.Values{"name": {"x"}}, op.csrf); resp.StatusCode != http.StatusForbidden {
				t.Errorf("operator POST %s: %d, want 403", p, resp.StatusCode)
			}
		}
	})
}

func TestSitesPageShowsScheduleAndErrorsInWords(t *testing.T) {
	e, _ := sitesEnv(t)
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	st := crawlstate.SiteStatus{Name: "board", PassStart: start, PassEnd: start.Add(8 * time.Minute), PassNumber: 3, TotalPass: 3,
		Errors: map[string]int{"http_status": 2, "timeout": 1},
		LastErrors: []string{"get http://board.example/a.jpg: 404 Not Found: unexpected HTTP status",
			`get http://board.example/b: Get "http://board.example/b": context deadline exceeded`, "something nobody foresaw"}}
	if err := e.db.Crawl.PutSiteStatus(st); err != nil {
		t.Fatal(err)
	}
	page := readAll(e.login("ana1").get("/sites"))
	next := (&locale{Zone: loadZone("")}).Time(start.Add(2 * time.Hour))
	for _, want := range []string{
		"Errors by kind: HTTP error response 2, timed out 1",
		"HTTP error response (HTTP 404): http://board.example/a.jpg",
		"timed out: http://board.example/b",
		"something nobody foresaw",
		next, // the next pass: interval after the last start
		"Add a site", "Reload sites.yaml", "/sites/board/edit",
		// It refreshes itself: by script (which waits while a form is
		// typed in), or without one by a meta refresh.
		`<meta http-equiv="refresh" content="30">`, `data-refresh="30"`, `<script src="/static/sites.js" defer>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("sites page lacks %q", want)
		}
	}
}
