//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

// undoDB makes a database with six new alerts and, on alerts 1, 2, 3
// and 6, decisions whose undo the test asks for: 1 confirmed by the
// test's user 20 minutes ago (past the default window of 10 minutes,
// within serve --undo-window 1h), 6 confirmed by them two hours ago (past
// both), 2 confirmed by them just now and then sent in a notice, 3
// confirmed by alice just now.
func undoDB(t *testing.T, path, user string) {
	t.Helper()
	now := time.Now()
	clock := now
	db, err := database.Open(path, store.Options{Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	pdq := hashing.Hash{Algorithm: hashing.PDQ, Code: hashing.Code{1, 2, 3, 4}, Quality: 100}
	fps, err := db.Index.Register(ctx, "undo", "", []index.Registration{{Print: hashing.Fingerprint{
		Kind: hashing.KindImage, Width: 10, Height: 10, SHA256: [32]byte{1},
		Views: []hashing.View{{Name: hashing.ViewOriginal, Hashes: []hashing.Hash{pdq}}}}}}, store.Actor{User: "setup"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if _, _, err := db.Alerts.RecordAlert(ctx, alerts.AlertInput{Site: "s", MediaSHA256: [32]byte{byte(i + 1)},
			Match: index.Match{Fingerprint: fps[0].ID, Case: "undo"}}); err != nil {
			t.Fatal(err)
		}
	}
	decide := func(id uint64, by string, at time.Time) {
		t.Helper()
		clock = at
		if _, err := db.Alerts.DecideAlert(ctx, id, alerts.StatusConfirmed, "", store.Actor{User: by}); err != nil {
			t.Fatal(err)
		}
	}
	decide(1, user, now.Add(-20*time.Minute))
	decide(6, user, now.Add(-2*time.Hour))
	decide(2, user, now)
	decide(3, "alice", now)
	clock = now.Add(time.Second)
	if err := db.Store.Update(func(tx *bolt.Tx) error { return alerts.NoticeSentIn(tx, 2, 1, clock) }, nil); err != nil {
		t.Fatal(err)
	}
}

// TestAlertsUndoOnTheCommandLine runs `alerts undo` beside serve (with
// --undo-window 1h) and on a closed copy of the same database (the default
// window, 10 minutes): each refusal is the console's, the window the one
// in force, and every undo is audited as the command line's user.
func TestAlertsUndoOnTheCommandLine(t *testing.T) {
	base := filepath.Join(t.TempDir(), "hw.db")
	undoDB(t, base, "cli:undo-test")
	live, closed := t.TempDir(), t.TempDir()
	for _, d := range []string{live, closed} {
		copyFile(t, base, filepath.Join(d, "hw.db"))
	}
	sites := filepath.Join(t.TempDir(), "sites.yaml")
	if err := os.WriteFile(sites, []byte("sites:\n  - name: none\n    seeds: [\"http://127.0.0.1:9/\"]\n    allow_private: true\n    interval: 1h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"USER=undo-test", "HASHWATCH_DB=hw.db", "TZ=UTC"}

	const (
		notYours = "hashwatch: Alert #3 was decided by alice; only they or an admin can undo it.\n"
		followed = "hashwatch: Something that cannot be taken back followed the decision on alert #2 (a notice sent, removal found or the case withdrawn); it can no longer be undone.\n"
		nothing  = "hashwatch: Alert #4 has no decision to undo (never decided, or undone already).\n"
	)
	expired := func(id, minutes int) string {
		return fmt.Sprintf("hashwatch: Alert #%d was decided more than %d minutes ago; the decision can no longer be undone.\n", id, minutes)
	}
	type want struct {
		code        int
		out, errOut string
	}
	steps := []struct {
		name           string
		args           []string
		beside, closed want
	}{
		{"a decision 20 minutes old is undone within serve's window of an hour, refused past the default 10 minutes",
			[]string{"alerts", "undo", "1"}, want{0, "alert 1 is now new\n", ""}, want{1, "", expired(1, 10)}},
		{"a decision two hours old is refused, naming the window in force",
			[]string{"alerts", "undo", "6"}, want{1, "", expired(6, 60)}, want{1, "", expired(6, 10)}},
		{"a decision followed by a notice is refused",
			[]string{"alerts", "undo", "2"}, want{1, "", followed}, want{1, "", followed}},
		{"another user's decision is refused",
			[]string{"alerts", "undo", "3"}, want{1, "", notYours}, want{1, "", notYours}},
		{"an alert confirmed here",
			[]string{"alerts", "confirm", "4"}, want{0, "alert 4 is now confirmed\n", ""}, want{0, "alert 4 is now confirmed\n", ""}},
		{"is undone",
			[]string{"alerts", "undo", "4"}, want{0, "alert 4 is now new\n", ""}, want{0, "alert 4 is now new\n", ""}},
		{"and then has nothing to undo",
			[]string{"alerts", "undo", "4"}, want{1, "", nothing}, want{1, "", nothing}},
		{"an alert confirmed here",
			[]string{"alerts", "confirm", "5"}, want{0, "alert 5 is now confirmed\n", ""}, want{0, "alert 5 is now confirmed\n", ""}},
		{"is not undone with an alert that cannot be: all or nothing",
			[]string{"alerts", "undo", "5", "3"}, want{1, "", notYours + "hashwatch: 1 of 2 decisions cannot be undone, so none was.\n"},
			want{1, "", notYours + "hashwatch: 1 of 2 decisions cannot be undone, so none was.\n"}},
		{"and is undone on its own",
			[]string{"alerts", "undo", "5"}, want{0, "alert 5 is now new\n", ""}, want{0, "alert 5 is now new\n", ""}},
		{"several at once",
			[]string{"alerts", "confirm", "4"}, want{0, "alert 4 is now confirmed\n", ""}, want{0, "alert 4 is now confirmed\n", ""}},
		{"several at once",
			[]string{"alerts", "dismiss", "5", "--reason", "not her"}, want{0, "alert 5 is now dismissed\n", ""}, want{0, "alert 5 is now dismissed\n", ""}},
		{"are undone in the order named",
			[]string{"alerts", "undo", "5", "4"}, want{0, "alert 5 is now new\nalert 4 is now new\n", ""}, want{0, "alert 5 is now new\nalert 4 is now new\n", ""}},
		{"an ID that is no number is a usage error",
			[]string{"alerts", "undo", "x"}, want{2, "", "hashwatch: \"x\" is not an ID (a positive whole number)\nRun 'hashwatch --help' for usage.\n"},
			want{2, "", "hashwatch: \"x\" is not an ID (a positive whole number)\nRun 'hashwatch --help' for usage.\n"}},
	}
	run := func(where, dir string, pick func(i int) want) {
		for i, s := range steps {
			out, errOut, code := runIn(t, dir, env, "", s.args...)
			w := pick(i)
			if code != w.code || out != w.out || errOut != w.errOut {
				t.Errorf("%s (%s): %s: exit %d\nstdout: %q\nstderr: %q\nwant exit %d\nstdout: %q\nstderr: %q",
					where, strings.Join(s.args, " "), s.name, code, out, errOut, w.code, w.out, w.errOut)
			}
		}
	}
	srv := startServe(t, filepath.Join(live, "hw.db"), sites, "--no-crawl", "--undo-window", "1h")
	run("beside serve", live, func(i int) want { return steps[i].beside })
	t.Run("a missing alert is refused", func(t *testing.T) {
		_, errOut, code := runIn(t, live, env, "", "alerts", "undo", "999")
		if code != 1 || !strings.Contains(errOut, "999") {
			t.Errorf("exit %d, stderr %q; want 1 naming alert 999", code, errOut)
		}
	})
	srv.stop(t)
	run("on the closed database", closed, func(i int) want { return steps[i].closed })

	undos := func(path string) []string {
		t.Helper()
		db, err := database.Open(path, store.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		es, err := db.Store.AuditLog(store.AuditFilter{Action: "alert.undo", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for i := len(es) - 1; i >= 0; i-- {
			out = append(out, es[i].User+" "+es[i].Target+" "+strings.SplitN(es[i].Detail, " by ", 2)[0])
		}
		return out
	}
	for _, c := range []struct {
		dir  string
		want []string
	}{
		{live, []string{"cli:undo-test 1 alert.confirm", "cli:undo-test 4 alert.confirm", "cli:undo-test 5 alert.confirm",
			"cli:undo-test 5 alert.dismiss", "cli:undo-test 4 alert.confirm"}},
		{closed, []string{"cli:undo-test 4 alert.confirm", "cli:undo-test 5 alert.confirm",
			"cli:undo-test 5 alert.dismiss", "cli:undo-test 4 alert.confirm"}},
	} {
		if got := undos(filepath.Join(c.dir, "hw.db")); strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("alert.undo audit in %s:\n%s\nwant:\n%s", c.dir, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
}
