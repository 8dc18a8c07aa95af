package siteconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrNoSite reports an edit of a site the file does not have.
var ErrNoSite = errors.New("no such site")

// Change is one edit of a sites.yaml made by a person (the console's sites
// page): a site added, edited or removed. Values are what the person typed,
// put into the file as YAML would hold them, so the result is validated by
// Parse exactly as a hand-edited file is — one home for the rules.
type Change struct {
	// Site is the site edited or removed; empty adds a site.
	Site string
	// Remove removes Site.
	Remove bool
	// Set gives keys their new values: a string is a scalar ("6h", "3",
	// "https://…"), a []string a list. An empty string or list removes
	// the key, so the default applies. Keys not in Set are kept as they
	// are in the file.
	Set map[string]any
}

// Apply makes change to the sites.yaml at path: the file must be valid
// before, the result is validated by Parse (the same messages as a
// hand-edited file, naming path), and only a valid result is written, by
// a temporary file renamed over path, so a crash leaves the old file or
// the new one, never half of either. Comments on the other sites and the
// file are kept. It returns the new configuration.
func Apply(path string, change Change) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read site configuration: %w", err)
	}
	if _, err := Parse(path, data); err != nil {
		return nil, fmt.Errorf("%s is not valid as it is; fix it by hand first: %w", path, err)
	}
	var root yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	seq := mappingValue(root.Content[0], "sites")
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s: no \"sites:\" list: %w", path, ErrConfig)
	}
	at := -1
	if change.Site != "" {
		for i, n := range seq.Content {
			if v := mappingValue(n, "name"); v != nil && v.Value == change.Site {
				at = i
			}
		}
		if at < 0 {
			return nil, fmt.Errorf("%s: site %q: %w", path, change.Site, ErrNoSite)
		}
	}
	switch {
	case change.Remove && at >= 0:
		seq.Content = append(seq.Content[:at], seq.Content[at+1:]...)
	case at >= 0:
		setKeys(seq.Content[at], change.Set)
	default:
		n := &yaml.Node{Kind: yaml.MappingNode}
		setKeys(n, change.Set)
		seq.Content = append(seq.Content, n)
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, fmt.Errorf("write site configuration: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write site configuration: %w", err)
	}
	cfg, err := Parse(path, out.Bytes())
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(path, out.Bytes()); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Raw returns the sites of the file at path as written, without defaults
// filled in (what a form editing a site shows), after checking the file
// is valid.
func Raw(path string) ([]Site, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read site configuration: %w", err)
	}
	if _, err := Parse(path, data); err != nil {
		return nil, err
	}
	var cfg Config
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg.Sites, nil
}

// setKeys sets, adds or removes (empty values) keys of mapping n.
func setKeys(n *yaml.Node, set map[string]any) {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	// "name" first, then the order the caller's keys sort in, so a new
	// site reads like a hand-written one.
	sortKeys(keys)
	for _, k := range keys {
		var v *yaml.Node
		switch x := set[k].(type) {
		case string:
			if x = strings.TrimSpace(x); x != "" {
				v = &yaml.Node{Kind: yaml.ScalarNode, Value: x}
			}
		case []string:
			var items []*yaml.Node
			for _, s := range x {
				if s = strings.TrimSpace(s); s != "" {
					items = append(items, &yaml.Node{Kind: yaml.ScalarNode, Value: s})
				}
			}
			if len(items) > 0 {
				v = &yaml.Node{Kind: yaml.SequenceNode, Content: items}
			}
		}
		i := -1
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == k {
				i = j
			}
		}
		switch {
		case v == nil && i >= 0:
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
		case v == nil:
		case i >= 0:
			v.HeadComment, v.LineComment = n.Content[i+1].HeadComment, n.Content[i+1].LineComment
			n.Content[i+1] = v
		default:
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
		}
	}
}

func sortKeys(keys []string) {
	rank := func(k string) string {
		if k == "name" {
			return ""
		}
		return k
	}
	sort.Slice(keys, func(i, j int) bool { return rank(keys[i]) < rank(keys[j]) })
}

// writeAtomic replaces path with data: a temporary file in the same
// directory, synced, given path's permissions and renamed over it.
func writeAtomic(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write site configuration: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write site configuration: %w", err)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("write site configuration: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write site configuration: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write site configuration: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write site configuration: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename itself durable; not every filesystem can
		d.Close()
	}
	return nil
}

// Same reports whether two sites are configured alike, as they would be
// written in sites.yaml: a reload restarts only the sites that differ.
func Same(a, b *Site) bool {
	ya, erra := yaml.Marshal(a)
	yb, errb := yaml.Marshal(b)
	return erra == nil && errb == nil && bytes.Equal(ya, yb)
}
