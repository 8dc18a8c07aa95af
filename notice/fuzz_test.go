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
	"unicode/utf8"

	"github.com/hashwatch/hashwatch/notice"
)

// FuzzEML checks that whatever the header values and body, EML either
// refuses an address or writes a message net/mail reads, with exactly the
// headers it sets and a body that decodes back.
func FuzzEML(f *testing.F) {
	f.Add("a@b.example", "c@d.example", "삭제 요청", "본문\r\n두 번째 줄\n", "id@x")
	f.Add("센터 <a@b.example>", "c@d.example, e@f.example", "hi\r\nBcc: x@y", "=3D soft\tbreak "+strings.Repeat("가", 200), "")
	f.Add("bad", "c@d.example", "", "", "<\n>")
	f.Fuzz(func(t *testing.T, from, to, subject, body, id string) {
		if !utf8.ValidString(subject) || !utf8.ValidString(body) {
			t.Skip("notices are UTF-8 text")
		}
		raw, err := notice.EML(from, to, subject, body, time.Unix(1e9, 0).UTC(), id)
		if err != nil {
			if !errors.Is(err, notice.ErrAddress) {
				t.Fatalf("EML failed with %v, want ErrAddress or success", err)
			}
			return
		}
		msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatalf("net/mail cannot read the message: %v\n%q", err, raw)
		}
		allowed := map[string]bool{"From": true, "To": true, "Subject": true, "Date": true, "Message-Id": true,
			"Mime-Version": true, "Content-Type": true, "Content-Transfer-Encoding": true}
		for k := range msg.Header {
			if !allowed[k] {
				t.Fatalf("unexpected header %q in\n%q", k, raw)
			}
		}
		got, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		want := strings.Join(strings.FieldsFunc(subject, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
		if err == nil && strings.TrimSpace(got) != strings.TrimSpace(want) {
			t.Fatalf("subject %q decodes to %q", want, got)
		}
		dec, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil {
			t.Fatalf("body does not decode: %v", err)
		}
		wantBody := strings.ReplaceAll(body, "\r\n", "\n")
		if gotBody := strings.ReplaceAll(string(dec), "\r\n", "\n"); strings.TrimRight(gotBody, "\n") != strings.TrimRight(wantBody, "\n") {
			t.Fatalf("body %q decodes to %q", wantBody, gotBody)
		}
	})
}
