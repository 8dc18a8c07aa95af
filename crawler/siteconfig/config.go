package siteconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashwatch/hashwatch/hashing"
	"go.yaml.in/yaml/v3"
)

// Defaults for keys a site may leave out.
const (
	DefaultMaxDepth       = 3
	DefaultInterval       = 6 * time.Hour
	DefaultDelay          = time.Second
	DefaultParallelism    = 2
	DefaultRequestTimeout = 30 * time.Second
	DefaultMaxRedirects   = 10
	DefaultRetries        = 2
	DefaultMaxPageBytes   = 10 << 20
	DefaultMaxImageBytes  = 32 << 20
	DefaultMaxVideoBytes  = 512 << 20
	DefaultMaxPixels      = 50_000_000
	// DefaultMaxLinksPerPage bounds the links, images and videos taken
	// from one page: a page of 200,000 <img> cost 177 s and 110 MB of
	// database; real pages have hundreds.
	DefaultMaxLinksPerPage = 2000
	// DefaultMaxPages bounds the pages one pass fetches, so a link trap
	// (a calendar, endless pagination) ends; at the default delay it is
	// more than a day of crawling.
	DefaultMaxPages = 100_000
	// DefaultMaxPassDuration bounds one pass's wall time from its start.
	DefaultMaxPassDuration = 24 * time.Hour
)

// ErrConfig reports a sites.yaml that cannot be used; the message names the
// file, line and key.
var ErrConfig = errors.New("invalid site configuration")

// Duration is a time.Duration written in YAML as a Go duration ("90s", "6h").
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like \"30s\" or \"6h\"", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes a Duration as a Go duration string, the form
// UnmarshalYAML reads (a job carries its site's configuration this way).
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Config is a parsed sites.yaml.
type Config struct {
	// UserAgent is sent with every request; it should say who crawls and how
	// to reach them.
	UserAgent string `yaml:"user_agent"`
	Sites     []Site `yaml:"sites"`
}

// Site is one watched website.
type Site struct {
	Name           string    `yaml:"name"`
	Seeds          []string  `yaml:"seeds"`
	AllowedDomains []string  `yaml:"allowed_domains"`
	MaxDepth       *int      `yaml:"max_depth"`
	Interval       Duration  `yaml:"interval"`
	Delay          *Duration `yaml:"delay"`
	Parallelism    int       `yaml:"parallelism"`
	RespectRobots  *bool     `yaml:"respect_robots"`
	AllowPrivate   bool      `yaml:"allow_private"`
	AllowNetworks  []string  `yaml:"allow_networks"`
	Include        []string  `yaml:"include"`
	Exclude        []string  `yaml:"exclude"`
	Contact        string    `yaml:"contact"`
	RequestTimeout Duration  `yaml:"request_timeout"`
	MaxRedirects   int       `yaml:"max_redirects"`
	Retries        *int      `yaml:"retries"`
	MaxPageBytes   int64     `yaml:"max_page_bytes"`
	MaxImageBytes  int64     `yaml:"max_image_bytes"`
	MaxVideoBytes  int64     `yaml:"max_video_bytes"`
	MaxPixels      int64     `yaml:"max_pixels"`
	// MaxLinksPerPage, MaxPages and MaxPassDuration bound one page's
	// references and one pass's pages and time; a pass that reaches one
	// finishes early and says so in its status (PassStats.Bounds).
	MaxLinksPerPage int      `yaml:"max_links_per_page"`
	MaxPages        int      `yaml:"max_pages"`
	MaxPassDuration Duration `yaml:"max_pass_duration"`
	// MaxDecodeCPU and MaxDecodeTime bound one JPEG decode's CPU and wall
	// time (hashing.Limits): a file over either is skipped as too_large
	// with a message naming the limit, and the pass goes on.
	MaxDecodeCPU  Duration `yaml:"max_decode_cpu"`
	MaxDecodeTime Duration `yaml:"max_decode_time"`

	include, exclude []*regexp.Regexp
	allowNets        []netip.Prefix
	line             int
}

// Depth is the number of link hops followed from a seed.
func (s *Site) Depth() int { return *s.MaxDepth }

// Politeness returns the delay between requests to the site.
func (s *Site) Politeness() time.Duration { return time.Duration(*s.Delay) }

// RetryCount is how many times a transiently failed request is tried again.
func (s *Site) RetryCount() int { return *s.Retries }

// HashLimits is what one of the site's images may cost to fingerprint:
// its bytes, declared pixels and JPEG decode time.
func (s *Site) HashLimits() hashing.Limits {
	return hashing.Limits{MaxBytes: s.MaxImageBytes, MaxPixels: s.MaxPixels,
		MaxDecodeCPU: time.Duration(s.MaxDecodeCPU), MaxDecodeTime: time.Duration(s.MaxDecodeTime)}
}

