//go:build linux

package adminsock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// client is one forwarded command's ends: pipes standing in for a
// terminal, read back after the command.
type client struct {
	req            Request
	stdout, stderr *os.File // read ends
}

func newClient(t *testing.T, db, stdin string, args ...string) *client {
	t.Helper()
	inR, inW := pipe(t)
	outR, outW := pipe(t)
	errR, errW := pipe(t)
	go func() { io.WriteString(inW, stdin); inW.Close() }()
	abs, _ := filepath.Abs(db)
	cl := &client{stdout: outR, stderr: errR,
		req: Request{Args: args, Dir: t.TempDir(), DB: abs, Env: map[string]string{"USER": "kim"}, Stdin: inR, Stdout: outW, Stderr: errW}}
	return cl
}

func pipe(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

// forward runs the request and returns its status and what the command
// wrote; the client's own copies of the write ends are closed first, as a
// client process's would be when it exits.
func (cl *client) forward(ctx context.Context) (int, string, string, error) {
	code, err := Forward(ctx, cl.req)
	cl.req.Stdout.Close()
	cl.req.Stderr.Close()
	out, _ := io.ReadAll(cl.stdout)
	errOut, _ := io.ReadAll(cl.stderr)
	return code, string(out), string(errOut), err
}

// echo is a handler that prints what it got and exits with the status its
// first argument names.
func echo(ctx context.Context, r *Request) int {
	in, _ := io.ReadAll(r.Stdin)
	fmt.Fprintf(r.Stdout, "args=%v dir-abs=%v user=%s stdin=%q\n", r.Args, filepath.IsAbs(r.Dir), r.Env["USER"], in)
	fmt.Fprintln(r.Stderr, "to stderr")
	var code int
	fmt.Sscan(r.Args[0], &code)
	return code
}

func listen(t *testing.T, db string, h Handler) *Server {
	t.Helper()
	if err := os.WriteFile(db, nil, 0o600); err != nil && !errors.Is(err, os.ErrExist) {
		t.Fatal(err)
	}
	s, err := Listen(context.Background(), Config{DB: db, Handle: h, Grace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestForward(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hw.db")
	s := listen(t, db, echo)

	t.Run("the socket is the owner's only", func(t *testing.T) {
		fi, err := os.Lstat(SocketPath(db))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
			t.Fatalf("mode %v, want a socket with 0600", fi.Mode())
		}
		if ents, _ := os.ReadDir(filepath.Dir(db)); len(ents) != 2 {
			t.Fatalf("the folder holds %d entries, want the database and the socket (no temporary folder left)", len(ents))
		}
	})
	for _, tc := range []struct {
		name string
		code int
	}{{"a command that succeeds returns 0", 0}, {"a command that fails returns its status", 1}, {"a usage error returns 2", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			cl := newClient(t, db, "correct horse\n", fmt.Sprint(tc.code), "--json")
			code, out, errOut, err := cl.forward(context.Background())
			want := fmt.Sprintf("args=[%d --json] dir-abs=true user=kim stdin=\"correct horse\\n\"\n", tc.code)
			if err != nil || code != tc.code || out != want || errOut != "to stderr\n" {
				t.Fatalf("Forward = %d, %v; stdout %q, stderr %q", code, err, out, errOut)
			}
		})
	}
	t.Run("a request for another database is refused", func(t *testing.T) {
		other := filepath.Join(filepath.Dir(db), "other.db")
		os.WriteFile(other, nil, 0o600)
		// Its socket is a link to ours, so the request reaches this server.
		if err := os.Symlink(s.Path(), SocketPath(other)); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(SocketPath(other))
		cl := newClient(t, other, "", "0")
		code, out, _, err := cl.forward(context.Background())
		var re *RefusedError
		if !errors.As(err, &re) || code != 1 || out != "" || !strings.Contains(re.Reason, "not "+other) {
			t.Fatalf("Forward = %d, %v; stdout %q", code, err, out)
		}
	})
}

func TestForwardCancel(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hw.db")
	started := make(chan struct{})
	listen(t, db, func(ctx context.Context, r *Request) int {
		close(started)
		<-ctx.Done()
		fmt.Fprintln(r.Stderr, "interrupted")
		return 1
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	code, _, errOut, err := newClient(t, db, "", "x").forward(ctx)
	if err != nil || code != 1 || errOut != "interrupted\n" {
		t.Fatalf("a cancelled client got %d, %v, stderr %q; want the command's own status after it saw the cancellation", code, err, errOut)
	}
}

func TestForwardPanic(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hw.db")
	listen(t, db, func(ctx context.Context, r *Request) int { panic("boom") })
	for range 2 { // the server survives the first
		code, _, errOut, err := newClient(t, db, "", "x").forward(context.Background())
		if err != nil || code != 1 || !strings.Contains(errOut, "internal error in the server process: boom") {
			t.Fatalf("Forward = %d, %v, stderr %q", code, err, errOut)
		}
	}
}

func TestStaleAndClosedSockets(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "hw.db")
	os.WriteFile(db, nil, 0o600)

	// A holder killed with SIGKILL leaves its socket file: bound, no one
	// listening.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: SocketPath(db), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Lstat(SocketPath(db)); err != nil {
		t.Fatalf("the stale socket is not there: %v", err)
	}
	if _, _, _, err := newClient(t, db, "", "0").forward(context.Background()); !errors.Is(err, ErrNoServer) {
		t.Fatalf("Forward to a stale socket = %v, want ErrNoServer", err)
	}
	if _, _, _, err := newClient(t, filepath.Join(dir, "none.db"), "", "0").forward(context.Background()); !errors.Is(err, ErrNoServer) {
		t.Fatalf("Forward without a socket = %v, want ErrNoServer", err)
	}

	s, err := Listen(context.Background(), Config{DB: db, Handle: echo})
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	if code, _, _, err := newClient(t, db, "", "0").forward(context.Background()); err != nil || code != 0 {
		t.Fatalf("Forward after the stale socket was replaced = %d, %v", code, err)
	}
	s.Close()
	if _, err := os.Lstat(SocketPath(db)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Close left the socket: %v", err)
	}

	// A socket that is no longer ours (replaced behind our back) stays.
	s, err = Listen(context.Background(), Config{DB: db, Handle: echo})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(SocketPath(db))
	os.WriteFile(SocketPath(db), []byte("not ours"), 0o600)
	s.Close()
	if b, _ := os.ReadFile(SocketPath(db)); string(b) != "not ours" {
		t.Fatalf("Close removed a file it did not make")
	}
}

func TestListenRefusesALongPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	os.Mkdir(dir, 0o700)
	_, err := Listen(context.Background(), Config{DB: filepath.Join(dir, "hw.db"), Handle: echo})
	if err == nil || !strings.Contains(err.Error(), "shorter database path") {
		t.Fatalf("Listen = %v", err)
	}
}

// TestCloseBoundsItsWait: a command that ignores its context (blocked on a
// client's terminal, say) delays Close by the grace period and the few
// seconds after its cancellation, not forever.
func TestCloseBoundsItsWait(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hw.db")
	os.WriteFile(db, nil, 0o600)
	started, release := make(chan struct{}), make(chan struct{})
	s, err := Listen(context.Background(), Config{DB: db, Grace: 100 * time.Millisecond, Handle: func(ctx context.Context, r *Request) int {
		close(started)
		<-release
		return 0
	}})
	if err != nil {
		t.Fatal(err)
	}
	cl := newClient(t, db, "", "x")
	forwarded := make(chan struct{})
	go func() { Forward(context.Background(), cl.req); close(forwarded) }()
	<-started
	start := time.Now()
	s.Close()
	d := time.Since(start)
	close(release) // the abandoned command ends; its client gets its answer
	<-forwarded
	if d > 100*time.Millisecond+abandonAfter+2*time.Second {
		t.Fatalf("Close took %v", d)
	}
}
