package takedown

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/notice"
	"github.com/hashwatch/hashwatch/store"
	bolt "go.etcd.io/bbolt"
)

func TestNoticesMoveTheirAlertsAndBecomeOverdue(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	db, m := openClocked(t, c)
	op := store.Actor{User: "op1", Remote: "127.0.0.1"}
	a1, a2, fresh := newAlert(t, db, m, 1, "s"), newAlert(t, db, m, 2, "s"), newAlert(t, db, m, 3, "s")
	other := newAlert(t, db, m, 4, "other-site")
	confirm(t, db, a1.ID, a2.ID, other.ID)
	draft := Notice{Site: "s", To: "abuse@s.example", Lang: "ko", Subject: "삭제 요청", Body: "본문\n", AlertIDs: []uint64{a2.ID, a1.ID, a1.ID}}

	for _, tc := range []struct {
		name   string
		change func(n *Notice)
		want   error
	}{
		{"an alert not confirmed", func(n *Notice) { n.AlertIDs = []uint64{fresh.ID} }, store.ErrInvalid},
		{"an alert of another site", func(n *Notice) { n.AlertIDs = []uint64{a1.ID, other.ID} }, store.ErrInvalid},
		{"a missing alert", func(n *Notice) { n.AlertIDs = []uint64{999} }, store.ErrNotFound},
		{"no alerts", func(n *Notice) { n.AlertIDs = nil }, store.ErrInvalid},
		{"no body", func(n *Notice) { n.Body = " \n" }, store.ErrInvalid},
		{"a subject of two lines", func(n *Notice) { n.Subject = "a\r\nBcc: x" }, store.ErrInvalid},
		{"no recipient", func(n *Notice) { n.To = " " }, ErrNoRecipient},
		{"a recipient that is no contact", func(n *Notice) { n.To = "not an address" }, store.ErrInvalid},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			n := draft
			tc.change(&n)
			if _, err := db.CreateNotice(ctx, n, op); !errors.Is(err, tc.want) {
				t.Fatalf("CreateNotice: %v, want %v", err, tc.want)
			}
		})
	}

	n, err := db.CreateNotice(ctx, draft, op)
	if err != nil {
		t.Fatal(err)
	}
	if n.ID == 0 || n.Sent() || n.CreatedBy != "op1" || len(n.AlertIDs) != 2 || n.AlertIDs[0] != a1.ID {
		t.Fatalf("created %+v", n)
	}
	if got, _ := db.Alert(a1.ID); got.Status != alerts.StatusConfirmed {
		t.Fatalf("a draft notice changed its alert to %s", got.Status)
	}
	if drafts, _ := db.Notices(NoticeFilter{Drafts: true}); len(drafts) != 1 {
		t.Fatalf("drafts = %+v", drafts)
	}

	c.advance(time.Hour)
	sent, err := db.MarkNoticeSent(ctx, n.ID, op)
	if err != nil {
		t.Fatal(err)
	}
	if !sent.SentAt.Equal(c.t) || sent.SentBy != "op1" {
		t.Fatalf("sent %+v", sent)
	}
	for _, id := range []uint64{a1.ID, a2.ID} {
		got, _ := db.Alert(id)
		if got.Status != alerts.StatusNoticeSent || !got.NoticeSentAt.Equal(c.t) || got.NoticeID != n.ID {
			t.Fatalf("alert %d after MarkNoticeSent: %s at %v (notice %d)", id, got.Status, got.NoticeSentAt, got.NoticeID)
		}
	}
	if _, err := db.MarkNoticeSent(ctx, n.ID, op); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("marking sent twice: %v", err)
	}
	if list, _ := db.Notices(NoticeFilter{Site: "s", Sent: true, Alert: a2.ID}); len(list) != 1 || list[0].ID != n.ID {
		t.Fatalf("Notices(sent, alert) = %+v", list)
	}
	log, err := db.AuditLog(store.AuditFilter{Action: "notice."})
	if err != nil || len(log) != 2 || log[0].Remote != "127.0.0.1" {
		t.Fatalf("audit = %+v, %v", log, err)
	}

	if over, _ := db.OverdueNotices(c.t.Add(23*time.Hour), 0); len(over) != 0 {
		t.Fatalf("overdue after 23 h: %+v", over)
	}
	if over, _ := db.OverdueNotices(c.t.Add(24*time.Hour), 0); len(over) != 1 || over[0].ID != n.ID {
		t.Fatalf("not overdue after 24 h: %+v", over)
	}
	// Removal of every alert answers the notice.
	for _, id := range []uint64{a1.ID, a2.ID} {
		if _, err := db.RecordCheck(ctx, id, alerts.Check{Outcome: alerts.CheckGone}, c.t.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if over, _ := db.OverdueNotices(c.t.Add(48*time.Hour), 0); len(over) != 0 {
		t.Fatalf("a notice whose content is removed is overdue: %+v", over)
	}
	if r, err := db.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("Verify = %+v, %v", r.Problems, err)
	}
}

