package console

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/crawler"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/hashing"
	"github.com/hashwatch/hashwatch/index"
	"github.com/hashwatch/hashwatch/notice"
	"github.com/hashwatch/hashwatch/notice/smtptest"
	"github.com/hashwatch/hashwatch/store"
	"github.com/hashwatch/hashwatch/takedown"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func TestNoticeFromDraftToOverdue(t *testing.T) {
	now := time.Now()
	e := newEnv(t, func(c *Config) {
		c.Now = func() time.Time { return now }
		c.NoticeFrom = "Centre <takedown@centre.example>"
	})
	e.seedAlerts(3)
	op := e.login("op1")
	for _, id := range []string{"1", "2"} {
		if resp := op.postForm("/alerts/"+id+"/confirm", nil, op.csrf); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("confirm %s: %d", id, resp.StatusCode)
		}
	}
	if resp := op.postForm("/contacts/board", url.Values{"contact": {"abuse@board.example"}}, op.csrf); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("contact: %d %s", resp.StatusCode, readAll(resp))
	}
	page := readAll(op.postForm("/notices/draft", url.Values{"site": {"board"}, "lang": {"en"}, "id": {"1", "2"}}, op.csrf))
	if !strings.Contains(page, `id="draft"`) || !strings.Contains(page, "abuse@board.example") {
		t.Fatalf("no draft: %.2000s", page)
	}
	if n, _ := e.db.Takedown.Notices(takedown.NoticeFilter{}); len(n) != 0 {
		t.Fatal("a draft was stored before it was saved")
	}
	subject := regexp.MustCompile(`name="subject" value="([^"]*)"`).FindStringSubmatch(page)
	if subject == nil {
		t.Fatal("no subject in the draft")
	}
	resp := op.postForm("/notices", url.Values{"site": {"board"}, "lang": {"en"}, "id": {"1", "2"}, "to": {"abuse@board.example"},
		"subject": {subject[1]}, "body": {"Please remove http://board.example/m.jpg (edited by the operator)."}}, op.csrf)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/notices/1") {
		t.Fatalf("save: %d %s", resp.StatusCode, readAll(resp))
	}
	t.Run("the .eml export is a mail to the site's contact", func(t *testing.T) {
		resp := op.get("/notices/1/eml")
		eml := readAll(resp)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "message/rfc822" {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		for _, want := range []string{"To: <abuse@board.example>", "From: \"Centre\" <takedown@centre.example>", "edited by the operator"} {
			if !strings.Contains(eml, want) {
				t.Errorf("the .eml lacks %q:\n%s", want, eml)
			}
		}
		if txt := readAll(op.get("/notices/1/txt")); !strings.Contains(txt, "edited by the operator") {
			t.Errorf("text export: %s", txt)
		}
	})
	t.Run("marking it sent moves its alerts to notice_sent, once", func(t *testing.T) {
		if resp := op.postForm("/notices/1/sent", nil, op.csrf); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("mark sent: %d", resp.StatusCode)
		}
		for _, id := range []uint64{1, 2} {
			if a, _ := e.db.Alerts.Alert(id); a.Status != alerts.StatusNoticeSent {
				t.Errorf("alert %d is %s", id, a.Status)
			}
		}
		if resp := op.postForm("/notices/1/sent", nil, op.csrf); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("second mark: %d", resp.StatusCode)
		}
	})
	t.Run("unanswered after 24 hours it shows as overdue", func(t *testing.T) {
		if strings.Contains(readAll(op.get("/notices")), `class="status status-new overdue"`) {
			t.Fatal("overdue at once")
		}
		now = now.Add(25 * time.Hour)
		if !strings.Contains(readAll(op.get("/notices")), `class="status status-new overdue"`) {
			t.Fatal("not overdue after 25 hours")
		}
		if !strings.Contains(readAll(op.get("/dashboard")), "1 overdue notice(s)") {
			t.Error("the dashboard does not count it")
		}
	})
	t.Run("a web-form contact gets no .eml, with a message", func(t *testing.T) {
		e.db.Takedown.SetSiteContact(context.Background(), "board", "https://board.example/report", store.Actor{})
		op.postForm("/alerts/3/confirm", nil, op.csrf)
		resp := op.postForm("/notices", url.Values{"site": {"board"}, "lang": {"en"}, "id": {"3"}, "to": {"https://board.example/report"},
			"subject": {"Takedown"}, "body": {"Please remove it."}}, op.csrf)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d %s", resp.StatusCode, readAll(resp))
		}
		if resp := op.get("/notices/2/eml"); resp.StatusCode != http.StatusConflict {
			t.Errorf("eml: %d", resp.StatusCode)
		}
	})
	if log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "notice."}); len(log) < 3 {
		t.Errorf("notice audit: %+v", log)
	}
}

