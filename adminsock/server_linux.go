//go:build linux

package adminsock

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"time"
)

// Config is what a holder needs to answer on its database's socket.
type Config struct {
	// DB is the database file the holder has open.
	DB string
	// Handle runs each request.
	Handle Handler
	// Log receives refused connections and failures; nil discards them.
	Log *slog.Logger
	// Grace is how long Close waits for running commands before it
	// cancels them; zero means DefaultGrace.
	Grace time.Duration
}

// Server answers requests on a database's socket until Close.
type Server struct {
	cfg    Config
	path   string
	ln     *net.UnixListener
	made   os.FileInfo // the socket file as created, to remove only our own
	base   context.Context
	cancel context.CancelFunc
	slots  chan struct{}
	conns  sync.WaitGroup
	accept sync.WaitGroup
	once   sync.Once
	// unwatch stops the watch on Listen's context.
	unwatch func() bool
}

// Listen creates the socket beside cfg.DB and answers on it until ctx is
// done (then it stops accepting) or Close is called. The caller must hold
// the database's exclusive lock: whatever is at the socket's path is then
// stale, and is replaced.
func Listen(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	abs, err := filepath.Abs(cfg.DB)
	if err != nil {
		return nil, err
	}
	path := SocketPath(abs)
	ln, made, err := create(path)
	if err != nil {
		return nil, err
	}
	base, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, path: path, ln: ln, made: made, base: base, cancel: cancel, slots: make(chan struct{}, MaxConcurrent)}
	s.accept.Go(s.acceptLoop)
	s.unwatch = context.AfterFunc(ctx, s.stopAccepting)
	return s, nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

// create binds a socket at path with mode 0600 without it ever existing
// there with wider permissions: it is bound inside a fresh 0700 folder
// beside path, chmodded, and renamed over whatever was at path.
func create(path string) (*net.UnixListener, os.FileInfo, error) {
	if len(path) > maxSocketPath {
		return nil, nil, fmt.Errorf("socket %s: the path is %d bytes, longer than the %d a Unix socket allows; a shorter database path lets the CLI reach this process", path, len(path), maxSocketPath)
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".sock-")
	if err != nil {
		return nil, nil, fmt.Errorf("socket %s: %w", path, err)
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "s")
	if len(tmp) > maxSocketPath {
		// The folder's name is longer than ".sock"; bind in place instead,
		// chmodding at once (the peer check still refuses other users).
		tmp = path
		os.Remove(path)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, nil, fmt.Errorf("socket %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, nil, fmt.Errorf("socket %s: %w", path, err)
	}
	if tmp != path {
		if err := os.Rename(tmp, path); err != nil {
			ln.Close()
			return nil, nil, fmt.Errorf("socket %s: %w", path, err)
		}
	}
	made, err := os.Lstat(path)
	if err != nil {
		ln.Close()
		return nil, nil, fmt.Errorf("socket %s: %w", path, err)
	}
	return ln, made, nil
}

// stopAccepting closes the listener and removes the socket if it is still
// ours; commands already running go on.
func (s *Server) stopAccepting() {
	s.once.Do(func() {
		s.ln.Close()
		if fi, err := os.Lstat(s.path); err == nil && os.SameFile(fi, s.made) {
			os.Remove(s.path)
		}
	})
}

// Close stops accepting, removes the socket, lets running commands finish
// for the grace period, then cancels them and waits a few seconds more for
// them.
func (s *Server) Close() {
	s.unwatch()
	s.stopAccepting()
	s.accept.Wait()
	done := make(chan struct{})
	go func() { s.conns.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(s.cfg.Grace):
		s.cfg.Log.Warn("CLI commands still running at the end of the grace period are cancelled")
		s.cancel()
		// A command blocked writing to a client's full pipe or reading its
		// terminal does not see its context; the holder does not wait for
		// it forever.
		select {
		case <-done:
		case <-time.After(abandonAfter):
			s.cfg.Log.Error("CLI commands still blocked after their cancellation are abandoned")
		}
	}
	s.cancel()
}

// abandonAfter is how long Close waits for cancelled commands.
const abandonAfter = 5 * time.Second

func (s *Server) acceptLoop() {
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.cfg.Log.Error("CLI socket stopped accepting", "err", err)
			}
			return
		}
		s.conns.Go(func() { s.serveConn(c) })
	}
}