func TestNoticeTemplatesAndContacts(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	admin := store.Actor{User: "admin"}
	shipped, _ := notice.Default("en")
	text, custom, err := db.NoticeTemplate("en")
	if err != nil || custom || text != shipped {
		t.Fatalf("NoticeTemplate(en) before any edit: custom=%v err=%v", custom, err)
	}
	if _, _, err := db.NoticeTemplate("xx"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("NoticeTemplate(xx): %v", err)
	}
	if err := db.SetNoticeTemplate(ctx, "en", "Subject: x\n\n{{.Nope}}", admin); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "Nope") {
		t.Fatalf("saving a broken template: %v", err)
	}
	edited := "Subject: Please remove ({{.Site}})\n\n{{range .Items}}{{.MediaURL}}\n{{end}}"
	if err := db.SetNoticeTemplate(ctx, "en", edited, admin); err != nil {
		t.Fatal(err)
	}
	if text, custom, _ := db.NoticeTemplate("en"); !custom || text != edited {
		t.Fatalf("edited template not returned: custom=%v", custom)
	}
	if err := db.SetNoticeTemplate(ctx, "en", "", admin); err != nil {
		t.Fatal(err)
	}
	if text, custom, _ := db.NoticeTemplate("en"); custom || text != shipped {
		t.Fatal("an empty template did not restore the shipped one")
	}

	if _, ok, _ := db.SiteContact("s"); ok {
		t.Fatal("a contact before any was saved")
	}
	for _, bad := range []string{"not an address", "a@b.example\r\nBcc: c@d.example", strings.Repeat("a", 600) + "@b.example"} {
		if err := db.SetSiteContact(ctx, "s", bad, admin); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("SetSiteContact(%q): %v, want store.ErrInvalid", bad, err)
		}
	}
	for _, good := range []string{"abuse@s.example", "Legal <legal@s.example>, abuse@s.example", "https://s.example/report"} {
		if err := db.SetSiteContact(ctx, "s", good, admin); err != nil {
			t.Fatalf("SetSiteContact(%q): %v", good, err)
		}
		if got, ok, _ := db.SiteContact("s"); !ok || got != good {
			t.Fatalf("SiteContact = %q, %v", got, ok)
		}
	}
	if err := db.SetSiteContact(ctx, "s", "", admin); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := db.SiteContact("s"); ok {
		t.Fatal("an empty contact did not remove the override")
	}
	if r, err := db.Verify(ctx); err != nil || !r.OK() {
		t.Fatalf("Verify = %+v, %v", r.Problems, err)
	}
}

