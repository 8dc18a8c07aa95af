package siteconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const editBase = `# The centre's watched sites.
user_agent: test-agent
sites:
  # the demo board
  - name: board
    seeds: [http://board.example/]
    interval: 2h
`

func TestSiteEditApply(t *testing.T) {
	tests := []struct {
		name    string
		change  Change
		wantErr string // substring; empty means the change is written
		check   func(t *testing.T, cfg *Config, file string)
	}{
		{"adding a site validates and appends it", Change{Set: map[string]any{"name": "forum", "seeds": []string{"https://forum.example/"}, "interval": "30m"}}, "",
			func(t *testing.T, cfg *Config, file string) {
				if len(cfg.Sites) != 2 || cfg.Sites[1].Name != "forum" || time.Duration(cfg.Sites[1].Interval) != 30*time.Minute {
					t.Fatalf("sites = %+v", cfg.Sites)
				}
				for _, keep := range []string{"# The centre's watched sites.", "# the demo board", "user_agent: test-agent"} {
					if !strings.Contains(file, keep) {
						t.Errorf("the rewritten file lost %q:\n%s", keep, file)
					}
				}
			}},
		{"editing a site keeps the keys the form does not set", Change{Site: "board", Set: map[string]any{"seeds": []string{"http://board.example/new"}}}, "",
			func(t *testing.T, cfg *Config, _ string) {
				if s := cfg.Sites[0]; s.Seeds[0] != "http://board.example/new" || time.Duration(s.Interval) != 2*time.Hour {
					t.Fatalf("site = %+v", s)
				}
			}},
		{"an empty value removes the key so the default applies", Change{Site: "board", Set: map[string]any{"interval": ""}}, "",
			func(t *testing.T, cfg *Config, _ string) {
				if time.Duration(cfg.Sites[0].Interval) != DefaultInterval {
					t.Fatalf("interval = %v", time.Duration(cfg.Sites[0].Interval))
				}
			}},
		{"a bad duration is refused with the file's message", Change{Site: "board", Set: map[string]any{"interval": "often"}}, `"often" is not a duration`, nil},
		{"an interval under a minute is refused as by Load", Change{Site: "board", Set: map[string]any{"interval": "10s"}}, "under a minute", nil},
		{"a duplicate name is refused", Change{Set: map[string]any{"name": "board", "seeds": []string{"http://b.example/"}}}, "already used", nil},
		{"a seed outside its domains is refused", Change{Set: map[string]any{"name": "x", "seeds": []string{"http://x.example/"}, "allowed_domains": []string{"y.example"}}}, "outside allowed_domains", nil},
		{"removing the last site is refused", Change{Site: "board", Remove: true}, "no sites", nil},
		{"editing a site the file lacks is an error", Change{Site: "nope", Set: map[string]any{"interval": "1h"}}, "no such site", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sites.yaml")
			if err := os.WriteFile(path, []byte(editBase), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := Apply(path, tt.change)
			data, _ := os.ReadFile(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if string(data) != editBase {
					t.Fatalf("a refused change altered the file:\n%s", data)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Load(path); err != nil {
				t.Fatalf("the written file does not load: %v", err)
			}
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
				t.Errorf("mode = %v, want the file's 0600 kept", fi.Mode().Perm())
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp")); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
			tt.check(t, cfg, string(data))
		})
	}
}

func TestSiteEditRemoveAndRaw(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sites.yaml")
	if err := os.WriteFile(path, []byte(editBase+"  - name: two\n    seeds: [http://two.example/]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := Raw(path)
	if err != nil || len(raw) != 2 || raw[1].MaxDepth != nil {
		t.Fatalf("Raw = %+v, %v; want two sites without defaults filled in", raw, err)
	}
	cfg, err := Apply(path, Change{Site: "board", Remove: true})
	if err != nil || len(cfg.Sites) != 1 || cfg.Sites[0].Name != "two" {
		t.Fatalf("after removal: %+v, %v", cfg, err)
	}
	if _, err := Apply(path, Change{Site: "board", Remove: true}); !errors.Is(err, ErrNoSite) {
		t.Fatalf("removing it again: %v, want ErrNoSite", err)
	}
}