// serveConn checks the peer, reads its request, runs it and answers.
func (s *Server) serveConn(c *net.UnixConn) {
	defer c.Close()
	uid, pid, err := peer(c)
	if err != nil {
		s.cfg.Log.Warn("CLI connection refused: no peer credentials", "err", err)
		return
	}
	if uid != os.Getuid() {
		s.cfg.Log.Warn("CLI connection refused: another user", "uid", uid, "pid", pid)
		reply(c, response{Exit: 1, Error: fmt.Sprintf("%s serves only user ID %d, not %d: run the command as the user the server runs as", s.path, os.Getuid(), uid)})
		return
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-s.base.Done():
		return
	}
	req, err := readRequest(c)
	if err != nil {
		s.cfg.Log.Warn("CLI request refused", "pid", pid, "err", err)
		reply(c, response{Exit: 1, Error: "malformed request: " + err.Error()})
		return
	}
	defer req.Stdin.Close()
	defer req.Stdout.Close()
	defer req.Stderr.Close()
	if same, err := sameFile(req.DB, s.cfg.DB); err != nil || !same {
		reply(c, response{Exit: 1, Error: fmt.Sprintf("%s answers for %s, not %s", s.path, s.cfg.DB, req.DB)})
		return
	}

	// The client half-closes (or dies) to cancel; anything it sends after
	// the request ends the command the same way.
	ctx, cancel := context.WithCancel(s.base)
	defer cancel()
	var watch sync.WaitGroup
	watch.Go(func() {
		var b [1]byte
		c.Read(b[:])
		cancel()
	})
	code := s.run(ctx, req, pid)
	reply(c, response{Exit: code})
	c.SetReadDeadline(time.Now()) // ends the watcher's read
	watch.Wait()
}

// run calls the handler, turning a panic into exit status 1 so that one
// command cannot bring the holder down.
func (s *Server) run(ctx context.Context, req *Request, pid int) (code int) {
	defer func() {
		if p := recover(); p != nil {
			s.cfg.Log.Error("CLI command panicked", "args", req.Args, "pid", pid, "panic", p, "stack", string(debug.Stack()))
			fmt.Fprintf(req.Stderr, "hashwatch: internal error in the server process: %v\n", p)
			code = 1
		}
	}()
	return s.cfg.Handle(ctx, req)
}

// peer returns the connected process's user and process IDs.
func peer(c *net.UnixConn) (uid, pid int, err error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return 0, 0, err
	}
	if cerr != nil {
		return 0, 0, cerr
	}
	return int(cred.Uid), int(cred.Pid), nil
}

// readRequest reads the length-prefixed JSON request and the three file
// descriptors sent with its first bytes.
func readRequest(c *net.UnixConn) (*Request, error) {
	c.SetReadDeadline(time.Now().Add(RequestTimeout))
	defer c.SetReadDeadline(time.Time{})
	buf := make([]byte, 64<<10)
	oob := make([]byte, syscall.CmsgSpace(4*4)) // room to notice a fourth
	n, oobn, flags, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, err
	}
	fds, ferr := rights(oob[:oobn])
	files := make([]*os.File, len(fds))
	for i, fd := range fds {
		files[i] = os.NewFile(uintptr(fd), fmt.Sprintf("client-fd-%d", i))
	}
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	switch {
	case ferr != nil:
		closeAll()
		return nil, ferr
	case flags&syscall.MSG_CTRUNC != 0 || len(files) != 3:
		closeAll()
		return nil, fmt.Errorf("want stdin, stdout and stderr, got %d descriptors", len(files))
	}
	data := buf[:n]
	for len(data) < 4 {
		m, err := c.Read(buf[len(data):])
		if err != nil {
			closeAll()
			return nil, err
		}
		data = buf[:len(data)+m]
	}
	size := binary.BigEndian.Uint32(data)
	if size > MaxRequestBytes {
		closeAll()
		return nil, fmt.Errorf("request of %d bytes (at most %d)", size, MaxRequestBytes)
	}
	body := make([]byte, size)
	k := copy(body, data[4:])
	if _, err := io.ReadFull(c, body[k:]); err != nil {
		closeAll()
		return nil, err
	}
	var req Request
	if err := json.Unmarshal(body, &req); err != nil {
		closeAll()
		return nil, err
	}
	if !filepath.IsAbs(req.Dir) || !filepath.IsAbs(req.DB) {
		closeAll()
		return nil, errors.New("the working directory and the database must be absolute paths")
	}
	req.Stdin, req.Stdout, req.Stderr = files[0], files[1], files[2]
	return &req, nil
}

// rights returns the file descriptors in a control message.
func rights(oob []byte) ([]int, error) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var fds []int
	for _, m := range msgs {
		f, err := syscall.ParseUnixRights(&m)
		if err != nil {
			for _, fd := range fds {
				syscall.Close(fd)
			}
			return nil, err
		}
		fds = append(fds, f...)
	}
	return fds, nil
}

func reply(c *net.UnixConn, r response) {
	b, _ := json.Marshal(r)
	c.SetWriteDeadline(time.Now().Add(RequestTimeout))
	c.Write(append(b, '\n'))
}

func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}
