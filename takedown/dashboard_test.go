package takedown

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/centres"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/hashing/hashingtest"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

func TestDashboard(t *testing.T) {
	ctx := context.Background()
	kst := time.FixedZone("KST", 9*3600)
	c := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	db, m := openClocked(t, c)

	// Alerts: one on Nov 27 (UTC and KST), one at 16:00 UTC on Nov 29,
	// which is 01:00 on Nov 30 in Seoul, and the rest on Nov 30.
	var sha byte
	alert := func(site string) alerts.Alert {
		sha++
		return newAlert(t, db, m, sha, site)
	}
	alert("a")
	c.t = time.Date(2026, 11, 29, 16, 0, 0, 0, time.UTC)
	alert("a")
	c.t = time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	// Site a removes after 1, 2, 3 and 10 hours; site b after 5.
	removeAfter := func(site string, d time.Duration) {
		a := alert(site)
		start := c.t
		confirm(t, db, a.ID)
		if _, err := db.RecordCheck(ctx, a.ID, alerts.Check{At: start.Add(d), Outcome: alerts.CheckGone}, start.Add(d+time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range []int{3, 1, 10, 2} {
		removeAfter("a", time.Duration(h)*time.Hour)
	}
	removeAfter("b", 5*time.Hour)
	// An open queue: one new, one notice sent long ago and unanswered.
	alert("b")
	sent := alert("b")
	confirm(t, db, sent.ID)
	n, err := db.CreateNotice(ctx, Notice{Site: "b", To: "abuse@b.example", Subject: "s", Body: "b", AlertIDs: []uint64{sent.ID}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.MarkNoticeSent(ctx, n.ID, store.Actor{}); err != nil {
		t.Fatal(err)
	}

	now := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC) // Dec 1, 11:00 in Seoul
	d, err := db.Dashboard(now, kst, 5)
	if err != nil {
		t.Fatal(err)
	}
	wantDays := []struct {
		day    int // of November, or 31 for Dec 1
		alerts int
	}{{27, 1}, {28, 0}, {29, 0}, {30, 8}, {31, 0}}
	if len(d.Days) != len(wantDays) {
		t.Fatalf("%d days, want %d", len(d.Days), len(wantDays))
	}
	for i, w := range wantDays {
		want := time.Date(2026, 11, w.day, 0, 0, 0, 0, kst)
		if !d.Days[i].Day.Equal(want) || d.Days[i].Alerts != w.alerts {
			t.Errorf("day %d: %v with %d alerts, want %v with %d", i, d.Days[i].Day, d.Days[i].Alerts, want, w.alerts)
		}
	}
	if d.Queue[alerts.StatusRemoved] != 5 || d.Queue[alerts.StatusNew] != 3 || d.Queue[alerts.StatusNoticeSent] != 1 || d.Open != 4 {
		t.Errorf("queue %v open %d; want 5 removed, 3 new, 1 notice_sent, 4 open", d.Queue, d.Open)
	}
	want := []alerts.SiteRemoval{{Site: "a", Removed: 4, Median: 2 * time.Hour, P90: 10 * time.Hour}, {Site: "b", Removed: 1, Median: 5 * time.Hour, P90: 5 * time.Hour}}
	if len(d.Removal) != 2 || d.Removal[0] != want[0] || d.Removal[1] != want[1] {
		t.Errorf("removal = %+v, want %+v", d.Removal, want)
	}
	if d.OverdueNotices != 1 {
		t.Errorf("overdue notices = %d, want 1", d.OverdueNotices)
	}

	// In UTC the late alert of Nov 29 counts on Nov 29.
	d, _ = db.Dashboard(now, time.UTC, 3)
	if d.Days[0].Day.Day() != 29 || d.Days[0].Alerts != 1 || d.Days[1].Alerts != 7 {
		t.Errorf("UTC days = %+v", d.Days)
	}
}

// TestOverdueNoticesKeptEqualsScan runs random notices, reminders, removals
// and dismissals over alerts of two centres and checks that the overdue
// count the dashboard reads from the alerts' kept index equals reading
// every notice (overdueNotices), nationally and per centre, at several
// times, and that verify finds the index consistent.
func TestOverdueNoticesKeptEqualsScan(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 77))
			c := &clock{t: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}
			db, m := openClocked(t, c)
			mb := addCentreCase(t, db, "busan", "c1")
			var ids []uint64
			sites := []string{"a", "b"}
			centreIDs := []string{"national", "busan"}
			compare := func(stage string) {
				t.Helper()
				for _, back := range []time.Duration{0, 12 * time.Hour, 36 * time.Hour, 5 * 24 * time.Hour} {
					now := c.t.Add(-back)
					err := db.View(func(tx *bolt.Tx) error {
						got, ok, err := alerts.OverdueNoticesIn(tx, now.Add(-DefaultNoticeOverdue))
						if err != nil || !ok {
							return fmt.Errorf("kept count: ok %v, %w", ok, err)
						}
						want, err := overdueNotices(tx, now, DefaultNoticeOverdue)
						if err != nil {
							return err
						}
						if got != len(want) {
							t.Fatalf("%s, at %v: kept %d overdue, reading the notices %d", stage, now, got, len(want))
						}
						for _, centre := range append(centreIDs, "daegu") {
							got, ok, err := alerts.CentreOverdueNoticesIn(tx, centre, now.Add(-DefaultNoticeOverdue))
							if err != nil || !ok {
								return fmt.Errorf("kept count of %s: ok %v, %w", centre, ok, err)
							}
							n := 0
							for _, w := range want {
								if w.Centre == centre {
									n++
								}
							}
							if got != n {
								t.Fatalf("%s, at %v: centre %s: kept %d overdue, reading the notices %d", stage, now, centre, got, n)
							}
						}
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
				}
				if r, err := db.Verify(ctx); err != nil || !r.OK() {
					t.Fatalf("%s: verify: %v %v", stage, err, r.Problems)
				}
			}
			for i := range 250 {
				c.advance(time.Duration(rng.IntN(8*60)) * time.Minute)
				switch r := rng.IntN(10); {
				case r < 4 || len(ids) == 0:
					match := m
					if rng.IntN(2) == 0 {
						match = mb
					}
					a := newAlert(t, db, match, byte(i), sites[rng.IntN(2)])
					ids = append(ids, a.ID)
				case r < 6:
					if _, err := db.DecideAlert(ctx, ids[rng.IntN(len(ids))], alerts.StatusConfirmed, "", store.Actor{}); err != nil && !errors.Is(err, store.ErrConflict) {
						t.Fatal(err)
					}
				case r < 8:
					// A notice (or a reminder) for the site's confirmed and
					// notice-sent alerts, sent now or left a draft.
					site, centre := sites[rng.IntN(2)], centreIDs[rng.IntN(2)]
					var list []uint64
					for _, id := range ids {
						a, err := db.Alert(id)
						if err != nil {
							t.Fatal(err)
						}
						if a.Site == site && a.Centre == centre && (a.Status == alerts.StatusConfirmed || a.Status == alerts.StatusNoticeSent) && rng.IntN(2) == 0 {
							list = append(list, id)
						}
					}
					if len(list) == 0 {
						continue
					}
					n, err := db.CreateNotice(ctx, Notice{Site: site, To: "abuse@" + site + ".example", Subject: "s", Body: "b", AlertIDs: list}, store.Actor{})
					if err != nil {
						t.Fatal(err)
					}
					if rng.IntN(4) > 0 {
						if _, err := db.MarkNoticeSent(ctx, n.ID, store.Actor{}); err != nil {
							t.Fatal(err)
						}
					}
				case r < 9:
					o := alerts.CheckGone
					if rng.IntN(3) == 0 {
						o = alerts.CheckPresent
					}
					if _, err := db.RecordCheck(ctx, ids[rng.IntN(len(ids))], alerts.Check{Outcome: o}, c.t.Add(time.Hour)); err != nil && !errors.Is(err, alerts.ErrNotChecked) {
						t.Fatal(err)
					}
				default:
					if _, err := db.DecideAlert(ctx, ids[rng.IntN(len(ids))], alerts.StatusDismissed, "no", store.Actor{}); err != nil && !errors.Is(err, store.ErrConflict) {
						t.Fatal(err)
					}
				}
				if i%50 == 49 {
					compare(fmt.Sprintf("after %d steps", i+1))
				}
			}
			over, err := db.OverdueNotices(c.t, 0)
			if err != nil || len(over) == 0 {
				t.Fatalf("the random run left no overdue notice to count (%v)", err)
			}
			for _, centre := range centreIDs {
				if !slices.ContainsFunc(over, func(n Notice) bool { return n.Centre == centre }) {
					t.Fatalf("the random run left no overdue notice of %s to count", centre)
				}
			}
		})
	}
}

// addCentreCase adds centre to db and registers a fingerprint in its case
// caseID, returning a match of it.
func addCentreCase(t *testing.T, db *testDB, centre, caseID string) index.Match {
	t.Helper()
	cs, err := centres.Open(db.DB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.Add(context.Background(), centre, "centre "+centre, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	fps, err := db.RegisterIn(context.Background(), centre, caseID, "", []index.Registration{{Print: hashingtest.Image(2, 2, 2)}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	return index.Match{Fingerprint: fps[0].ID, Case: caseID, Evidence: hashing.Evidence{Algorithm: hashing.PDQ, Distance: 5}}
}

// TestDashboardPerCentre checks that a centre's dashboard counts only its
// alerts and notices, and that the national one adds each centre's side
// by side to the total.
func TestDashboardPerCentre(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	db, m := openClocked(t, c)
	mb := addCentreCase(t, db, "busan", "c1")
	newAlert(t, db, m, 1, "a")
	newAlert(t, db, m, 2, "a")
	b := newAlert(t, db, mb, 3, "b")
	confirm(t, db, b.ID)
	if _, err := db.RecordCheck(ctx, b.ID, alerts.Check{At: c.t.Add(4 * time.Hour), Outcome: alerts.CheckGone}, c.t.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	sent := newAlert(t, db, mb, 4, "b")
	confirm(t, db, sent.ID)
	n, err := db.CreateNotice(ctx, Notice{Site: "b", To: "abuse@b.example", Subject: "s", Body: "b", AlertIDs: []uint64{sent.ID}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.MarkNoticeSent(ctx, n.ID, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	now := c.t.Add(10 * 24 * time.Hour)
	for _, tc := range []struct {
		centre                  string
		alerts, open, new, over int
		removalSites            int
	}{
		{"national", 2, 2, 2, 0, 0},
		{"busan", 2, 1, 0, 1, 1},
		{"daegu", 0, 0, 0, 0, 0},
		{"", 4, 3, 2, 1, 1},
	} {
		d, err := db.DashboardOf(tc.centre, now, time.UTC, 30)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, dc := range d.Days {
			total += dc.Alerts
		}
		if d.Centre != tc.centre || total != tc.alerts || d.Open != tc.open || d.Queue[alerts.StatusNew] != tc.new || d.OverdueNotices != tc.over || len(d.Removal) != tc.removalSites {
			t.Errorf("centre %q: %+v; want %d alerts, %d open, %d new, %d overdue, %d removal sites", tc.centre, d, tc.alerts, tc.open, tc.new, tc.over, tc.removalSites)
		}
	}
	d, err := db.NationalDashboard([]string{"national", "busan"}, now, time.UTC, 30)
	if err != nil {
		t.Fatal(err)
	}
	if d.Centre != "" || len(d.Centres) != 2 || d.Centres[0].Centre != "national" || d.Centres[1].Centre != "busan" ||
		d.Open != d.Centres[0].Open+d.Centres[1].Open || d.OverdueNotices != 1 || d.Centres[1].OverdueNotices != 1 {
		t.Errorf("national dashboard %+v", d)
	}
}
