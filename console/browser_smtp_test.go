package console

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hashwatch/hashwatch/alerts"
	"github.com/hashwatch/hashwatch/notice"
	"github.com/hashwatch/hashwatch/notice/smtptest"
	"github.com/hashwatch/hashwatch/store"
)

// TestOperatorSendsANoticeBySMTPInTheBrowser: in Chromium an operator
// confirms an alert, types the site's contact beside the button, writes
// the notice and sends it by mail; a real SMTP server on loopback (with
// STARTTLS and a login) receives it, numbered, addressed and listing the
// content.
func TestOperatorSendsANoticeBySMTPInTheBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no Chromium at %s: %v", chromiumPath, err)
	}
	mta := smtptest.Start(t, smtptest.Options{Username: "centre", Password: "pw"})
	e := newEnv(t, func(c *Config) {
		c.NoticeFrom = "Centre <takedown@centre.example>"
		c.Mailer = notice.SMTP{Addr: mta.Addr, Username: "centre", Password: "pw", TLS: mta.ClientTLS(), Timeout: 10 * time.Second}
	})
	seeded := e.seedAlerts(1)

	b := startBrowser(t)
	base := e.ts.URL

	b.do("log in as an operator",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(css("#name")),
		chromedp.SendKeys(css("#name"), "op1"),
		chromedp.SendKeys(css("#password"), testPassword),
		chromedp.Click(css("#login-submit")),
		chromedp.WaitVisible(css("#queue")),
	)
	b.do("confirm the alert",
		chromedp.Navigate(base+"/alerts/1"),
		chromedp.Click(css("#confirm"), chromedp.NodeVisible),
		chromedp.WaitVisible(css("#to-notices")),
	)
	b.do("type the site's contact and write the notice",
		chromedp.Navigate(base+"/notices"),
		chromedp.SendKeys(css(".site-group input[name=contact]"), "abuse@board.example"),
		chromedp.Click(css("button.generate"), chromedp.NodeVisible),
		chromedp.WaitVisible(css("#draft")),
	)
	if to := value(b, "read the recipient", chromedp.Evaluate[string](`document.querySelector("#draft input[name=to]").value`)); to != "abuse@board.example" {
		t.Fatalf("the draft is addressed to %q", to)
	}
	b.do("save it and send it by mail",
		chromedp.Click(css("#save-notice"), chromedp.NodeVisible),
		chromedp.WaitVisible(css("#send-notice")),
		chromedp.Click(css("#send-notice"), chromedp.NodeVisible),
		chromedp.WaitVisible(css("#delivery")),
	)
	if d := value(b, "read the delivery", chromedp.Text(css("#delivery"))); !strings.Contains(d, "delivered") || !strings.Contains(d, "250 2.0.0") {
		t.Errorf("delivery shown as %q", d)
	}
	msgs := mta.Wait(1, 10*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("%d messages arrived", len(msgs))
	}
	m := msgs[0]
	if !m.TLS || m.User != "centre" || len(m.To) != 1 || m.To[0] != "abuse@board.example" {
		t.Errorf("envelope: TLS %v, user %q, to %v", m.TLS, m.User, m.To)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if !strings.Contains(subject, "(notice no. 1)") || msg.Header.Get("From") != `"Centre" <takedown@centre.example>` ||
		!strings.Contains(string(body), seeded[0].MediaURL) {
		t.Errorf("message: subject %q, from %q, body:\n%s", subject, msg.Header.Get("From"), body)
	}
	if a, _ := e.db.Alerts.Alert(seeded[0].ID); a.Status != alerts.StatusNoticeSent {
		t.Errorf("the alert is %s", a.Status)
	}
	if log, _ := e.db.Store.AuditLog(store.AuditFilter{Action: "notice.delivery"}); len(log) != 1 || log[0].User != "op1" {
		t.Errorf("audit %+v", log)
	}
}
