package notice

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// ErrDelivery reports a notice the mail server did not accept: its reply
// is in the message.
var ErrDelivery = errors.New("notice not delivered")

// StartTLS says whether an SMTP connection must be encrypted.
type StartTLS string

const (
	// StartTLSRequired refuses to send over a server that does not offer
	// STARTTLS: a notice names a victim's content and must not cross the
	// network in clear. The default.
	StartTLSRequired StartTLS = "required"
	// StartTLSOpportunistic encrypts when the server offers STARTTLS and
	// sends in clear otherwise (a relay on the same host).
	StartTLSOpportunistic StartTLS = "opportunistic"
)

// DefaultSMTPTimeout bounds one delivery, connection to QUIT.
const DefaultSMTPTimeout = 30 * time.Second

// SMTP delivers notices through one mail server (a centre's submission
// server or relay). The zero StartTLS means StartTLSRequired.
type SMTP struct {
	// Addr is the server's host:port (587 for submission).
	Addr     string
	StartTLS StartTLS
	// Username and Password authenticate with AUTH PLAIN, which is only
	// ever sent over TLS (or to a loopback server); empty Username sends
	// without authenticating.
	Username, Password string
	// TLS configures STARTTLS; nil verifies the server's certificate
	// against the system roots for Addr's host name.
	TLS *tls.Config
	// Timeout bounds one delivery; zero means DefaultSMTPTimeout.
	Timeout time.Duration
	// Hello is the name sent in EHLO; empty means "localhost".
	Hello string
}

// Check reports a configuration that cannot work, before the first notice
// is due.
func (c SMTP) Check() error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" || port == "" {
		return fmt.Errorf("smtp address %q: want host:port", c.Addr)
	}
	switch c.StartTLS {
	case "", StartTLSRequired, StartTLSOpportunistic:
	default:
		return fmt.Errorf("smtp starttls %q: want %q or %q", c.StartTLS, StartTLSRequired, StartTLSOpportunistic)
	}
	return nil
}

// Send delivers msg (an RFC 5322 message, as EML writes it) from the
// envelope sender from to the recipients in to (mail addresses as in a To
// header), and returns the server's reply to the message ("250 2.0.0 Ok:
// queued as …"), which identifies it in the server's log. A refusal wraps
// ErrDelivery and carries the server's reply; ctx and Timeout bound the
// whole exchange.
func (c SMTP) Send(ctx context.Context, from, to string, msg []byte) (reply string, err error) {
	if err := c.Check(); err != nil {
		return "", err
	}
	sender, err := mail.ParseAddress(oneLine(from))
	if err != nil {
		return "", fmt.Errorf("from %q: %v: %w", from, err, ErrAddress)
	}
	rcpts, err := mail.ParseAddressList(oneLine(to))
	if err != nil {
		return "", fmt.Errorf("to %q: %v: %w", to, err, ErrAddress)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultSMTPTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		return "", fmt.Errorf("smtp %s: %w", c.Addr, err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	// A cancelled context ends the exchange at once.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	host, _, _ := net.SplitHostPort(c.Addr)
	cl, err := smtp.NewClient(conn, host)
	if err != nil {
		return "", c.fail("greeting", err)
	}
	defer cl.Close()
	hello := c.Hello
	if hello == "" {
		hello = "localhost"
	}
	if err := cl.Hello(hello); err != nil {
		return "", c.fail("EHLO", err)
	}
	if ok, _ := cl.Extension("STARTTLS"); ok {
		cfg := c.TLS
		if cfg == nil {
			cfg = &tls.Config{}
		}
		cfg = cfg.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		if err := cl.StartTLS(cfg); err != nil {
			return "", c.fail("STARTTLS", err)
		}
	} else if c.StartTLS != StartTLSOpportunistic {
		return "", fmt.Errorf("smtp %s offers no STARTTLS and starttls is %q: %w", c.Addr, StartTLSRequired, ErrDelivery)
	}
	if c.Username != "" {
		// net/smtp's PlainAuth refuses to send the password in clear to
		// anything but loopback.
		if err := cl.Auth(smtp.PlainAuth("", c.Username, c.Password, host)); err != nil {
			return "", c.fail("AUTH", err)
		}
	}
	if err := cl.Mail(sender.Address); err != nil {
		return "", c.fail("MAIL FROM", err)
	}
	for _, r := range rcpts {
		if err := cl.Rcpt(r.Address); err != nil {
			return "", c.fail("RCPT TO <"+r.Address+">", err)
		}
	}
	// DATA by hand, to keep the server's reply to the message.
	text := cl.Text
	id, err := text.Cmd("DATA")
	if err != nil {
		return "", c.fail("DATA", err)
	}
	text.StartResponse(id)
	_, _, err = text.ReadResponse(354)
	text.EndResponse(id)
	if err != nil {
		return "", c.fail("DATA", err)
	}
	w := text.DotWriter()
	if _, err := w.Write(msg); err != nil {
		return "", c.fail("message", err)
	}
	if err := w.Close(); err != nil {
		return "", c.fail("message", err)
	}
	code, text2, err := text.ReadResponse(250)
	if err != nil {
		return "", c.fail("message", err)
	}
	reply = fmt.Sprintf("%d %s", code, oneLine(text2))
	_ = cl.Quit() // delivered; a lost QUIT changes nothing
	return reply, nil
}

// fail says at which step the server refused, with its reply.
func (c SMTP) fail(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return fmt.Errorf("smtp %s refused %s: %d %s: %w", c.Addr, step, te.Code, oneLine(te.Msg), ErrDelivery)
	}
	return fmt.Errorf("smtp %s: %s: %v: %w", c.Addr, step, strings.TrimSpace(err.Error()), ErrDelivery)
}
