package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/store"
)

// TestSelfSubmitCommands turns a centre's self-submission on with the
// CLI, issues and revokes a case's PIN, and checks the refusals and the
// audit log: a PIN is refused while the centre has it off, printed once
// and never written to the audit log or the database in the clear.
func TestSelfSubmitCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hw.db")
	if _, errOut, code := cli(t, db, "centre", "add", "busan", "--name", "Busan"); code != 0 {
		t.Fatalf("centre add: %d %s", code, errOut)
	}
	steps := []struct {
		name string
		args []string
		code int
		out  string // in stdout, or stderr when code != 0
	}{
		{"a PIN is refused while self-submission is off", []string{"case", "pin", "c1", "--centre", "busan"}, 2, "self-submission off"},
		{"on or off, nothing else", []string{"centre", "self-submit", "busan", "yes"}, 2, "want on or off"},
		{"an unknown centre is a usage error", []string{"centre", "self-submit", "nosuch", "on"}, 2, "nosuch"},
		{"an admin turns it on", []string{"centre", "self-submit", "busan", "on"}, 0, "self-submission of centre busan: on"},
		{"too long a validity is refused", []string{"case", "pin", "c1", "--centre", "busan", "--days", "365"}, 2, "want 1 to 90"},
		{"a PIN is issued, opening the case", []string{"case", "pin", "c1", "--centre", "busan", "--days", "3"}, 0, "PIN for case c1 of centre busan: "},
		{"the case is listed", []string{"case", "list", "--centre", "busan"}, 0, "c1"},
		{"the PIN is revoked", []string{"case", "pin", "c1", "--centre", "busan", "--revoke"}, 0, "revoked"},
		{"the centre list says it is on", []string{"centre", "list", "--json"}, 0, `"id":"busan","name":"Busan","national":false`},
	}
	var pin string
	for _, s := range steps {
		out, errOut, code := cli(t, db, s.args...)
		got := out
		if code != 0 {
			got = errOut
		}
		if code != s.code || !strings.Contains(got, s.out) {
			t.Fatalf("%s: %v: exit %d, %q; want exit %d and %q", s.name, s.args, code, got, s.code, s.out)
		}
		if m := regexp.MustCompile(`: ([A-Z2-9]{4}-[A-Z2-9]{4})\n`).FindStringSubmatch(out); m != nil {
			pin = m[1]
		}
	}
	if pin == "" {
		t.Fatal("no PIN printed")
	}
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(strings.ReplaceAll(pin, "-", ""))) {
		t.Error("the database file holds the PIN in the clear")
	}
	d, err := database.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	log, err := d.Store.AuditLog(store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action)
		if strings.Contains(e.Detail, pin) || strings.Contains(e.Detail, strings.ReplaceAll(pin, "-", "")) {
			t.Errorf("the audit log holds the PIN: %+v", e)
		}
	}
	for _, want := range []string{"centre.self_submit", "case.pin_issue", "case.pin_revoke"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit actions %v lack %s", actions, want)
		}
	}
	if err := d.Index.CheckPIN(context.Background(), "busan", "c1", pin, store.Actor{}); err == nil {
		t.Error("the revoked PIN is still accepted")
	}
}