func TestURLReports(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	staff := store.Actor{User: "staff1"}
	for _, tc := range []struct {
		name string
		urls []string
	}{
		{"no URLs", []string{" ", ""}},
		{"a relative URL", []string{"https://a.example/x", "/x.jpg"}},
		{"another scheme", []string{"ftp://a.example/x.jpg"}},
		{"a URL over the limit", []string{"https://a.example/" + strings.Repeat("x", alerts.MaxReportURLBytes)}},
		{"too many URLs", func() (u []string) {
			for i := range alerts.MaxReportURLs + 1 {
				u = append(u, "https://a.example/"+strings.Repeat("x", i))
			}
			return u
		}()},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			if _, err := db.CreateURLReport(ctx, tc.urls, "", staff); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("CreateURLReport: %v, want store.ErrInvalid", err)
			}
		})
	}
	r, err := db.CreateURLReport(ctx, []string{" https://a.example/p ", "https://a.example/p", "https://b.example/m.jpg"}, "from hotline", staff)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.URLs) != 2 || r.URLs[0].URL != "https://a.example/p" || r.URLs[1].State != alerts.ReportPending {
		t.Fatalf("report = %+v", r)
	}
	if _, err := db.SetURLOutcome(ctx, r.ID, 1, alerts.URLOutcome{URL: "https://a.example/p", State: alerts.ReportNoMatch}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("outcome for the wrong URL: %v", err)
	}
	got, err := db.SetURLOutcome(ctx, r.ID, 1, alerts.URLOutcome{URL: "https://b.example/m.jpg", State: alerts.ReportMatch, Media: 1, AlertIDs: []uint64{5}})
	if err != nil || got.URLs[1].State != alerts.ReportMatch || got.URLs[1].CheckedAt.IsZero() || got.URLs[0].State != alerts.ReportPending {
		t.Fatalf("after SetURLOutcome: %+v, %v", got, err)
	}
	if list, _ := db.URLReports(alerts.URLReportFilter{SubmittedBy: "staff1"}); len(list) != 1 || list[0].ID != r.ID {
		t.Fatalf("URLReports = %+v", list)
	}
	if list, _ := db.URLReports(alerts.URLReportFilter{SubmittedBy: "someone"}); len(list) != 0 {
		t.Fatalf("URLReports of another user = %+v", list)
	}
	if rep, err := db.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("Verify = %+v, %v", rep.Problems, err)
	}
}

