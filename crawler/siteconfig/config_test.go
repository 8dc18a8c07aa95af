package siteconfig

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string // substring; empty means success
	}{
		{"a minimal site gets defaults", "sites:\n  - name: a\n    seeds: [http://example.com/]\n", ""},
		{"an unknown key names its line and suggests the right one", "sites:\n  - name: a\n    seeds: [http://example.com/]\n    dealy: 1s\n", `sites.yaml:4: unknown key "dealy" (did you mean "delay"?)`},
		{"an unknown top-level key is an error", "site:\n  - name: a\n", `sites.yaml:1: unknown key "site" (did you mean "sites"?)`},
		{"a missing name is an error", "sites:\n  - seeds: [http://example.com/]\n", `sites.yaml:2: site is missing required key "name"`},
		{"missing seeds are an error", "sites:\n  - name: a\n", `missing required key "seeds"`},
		{"a seed that is not a URL is an error", "sites:\n  - name: a\n    seeds: [\"not a url\"]\n", `seed "not a url" is not an absolute http or https URL`},
		{"a seed outside allowed_domains is an error", "sites:\n  - name: a\n    seeds: [http://example.com/]\n    allowed_domains: [other.org]\n", "outside allowed_domains"},
		{"a bad duration names its line", "sites:\n  - name: a\n    seeds: [http://example.com/]\n    delay: fast\n", `line 4: "fast" is not a duration`},
		{"a bad regexp is an error", "sites:\n  - name: a\n    seeds: [http://example.com/]\n    exclude: [\"(\"]\n", "exclude pattern"},
		{"duplicate names are an error", "sites:\n  - name: a\n    seeds: [http://a.com/]\n  - name: a\n    seeds: [http://b.com/]\n", "already used at line 2"},
		{"a wrong type is an error", "sites:\n  - name: a\n    seeds: [http://example.com/]\n    parallelism: many\n", "line 4"},
		{"an empty file is an error", "", "empty file"},
		{"broken YAML is an error", "sites: [\n", "sites.yaml"},
		{"allow_networks takes CIDR prefixes and addresses", "sites:\n  - name: a\n    seeds: [http://example.com/]\n    allow_networks: [127.0.0.0/8, \"::1\"]\n", ""},
		{"retries over ten are an error", "sites:\n  - name: a\n    seeds: [http://example.com/]\n    retries: 11\n", "retries 11 must be between 0 and 10"},
		{"a bad allow_networks entry is an error", "sites:\n  - name: a\n    seeds: [http://example.com/]\n    allow_networks: [intranet]\n", `allow_networks entry "intranet"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("sites.yaml", []byte(tt.yaml))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				s := cfg.Sites[0]
				if s.Depth() != DefaultMaxDepth || s.Politeness() != DefaultDelay || !s.Robots() || s.AllowPrivate ||
					s.Parallelism != DefaultParallelism || s.RetryCount() != DefaultRetries || time.Duration(s.Interval) != DefaultInterval || s.AllowedDomains[0] != "example.com" {
					t.Fatalf("defaults not applied: %+v", s)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSiteScope(t *testing.T) {
	cfg, err := Parse("s.yaml", []byte(`sites:
  - name: a
    seeds: [http://example.com/]
    allowed_domains: [example.com]
    include: ["/gallery/", "/$"]
    exclude: ["/gallery/private/"]
`))
	if err != nil {
		t.Fatal(err)
	}
	s := &cfg.Sites[0]
	tests := []struct {
		url  string
		want bool
	}{
		{"http://example.com/", true},
		{"http://example.com/gallery/1.html", true},
		{"https://img.example.com/gallery/2.html", true},
		{"http://example.com/gallery/private/3.html", false},
		{"http://example.com/about.html", false},
		{"http://notexample.com/gallery/1.html", false},
		{"http://example.com.evil.org/gallery/1.html", false},
		{"ftp://example.com/gallery/1.html", false},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.url)
		if got := s.InScope(u); got != tt.want {
			t.Errorf("InScope(%s) = %v, want %v", tt.url, got, tt.want)
		}
	}
}
