package natswork

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// TLS of the NATS connection between workers and the coordinator. Off
// loopback, crawl jobs and results (links, fingerprints, matched media's
// blurred previews) cross networks the centre does not own: the embedded
// server speaks TLS there, with a certificate of the operator's or one
// serve makes itself, and a worker verifies it by a CA or by the
// certificate's SHA-256 fingerprint (pinning, for a self-signed one).

// ErrPlaintext reports a NATS connection or listener off loopback without
// TLS that was not explicitly allowed (--nats-insecure).
var ErrPlaintext = errors.New("plaintext NATS off loopback")

// ErrServerCertificate reports a NATS server whose TLS certificate the
// worker could not verify (unknown CA, wrong host, pin mismatch) or that
// offered no TLS where it was required: retrying cannot help, so Connect
// returns it at once instead of reconnecting for ever.
var ErrServerCertificate = errors.New("NATS server certificate not trusted")

// ServerTLS loads a certificate and key (PEM files) for the embedded
// server's listener.
func ServerTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("NATS TLS certificate %s, key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// EnsureSelfSigned writes a self-signed certificate (certFile, mode 0644)
// and its private key (keyFile, mode 0600) for the embedded server's
// listener when certFile does not exist yet, valid for hosts (names or
// IPs) and ten years; an existing pair is kept, so workers that pinned its
// fingerprint keep connecting across restarts. created says whether it
// wrote them.
func EnsureSelfSigned(certFile, keyFile string, hosts []string) (created bool, err error) {
	if _, err := os.Stat(certFile); err == nil {
		if _, err := os.Stat(keyFile); err != nil {
			return false, fmt.Errorf("NATS TLS certificate %s has no key: %w", certFile, err)
		}
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("NATS TLS certificate: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return false, fmt.Errorf("NATS TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return false, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "hashwatch coordinator NATS", Organization: []string{"hashwatch"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		// Its own CA, so that a worker can also trust it with --nats-ca.
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return false, fmt.Errorf("NATS TLS certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return false, err
	}
	// The key first: a certificate without its key would stop the next
	// start, a key without its certificate is simply made again.
	if err := writeNew(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return false, err
	}
	if err := writeNew(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return false, err
	}
	return true, nil
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// CertFingerprint is the SHA-256 fingerprint of the first certificate in
// a PEM file, as workers pin it (--nats-pin): hex pairs joined by colons.
func CertFingerprint(certFile string) (string, error) {
	data, err := os.ReadFile(certFile)
	if err != nil {
		return "", fmt.Errorf("NATS TLS certificate: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return "", fmt.Errorf("NATS TLS certificate %s: no PEM certificate", certFile)
	}
	return fingerprint(block.Bytes), nil
}

func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	var b strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(h[i : i+2])
	}
	return b.String()
}

// normalisePin accepts a fingerprint with or without colons, any case, an
// optional "SHA256:" prefix.
func normalisePin(pin string) (string, error) {
	p := strings.ToLower(strings.TrimSpace(pin))
	p = strings.TrimPrefix(p, "sha256:")
	p = strings.ReplaceAll(p, ":", "")
	if b, err := hex.DecodeString(p); err != nil || len(b) != sha256.Size {
		return "", fmt.Errorf("--nats-pin %q: want the server certificate's SHA-256 fingerprint (64 hex digits, colons allowed)", pin)
	}
	return p, nil
}

// clientTLS is the TLS configuration of a connection to a NATS server: the
// CA in caFile, or pinning the server's certificate by fingerprint, or
// both; nil when neither is given.
func clientTLS(caFile, pin string) (*tls.Config, error) {
	if caFile == "" && pin == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		data, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("NATS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("NATS CA %s: no PEM certificate", caFile)
		}
		cfg.RootCAs = pool
	}
	if pin != "" {
		want, err := normalisePin(pin)
		if err != nil {
			return nil, err
		}
		if caFile == "" {
			// The pin is the trust: a self-signed certificate has no CA
			// to verify it by, nor, often, the name workers dial.
			cfg.InsecureSkipVerify = true
		}
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			got := fingerprint(cs.PeerCertificates[0].Raw)
			if strings.ReplaceAll(strings.ToLower(got), ":", "") != want {
				return fmt.Errorf("%w: the server's certificate has SHA-256 fingerprint %s", errPinMismatch, got)
			}
			return nil
		}
	}
	return cfg, nil
}

// errPinMismatch reports a server certificate whose fingerprint is not the
// pinned one.
var errPinMismatch = errors.New("not the pinned certificate")

// IsLoopbackHost reports whether host (a name or an IP) is this machine
// only.
func IsLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkPlaintext refuses cfg.URL naming a server off loopback over plain
// nats:// without TLS settings, unless cfg.Insecure.
func checkPlaintext(cfg ConnectConfig) error {
	if cfg.Insecure || cfg.CA != "" || cfg.Pin != "" {
		return nil
	}
	for _, s := range strings.Split(cfg.URL, ",") {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "://") {
			s = "nats://" + s
		}
		u, err := url.Parse(s)
		if err != nil {
			return fmt.Errorf("NATS URL %q: %w", s, err)
		}
		if u.Scheme == "tls" || u.Scheme == "wss" || IsLoopbackHost(u.Hostname()) {
			continue
		}
		return fmt.Errorf("%w: %s would carry crawl jobs and results in clear; use tls:// with --nats-ca (or --nats-pin for serve's self-signed certificate), or pass --nats-insecure behind a TLS tunnel", ErrPlaintext, u.Redacted())
	}
	return nil
}

// certificateError reports whether err from a first connect is about the
// server's TLS (untrusted certificate, pin mismatch, no TLS offered).
func certificateError(err error) bool {
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var rec tls.RecordHeaderError
	var alert tls.AlertError
	return errors.As(err, &unknown) || errors.As(err, &hostErr) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || errors.As(err, &rec) || errors.As(err, &alert) || errors.Is(err, errPinMismatch) ||
		errors.Is(err, nats.ErrSecureConnWanted) || errors.Is(err, nats.ErrSecureConnRequired)
}
