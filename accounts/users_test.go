package accounts

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
)

// openClock opens a database whose clock the test moves.
func openClock(t *testing.T) (*testDB, *time.Time) {
	t.Helper()
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	db, err := openDB(filepath.Join(t.TempDir(), "hw.db"), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, &now
}

func TestUsers(t *testing.T) {
	ctx := context.Background()
	db, _ := openClock(t)
	cli := store.Actor{}
	if _, err := db.AddUser(ctx, NewUser{Name: "kim", Role: RoleOperator, Password: "correct horse"}, cli); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		nu   NewUser
	}{
		{"a taken name", NewUser{Name: "kim", Role: RoleStaff, Password: "correct horse"}},
		{"an unknown role", NewUser{Name: "lee", Role: "root", Password: "correct horse"}},
		{"a short password", NewUser{Name: "lee", Role: RoleStaff, Password: "short"}},
		{"a password bcrypt would truncate", NewUser{Name: "lee", Role: RoleStaff, Password: strings.Repeat("x", 73)}},
		{"a name with a slash", NewUser{Name: "a/b", Role: RoleStaff, Password: "correct horse"}},
		{"an unknown time zone", NewUser{Name: "lee", Role: RoleStaff, Password: "correct horse", TimeZone: "Mars/Olympus"}},
		{"an unknown language", NewUser{Name: "lee", Role: RoleStaff, Password: "correct horse", Language: "fr"}},
	}
	for _, tc := range bad {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			if _, err := db.AddUser(ctx, tc.nu, cli); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("err = %v, want store.ErrInvalid", err)
			}
		})
	}
	t.Run("authenticates only the right password of an enabled user", func(t *testing.T) {
		if u, err := db.Authenticate(ctx, "kim", "correct horse"); err != nil || u.Role != RoleOperator {
			t.Fatalf("good password: %v %v", u, err)
		}
		for _, c := range [][2]string{{"kim", "wrong horse!"}, {"nobody", "correct horse"}} {
			if _, err := db.Authenticate(ctx, c[0], c[1]); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("%v: err = %v, want ErrBadCredentials", c, err)
			}
		}
		disabled := true
		if _, err := db.UpdateUser(ctx, "kim", UserChange{Disabled: &disabled}, store.Actor{User: "admin"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Authenticate(ctx, "kim", "correct horse"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("disabled user: err = %v", err)
		}
	})
	t.Run("keeps no password in clear", func(t *testing.T) {
		u, _ := db.User("kim")
		if strings.Contains(string(u.PasswordHash), "correct horse") || !strings.HasPrefix(string(u.PasswordHash), "$2") {
			t.Fatalf("stored %q", u.PasswordHash)
		}
	})
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	db, now := openClock(t)
	if _, err := db.AddUser(ctx, NewUser{Name: "kim", Role: RoleOperator, Password: "correct horse"}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	opts := SessionOptions{TTL: 2 * time.Hour, Idle: 30 * time.Minute}
	tok, s, err := db.CreateSession(ctx, "kim", opts, store.Actor{User: "kim", Remote: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) < 43 || s.CSRF == "" || strings.Contains(s.ID, tok) {
		t.Fatalf("token %q session %+v", tok, s)
	}
	t.Run("finds a live session by its token", func(t *testing.T) {
		*now = now.Add(20 * time.Minute)
		if got, u, err := db.SessionByToken(ctx, tok); err != nil || u.Name != "kim" || got.CSRF != s.CSRF {
			t.Fatalf("%v %v %v", got, u, err)
		}
	})
	t.Run("refreshes the idle timer on use", func(t *testing.T) {
		*now = now.Add(20 * time.Minute) // 40 min after login, 20 after last use
		if _, _, err := db.SessionByToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ends after the idle timeout", func(t *testing.T) {
		*now = now.Add(31 * time.Minute)
		if _, _, err := db.SessionByToken(ctx, tok); !errors.Is(err, ErrExpired) {
			t.Fatalf("err = %v, want ErrExpired", err)
		}
		if _, _, err := db.SessionByToken(ctx, tok); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second use: err = %v, want store.ErrNotFound (deleted)", err)
		}
	})
	t.Run("ends at its lifetime however busy", func(t *testing.T) {
		tok, _, _ := db.CreateSession(ctx, "kim", opts, store.Actor{})
		for range 7 { // used every 15 minutes for 105 minutes
			*now = now.Add(15 * time.Minute)
			if _, _, err := db.SessionByToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		*now = now.Add(16 * time.Minute)
		if _, _, err := db.SessionByToken(ctx, tok); !errors.Is(err, ErrExpired) {
			t.Fatalf("err = %v, want ErrExpired", err)
		}
	})
	t.Run("logout and disabling end sessions", func(t *testing.T) {
		a, _, _ := db.CreateSession(ctx, "kim", opts, store.Actor{})
		b, _, _ := db.CreateSession(ctx, "kim", opts, store.Actor{})
		if err := db.DeleteSession(ctx, a, store.Actor{User: "kim"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.SessionByToken(ctx, a); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after logout: %v", err)
		}
		yes := true
		db.UpdateUser(ctx, "kim", UserChange{Disabled: &yes}, store.Actor{User: "admin"})
		if _, _, err := db.SessionByToken(ctx, b); err == nil {
			t.Errorf("a disabled user's session still works")
		}
		if _, _, err := db.CreateSession(ctx, "kim", opts, store.Actor{}); err == nil {
			t.Errorf("a disabled user got a session")
		}
	})
	t.Run("an unknown or absurd token is not found", func(t *testing.T) {
		for _, tok := range []string{"", "x", strings.Repeat("a", 10000)} {
			if _, _, err := db.SessionByToken(ctx, tok); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%.10q: %v", tok, err)
			}
		}
	})
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	db, _ := openClock(t)
	db.AddUser(ctx, NewUser{Name: "bot", Role: RoleOperator, Password: "correct horse"}, store.Actor{})
	secret, tk, err := db.CreateToken(ctx, "bot", "nightly", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, TokenPrefix) {
		t.Fatalf("secret %q", secret)
	}
	if _, u, err := db.TokenBySecret(ctx, secret); err != nil || u.Name != "bot" {
		t.Fatalf("%v %v", u, err)
	}
	if _, _, err := db.TokenBySecret(ctx, secret+"x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("altered secret: %v", err)
	}
	if err := db.RevokeToken(ctx, tk.ID, store.Actor{User: "admin"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.TokenBySecret(ctx, secret); !errors.Is(err, ErrExpired) {
		t.Errorf("revoked: %v", err)
	}
	if err := db.RevokeToken(ctx, "ffff", store.Actor{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown ID: %v", err)
	}
}

func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	db, now := openClock(t)
	db.AddUser(ctx, NewUser{Name: "kim", Role: RoleOperator, Password: "correct horse"}, store.Actor{User: "root", Remote: "cli"})
	for i := range 5 {
		*now = now.Add(time.Minute)
		if err := db.Audit(ctx, store.AuditEntry{User: "kim", Action: "alert.confirm", Target: string(rune('1' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Audit(ctx, store.AuditEntry{User: "kim"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("entry without action: %v", err)
	}
	all, err := db.AuditLog(store.AuditFilter{})
	if err != nil || len(all) != 6 {
		t.Fatalf("%d entries, %v", len(all), err)
	}
	if all[0].Seq != 6 || all[5].Action != "user.add" || all[5].User != "root" {
		t.Errorf("not newest first: %+v", all)
	}
	page, _ := db.AuditLog(store.AuditFilter{Action: "alert.", Limit: 2, Before: 5})
	if len(page) != 2 || page[0].Seq != 4 || page[1].Seq != 3 {
		t.Errorf("page before 5: %+v", page)
	}
	if got, _ := db.AuditLog(store.AuditFilter{User: "root"}); len(got) != 1 {
		t.Errorf("by user: %+v", got)
	}
	r, err := db.Verify(ctx)
	if err != nil || !r.OK() {
		t.Errorf("verify: %v %v", r.Problems, err)
	}
}

func TestPausedSites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hw.db")
	db, err := openDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.SetSitePaused(ctx, "board", true, store.Actor{User: "ana"})
	db.SetSitePaused(ctx, "other", true, store.Actor{User: "ana"})
	db.SetSitePaused(ctx, "other", false, store.Actor{User: "ana"})
	db.Close()
	db, err = openDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := db.PausedSites()
	if err != nil || len(p) != 1 || !p["board"] {
		t.Fatalf("after reopen: %v %v", p, err)
	}
	if log, _ := db.AuditLog(store.AuditFilter{Action: "site."}); len(log) != 3 {
		t.Errorf("audit: %+v", log)
	}
}

func TestCaseLookup(t *testing.T) {
	db, _ := openClock(t)
	if _, err := db.Register(context.Background(), "c1", "label one", []index.Registration{{Print: hashingtest.Image(1, 2, 3)}}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if c, err := db.Case("c1"); err != nil || c.Label != "label one" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := db.Case("nosuch"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown case: %v", err)
	}
}

func TestAPasswordChangeEndsOtherSessions(t *testing.T) {
	ctx := context.Background()
	db, _ := openClock(t)
	if _, err := db.AddUser(ctx, NewUser{Name: "kim", Role: RoleOperator, Password: "correct horse"}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddUser(ctx, NewUser{Name: "lee", Role: RoleOperator, Password: "correct horse"}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	mine, cur, _ := db.CreateSession(ctx, "kim", SessionOptions{}, store.Actor{})
	other, _, _ := db.CreateSession(ctx, "kim", SessionOptions{}, store.Actor{})
	lees, _, _ := db.CreateSession(ctx, "lee", SessionOptions{}, store.Actor{})
	secret, _, _ := db.CreateToken(ctx, "kim", "script", store.Actor{})
	pw := "a new password"
	if _, err := db.UpdateUser(ctx, "kim", UserChange{Password: &pw, KeepSession: cur.ID}, store.Actor{User: "kim"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SessionByToken(ctx, mine); err != nil {
		t.Errorf("the session the change came from ended: %v", err)
	}
	if _, _, err := db.SessionByToken(ctx, other); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another session survived the change: %v", err)
	}
	if _, _, err := db.SessionByToken(ctx, lees); err != nil {
		t.Errorf("another user's session ended: %v", err)
	}
	if _, _, err := db.TokenBySecret(ctx, secret); err != nil {
		t.Errorf("API tokens are revoked separately, not by a password change: %v", err)
	}
	pw2 := "an admin's reset"
	if _, err := db.UpdateUser(ctx, "kim", UserChange{Password: &pw2}, store.Actor{User: "admin"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.SessionByToken(ctx, mine); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a reset by an administrator left a session: %v", err)
	}
}

func TestUserNamesThatCannotBePathSegmentsAreRefused(t *testing.T) {
	db, _ := openClock(t)
	for _, name := range []string{".", ".."} {
		if _, err := db.AddUser(context.Background(), NewUser{Name: name, Role: RoleStaff, Password: "correct horse"}, store.Actor{}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("name %q: err = %v, want store.ErrInvalid", name, err)
		}
	}
}

func TestAUserMayHaveSeveralRoles(t *testing.T) {
	db, _ := openClock(t)
	ctx := context.Background()
	u, err := db.AddUser(ctx, NewUser{Name: "both", Role: RoleStaff, AlsoRoles: []Role{RoleOperator}, Password: "correct horse battery"}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if !u.Has(RoleStaff) || !u.Has(RoleOperator) || u.Has(RoleAdmin) {
		t.Fatalf("roles %v", u.Roles())
	}
	for _, bad := range [][]Role{{RoleStaff}, {"root"}} {
		if _, err := db.AddUser(ctx, NewUser{Name: "x", Role: RoleStaff, AlsoRoles: bad, Password: "correct horse battery"}, store.Actor{}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("also roles %v: %v, want ErrInvalid", bad, err)
		}
	}
	if _, _, err := db.CreateTokenWith(ctx, "both", "t", TokenOptions{Scope: ScopeOperator}, store.Actor{}); err != nil {
		t.Errorf("an operator token for a staff member who is also an operator: %v", err)
	}
	role := RoleAnalyst
	if u, err = db.UpdateUser(ctx, "both", UserChange{Role: &role}, store.Actor{}); err != nil || !slices.Equal(u.Roles(), []Role{RoleAnalyst}) {
		t.Errorf("after a change of role: %v, %v", u.Roles(), err)
	}
}
