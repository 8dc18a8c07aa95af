//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashwatch/hashwatch/database"
	"github.com/hashwatch/hashwatch/fixtures"
	"github.com/hashwatch/hashwatch/store"
	"github.com/spf13/cobra"
)

// runIn runs the real binary in folder dir with the environment env added,
// standard input stdin, and returns stdout, stderr and the exit status.
func runIn(t *testing.T, dir string, env []string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
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

// server is a running `hashwatch serve`.
type server struct {
	cmd    *exec.Cmd
	stderr strings.Builder
	// base is the console's URL, without a trailing slash.
	base string
}

// startServe starts serve on db (with sites) from a folder of its own, and
// returns once the console listens, which is after the socket is made.
func startServe(t *testing.T, db, sites string, flags ...string) *server {
	t.Helper()
	s := &server{cmd: exec.Command(binary, append([]string{"--db", db, "serve", "--sites", sites, "--addr", "127.0.0.1:0"}, flags...)...)}
	s.cmd.Dir = t.TempDir()
	s.cmd.Stderr = &s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("serve printed no URL: %v\nstderr: %s", err, s.stderr.String())
	}
	s.base = strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(line, "hashwatch console: ")), "/")
	go io.Copy(io.Discard, stdout)
	return s
}

// stop stops serve with SIGTERM and waits for it.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v\nstderr: %s", err, s.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop on SIGTERM\nstderr: %s", s.stderr.String())
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// What may differ between a command run beside serve and the same command
// run later on a closed copy of the same database, and why:
var (
	// the times of records the commands themselves create (a case, a
	// decision, a user): the two runs happen seconds apart;
	rfc3339  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	dateTime = regexp.MustCompile(`\d{4}-\d\d-\d\d( \d\d:\d\d:\d\d)?`)
	// the file's size: pages a transaction frees are reused only once no
	// read transaction can still see them, and inside serve other readers
	// (the scheduler, the console) come and go, so the same records can
	// take a different number of pages than with one process per command
	// (in our runs the sizes were equal; they are not guaranteed to be).
	bytesCount = regexp.MustCompile(`\d+ bytes|"bytes":\d+`)
)

type normaliser int

const (
	exact normaliser = iota
	times
	sizes
)

func (n normaliser) apply(s string) string {
	switch n {
	case times:
		s = rfc3339.ReplaceAllString(s, "TIME")
		s = dateTime.ReplaceAllString(s, "TIME")
	case sizes:
		s = bytesCount.ReplaceAllString(s, "N bytes")
	}
	return s
}

