package eval

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
)

// TestRunListsTheCopiesTheVerifierTurnsDown: a copy the rule's hashes
// match but its verifier refuses is not found, and its edit lists it with
// the view pair and the corners the verdict was made on; a copy the
// verifier lets through is not listed.
func TestRunListsTheCopiesTheVerifierTurnsDown(t *testing.T) {
	dir := t.TempDir()
	for _, p := range fixtures.Known()[:4] {
		if err := os.WriteFile(filepath.Join(dir, p.Name), p.Data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	suite := []Group{{Name: "re-encode", Target: 0.99, Edits: []fixtures.Edit{fixtures.JPEGQuality(50), fixtures.Crop(0.1, 0.1, 0.1, 0.1)}}}
	// A verifier that checks every match (AbovePDQ -1: at any distance)
	// and wants more inliers than two sets of 96 corners can have
	// refuses every copy.
	refusing := hashing.DefaultRule()
	v := *refusing.Verify
	v.AbovePDQ, v.MinInliers = -1, 1000
	refusing.Verify = &v
	for _, tc := range []struct {
		name    string
		rule    hashing.Rule
		refuses bool
	}{
		{"default rule", hashing.DefaultRule(), false},
		{"verifier refusing every match", refusing, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run(context.Background(), Config{Dataset: dir, Rule: tc.rule, Suite: suite, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Edits {
				if e.Total != 2 {
					t.Fatalf("%s: %d copies, want 2", e.Edit, e.Total)
				}
				if !tc.refuses {
					if e.Found != e.Total || len(e.Refused) != 0 {
						t.Errorf("%s: found %d of %d, %d refused; want all found, none refused", e.Edit, e.Found, e.Total, len(e.Refused))
					}
					continue
				}
				if e.Found != 0 || len(e.Refused) != e.Total {
					t.Errorf("%s: found %d, %d refused of %d; want none found, all refused", e.Edit, e.Found, len(e.Refused), e.Total)
				}
				for _, r := range e.Refused {
					if r.Photo == "" || r.QueryView == "" || r.RegisteredView == "" || r.QueryPoints == 0 || r.RegisteredPoints == 0 || r.Inliers < 3 {
						t.Errorf("%s: refusal %+v lacks its photo, views or corners", e.Edit, r)
					}
				}
			}
		})
	}
}