// Robots reports whether robots.txt is honoured.
func (s *Site) Robots() bool { return *s.RespectRobots }

// Load reads and validates a sites.yaml file. Unknown keys, missing
// required keys and bad values are errors naming the file and line.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read site configuration: %w", err)
	}
	return Parse(path, data)
}

// Parse parses sites.yaml content; name is used in messages.
func Parse(name string, data []byte) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %s: %w", name, strings.TrimPrefix(err.Error(), "yaml: "), ErrConfig)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: empty file; expected a \"sites:\" list: %w", name, ErrConfig)
	}
	doc := root.Content[0]
	if err := checkKeys(name, doc, reflect.TypeOf(Config{})); err != nil {
		return nil, err
	}
	var cfg Config
	if err := doc.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", name, tidyYAMLError(err), ErrConfig)
	}
	if sites := mappingValue(doc, "sites"); sites != nil && sites.Kind == yaml.SequenceNode {
		for i, n := range sites.Content {
			if i < len(cfg.Sites) {
				cfg.Sites[i].line = n.Line
			}
		}
	}
	if err := cfg.validate(name); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// DefaultUserAgent identifies the crawler when a config sets none.
const DefaultUserAgent = "hashwatch/0.1 (re-upload monitor for victim support; +https://github.com/hashwatch/hashwatch)"

func (c *Config) validate(file string) error {
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if len(c.Sites) == 0 {
		return fmt.Errorf("%s: no sites; add a \"sites:\" list with at least one site: %w", file, ErrConfig)
	}
	seen := map[string]int{}
	for i := range c.Sites {
		s := &c.Sites[i]
		where := fmt.Sprintf("%s:%d", file, s.line)
		if err := s.Normalise(where); err != nil {
			return err
		}
		if prev, dup := seen[s.Name]; dup {
			return fmt.Errorf("%s: site name %q already used at line %d: %w", where, s.Name, prev, ErrConfig)
		}
		seen[s.Name] = s.line
	}
	return nil
}