// TestCLIBesideServe runs the commands of the README and the CLI contract
// while serve holds the database, and again on a copy of the same database
// once serve has stopped, and compares stdout, stderr and exit status: they
// must be the same, up to what normaliser says must differ. The two copies
// sit at the same relative path in two folders, and the commands run from
// there with relative paths (the database, a photo, the backup), so a path
// resolved against serve's own folder would show.
func TestCLIBesideServe(t *testing.T) {
	fs, err := fixtures.NewSite(fixtures.SiteConfig{})
	if err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(fs)
	defer site.Close()

	// One database with cases, a crawled site and its alerts.
	baseDir := t.TempDir()
	base := filepath.Join(baseDir, "hw.db")
	known := filepath.Join("..", "..", "fixtures", "photos", "known")
	if _, errOut, code := cli(t, base, "register", "--case", "demo", known); code != 0 {
		t.Fatalf("register: %s", errOut)
	}
	sites := filepath.Join(baseDir, "sites.yaml")
	yaml := fmt.Sprintf("sites:\n  - name: fixture\n    seeds: [%q]\n    allow_private: true\n    delay: 0s\n    interval: 1h\n", site.URL+"/")
	if err := os.WriteFile(sites, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := cli(t, base, "crawl", "--sites", sites, "--once"); code != 0 {
		t.Fatalf("crawl: %s", errOut)
	}
	if out, _, _ := cli(t, base, "alerts", "list", "--json"); len(parseLines(t, out)) < 3 {
		t.Fatalf("the crawl raised too few alerts to compare: %s", out)
	}

	photo, err := filepath.Abs(filepath.Join("..", "..", "fixtures", "photos", "other", fixtures.Others()[0].Name))
	if err != nil {
		t.Fatal(err)
	}
	live, closed := t.TempDir(), t.TempDir()
	for _, d := range []string{live, closed} {
		copyFile(t, base, filepath.Join(d, "hw.db"))
		copyFile(t, photo, filepath.Join(d, "photo.jpg"))
		os.MkdirAll(filepath.Join(d, "pics", "sub"), 0o700)
		copyFile(t, photo, filepath.Join(d, "pics", "sub", "again.jpg"))
		os.WriteFile(filepath.Join(d, "partner.txt"), []byte(strings.Repeat("ab", 32)+",100,from a partner\nnot a hash\n"), 0o600)
	}
	env := []string{"USER=beside-test", "TZ=Asia/Seoul", "HASHWATCH_DB=hw.db"}

	commands := []struct {
		args  []string
		stdin string
		norm  normaliser
	}{
		{args: []string{"alerts", "list", "--json"}},
		{args: []string{"alerts", "list"}},
		{args: []string{"sites", "--json"}},
		{args: []string{"sites"}},
		{args: []string{"case", "list", "--json"}},
		{args: []string{"case", "list"}},
		{args: []string{"register", "--case", "beside", "--json", photo}},
		{args: []string{"register", "--case", "beside-rel", "photo.jpg", "missing.jpg"}},
		{args: []string{"register", "photo.jpg"}},
		{args: []string{"register", "--case", "folder", "--json", "./pics/"}},
		{args: []string{"import", "--case", "partner", "partner.txt"}},
		{args: []string{"match", "--json", "photo.jpg"}},
		{args: []string{"alerts", "confirm", "1"}},
		{args: []string{"alerts", "dismiss", "2", "--reason", "not a re-upload"}},
		{args: []string{"alerts", "show", "--json", "1"}, norm: times},
		{args: []string{"alerts", "show", "999"}},
		{args: []string{"user", "add", "kim", "--role", "operator"}, stdin: "correct horse\n"},
		{args: []string{"user", "add", "lee", "--role", "operator"}, stdin: "short\n"},
		{args: []string{"user", "list"}, norm: times},
		{args: []string{"case", "withdraw", "beside"}},
		{args: []string{"case", "list", "--json"}, norm: times},
		{args: []string{"export"}},
		{args: []string{"quarantine", "list"}},
		{args: []string{"negative", "list"}},
		{args: []string{"verify"}, norm: sizes},
		{args: []string{"verify", "--json"}, norm: sizes},
		{args: []string{"backup", "backup.db"}, norm: sizes},
		{args: []string{"--db", "backup.db", "case", "list", "--json"}, norm: times},
		{args: []string{"--db", "backup.db", "verify", "--json"}, norm: sizes},
	}
	type result struct {
		out, errOut string
		code        int
	}
	// --no-crawl: the scheduler would not crawl again within the hour, but
	// the removal re-checker polls every minute and checks a confirmed
	// alert at once, writing to one copy only; TestLockedDatabase runs
	// commands beside a process that writes all the while.
	srv := startServe(t, filepath.Join(live, "hw.db"), sites, "--no-crawl")
	sock := filepath.Join(live, "hw.db.sock")
	t.Run("the socket is a socket only its owner can use", func(t *testing.T) {
		fi, err := os.Lstat(sock)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v, want a socket with 0600", sock, fi.Mode())
		}
	})
	beside := make([]result, len(commands))
	for i, c := range commands {
		beside[i].out, beside[i].errOut, beside[i].code = runIn(t, live, env, c.stdin, c.args...)
	}
	t.Run("serve and crawl are refused beside serve, naming it", func(t *testing.T) {
		for _, args := range [][]string{{"crawl", "--sites", sites, "--once"}, {"serve", "--sites", sites}} {
			out, errOut, code := runIn(t, live, env, "", args...)
			want := fmt.Sprintf("hw.db is held by hashwatch serve (PID %d)", srv.cmd.Process.Pid)
			if code != 1 || out != "" || !strings.Contains(errOut, want) {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want 1 and %q", args, code, out, errOut, want)
			}
		}
	})
	srv.stop(t)
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("serve left its socket behind: %v", err)
	}

	for i, c := range commands {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out, errOut, code := runIn(t, closed, env, c.stdin, c.args...)
			b := beside[i]
			if code != b.code || c.norm.apply(out) != c.norm.apply(b.out) || c.norm.apply(errOut) != c.norm.apply(b.errOut) {
				t.Errorf("beside serve: exit %d\nstdout:\n%s\nstderr:\n%s\non the closed database: exit %d\nstdout:\n%s\nstderr:\n%s",
					b.code, b.out, b.errOut, code, out, errOut)
			}
			if out == "" && errOut == "" {
				t.Errorf("printed nothing: the comparison proves nothing")
			}
		})
	}

	t.Run("changes through the socket are audited as the command line's user", func(t *testing.T) {
		audit := func(path string) []string {
			db, err := database.Open(path, store.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			es, err := db.Store.AuditLog(store.AuditFilter{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range es {
				out = append(out, fmt.Sprintf("%s %s %s remote=%q token=%q", e.User, e.Action, e.Target, e.Remote, e.Token))
			}
			return out
		}
		got, want := audit(filepath.Join(live, "hw.db")), audit(filepath.Join(closed, "hw.db"))
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit beside serve:\n%s\non the closed database:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		n := 0
		for _, e := range got {
			if strings.HasPrefix(e, "cli:beside-test ") {
				n++
			}
		}
		if n < 5 {
			t.Fatalf("%d audit entries by cli:beside-test, want the registrations, decisions, user and withdrawal:\n%s", n, strings.Join(got, "\n"))
		}
	})
}

// TestServeReplacesAStaleSocket kills serve with SIGKILL, which leaves its
// socket file behind: commands then open the file themselves, and the next
// serve replaces the socket and answers on it.
func TestServeReplacesAStaleSocket(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	sites := filepath.Join(dir, "sites.yaml")
	if err := os.WriteFile(sites, []byte("sites:\n  - name: none\n    seeds: [\"http://127.0.0.1:9/\"]\n    allow_private: true\n    interval: 1h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	if _, errOut, code := cli(t, db, "import", "--case", "c", list); code != 0 {
		t.Fatal(errOut)
	}
	srv := startServe(t, db, sites)
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Wait()
	if fi, err := os.Lstat(db + ".sock"); err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("no stale socket after SIGKILL (%v, %v): the test shows nothing", fi, err)
	}
	if out, errOut, code := cli(t, db, "case", "list", "--json"); code != 0 || !strings.Contains(out, `"id":"c"`) {
		t.Fatalf("case list beside a stale socket: exit %d\n%s%s", code, out, errOut)
	}

	srv = startServe(t, db, sites)
	out, errOut, code := cli(t, db, "case", "list", "--json")
	if code != 0 || !strings.Contains(out, `"id":"c"`) {
		t.Fatalf("case list beside the new serve: exit %d\n%s%s\nserve: %s", code, out, errOut, srv.stderr.String())
	}
	srv.stop(t)
}

// TestSocketRefusesAnotherUser runs a command as another user (nobody)
// beside serve: with the socket's own mode it cannot connect at all, and
// with the mode opened up by mistake the server still refuses it, by its
// peer credentials. It needs root, to run a process as another user.
func TestSocketRefusesAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a command as another user")
	}
	dir, err := os.MkdirTemp("", "hashwatch-uid")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "hashwatch")
	b, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "hw.db")
	sites := filepath.Join(dir, "sites.yaml")
	os.WriteFile(sites, []byte("sites:\n  - name: none\n    seeds: [\"http://127.0.0.1:9/\"]\n    allow_private: true\n    interval: 1h\n"), 0o644)
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	if _, errOut, code := cli(t, db, "import", "--case", "secret-case", list); code != 0 {
		t.Fatal(errOut)
	}
	srv := startServe(t, db, sites)
	defer srv.stop(t)

	asNobody := func() (string, string, int) {
		cmd := exec.Command(bin, "--db", db, "case", "list", "--json")
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), code
	}
	out, errOut, code := asNobody()
	if code != 1 || strings.Contains(out, "secret-case") || !strings.Contains(errOut, "permission denied") {
		t.Fatalf("another user with the socket at 0600: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if err := os.Chmod(db+".sock", 0o666); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = asNobody()
	if code != 1 || strings.Contains(out, "secret-case") || !strings.Contains(errOut, "serves only user ID 0, not 65534") {
		t.Fatalf("another user with the socket opened up: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

// TestEveryCommandIsClassified makes each command say how it behaves while
// another process holds the database (beside.go), so a new command cannot
// silently fail beside serve.
func TestEveryCommandIsClassified(t *testing.T) {
	a := &app{getenv: func(string) string { return "" }}
	root := a.rootCommand()
	var visit func(*cobra.Command)
	visit = func(c *cobra.Command) {
		if c.Runnable() && c != root && besideModeOf(c) == unclassified {
			t.Errorf("%q: add it to besideModeOf", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	visit(root)
}
