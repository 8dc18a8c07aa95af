package notice

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
)

// ErrAddress reports a From or To that is not an RFC 5322 address.
var ErrAddress = errors.New("invalid mail address")

// EML returns an RFC 5322 message, as saved in .eml files, that an operator
// opens in a mail client and sends: From and To (to may list several
// addresses separated by commas), the subject (encoded as RFC 2047 words
// when it is not ASCII), Date, Message-ID (msgID, with or without angle
// brackets; none when empty) and a text/plain UTF-8 body in
// quoted-printable. Line breaks are CRLF. Header values cannot inject
// headers: line breaks in them become spaces.
func EML(from, to, subject, body string, date time.Time, msgID string) ([]byte, error) {
	f, err := mail.ParseAddress(oneLine(from))
	if err != nil {
		return nil, fmt.Errorf("from %q: %v: %w", from, err, ErrAddress)
	}
	rcpts, err := mail.ParseAddressList(oneLine(to))
	if err != nil {
		return nil, fmt.Errorf("to %q: %v: %w", to, err, ErrAddress)
	}
	tos := make([]string, len(rcpts))
	for i, a := range rcpts {
		tos[i] = a.String()
	}
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", f.String())
	header("To", strings.Join(tos, ", "))
	header("Subject", encodeHeader(oneLine(subject)))
	header("Date", date.Format(time.RFC1123Z))
	if id := strings.Trim(oneLine(msgID), "<> "); id != "" {
		header("Message-ID", "<"+id+">")
	}
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	// The writer turns each "\n" (or "\r\n") into a CRLF hard line break.
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\r\n", "\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

// oneLine replaces line breaks with spaces, so a header value stays one
// header.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// encodeHeader encodes a non-ASCII header value as RFC 2047 B words (shorter
// than Q for Korean) and folds between the words, keeping lines short.
func encodeHeader(v string) string {
	enc := mime.BEncoding.Encode("utf-8", v)
	if enc == v {
		return v
	}
	return strings.ReplaceAll(enc, "?= =?", "?=\r\n =?")
}
