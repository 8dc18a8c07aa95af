package work

import (
	"fmt"
	"testing"

	"github.com/hashwatch/hashwatch/crawler/siteconfig"
)

// siteFor is the fixture site at u (as crawler's tests make it), with
// extra sites.yaml lines.
func siteFor(t *testing.T, u, extra string) *siteconfig.Site {
	t.Helper()
	cfg, err := siteconfig.Parse("test.yaml", []byte(fmt.Sprintf(
		"sites:\n  - name: fixture\n    seeds: [%q]\n    max_depth: 5\n    allow_private: true\n    request_timeout: 1s\n%s", u+"/", extra)))
	if err != nil {
		t.Fatal(err)
	}
	return &cfg.Sites[0]
}
