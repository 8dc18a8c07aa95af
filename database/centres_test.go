package database

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	"github.com/hashwatch/hashwatch/takedown"
)

// copyFixture copies testdata/NAME to a temporary file and returns its path.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hw.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// testdata/schema2.bolt was written by the build before centres (schema 2):
// case "a" (label "case a", fingerprints 1 and 2), case "w" withdrawn,
// alert 1 on fingerprint 1 confirmed by kim, alert 2 of case w withdrawn,
// operator kim, notice 1 listing alert 1, URL report 1 by kim.
func TestAFileFromBeforeCentresMigratesToTheNationalCentre(t *testing.T) {
	ctx := context.Background()
	path := copyFixture(t, "schema2.bolt")
	db, err := Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.Store.Schema(); err != nil || v != store.SchemaVersion {
		t.Fatalf("schema %d, %v; want %d", v, err, store.SchemaVersion)
	}
	cs, err := db.Centres.List()
	if err != nil || len(cs) != 1 || cs[0].ID != centres.National {
		t.Fatalf("centres %+v, %v; want the national one", cs, err)
	}
	cases, err := db.Index.Cases()
	if err != nil || len(cases) != 2 {
		t.Fatalf("cases %+v, %v", cases, err)
	}
	for _, c := range cases {
		if c.Centre != centres.National {
			t.Errorf("case %s of centre %q, want national", c.ID, c.Centre)
		}
	}
	if c, err := db.Index.CaseOf(centres.National, "a"); err != nil || c.Label != "case a" || c.Fingerprints != 0 {
		t.Errorf("case a: %+v, %v", c, err)
	}
	fps, err := db.Index.FingerprintsOf(centres.National, "a")
	if err != nil || len(fps) != 2 {
		t.Fatalf("fingerprints of a: %d, %v", len(fps), err)
	}
	page, err := db.Alerts.QueryAlerts(ctx, alerts.AlertQuery{Centre: centres.National, Limit: 10})
	if err != nil || page.Total != 2 || len(page.Alerts) != 2 {
		t.Fatalf("national alerts: %+v, %v", page, err)
	}
	for _, a := range page.Alerts {
		if a.Centre != centres.National {
			t.Errorf("alert %d of centre %q", a.ID, a.Centre)
		}
	}
	if page, err := db.Alerts.QueryAlerts(ctx, alerts.AlertQuery{Case: "a", Limit: 10}); err != nil || page.Total != 1 {
		t.Errorf("alerts of case a: %+v, %v", page, err)
	}
	u, err := db.Accounts.User("kim")
	if err != nil || u.Centre != centres.National || !u.NationalScope() {
		t.Errorf("kim: %+v, %v", u, err)
	}
	ns, err := db.Takedown.Notices(takedown.NoticeFilter{Centre: centres.National})
	if err != nil || len(ns) != 1 {
		t.Errorf("national notices: %+v, %v", ns, err)
	}
	rs, err := db.Alerts.URLReports(alerts.URLReportFilter{Centre: centres.National})
	if err != nil || len(rs) != 1 {
		t.Errorf("national reports: %+v, %v", rs, err)
	}
	// Case a still matches and still withdraws, as the national centre's.
	if _, n, err := db.Index.Withdraw(ctx, "a", store.Actor{}); err != nil || n != 1 {
		t.Errorf("withdraw a: %d alerts closed, %v", n, err)
	}
	db.Close()
	if r := verifyFile(t, path); !r.OK() {
		t.Fatalf("after migration: %v", r.Problems)
	}
}

