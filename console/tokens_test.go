package console

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/accounts"
	"github.com/hashwatch/hashwatch/store"
)

var (
	tokenForm   = regexp.MustCompile(`(?s)<form method="post" action="/users/ana1/tokens".*?</form>`)
	scopeSelect = regexp.MustCompile(`(?s)<select name="scope"[^>]*>(.*?)</select>`)
	optionValue = regexp.MustCompile(`<option value="([^"]*)"`)
	newToken    = regexp.MustCompile(`id="new-token">(hwt_[^<]+)<`)
)

// TestTokenFormOffersEveryScope reads the new-token form on the users page
// as an admin: it offers every scope `hashwatch user token --scope` takes,
// the lookup API's among them. A token created through the form with each
// is stored with that scope and expiry and audited with them, and the
// lookup token the form makes answers the lookup API and nothing else.
func TestTokenFormOffersEveryScope(t *testing.T) {
	e := newEnv(t, nil)
	adm := e.login("admin1")
	page := readAll(adm.get("/users"))
	form := tokenForm.FindString(page)
	sel := scopeSelect.FindStringSubmatch(form)
	if sel == nil {
		t.Fatalf("no scope choice in the token form of ana1:\n%s", form)
	}
	var offered []string
	for _, m := range optionValue.FindAllStringSubmatch(sel[1], -1) {
		offered = append(offered, m[1])
	}
	// The scopes of `hashwatch user token --scope` (cmd/hashwatch/user.go).
	want := []string{"full", "read", "report", "operator", "staff", "lookup"}
	if strings.Join(offered, " ") != strings.Join(want, " ") {
		t.Fatalf("the form offers scopes %q, want %q", offered, want)
	}

	secrets := map[string]string{}
	for _, c := range []struct {
		owner, scope, days string
		stored             accounts.TokenScope
	}{
		{"admin1", "full", "", accounts.ScopeFull},
		{"admin1", "read", "30", accounts.ScopeRead},
		{"ana1", "report", "90", accounts.ScopeReport},
		{"op1", "operator", "", accounts.ScopeOperator},
		{"staff1", "staff", "7", accounts.ScopeStaff},
		{"ana1", "lookup", "365", accounts.ScopeLookup},
	} {
		t.Run("a "+c.scope+" token for "+c.owner, func(t *testing.T) {
			label := "form " + c.scope
			resp := adm.postForm("/users/"+c.owner+"/tokens", url.Values{"label": {label}, "scope": {c.scope}, "expires_days": {c.days}}, adm.csrf)
			body := readAll(resp)
			m := newToken.FindStringSubmatch(body)
			if resp.StatusCode != http.StatusOK || m == nil {
				t.Fatalf("%d, no new token shown:\n%s", resp.StatusCode, body)
			}
			secrets[c.scope] = m[1]
			ts, err := e.db.Accounts.Tokens(c.owner)
			if err != nil {
				t.Fatal(err)
			}
			var got *accounts.Token
			for i := range ts {
				if ts[i].Name == label {
					got = &ts[i]
				}
			}
			if got == nil {
				t.Fatalf("no token %q stored for %s", label, c.owner)
			}
			if got.Scope != c.stored {
				t.Errorf("stored scope %q, want %q", got.Scope, c.stored)
			}
			wantExpiry := time.Time{}
			if c.days != "" {
				n, _ := strconv.Atoi(c.days)
				wantExpiry = got.CreatedAt.AddDate(0, 0, n)
			}
			if !got.ExpiresAt.Equal(wantExpiry) {
				t.Errorf("expires %v, want %v (created %v, %s days)", got.ExpiresAt, wantExpiry, got.CreatedAt, c.days)
			}
			log, err := e.db.Store.AuditLog(store.AuditFilter{Action: "token.create", Target: c.owner, Limit: 1})
			if err != nil || len(log) != 1 {
				t.Fatalf("audit: %v %v", log, err)
			}
			if log[0].User != "admin1" || (c.stored != accounts.ScopeFull && !strings.Contains(log[0].Detail, "scope "+c.scope)) {
				t.Errorf("audited as %+v", log[0])
			}
		})
	}

	t.Run("the lookup token made in the form answers the lookup API and nothing else", func(t *testing.T) {
		secret := secrets["lookup"]
		if secret == "" {
			t.Skip("no lookup token was made")
		}
		if code, raw, _ := partnerCall(t, e, secret, "POST", "/api/lookup", `{"pdq":["`+strings.Repeat("0f", 32)+`"]}`, nil); code != http.StatusOK {
			t.Errorf("POST /api/lookup: %d %s", code, raw)
		}
		if code, raw, _ := partnerCall(t, e, secret, "GET", "/api/alerts", "", nil); code != http.StatusForbidden {
			t.Errorf("GET /api/alerts with a lookup token: %d %s, want 403", code, raw)
		}
	})
}
