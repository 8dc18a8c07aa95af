package natswork

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWorkersVerifyTheEmbeddedServersCertificate: a self-signed
// certificate serve makes is trusted by its CA file or its pinned
// fingerprint, and by nothing else; a failed verification ends Connect at
// once with ErrServerCertificate instead of retrying for ever.
func TestWorkersVerifyTheEmbeddedServersCertificate(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	created, err := EnsureSelfSigned(cert, key, []string{"localhost", "127.0.0.1"})
	if err != nil || !created {
		t.Fatalf("EnsureSelfSigned = %v, %v", created, err)
	}
	if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want 0600", err, st.Mode().Perm())
	}
	fp, err := CertFingerprint(cert)
	if err != nil {
		t.Fatal(err)
	}
	// A second start keeps the pair, so pinned workers keep connecting.
	if again, err := EnsureSelfSigned(cert, key, nil); err != nil || again {
		t.Fatalf("second EnsureSelfSigned = %v, %v; want the pair kept", again, err)
	}
	if fp2, _ := CertFingerprint(cert); fp2 != fp {
		t.Fatalf("fingerprint changed across starts: %s, %s", fp, fp2)
	}
	otherCA, otherKey := filepath.Join(dir, "other.pem"), filepath.Join(dir, "other-key.pem")
	if _, err := EnsureSelfSigned(otherCA, otherKey, []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	otherFP, _ := CertFingerprint(otherCA)

	tc, err := ServerTLS(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	creds := filepath.Join(dir, "worker.creds")
	emb, err := StartEmbedded(EmbeddedConfig{StoreDir: filepath.Join(dir, "nats"), Listen: "127.0.0.1:0", CredsFile: creds, TLS: tc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Shutdown)
	// The coordinator's own connection is in process: no TLS needed.
	nc, err := emb.Connect("coordinator")
	if err != nil {
		t.Fatalf("in-process connection: %v", err)
	}
	nc.Close()
	port := fmt.Sprint(emb.Server.Addr().(*net.TCPAddr).Port)
	tlsURL := "tls://127.0.0.1:" + port

	for _, tc := range []struct {
		name string
		cfg  ConnectConfig
		want error // nil: connects
	}{
		{"a worker with serve's certificate as CA connects", ConnectConfig{URL: tlsURL, CA: cert}, nil},
		{"a worker pinning the fingerprint connects", ConnectConfig{URL: tlsURL, Pin: fp}, nil},
		{"a pin is accepted without colons, in lower case", ConnectConfig{URL: tlsURL, Pin: strings.ToLower(strings.ReplaceAll(fp, ":", ""))}, nil},
		{"a worker with the wrong CA is refused", ConnectConfig{URL: tlsURL, CA: otherCA}, ErrServerCertificate},
		{"a worker pinning another fingerprint is refused", ConnectConfig{URL: tlsURL, Pin: otherFP}, ErrServerCertificate},
		{"a worker trusting only the system's CAs is refused", ConnectConfig{URL: tlsURL}, ErrServerCertificate},
		{"a worker asking for plaintext is refused", ConnectConfig{URL: "nats://127.0.0.1:" + port}, ErrServerCertificate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Creds = creds
			nc, err := Connect(cfg)
			if nc != nil {
				defer nc.Close()
			}
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("Connect: %v", err)
			case tc.want == nil && !nc.IsConnected():
				t.Fatalf("Connect returned a connection that is not connected (%v)", nc.Status())
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("Connect = %v; want %v", err, tc.want)
			}
		})
	}
}

// TestPlaintextOffLoopbackIsRefused: nats:// to another machine without
// TLS settings needs Insecure; loopback and tls:// do not.
func TestPlaintextOffLoopbackIsRefused(t *testing.T) {
	for _, tc := range []struct {
		cfg  ConnectConfig
		want bool // refused
	}{
		{ConnectConfig{URL: "nats://192.0.2.7:4222"}, true},
		{ConnectConfig{URL: "nats://127.0.0.1:4222,nats://coordinator.example:4222"}, true},
		{ConnectConfig{URL: "192.0.2.7:4222"}, true},
		{ConnectConfig{URL: "nats://192.0.2.7:4222", Insecure: true}, false},
		{ConnectConfig{URL: "nats://192.0.2.7:4222", Pin: "ab"}, false},
		{ConnectConfig{URL: "tls://192.0.2.7:4222"}, false},
		{ConnectConfig{URL: "nats://127.0.0.1:4222"}, false},
		{ConnectConfig{URL: "nats://localhost:4222"}, false},
		{ConnectConfig{URL: "nats://[::1]:4222"}, false},
	} {
		t.Run(fmt.Sprintf("%s insecure=%v", tc.cfg.URL, tc.cfg.Insecure), func(t *testing.T) {
			err := checkPlaintext(tc.cfg)
			if got := errors.Is(err, ErrPlaintext); got != tc.want {
				t.Fatalf("checkPlaintext = %v; want refused %v", err, tc.want)
			}
		})
	}
}
