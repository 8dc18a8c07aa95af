package notice_test

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/notice"
	"github.com/hashwatch/hashwatch/notice/smtptest"
)

func TestSendDeliversTheNoticeOverSTARTTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.Options{Username: "centre", Password: "s3cret"})
	text, _ := notice.Default("ko")
	subject, body, err := notice.Render(text, testData())
	if err != nil {
		t.Fatal(err)
	}
	date := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	raw, err := notice.EML("센터 <takedown@centre.example>", "abuse@forum-a.example, Ops <ops@forum-a.example>", subject, body, date, "notice-7@centre.example")
	if err != nil {
		t.Fatal(err)
	}
	c := notice.SMTP{Addr: srv.Addr, Username: "centre", Password: "s3cret", TLS: srv.ClientTLS()}
	reply, err := c.Send(context.Background(), "센터 <takedown@centre.example>", "abuse@forum-a.example, Ops <ops@forum-a.example>", raw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(reply, "250 2.0.0 Ok: queued as SMTPTEST1") {
		t.Errorf("reply %q", reply)
	}
	got := srv.Wait(1, 5*time.Second)
	if len(got) != 1 {
		t.Fatalf("%d messages arrived", len(got))
	}
	m := got[0]
	if !m.TLS || m.User != "centre" || m.From != "takedown@centre.example" || strings.Join(m.To, ",") != "abuse@forum-a.example,ops@forum-a.example" {
		t.Errorf("envelope: TLS %v user %q from %q to %v", m.TLS, m.User, m.From, m.To)
	}
	if string(m.Data) != string(raw) {
		t.Errorf("the bytes received differ from the message sent:\n%q\n%q", m.Data, raw)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
	if err != nil {
		t.Fatal(err)
	}
	gotSubject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || gotSubject != subject || !strings.Contains(gotSubject, "notice 7") {
		t.Errorf("subject %q (%v), want %q", gotSubject, err, subject)
	}
	decoded, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if !strings.Contains(string(decoded), "1. 게시 페이지: https://forum-a.example/t/1") {
		t.Errorf("body:\n%s", decoded)
	}
}

func TestSendRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  smtptest.Options
		smtp  func(c *notice.SMTP)
		want  string
		count int
	}{
		{"a server without STARTTLS when it is required", smtptest.Options{NoTLS: true}, func(c *notice.SMTP) {}, "no STARTTLS", 0},
		{"a recipient the server refuses", smtptest.Options{RejectRcpt: "abuse@site.example"}, func(c *notice.SMTP) {}, "550 5.1.1", 0},
		{"a wrong password", smtptest.Options{Username: "u", Password: "right"}, func(c *notice.SMTP) { c.Username, c.Password = "u", "wrong" }, "535", 0},
		{"a certificate nobody trusts", smtptest.Options{}, func(c *notice.SMTP) { c.TLS = nil }, "STARTTLS", 0},
	} {
		t.Run("fails on "+tc.name, func(t *testing.T) {
			srv := smtptest.Start(t, tc.opts)
			c := notice.SMTP{Addr: srv.Addr, TLS: srv.ClientTLS(), Timeout: 5 * time.Second}
			tc.smtp(&c)
			_, err := c.Send(context.Background(), "a@centre.example", "abuse@site.example", []byte("Subject: x\r\n\r\nbody\r\n"))
			if !errors.Is(err, notice.ErrDelivery) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Send: %v, want ErrDelivery mentioning %q", err, tc.want)
			}
			if n := len(srv.Messages()); n != tc.count {
				t.Errorf("%d messages delivered", n)
			}
		})
	}
	t.Run("sends in clear to a server without STARTTLS when opportunistic", func(t *testing.T) {
		srv := smtptest.Start(t, smtptest.Options{NoTLS: true})
		c := notice.SMTP{Addr: srv.Addr, StartTLS: notice.StartTLSOpportunistic}
		if _, err := c.Send(context.Background(), "a@centre.example", "abuse@site.example", []byte("Subject: x\r\n\r\nbody\r\n")); err != nil {
			t.Fatal(err)
		}
		if m := srv.Messages(); len(m) != 1 || m[0].TLS {
			t.Errorf("messages %+v", m)
		}
	})
}
