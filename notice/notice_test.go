package notice_test

import (
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/notice"
)

func testData() notice.Data {
	seoul := time.FixedZone("KST", 9*3600)
	return notice.Data{
		Site: "forum-a", To: "abuse@forum-a.example", Sender: "디지털성범죄피해자지원센터", SenderContact: "takedown@centre.example",
		Reference: "notice 7", Date: time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC), Location: seoul,
		Items: []notice.Item{
			{AlertID: 3, PageURL: "https://forum-a.example/t/1", MediaURL: "https://img.forum-a.example/a.jpg",
				FinalURL: "https://cdn.example/a.jpg", SHA256: strings.Repeat("0f", 32),
				SeenAt: time.Date(2026, 11, 29, 15, 30, 0, 0, time.UTC), Algorithm: "pdq", Distance: 14},
			{AlertID: 4, PageURL: "https://forum-a.example/t/2", MediaURL: "https://img.forum-a.example/b.png",
				SHA256: strings.Repeat("e1", 32), SeenAt: time.Date(2026, 11, 29, 16, 0, 0, 0, time.UTC), Algorithm: "phash", Distance: 6},
		},
	}
}

func TestShippedTemplatesListTheEvidence(t *testing.T) {
	if got := notice.Languages(); strings.Join(got, ",") != "en,ko" {
		t.Fatalf("Languages() = %v, want [en ko]", got)
	}
	for _, tc := range []struct {
		lang      string
		subject   []string
		body      []string
		bodyNever []string
	}{
		{"ko", []string{"삭제 요청", "forum-a", "notice 7"},
			[]string{"성폭력범죄의 처벌 등에 관한 특례법」 제14조", "제44조의2", "2건", "1. 게시 페이지: https://forum-a.example/t/1",
				"최종 URL: https://cdn.example/a.jpg", "2026-11-30 00:30:00 KST", "pdq 해밍 거리 14", "phash 해밍 거리 6", "연락처: takedown@centre.example"},
			[]string{"최종 URL: https://img.forum-a.example/b.png"}},
		{"en", []string{"Removal request", "forum-a"},
			[]string{"Article 14", "Article 44-2", "2. Page: https://forum-a.example/t/2", "File SHA-256: " + strings.Repeat("e1", 32),
				"Match: pdq, Hamming distance 14", "not attached"},
			nil},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			text, ok := notice.Default(tc.lang)
			if !ok {
				t.Fatalf("no shipped %s template", tc.lang)
			}
			if err := notice.Validate(text); err != nil {
				t.Fatalf("shipped template does not validate: %v", err)
			}
			subject, body, err := notice.Render(text, testData())
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(subject, "\r\n") {
				t.Errorf("subject spans lines: %q", subject)
			}
			for _, want := range tc.subject {
				if !strings.Contains(subject, want) {
					t.Errorf("subject %q lacks %q", subject, want)
				}
			}
			for _, want := range tc.body {
				if !strings.Contains(body, want) {
					t.Errorf("body lacks %q:\n%s", want, body)
				}
			}
			for _, never := range tc.bodyNever {
				if strings.Contains(body, never) {
					t.Errorf("body has %q:\n%s", never, body)
				}
			}
			if strings.HasPrefix(body, "Subject:") || strings.HasPrefix(body, "\n") {
				t.Errorf("body starts with the header or a blank line: %q", body[:min(40, len(body))])
			}
		})
	}
	if _, ok := notice.Default("../notice"); ok {
		t.Error("Default accepted a path as a language")
	}
	if _, ok := notice.Default("fr"); ok {
		t.Error("Default returned a template for an unshipped language")
	}
}

