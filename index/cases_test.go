package index

import (
	"context"
	"errors"
	"testing"

	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/store"
)

// TestEveryCaseWriteIsAuditedInItsTransaction registers, fails to register
// and withdraws on behalf of one person: each change leaves exactly one
// audit record naming the person, their address and token, and a refused
// change leaves none.
func TestEveryCaseWriteIsAuditedInItsTransaction(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	kim := store.Actor{User: "kim", Remote: "192.0.2.7", Token: "tok1"}
	steps := []struct {
		name    string
		do      func() error
		wantErr error
		action  string // recorded, "" for none
		detail  string
	}{
		{"a registration is recorded with its count", func() error {
			_, err := db.Register(ctx, "c1", "", []Registration{{Print: hashingtest.Image(1, 1, 1)}, {Print: hashingtest.Image(2, 2, 2)}}, kim)
			return err
		}, nil, "case.register", "2 fingerprint(s)"},
		{"a registration without hashes is refused and records nothing", func() error {
			_, err := db.Register(ctx, "c1", "", []Registration{{Source: "empty"}}, kim)
			return err
		}, store.ErrInvalid, "", ""},
		{"a withdrawal is recorded with what it deleted", func() error { _, _, err := db.Withdraw(ctx, "c1", kim); return err }, nil, "case.withdraw", "2 fingerprint(s) deleted, 0 alert(s) closed"},
		{"registering under the withdrawn case is refused and records nothing", func() error {
			_, err := db.Register(ctx, "c1", "", []Registration{{Print: hashingtest.Image(3, 3, 3)}}, kim)
			return err
		}, store.ErrInvalid, "", ""},
		{"withdrawing a missing case records nothing", func() error { _, _, err := db.Withdraw(ctx, "nope", kim); return err }, store.ErrNotFound, "", ""},
	}
	records := 0
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			err := st.do()
			if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, st.wantErr)
			}
			log, err := db.AuditLog(store.AuditFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if st.action != "" {
				records++
			}
			if len(log) != records {
				t.Fatalf("%d audit records, want %d", len(log), records)
			}
			if st.action == "" {
				return
			}
			last := log[0]
			for _, e := range log {
				if e.Seq > last.Seq {
					last = e
				}
			}
			if last.Action != st.action || last.Target != "c1" || last.Detail != st.detail || last.User != kim.User || last.Remote != kim.Remote || last.Token != kim.Token {
				t.Errorf("last record %+v; want %s on c1 (%s) by %+v", last, st.action, st.detail, kim)
			}
		})
	}
}
