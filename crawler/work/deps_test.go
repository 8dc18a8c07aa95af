package work

import (
	"os/exec"
	"strings"
	"testing"
)

// TestWorkOpensNoDatabase checks the package's invariant: what a worker on
// another machine runs depends on no storage — not bbolt, not the store,
// the database, the fingerprint index, the alerts or the crawl state — and
// not on the crawler that commits its results.
func TestWorkOpensNoDatabase(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the dependencies with")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const mod = "github.com/hashwatch/hashwatch/"
	forbidden := []string{"go.etcd.io/bbolt", mod + "store", mod + "database", mod + "index",
		mod + "alerts", mod + "crawler/crawlstate", mod + "crawler"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") && f != mod+"crawler" {
				t.Errorf("package work depends on %s", dep)
			}
		}
	}
}
