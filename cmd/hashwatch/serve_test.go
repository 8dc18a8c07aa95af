package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/fixtures"
)

// cliIn is cli with standard input.
func cliIn(t *testing.T, db, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--db", db}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

func TestUserCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hw.db")
	cases := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"adds a user with the password from stdin", "correct horse\n", []string{"user", "add", "kim", "--role", "operator"}, 0, "added user kim (operator)"},
		{"adds a user with two roles", "correct horse\n", []string{"user", "add", "mo", "--role", "staff,operator"}, 0, "added user mo (staff,operator)"},
		{"refuses a role given twice", "correct horse\n", []string{"user", "add", "jo", "--role", "staff,staff"}, 2, ""},
		{"refuses a taken name", "correct horse\n", []string{"user", "add", "kim", "--role", "staff"}, 2, ""},
		{"refuses a short password", "short\n", []string{"user", "add", "lee", "--role", "staff"}, 2, ""},
		{"refuses an empty stdin", "", []string{"user", "add", "lee", "--role", "staff"}, 2, ""},
		{"refuses an unknown role", "correct horse\n", []string{"user", "add", "lee", "--role", "root"}, 2, ""},
		{"has no password flag", "", []string{"user", "add", "lee", "--role", "staff", "--password", "correct horse"}, 2, ""},
		{"lists users", "", []string{"user", "list"}, 0, "kim"},
		{"prints a token once", "", []string{"user", "token", "kim"}, 0, "hwt_"},
		{"refuses a token for nobody", "", []string{"user", "token", "nobody"}, 1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := cliIn(t, db, tc.stdin, tc.args...)
			if code != tc.wantCode || !strings.Contains(out, tc.wantOut) {
				t.Fatalf("exit %d (want %d), stdout %q, stderr %q", code, tc.wantCode, out, errOut)
			}
		})
	}
}

func TestServeRefusesAPublicAddressWithoutTheFlag(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:8080", "[::]:0", "example.org:80", ":0", "[::ffff:0.0.0.0]:0", "0:0"} {
		_, errOut, code := cli(t, filepath.Join(t.TempDir(), "hw.db"), "serve", "--sites", "nosuch.yaml", "--addr", addr)
		if code != exitUsage || !strings.Contains(errOut, "--public") {
			t.Errorf("%s: exit %d, stderr %q", addr, code, errOut)
		}
	}
	for _, addr := range []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080"} {
		if err := checkListenAddr(addr, false); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
	// What the listener really got is checked too ("localhost" is what the
	// resolver says it is).
	for _, tc := range []struct {
		ip     string
		public bool
		ok     bool
	}{{"127.0.0.1", false, true}, {"::1", false, true}, {"0.0.0.0", false, false}, {"::", false, false}, {"192.0.2.1", false, false}, {"192.0.2.1", true, true}} {
		err := checkBoundAddr(&net.TCPAddr{IP: net.ParseIP(tc.ip), Port: 8080}, tc.public)
		if (err == nil) != tc.ok {
			t.Errorf("bound to %s (public %v): %v", tc.ip, tc.public, err)
		}
	}
}

// TestServeCrawlsServesAndStopsOnSIGTERM runs the real binary: the console
// answers with an API token, the scheduler crawls the site, and SIGTERM
// stops everything with exit status 0.
func TestServeCrawlsServesAndStopsOnSIGTERM(t *testing.T) {
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(fs)
	defer site.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	sites := filepath.Join(dir, "sites.yaml")
	yaml := fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q]\n    allow_private: true\n    delay: 0s\n    interval: 1h\n", site.URL+"/")
	if err := os.WriteFile(sites, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := cliIn(t, db, "correct horse\n", "user", "add", "ana", "--role", "analyst"); code != 0 {
		t.Fatal(errOut)
	}
	token, _, _ := cli(t, db, "user", "token", "ana")
	token = strings.TrimSpace(token)

	cmd := exec.Command(binary, "--db", db, "serve", "--sites", sites, "--addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL printed: %v; stderr %s", err, stderr.String())
	}
	base := strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(line, "hashwatch console: ")), "/")

	get := func(path string) (*http.Response, error) {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return http.DefaultClient.Do(req)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := get("/api/sites")
		if err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			Name   string `json:"name"`
			Status struct {
				Passes int `json:"passes"`
			} `json:"status"`
		}
		err = json.NewDecoder(resp.Body).Decode(&rows)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("/api/sites: %d %v", resp.StatusCode, err)
		}
		if len(rows) == 1 && rows[0].Status.Passes == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pass within a minute: %+v; stderr %s", rows, stderr.String())
		}
		<-time.After(20 * time.Millisecond) // polling a condition with a deadline
	}
	if resp, err := get("/metrics"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v; stderr %s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

// TestServeReloadsSitesOnSIGHUP: sites.yaml edited by hand is taken by
// a running serve on SIGHUP, audited as the signal; a broken file is
// logged and changes nothing.
func TestServeReloadsSitesOnSIGHUP(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	sites := filepath.Join(dir, "sites.yaml")
	one := "sites:\n  - name: first\n    seeds: [\"http://first.example/\"]\n"
	if err := os.WriteFile(sites, []byte(one), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := cliIn(t, db, "correct horse\n", "user", "add", "ana", "--role", "analyst"); code != 0 {
		t.Fatal(errOut)
	}
	token, _, _ := cli(t, db, "user", "token", "ana")
	token = strings.TrimSpace(token)
	cmd := exec.Command(binary, "--db", db, "serve", "--sites", sites, "--addr", "127.0.0.1:0", "--no-crawl")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL printed: %v; stderr %s", err, stderr.String())
	}
	base := strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(line, "hashwatch console: ")), "/")
	names := func() string {
		req, _ := http.NewRequest("GET", base+"/api/sites", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rows []struct {
			Name string `json:"name"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil {
			t.Fatal(err)
		}
		var n []string
		for _, r := range rows {
			n = append(n, r.Name)
		}
		return strings.Join(n, ",")
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 30 s; stderr %s", what, stderr.String())
			}
			<-time.After(20 * time.Millisecond) // polling a condition with a deadline
		}
	}
	if got := names(); got != "first" {
		t.Fatalf("sites before = %s", got)
	}
	if err := os.WriteFile(sites, []byte(one+"  - name: second\n    seeds: [\"http://second.example/\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor("the second site after SIGHUP", func() bool { return names() == "first,second" })

	if err := os.WriteFile(sites, []byte("sites:\n  - name: first\n    sedes: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor("the broken file's error in the log", func() bool { return strings.Contains(stderr.String(), "sites.yaml not reloaded") })
	if got := names(); got != "first,second" {
		t.Fatalf("a broken file changed the sites: %s", got)
	}
}

// syncBuffer is a strings.Builder a process's output goroutine writes to
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
