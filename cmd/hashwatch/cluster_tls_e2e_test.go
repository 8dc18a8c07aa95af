package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/crawler/natswork"
)

// TestClusterOverTLS runs serve with its embedded NATS server off loopback
// (--public, no certificate given): it makes a self-signed certificate
// beside the database (key mode 0600) and logs its fingerprint. A worker
// trusting another CA is refused at once with a clear error; a worker
// with serve's certificate as its CA, and one pinning the fingerprint,
// crawl the fixture site to the end, with the alerts of its ground truth.
func TestClusterOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("crawls a fixture site with three processes")
	}
	fs, srv := clusterSite(t, 20)
	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	known := filepath.Join("..", "..", "fixtures", "photos", "known")
	if _, errOut, code := cli(t, db, "register", "--case", "demo", known); code != 0 {
		t.Fatalf("register: %s", errOut)
	}
	sites := writeSites(t, dir, srv.URL)
	port := freePort(t)
	serve := exec.Command(binary, "--db", db, "serve", "--sites", sites, "--addr", "127.0.0.1:0", "--public",
		"--nats-listen", fmt.Sprintf("0.0.0.0:%d", port), "--workers", "0")
	stdout, err := serve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var serveErr strings.Builder
	serve.Stderr = &serveErr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	serveDone := make(chan error, 1)
	go func() { serveDone <- serve.Wait() }()
	t.Cleanup(func() { _ = serve.Process.Kill() })
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		t.Fatalf("serve printed no URL: %v\n%s", err, serveErr.String())
	}

	cert, key := filepath.Join(dir, "nats-tls-cert.pem"), filepath.Join(dir, "nats-tls-key.pem")
	if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("self-signed key: %v, mode %v; want 0600", err, st)
	}
	fp, err := natswork.CertFingerprint(cert)
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`sha256=([0-9A-F:]+)`).FindStringSubmatch(serveErr.String()); m == nil || m[1] != fp {
		t.Fatalf("serve's log does not give the certificate's fingerprint %s:\n%s", fp, serveErr.String())
	}
	natsURL := fmt.Sprintf("tls://127.0.0.1:%d", port)
	creds := filepath.Join(dir, "worker.creds")

	// The wrong CA: refused at once, saying why, never retried for ever.
	other := t.TempDir()
	wrongCA := filepath.Join(other, "ca.pem")
	if _, err := natswork.EnsureSelfSigned(wrongCA, filepath.Join(other, "key.pem"), []string{"127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "worker", "--nats", natsURL, "--creds", creds, "--nats-ca", wrongCA).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("a worker with the wrong CA still ran after 30 s:\n%s", out)
	}
	if err == nil || !strings.Contains(string(out), "certificate not trusted") || !strings.Contains(string(out), "--nats-ca") {
		t.Fatalf("a worker with the wrong CA: %v\n%s\nwant a refusal naming the certificate and --nats-ca", err, out)
	}

	worker := func(name string, trust ...string) {
		args := append([]string{"worker", "--nats", natsURL, "--creds", creds, "--parallel", "4", "--name", name}, trust...)
		cmd := exec.Command(binary, args...)
		var errOut strings.Builder
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if t.Failed() {
				t.Logf("worker %s:\n%s", name, errOut.String())
			}
		})
	}
	worker("by-ca", "--nats-ca", cert)
	worker("by-pin", "--nats-pin", fp)

	deadline := time.Now().Add(3 * time.Minute)
	for {
		out, _, code := cli(t, db, "sites", "--json")
		if code == 0 {
			if _, ok := finishedPass(t, out); ok {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no finished pass over TLS within 3 minutes; sites: %s\nserve: %s", out, serveErr.String())
		}
		<-time.After(200 * time.Millisecond)
	}
	_ = serve.Process.Signal(syscall.SIGTERM)
	<-serveDone

	_, got := sightings(t, db)
	want := map[string]bool{}
	for _, r := range fs.Truth() {
		want[r.Page+" "+r.Media] = true
	}
	gotSet := map[string]bool{}
	for _, s := range got {
		_, pm, _ := strings.Cut(s, " ")
		gotSet[pm] = true
	}
	for k := range want {
		if !gotSet[k] {
			t.Errorf("missed re-upload over TLS: %s", k)
		}
	}
	for k := range gotSet {
		if !want[k] {
			t.Errorf("false alert over TLS: %s", k)
		}
	}
}