func TestMetricsAreServedToAnalystsAndAdmins(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := crawler.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{}) })
	secret, _, _ := e.db.Accounts.CreateToken(context.Background(), "ana1", "prometheus", store.Actor{})
	req, _ := http.NewRequest("GET", e.ts.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp := e.anon().do(req)
	body := readAll(resp)
	if resp.StatusCode != 200 || !strings.Contains(body, "hashwatch_crawl_hash_seconds") {
		t.Fatalf("%d %.300s", resp.StatusCode, body)
	}
}

func TestReportedURLsAreCheckedAtOnce(t *testing.T) {
	fsite, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(fsite)
	defer site.Close()
	e := newEnv(t, func(c *Config) {
		c.Inspector = &crawler.Inspector{DB: c.DB, Rule: hashing.DefaultRule(), AllowPrivate: true}
	})
	h := hashing.NewHasher(hashing.Limits{})
	var regs []index.Registration
	for _, p := range fixtures.Known() {
		fp, err := h.Image(context.Background(), p.Data, hashing.ForRegistration)
		if err != nil {
			t.Fatal(err)
		}
		regs = append(regs, index.Registration{Source: p.Name, Print: fp})
	}
	if _, err := e.db.Index.Register(context.Background(), "demo", "", regs, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	truth := fsite.Truth()
	secret, _, _ := e.db.Accounts.CreateToken(context.Background(), "staff1", "hotline", store.Actor{})
	body := fmt.Sprintf(`{"urls":[%q,%q],"note":"from the hotline"}`, site.URL+truth[0].Page, site.URL+"/no/such/page")
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/reports", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	resp := e.anon().do(req)
	got := readAll(resp)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, got)
	}
	if !strings.Contains(got, `"state":"match"`) || !strings.Contains(got, `"state":"error"`) {
		t.Fatalf("outcomes: %s", got)
	}
	alerts, _ := e.db.Alerts.Alerts(alerts.AlertFilter{})
	if len(alerts) == 0 || !alerts[0].Reported {
		t.Fatalf("no reported alert: %+v", alerts)
	}
}

func TestANoticeIsAddressedAndNumberedBeforeItIsSaved(t *testing.T) {
	e := newEnv(t, nil)
	e.seedAlerts(2)
	op := e.login("op1")
	for _, id := range []string{"1", "2"} {
		op.postForm("/alerts/"+id+"/confirm", nil, op.csrf).Body.Close()
	}
	t.Run("a draft without contact can be addressed but not saved", func(t *testing.T) {
		page := readAll(op.postForm("/notices/draft", url.Values{"site": {"board"}, "lang": {"en"}, "id": {"1"}}, op.csrf))
		if !strings.Contains(page, `name="to" value="" size="50" required`) {
			t.Fatalf("the draft has a recipient or none required: %.3000s", page)
		}
		resp := op.postForm("/notices", url.Values{"site": {"board"}, "lang": {"en"}, "id": {"1"}, "ref": {"1"}, "to": {""},
			"subject": {"Removal request (notice no. 1)"}, "body": {"Kept edit by the operator."}}, op.csrf)
		page = readAll(resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="draft-error"`) || !strings.Contains(page, "Kept edit by the operator.") {
			t.Fatalf("saving without recipient: %d %.3000s", resp.StatusCode, page)
		}
		if n, _ := e.db.Takedown.Notices(takedown.NoticeFilter{}); len(n) != 0 {
			t.Fatalf("stored %d notices without a recipient", len(n))
		}
	})
	t.Run("the contact typed beside the button addresses the draft, which names its number", func(t *testing.T) {
		page := readAll(op.postForm("/notices/draft", url.Values{"site": {"board"}, "lang": {"en"}, "id": {"1", "2"}, "contact": {"abuse@board.example"}}, op.csrf))
		if !strings.Contains(page, `name="to" value="abuse@board.example"`) {
			t.Fatalf("the draft is not addressed: %.3000s", page)
		}
		subject := regexp.MustCompile(`name="subject" value="([^"]*)"`).FindStringSubmatch(page)
		if subject == nil || !strings.Contains(subject[1], "(notice no. 1)") || strings.Contains(subject[1], "draft") {
			t.Fatalf("subject %q", subject)
		}
		if c, ok, _ := e.db.Takedown.SiteContact("board"); !ok || c != "abuse@board.example" {
			t.Errorf("the site's contact is %q (%v)", c, ok)
		}
		koPage := readAll(op.postForm("/notices/draft", url.Values{"site": {"board"}, "lang": {"ko"}, "id": {"1"}}, op.csrf))
		if !strings.Contains(koPage, "(요청 번호 1)") || strings.Contains(koPage, "초안)") {
			t.Errorf("the Korean subject does not carry the number: %.3000s", koPage)
		}
		resp := op.postForm("/notices", url.Values{"site": {"board"}, "lang": {"en"}, "id": {"1", "2"}, "ref": {"1"}, "to": {"abuse@board.example"},
			"subject": {subject[1]}, "body": {"b"}}, op.csrf)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d %s", resp.StatusCode, readAll(resp))
		}
		if n, err := e.db.Takedown.Notice(1); err != nil || !strings.Contains(n.Subject, "notice no. 1") {
			t.Errorf("stored %+v, %v", n, err)
		}
	})
}