func TestRenderNoticeListsTheAlertsEvidence(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}
	db, m := openClocked(t, c)
	a := newAlert(t, db, m, 0xab, "s")
	c.advance(time.Hour)
	if _, _, err := db.RecordAlert(ctx, alerts.AlertInput{Site: "s", MediaSHA256: [32]byte{0xab}, Match: m,
		Sighting: alerts.Sighting{PageURL: "http://x/p2", MediaURL: "http://x/m.jpg"}}); err != nil {
		t.Fatal(err)
	}
	subject, body, err := db.RenderNotice("en", []uint64{a.ID}, notice.Data{Site: "s", Sender: "Centre"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Page: http://x/p", "File URL: http://x/m.jpg", "File SHA-256: ab00", "pdq, Hamming distance 5", "2026-11-30 10:00:00 UTC"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if !strings.Contains(subject, "s") {
		t.Errorf("subject %q", subject)
	}
	if _, _, err := db.RenderNotice("en", []uint64{999}, notice.Data{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RenderNotice of a missing alert: %v", err)
	}
	if _, _, err := db.RenderNotice("de", []uint64{a.ID}, notice.Data{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RenderNotice in an unshipped language: %v", err)
	}
}

func TestANoticeWithoutRecipientIsNeverMarkedSent(t *testing.T) {
	ctx := context.Background()
	db, _, a := confirmedAlert(t)
	n, err := db.CreateNotice(ctx, Notice{Site: "s", To: "abuse@s.example", Subject: "s", Body: "b", AlertIDs: []uint64{a.ID}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	// A notice stored before recipients were required: rewrite its record
	// without one, as an old database holds it.
	n.To = ""
	v, err := noticeCodec.Encode(&n)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DB.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketNotices).Put(store.IDKey(n.ID), v) }, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.MarkNoticeSent(ctx, n.ID, store.Actor{}); !errors.Is(err, ErrNoRecipient) {
		t.Fatalf("MarkNoticeSent: %v, want ErrNoRecipient", err)
	}
	if got, _ := db.Alert(a.ID); got.Status != alerts.StatusConfirmed {
		t.Errorf("the alert moved to %s", got.Status)
	}
	if got, _ := db.Notice(n.ID); got.Sent() {
		t.Error("the notice is marked sent")
	}
}

func TestADraftsReferenceFollowsTheNumberItGets(t *testing.T) {
	ctx := context.Background()
	db, _, a := confirmedAlert(t)
	next, err := db.NextNoticeID()
	if err != nil || next != 1 {
		t.Fatalf("NextNoticeID = %d, %v; want 1", next, err)
	}
	draft := func(lang string, id uint64) Notice {
		ref := Reference(lang, id)
		return Notice{ID: id, Site: "s", To: "abuse@s.example", Lang: lang, Subject: "Removal request (" + ref + ")",
			Body: "About " + ref + ", not " + ref + "0.\n", AlertIDs: []uint64{a.ID}}
	}
	for _, tc := range []struct {
		name        string
		lang        string
		wantID      uint64
		wantSubject string
		wantBody    string
	}{
		{"a draft that kept its number", "en", 1, "Removal request (notice no. 1)", "About notice no. 1, not notice no. 10.\n"},
		{"a draft whose number was taken meanwhile", "en", 2, "Removal request (notice no. 2)", "About notice no. 2, not notice no. 10.\n"},
		{"a Korean draft whose number was taken", "ko", 3, "Removal request (요청 번호 3)", "About 요청 번호 3, not 요청 번호 10.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := db.CreateNotice(ctx, draft(tc.lang, 1), store.Actor{})
			if err != nil {
				t.Fatal(err)
			}
			if n.ID != tc.wantID || n.Subject != tc.wantSubject || n.Body != tc.wantBody {
				t.Errorf("got %d %q %q, want %d %q %q", n.ID, n.Subject, n.Body, tc.wantID, tc.wantSubject, tc.wantBody)
			}
		})
	}
}

func TestADeliveryIsRecordedAndAnAcceptedOneMarksTheNoticeSent(t *testing.T) {
	ctx := context.Background()
	db, c, a := confirmedAlert(t)
	n, err := db.CreateNotice(ctx, Notice{Site: "s", To: "abuse@s.example", Subject: "s", Body: "b", AlertIDs: []uint64{a.ID}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	op := store.Actor{User: "op1"}
	steps := []struct {
		name       string
		d          Delivery
		wantSent   bool
		wantStatus alerts.Status
	}{
		{"a refused delivery changes nothing but the record", Delivery{To: n.To, Reply: "smtp: 550 5.1.1 rejected"}, false, alerts.StatusConfirmed},
		{"an accepted one marks the notice sent", Delivery{To: n.To, OK: true, Reply: "250 2.0.0 Ok: queued as X"}, true, alerts.StatusNoticeSent},
	}
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			c.advance(time.Minute)
			got, err := db.RecordDelivery(ctx, n.ID, st.d, op)
			if err != nil {
				t.Fatal(err)
			}
			last, ok := got.LastDelivery()
			if !ok || len(got.Deliveries) != i+1 || last.Reply != st.d.Reply || last.OK != st.d.OK || !last.At.Equal(c.t) || last.By != "op1" {
				t.Errorf("deliveries %+v", got.Deliveries)
			}
			if got.Sent() != st.wantSent {
				t.Errorf("sent = %v", got.Sent())
			}
			if al, _ := db.Alert(a.ID); al.Status != st.wantStatus {
				t.Errorf("alert is %s, want %s", al.Status, st.wantStatus)
			}
		})
	}
	log, _ := db.AuditLog(store.AuditFilter{Action: "notice.delivery"})
	if len(log) != 2 || !strings.Contains(log[0].Detail+log[1].Detail, "550 5.1.1") {
		t.Errorf("audit %+v", log)
	}
}
