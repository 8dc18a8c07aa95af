// Package smtptest runs a small real SMTP server on loopback for tests:
// EHLO, STARTTLS with a certificate made for the test, AUTH PLAIN, MAIL,
// RCPT, DATA and QUIT, keeping every message it accepts. It exists so
// that notice delivery is tested against a server speaking the protocol
// over a socket rather than against a mock of net/smtp.
package smtptest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one message the server accepted.
type Message struct {
	From string
	To   []string
	// Data is the message as received, dot-unstuffed, lines ending CRLF.
	Data []byte
	// TLS reports whether it came over STARTTLS; User who authenticated.
	TLS  bool
	User string
}

// Options shape the server's behaviour.
type Options struct {
	// NoTLS makes the server offer no STARTTLS.
	NoTLS bool
	// Username and Password, when set, are required (AUTH PLAIN) before
	// MAIL.
	Username, Password string
	// RejectRcpt refuses RCPT TO for this address with 550.
	RejectRcpt string
}

// Server is a running loopback SMTP server.
type Server struct {
	// Addr is its host:port.
	Addr string
	opts Options
	ln   net.Listener
	tls  *tls.Config
	pool *x509.CertPool

	mu       sync.Mutex
	messages []Message
	arrived  chan struct{}
	wg       sync.WaitGroup
}

// Start starts a server on 127.0.0.1, stopped when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	cert, pool, err := selfSigned()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), opts: opts, ln: ln, pool: pool, arrived: make(chan struct{}, 1),
		tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

// ClientTLS is a client configuration that trusts the server's
// certificate (made for 127.0.0.1 and localhost).
func (s *Server) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12}
}

// Messages returns the messages accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Wait waits until n messages were accepted or the timeout passes, and
// returns those accepted.
func (s *Server) Wait(n int, timeout time.Duration) []Message {
	deadline := time.After(timeout)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.arrived:
		case <-deadline:
			return s.Messages()
		}
	}
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			s.session(c)
		}()
	}
}

func (s *Server) session(c net.Conn) {
	tp := textproto.NewConn(c)
	reply := func(format string, args ...any) { tp.PrintfLine(format, args...) }
	reply("220 smtptest ESMTP ready")
	var (
		m     Message
		inTLS bool
		user  string
		hello bool
	)
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			hello = true
			lines := []string{"smtptest greets " + arg}
			if !s.opts.NoTLS && !inTLS {
				lines = append(lines, "STARTTLS")
			}
			if s.opts.Username != "" {
				lines = append(lines, "AUTH PLAIN")
			}
			lines = append(lines, "8BITMIME")
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				reply("250%s%s", sep, l)
			}
		case "STARTTLS":
			if s.opts.NoTLS || inTLS {
				reply("502 5.5.1 not offered")
				continue
			}
			reply("220 2.0.0 go ahead")
			tc := tls.Server(c, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, inTLS, hello = tc, true, false
			tp = textproto.NewConn(tc)
		case "AUTH":
			mech, b64, _ := strings.Cut(arg, " ")
			raw, err := base64.StdEncoding.DecodeString(b64)
			parts := strings.Split(string(raw), "\x00")
			if !strings.EqualFold(mech, "PLAIN") || err != nil || len(parts) != 3 || parts[1] != s.opts.Username || parts[2] != s.opts.Password {
				reply("535 5.7.8 authentication credentials invalid")
				continue
			}
			user = parts[1]
			reply("235 2.7.0 authenticated")
		case "MAIL":
			switch {
			case !hello:
				reply("503 5.5.1 EHLO first")
			case s.opts.Username != "" && user == "":
				reply("530 5.7.0 authentication required")
			default:
				m = Message{From: addr(arg), TLS: inTLS, User: user}
				reply("250 2.1.0 ok")
			}
		case "RCPT":
			to := addr(arg)
			if to == s.opts.RejectRcpt {
				reply("550 5.1.1 <%s>: recipient address rejected", to)
				continue
			}
			m.To = append(m.To, to)
			reply("250 2.1.5 ok")
		case "DATA":
			if m.From == "" || len(m.To) == 0 {
				reply("503 5.5.1 MAIL and RCPT first")
				continue
			}
			reply("354 end data with <CR><LF>.<CR><LF>")
			var b strings.Builder
			r := bufio.NewReader(tp.DotReader())
			for {
				l, err := r.ReadString('\n')
				b.WriteString(strings.TrimSuffix(l, "\n"))
				if err != nil {
					break
				}
				b.WriteString("\r\n")
			}
			m.Data = []byte(b.String())
			s.mu.Lock()
			s.messages = append(s.messages, m)
			n := len(s.messages)
			s.mu.Unlock()
			select {
			case s.arrived <- struct{}{}:
			default: // a wake-up is pending already
			}
			reply("250 2.0.0 Ok: queued as SMTPTEST%d", n)
			m = Message{}
		case "RSET":
			m = Message{}
			reply("250 2.0.0 ok")
		case "NOOP":
			reply("250 2.0.0 ok")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("500 5.5.2 unknown command")
		}
	}
}

// addr takes the address out of "FROM:<a@b> SIZE=…" or "TO:<a@b>".
func addr(arg string) string {
	_, v, _ := strings.Cut(arg, ":")
	v = strings.TrimSpace(v)
	if i := strings.Index(v, ">"); strings.HasPrefix(v, "<") && i > 0 {
		return v[1:i]
	}
	f := strings.Fields(v)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// selfSigned makes a certificate for 127.0.0.1 and localhost and a pool
// that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