func TestANoticeIsSentByMailToALoopbackServer(t *testing.T) {
	mta := smtptest.Start(t, smtptest.Options{Username: "centre", Password: "pw", RejectRcpt: "refuse@board.example"})
	e := newEnv(t, func(c *Config) {
		c.NoticeFrom = "Centre <takedown@centre.example>"
		c.Mailer = notice.SMTP{Addr: mta.Addr, Username: "centre", Password: "pw", TLS: mta.ClientTLS(), Timeout: 10 * time.Second}
	})
	e.seedAlerts(2)
	op := e.login("op1")
	for _, id := range []string{"1", "2"} {
		op.postForm("/alerts/"+id+"/confirm", nil, op.csrf).Body.Close()
	}
	save := func(id, to string) string {
		t.Helper()
		page := readAll(op.postForm("/notices/draft", url.Values{"site": {"board"}, "lang": {"ko"}, "id": {id}, "contact": {to}}, op.csrf))
		field := func(name string) string {
			m := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`).FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("no %s in the draft: %.2000s", name, page)
			}
			return html.UnescapeString(m[1])
		}
		body := regexp.MustCompile(`(?s)<textarea name="body" required>(.*?)</textarea>`).FindStringSubmatch(page)
		resp := op.postForm("/notices", url.Values{"site": {"board"}, "lang": {"ko"}, "id": {id}, "ref": {field("ref")}, "to": {field("to")},
			"subject": {field("subject")}, "body": {html.UnescapeString(body[1])}}, op.csrf)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d %s", resp.StatusCode, readAll(resp))
		}
		return resp.Header.Get("Location")
	}
	t.Run("a refused recipient is recorded with the server's reply and nothing moves", func(t *testing.T) {
		loc := save("1", "refuse@board.example")
		resp := op.postForm("/notices/1/send", nil, op.csrf)
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "notice_not_delivered") {
			t.Fatalf("send: %d %s (%s)", resp.StatusCode, resp.Header.Get("Location"), loc)
		}
		page := readAll(op.get("/notices/1"))
		if !strings.Contains(page, `id="delivery"`) || !strings.Contains(page, "550 5.1.1") {
			t.Errorf("the page does not show the refusal: %.3000s", page)
		}
		if a, _ := e.db.Alerts.Alert(1); a.Status != alerts.StatusConfirmed {
			t.Errorf("alert 1 is %s", a.Status)
		}
		if n := len(mta.Messages()); n != 0 {
			t.Errorf("%d messages delivered", n)
		}
	})
	t.Run("an accepted one carries the notice's number, marks it sent and is audited", func(t *testing.T) {
		save("2", "abuse@board.example")
		resp := op.postForm("/notices/2/send", nil, op.csrf)
		if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "notice_delivered") {
			t.Fatalf("send: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		msgs := mta.Wait(1, 5*time.Second)
		if len(msgs) != 1 {
			t.Fatalf("%d messages arrived", len(msgs))
		}
		m := msgs[0]
		if !m.TLS || m.User != "centre" || m.From != "takedown@centre.example" || len(m.To) != 1 || m.To[0] != "abuse@board.example" {
			t.Errorf("envelope %+v", m)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if !strings.Contains(subject, "(요청 번호 2)") || msg.Header.Get("To") != "<abuse@board.example>" || msg.Header.Get("From") != `"Centre" <takedown@centre.example>` {
			t.Errorf("headers: subject %q, %v", subject, msg.Header)
		}
		body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		a2, _ := e.db.Alerts.Alert(2)
		if !strings.Contains(string(body), a2.MediaURL) || !strings.Contains(string(body), "파일 SHA-256: "+a2.MediaSHA256) {
			t.Errorf("body lacks the media URL %s or its SHA-256:\n%s", a2.MediaURL, body)
		}
		if a2.Status != alerts.StatusNoticeSent {
			t.Errorf("alert 2 is %s", a2.Status)
		}
		n, _ := e.db.Takedown.Notice(2)
		if last, ok := n.LastDelivery(); !n.Sent() || !ok || !last.OK || !strings.HasPrefix(last.Reply, "250 ") {
			t.Errorf("notice %+v", n)
		}
		if log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "notice.delivery"}); len(log) != 2 || log[0].User != "op1" {
			t.Errorf("audit %+v", log)
		}
		if resp := op.postForm("/notices/2/send", nil, op.csrf); resp.StatusCode != http.StatusConflict {
			t.Errorf("sending twice: %d", resp.StatusCode)
		}
		if resp := op.get("/notices/2/eml"); resp.StatusCode != 200 {
			t.Errorf("the .eml download: %d", resp.StatusCode)
		}
	})
}
