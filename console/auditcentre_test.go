package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/store"
)

// TestAuditEntriesAreOnRecordForTheCentreTheyConcern checks that a change
// to one centre's things — a user, their token, an alert put in the
// negative bank, a notice — is that centre's audit entry whoever made it
// (a regional admin, a national admin, the command line or a test with no
// centre), so that the centre's admins see it in their audit log, and the
// other regional centres do not.
func TestAuditEntriesAreOnRecordForTheCentreTheyConcern(t *testing.T) {
	e := newEnv(t, nil)
	worlds := seedCentres(t, e)
	busan := worlds["busan"]
	// Made by seedCentres with an actor of no centre (as the CLI's): the
	// tokens of busan's users; by busan's operator: a negative bank entry.
	// Through the console: a busan admin updates a busan user, a national
	// admin revokes a busan user's token.
	ra := e.login(busan.users[accounts.RoleAdmin])
	if resp := ra.postForm("/users/"+url.PathEscape(busan.users[accounts.RoleStaff]), url.Values{"role": {"operator"}}, ra.csrf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %d %s", resp.StatusCode, readAll(resp))
	}
	na := e.login(worlds[centres.National].users[accounts.RoleAdmin])
	if resp := na.postForm("/tokens/"+busan.tokens[accounts.RoleAnalyst]+"/revoke", nil, na.csrf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d %s", resp.StatusCode, readAll(resp))
	}
	for _, tc := range []struct{ action, target, user string }{
		{"token.create", busan.users[accounts.RoleOperator], "test"},
		{"negative.add", "", busan.users[accounts.RoleOperator]},
		{"user.update", busan.users[accounts.RoleStaff], busan.users[accounts.RoleAdmin]},
		{"token.revoke", busan.users[accounts.RoleAnalyst], worlds[centres.National].users[accounts.RoleAdmin]},
	} {
		t.Run(tc.action, func(t *testing.T) {
			got, err := e.db.Store.AuditLog(store.AuditFilter{Action: tc.action, Target: tc.target, User: tc.user, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, en := range got {
				if en.Centre == "busan" {
					n++
				} else if tc.target != "" || en.Centre != "daegu" && en.Centre != centres.National {
					t.Errorf("entry %+v: centre %q, want busan", en, en.Centre)
				}
			}
			if n == 0 {
				t.Errorf("no busan entry %s %s by %s among %+v", tc.action, tc.target, tc.user, got)
			}
		})
	}
	t.Run("busan's admin reads them, daegu's does not", func(t *testing.T) {
		read := func(c *client) map[string]bool {
			var entries []struct{ Action, Target string }
			if err := json.Unmarshal([]byte(readAll(c.get("/api/audit?limit=500"))), &entries); err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, en := range entries {
				seen[en.Action+" "+en.Target] = true
			}
			return seen
		}
		key := "user.update " + busan.users[accounts.RoleStaff]
		if !read(ra)[key] {
			t.Errorf("busan's admin does not see %s", key)
		}
		if read(e.login(worlds["daegu"].users[accounts.RoleAdmin]))[key] {
			t.Errorf("daegu's admin sees %s", key)
		}
	})
}