func TestValidateRefusesBrokenTemplates(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"a parse error", "Subject: x\n\n{{range .Items}}", "unexpected EOF"},
		{"an unknown field", "Subject: x\n\n{{.Victim}}", "Victim"},
		{"no subject line", "Dear site,\n\nplease remove.", "Subject"},
		{"an empty subject", "Subject:   \n\nbody", "Subject"},
		{"no body", "Subject: hello\n\n   \n", "no body"},
		{"an unknown function", "Subject: x\n\n{{exec \"rm\"}}", "exec"},
		{"a range over a number", "Subject: x\n\n{{range 300000}}0123456789{{end}}", "range may only go over .Items"},
		{"a range over a method's number", "Subject: x\n\n{{range .Date.Unix}}{{end}}", "range may only go over .Items"},
		{"a range inside a range", "Subject: x\n\n{{range .Items}}{{range $.Items}}{{end}}{{end}}", "range inside a range"},
		{"a template that calls itself", "Subject: x\n\n{{define \"x\"}}{{template \"x\"}}{{end}}{{template \"x\"}}", "not available"},
		{"a wide printf thrown away", "Subject: x\n\n{{if printf \"%0999999d\" 0}}{{end}}body", "print result"},
		{"a template over the limit", "Subject: x\n\n" + strings.Repeat("a", notice.MaxTemplateBytes), "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := notice.Validate(tc.text)
			if !errors.Is(err, notice.ErrTemplate) {
				t.Fatalf("Validate: %v, want ErrTemplate", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestEMLParsesAndDecodesBack(t *testing.T) {
	text, _ := notice.Default("ko")
	subject, body, err := notice.Render(text, testData())
	if err != nil {
		t.Fatal(err)
	}
	date := time.Date(2026, 11, 30, 15, 4, 5, 0, time.FixedZone("KST", 9*3600))
	raw, err := notice.EML("센터 <takedown@centre.example>", "abuse@forum-a.example, Ops <ops@forum-a.example>", subject, body, date, "notice-7@centre.example")
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d is %d bytes, RFC 5322 allows 998", i, len(line))
		}
		if strings.Contains(line, "\n") {
			t.Errorf("line %d has a bare LF", i)
		}
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("net/mail cannot read the message: %v", err)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "takedown@centre.example" || from[0].Name != "센터" {
		t.Errorf("From = %v, %v", from, err)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[1].Address != "ops@forum-a.example" {
		t.Errorf("To = %v, %v", to, err)
	}
	gotSubject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || gotSubject != subject {
		t.Errorf("Subject decodes to %q (%v), want %q", gotSubject, err, subject)
	}
	if d, err := msg.Header.Date(); err != nil || !d.Equal(date) {
		t.Errorf("Date = %v, %v; want %v", d, err, date)
	}
	if got := msg.Header.Get("Message-ID"); got != "<notice-7@centre.example>" {
		t.Errorf("Message-ID = %q", got)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "text/plain" || params["charset"] != "utf-8" {
		t.Errorf("Content-Type = %q", msg.Header.Get("Content-Type"))
	}
	if cte := msg.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding = %q", cte)
	}
	decoded, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(string(decoded), "\r\n", "\n"); got != body {
		t.Errorf("body decodes to\n%q\nwant\n%q", got, body)
	}
}

func TestEMLHeadersCannotBeInjected(t *testing.T) {
	raw, err := notice.EML("a@centre.example", "b@site.example", "hello\r\nBcc: victim@example.com", "body\n", time.Unix(0, 0), "id\r\nX-Evil: 1")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Bcc") != "" || msg.Header.Get("X-Evil") != "" {
		t.Errorf("a header value injected headers:\n%s", raw)
	}
	if got := msg.Header.Get("Subject"); got != "hello Bcc: victim@example.com" {
		t.Errorf("Subject = %q", got)
	}
	for _, tc := range []struct{ from, to string }{
		{"not an address", "b@site.example"},
		{"a@centre.example", ""},
		{"a@centre.example", "b@site.example\r\nBcc: c@x.example"},
	} {
		if _, err := notice.EML(tc.from, tc.to, "s", "b", time.Unix(0, 0), ""); !errors.Is(err, notice.ErrAddress) {
			t.Errorf("EML(%q, %q): %v, want ErrAddress", tc.from, tc.to, err)
		}
	}
}

// TestAnEditedTemplateCannotRunLongOrFillMemory renders with the most items
// a notice may list: the output limit still stops a template that writes
// too much, and what the cost checks let through finishes quickly.
func TestAnEditedTemplateCannotRunLongOrFillMemory(t *testing.T) {
	d := testData()
	for len(d.Items) < 1000 {
		d.Items = append(d.Items, d.Items[0])
	}
	big := "Subject: x\n\n{{range .Items}}" + strings.Repeat("{{.PageURL}}{{.MediaURL}}{{.SHA256}}", 20) + "{{end}}"
	if _, _, err := notice.Render(big, d); !errors.Is(err, notice.ErrTemplate) || !strings.Contains(err.Error(), "output over") {
		t.Errorf("a notice over the output limit: %v", err)
	}
	start := time.Now()
	busy := "Subject: x\n\n{{range .Items}}" + strings.Repeat("{{if eq .Distance 99999}}{{printf \"%4000d\" 1}}{{end}}", 1000) + "{{end}}body"
	if _, _, err := notice.Render(busy, d); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("a busy template took %v", took)
	}
}
