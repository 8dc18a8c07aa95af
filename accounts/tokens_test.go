package accounts

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/store"
)

func TestATokenStopsAtItsExpiryAndDisablingRevokesForGood(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	db, err := openDB(filepath.Join(t.TempDir(), "hw.db"), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.AddUser(ctx, NewUser{Name: "bot", Role: RoleOperator, Password: "a long enough password"}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	short, _, err := db.CreateTokenWith(ctx, "bot", "short", TokenOptions{TTL: time.Hour}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	long, _, err := db.CreateToken(ctx, "bot", "long", store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.TokenBySecret(ctx, short); err != nil {
		t.Fatalf("a fresh token: %v", err)
	}
	now = now.Add(time.Hour)
	if _, _, err := db.TokenBySecret(ctx, short); !errors.Is(err, ErrExpired) {
		t.Errorf("a token at its expiry: %v, want ErrExpired", err)
	}
	if _, _, err := db.TokenBySecret(ctx, long); err != nil {
		t.Fatalf("a token without expiry: %v", err)
	}
	yes, no := true, false
	for _, d := range []*bool{&yes, &no} {
		if _, err := db.UpdateUser(ctx, "bot", UserChange{Disabled: d}, store.Actor{User: "admin"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := db.TokenBySecret(ctx, long); !errors.Is(err, ErrExpired) {
		t.Errorf("the token of a disabled, then re-enabled user: %v, want it revoked", err)
	}
}