// Normalise checks a site and fills in defaults; Parse does it for every
// site of a file, the inspector for the ad-hoc site of a reported URL.
func (s *Site) Normalise(where string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: site %q: %s: %w", where, s.Name, fmt.Sprintf(format, args...), ErrConfig)
	}
	if strings.TrimSpace(s.Name) == "" {
		return fmt.Errorf("%s: site is missing required key \"name\": %w", where, ErrConfig)
	}
	if len(s.Seeds) == 0 {
		return bad("missing required key \"seeds\" (the URLs a pass starts from)")
	}
	seeds := make([]*url.URL, len(s.Seeds))
	for i, seed := range s.Seeds {
		u, err := url.Parse(seed)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("seed %q is not an absolute http or https URL", seed)
		}
		seeds[i] = u
	}
	if len(s.AllowedDomains) == 0 {
		for _, u := range seeds {
			s.AllowedDomains = append(s.AllowedDomains, u.Hostname())
		}
	}
	for i, d := range s.AllowedDomains {
		s.AllowedDomains[i] = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "."))
	}
	for _, u := range seeds {
		if !s.InDomains(u.Hostname()) {
			return bad("seed %q is outside allowed_domains %v", u, s.AllowedDomains)
		}
	}
	if s.MaxDepth == nil {
		d := DefaultMaxDepth
		s.MaxDepth = &d
	} else if *s.MaxDepth < 0 {
		return bad("max_depth %d must be 0 or more", *s.MaxDepth)
	}
	if s.Interval == 0 {
		s.Interval = Duration(DefaultInterval)
	} else if s.Interval < Duration(time.Minute) {
		return bad("interval %s is under a minute; a monitor should not hammer a site", time.Duration(s.Interval))
	}
	if s.Delay == nil {
		d := Duration(DefaultDelay)
		s.Delay = &d
	} else if *s.Delay < 0 {
		return bad("delay must not be negative")
	}
	if s.Parallelism == 0 {
		s.Parallelism = DefaultParallelism
	} else if s.Parallelism < 0 || s.Parallelism > 64 {
		return bad("parallelism %d must be between 1 and 64", s.Parallelism)
	}
	if s.RespectRobots == nil {
		t := true
		s.RespectRobots = &t
	}
	if s.RequestTimeout <= 0 {
		s.RequestTimeout = Duration(DefaultRequestTimeout)
	}
	if s.MaxRedirects <= 0 {
		s.MaxRedirects = DefaultMaxRedirects
	}
	if s.Retries == nil {
		r := DefaultRetries
		s.Retries = &r
	} else if *s.Retries < 0 || *s.Retries > 10 {
		return bad("retries %d must be between 0 and 10", *s.Retries)
	}
	for _, lim := range []struct {
		v   *int64
		def int64
		key string
	}{{&s.MaxPageBytes, DefaultMaxPageBytes, "max_page_bytes"}, {&s.MaxImageBytes, DefaultMaxImageBytes, "max_image_bytes"},
		{&s.MaxVideoBytes, DefaultMaxVideoBytes, "max_video_bytes"}, {&s.MaxPixels, DefaultMaxPixels, "max_pixels"}} {
		if *lim.v < 0 {
			return bad("%s must not be negative", lim.key)
		}
		if *lim.v == 0 {
			*lim.v = lim.def
		}
	}
	for _, lim := range []struct {
		v   *int
		def int
		key string
	}{{&s.MaxLinksPerPage, DefaultMaxLinksPerPage, "max_links_per_page"}, {&s.MaxPages, DefaultMaxPages, "max_pages"}} {
		if *lim.v < 0 {
			return bad("%s must not be negative", lim.key)
		}
		if *lim.v == 0 {
			*lim.v = lim.def
		}
	}
	for _, lim := range []struct {
		v   *Duration
		def time.Duration
		key string
	}{{&s.MaxDecodeCPU, hashing.DefaultMaxDecodeCPU, "max_decode_cpu"}, {&s.MaxDecodeTime, hashing.DefaultMaxDecodeTime, "max_decode_time"}} {
		if *lim.v < 0 {
			return bad("%s must not be negative", lim.key)
		}
		if *lim.v == 0 {
			*lim.v = Duration(lim.def)
		}
	}
	if s.MaxPassDuration < 0 {
		return bad("max_pass_duration must not be negative")
	}
	if s.MaxPassDuration == 0 {
		s.MaxPassDuration = Duration(DefaultMaxPassDuration)
	}
	for _, n := range s.AllowNetworks {
		pfx, err := netip.ParsePrefix(strings.TrimSpace(n))
		if err != nil {
			addr, aerr := netip.ParseAddr(strings.TrimSpace(n))
			if aerr != nil {
				return bad("allow_networks entry %q is not an address or CIDR prefix like \"127.0.0.0/8\"", n)
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		s.allowNets = append(s.allowNets, pfx.Masked())
	}
	for _, p := range s.Include {
		re, err := regexp.Compile(p)
		if err != nil {
			return bad("include pattern %q: %v", p, err)
		}
		s.include = append(s.include, re)
	}
	for _, p := range s.Exclude {
		re, err := regexp.Compile(p)
		if err != nil {
			return bad("exclude pattern %q: %v", p, err)
		}
		s.exclude = append(s.exclude, re)
	}
	return nil
}

// AllowedNetworks returns the allow_networks prefixes, the private networks
// the site's SSRF guard lets connections reach.
func (s *Site) AllowedNetworks() []netip.Prefix { return s.allowNets }

// InDomains reports whether host is an allowed domain or a subdomain of one:
// allowing "example.com" allows "img.example.com" too, since sites serve
// media from their own subdomains; it never allows "notexample.com".
func (s *Site) InDomains(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range s.AllowedDomains {
		d = strings.ToLower(strings.TrimPrefix(d, "."))
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// InScope reports whether a page URL may be fetched for this site: http(s),
// on an allowed domain, matching an include pattern (when there are any) and
// no exclude pattern.
func (s *Site) InScope(u *url.URL) bool {
	if u.Scheme != "http" && u.Scheme != "https" || !s.InDomains(u.Hostname()) {
		return false
	}
	raw := u.String()
	for _, re := range s.exclude {
		if re.MatchString(raw) {
			return false
		}
	}
	if len(s.include) == 0 {
		return true
	}
	for _, re := range s.include {
		if re.MatchString(raw) {
			return true
		}
	}
	return false
}

// checkKeys reports the first mapping key in n that t (a struct, or a slice
// of structs) has no yaml field for, with a suggestion.
func checkKeys(file string, n *yaml.Node, t reflect.Type) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				if err := checkKeys(file, c, t); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if t.Kind() != reflect.Struct || n.Kind != yaml.MappingNode || t == reflect.TypeOf(Duration(0)) {
		return nil
	}
	fields := map[string]reflect.Type{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = f.Type
		names = append(names, tag)
	}
	sort.Strings(names)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ft, ok := fields[k.Value]
		if !ok {
			msg := fmt.Sprintf("%s:%d: unknown key %q", file, k.Line, k.Value)
			if s := suggest(k.Value, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += fmt.Sprintf(" (known keys: %s)", strings.Join(names, ", "))
			}
			return fmt.Errorf("%s: %w", msg, ErrConfig)
		}
		if err := checkKeys(file, v, ft); err != nil {
			return err
		}
	}
	return nil
}

// mappingValue returns the value node of key in mapping n.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// suggest returns the known name closest to s, if it is close enough to be a
// plausible typo.
func suggest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// tidyYAMLError turns yaml.v3's multi-line type errors into one line.
func tidyYAMLError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n")
	msg = strings.TrimPrefix(msg, "yaml: ")
	lines := strings.Split(msg, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}
