package crawler

import "github.com/hashwatch/hashwatch/crawler/siteconfig"

// The crawler's API takes the watched sites as package siteconfig parses
// them; these names let its callers say crawler.Site and
// crawler.ParseConfig.

// Site is one watched site's validated configuration.
type Site = siteconfig.Site

// Config is a parsed sites.yaml.
type Config = siteconfig.Config

// Duration is a time.Duration written in YAML as a Go duration.
type Duration = siteconfig.Duration

// ErrConfig reports a sites.yaml that cannot be used.
var ErrConfig = siteconfig.ErrConfig

// DefaultUserAgent is sent when a crawler sets no UserAgent.
const DefaultUserAgent = siteconfig.DefaultUserAgent

// LoadConfig reads and validates a sites.yaml file (siteconfig.Load).
func LoadConfig(path string) (*Config, error) { return siteconfig.Load(path) }

// ParseConfig parses sites.yaml content (siteconfig.Parse); name is used in
// messages.
func ParseConfig(name string, data []byte) (*Config, error) { return siteconfig.Parse(name, data) }