func TestCaseIDsAreUniquePerCentre(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	if _, err := db.Index.RegisterIn(ctx, "busan", "c1", "", []index.Registration{{Print: hashingtest.Image(1, 2, 1)}}, store.Actor{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("register in a centre that does not exist: %v", err)
	}
	if _, err := db.Centres.Add(ctx, "busan", "Busan centre", store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Centres.Add(ctx, "busan", "again", store.Actor{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("add a taken centre ID: %v", err)
	}
	if _, err := db.Centres.Add(ctx, "Bad/ID", "x", store.Actor{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("add a centre ID with '/': %v", err)
	}
	nat, err := db.Index.Register(ctx, "c1", "national label", []index.Registration{{Print: hashingtest.Image(0x1111, 0x2222, 1)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	bus, err := db.Index.RegisterIn(ctx, "busan", "c1", "busan label", []index.Registration{{Print: hashingtest.Image(0x3333, 0x4444, 2)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	// Each match alerts its own case's centre.
	for i, f := range []*index.Fingerprint{nat[0], bus[0]} {
		a, _, err := db.Alerts.RecordAlert(ctx, alerts.AlertInput{Site: "s", MediaSHA256: [32]byte{9}, Match: index.Match{Fingerprint: f.ID, Case: "c1"},
			Sighting: alerts.Sighting{PageURL: "http://x/p", MediaURL: "http://x/m.jpg"}})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{centres.National, "busan"}[i]; a.Centre != want {
			t.Errorf("alert on %d: centre %q, want %q", f.ID, a.Centre, want)
		}
	}
	for _, centre := range []string{centres.National, "busan"} {
		page, err := db.Alerts.QueryAlerts(ctx, alerts.AlertQuery{Centre: centre, Limit: 10})
		if err != nil || page.Total != 1 || len(page.Alerts) != 1 || page.Alerts[0].Centre != centre {
			t.Errorf("%s's queue: %+v, %v", centre, page, err)
		}
		page, err = db.Alerts.QueryAlerts(ctx, alerts.AlertQuery{Centre: centre, Site: "s", Limit: 10})
		if err != nil || page.Total != 1 || len(page.Alerts) != 1 || page.Alerts[0].Centre != centre {
			t.Errorf("%s's queue of site s: %+v, %v", centre, page, err)
		}
	}
	if page, _ := db.Alerts.QueryAlerts(ctx, alerts.AlertQuery{Limit: 10}); page.Total != 2 {
		t.Errorf("every centre's alerts: %d, want 2", page.Total)
	}
	// Withdrawing busan's c1 leaves the national c1 alone.
	fps, closed, err := db.Index.WithdrawIn(ctx, "busan", "c1", store.Actor{User: "lee", Centre: "busan"})
	if err != nil || fps != 1 || closed != 1 {
		t.Fatalf("withdraw busan/c1: %d %d %v", fps, closed, err)
	}
	if c, err := db.Index.Case("c1"); err != nil || c.Withdrawn() || c.Label != "national label" {
		t.Errorf("national c1 after busan's withdrawal: %+v, %v", c, err)
	}
	log, err := db.Store.AuditLog(store.AuditFilter{Centre: "busan", Action: "case."})
	if err != nil || len(log) != 2 {
		t.Errorf("busan's case audit: %+v, %v", log, err)
	}
	db.Close()
	if r := verifyFile(t, path); !r.OK() {
		t.Fatalf("verify: %v", r.Problems)
	}
}

func TestMovingACaseMovesItsFingerprintsAndAlerts(t *testing.T) {
	ctx := context.Background()
	db, path := openTemp(t)
	for _, c := range []string{"busan", "daegu"} {
		if _, err := db.Centres.Add(ctx, c, c, store.Actor{}); err != nil {
			t.Fatal(err)
		}
	}
	fps, err := db.Index.RegisterIn(ctx, "busan", "c1", "l", []index.Registration{{Print: hashingtest.Image(0x1111, 0x2222, 1)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Index.RegisterIn(ctx, "daegu", "c1", "", []index.Registration{{Print: hashingtest.Image(0x7777, 0x8888, 3)}}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	rec := func(sha byte) alerts.Alert {
		a, _, err := db.Alerts.RecordAlert(ctx, alerts.AlertInput{Site: "s", MediaSHA256: [32]byte{sha}, Match: index.Match{Fingerprint: fps[0].ID, Case: "c1"},
			Sighting: alerts.Sighting{PageURL: "http://x/p", MediaURL: "http://x/m.jpg"}})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	before := rec(1)
	if _, _, err := db.Index.MoveCase(ctx, "busan", "c1", "daegu", store.Actor{}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("moving onto a taken case ID: %v", err)
	}
	if _, _, err := db.Index.MoveCase(ctx, "busan", "c1", "nowhere", store.Actor{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("moving to a centre that does not exist: %v", err)
	}
	n, moved, err := db.Index.MoveCase(ctx, "busan", "c1", centres.National, store.Actor{User: "cli:root"})
	if err != nil || n != 1 || moved != 1 {
		t.Fatalf("move: %d fingerprints, %d alerts, %v", n, moved, err)
	}
	if a, err := db.Alerts.Alert(before.ID); err != nil || a.Centre != centres.National {
		t.Errorf("the moved case's alert: %+v, %v", a, err)
	}
	for centre, want := range map[string]int{"busan": 0, centres.National: 1} {
		if page, err := db.Alerts.QueryAlerts(ctx, alerts.AlertQuery{Centre: centre, Limit: 10}); err != nil || page.Total != want {
			t.Errorf("%s's queue after the move: %d, %v; want %d", centre, page.Total, err, want)
		}
	}
	// The matcher and new alerts follow the move.
	ms, err := db.Index.Match(ctx, hashingtest.Image(0x1111, 0x2222, 9), hashing.DefaultRule())
	if err != nil || len(ms) == 0 || ms[0].Fingerprint != fps[0].ID || ms[0].Centre != centres.National {
		t.Errorf("match after the move: %+v, %v", ms, err)
	}
	if a := rec(2); a.Centre != centres.National {
		t.Errorf("an alert raised after the move went to %q", a.Centre)
	}
	if _, err := db.Index.CaseOf("busan", "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("busan still has c1: %v", err)
	}
	if log, err := db.Store.AuditLog(store.AuditFilter{Action: "case.move"}); err != nil || len(log) != 1 || log[0].Centre != centres.National {
		t.Errorf("audit of the move: %+v, %v", log, err)
	}
	db.Close()
	if r := verifyFile(t, path); !r.OK() {
		t.Fatalf("verify: %v", r.Problems)
	}
}
