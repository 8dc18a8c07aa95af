package natswork

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// TestTheREADMEListsTheWorkersPermissions keeps README's permissions for
// the worker user of an external NATS cluster (Scale out) the same as the
// embedded server's worker identity: a subject missing there (as the
// visited bucket's were) fails workers on a cluster in a way no test of
// the embedded server sees.
func TestTheREADMEListsTheWorkersPermissions(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const head = "# publish allow for the worker user"
	_, block, ok := strings.Cut(string(b), head)
	if !ok {
		t.Fatalf("README has no %q block", head)
	}
	block, _, _ = strings.Cut(block, "```")
	_, block, _ = strings.Cut(block, "\n") // the rest of the heading line
	readme := strings.Fields(block)
	want := slices.Clone(workerPermissions().Publish.Allow)
	slices.Sort(readme)
	slices.Sort(want)
	if !slices.Equal(readme, want) {
		t.Errorf("README lists the worker's publish subjects\n  %v\nthe embedded server allows\n  %v", readme, want)
	}
	if sub := workerPermissions().Subscribe.Allow; !slices.Equal(sub, []string{"_INBOX.>"}) ||
		!strings.Contains(string(b), head+" (subscribe allow: _INBOX.>)") {
		t.Errorf("the worker subscribes to %v; README says _INBOX.>", sub)
	}
}
