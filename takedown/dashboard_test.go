package takedown

import (
	"context"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/store"
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
		if _, err := db.DecideAlert(ctx, a.ID, alerts.StatusConfirmed, "", store.Actor{}); err != nil {
			t.Fatal(err)
		}
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
	if _, err := db.DecideAlert(ctx, sent.ID, alerts.StatusConfirmed, "", store.Actor{}); err != nil {
		t.Fatal(err)
	}
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
